"""File-system facts the batch needs in the main process, without reading any input.

The batch's own process never parses an input: it lists directories, reads ignore files
and the `source = "./..."` lines of `.tf` files, and fingerprints bytes for the result
cache. Those reads follow the rule `advisor.importers.reading.read_text` follows for
inputs: only a regular file is opened, with a non-blocking open (a FIFO or a device can
neither block nor stream forever), and at most `limit` bytes are read. This module does
not import `advisor.importers`, whose package pulls in the model and networkx: a rerun
served from the cache must not pay for them.
"""

from __future__ import annotations

import os
import stat

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


class Watch:
    """What this process read and listed (paths as given), and whether a glob was
    expanded, while a run is being recorded for its replay (advisor.batch.replay)."""

    def __init__(self) -> None:
        self.read: dict[str, None] = {}
        self.listed: dict[str, str] = {}  # folder -> its state as listed
        self.globbed = False


WATCH: Watch | None = None  # set by advisor.batch.replay.start


class NotReadable(Exception):
    """A path that is not a regular file, or cannot be opened; `str()` says why."""


def read_bytes(path: str, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; NotReadable for anything else.

    The type is checked from `stat` before the open (opening some devices has effects of
    its own) and again on the descriptor, in case the path changed in between.
    """
    if WATCH is not None:
        WATCH.read[path] = None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise NotReadable("not a regular file")
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotReadable("not a regular file")
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except NotReadable:
        raise
    except OSError as exc:
        raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def list_dir(path: str) -> list[os.DirEntry[str]]:
    """A folder's entries sorted by name (OSError when it cannot be listed); while a run
    is recorded, the state of what was listed is kept (the directory walk lists here)."""
    with os.scandir(path) as it:
        entries = sorted(it, key=lambda e: e.name)
    if WATCH is not None:
        from advisor.batch.states import entries_state  # it reads files through this module

        WATCH.listed[path] = entries_state(entries)
    return entries


def read_lines(path: str, limit: int) -> list[str]:
    """A small text file's lines (ignore files); [] when it cannot be read."""
    try:
        return read_bytes(path, limit).decode("utf-8", errors="replace").splitlines()
    except NotReadable:
        return []


__all__ = ["WATCH", "NotReadable", "Watch", "list_dir", "read_bytes", "read_lines"]
