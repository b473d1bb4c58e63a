"""The user's cache directory for what the package derives from its own files.

Two things are kept there, both worked out from data shipped with the package and both
costly enough at start-up to matter in a batch of small templates: the built-in pattern
pack as checked against its schema (advisor/engine/loader.py) and the package's YAML data
files as parsed (advisor/datafiles.py). Each entry is a JSON file named by a digest of
what it was made from and holding that digest, so a changed source is a different entry
and a stale or damaged file is never used (the caller works the value out again). JSON,
not pickle: reading an entry can only ever give plain data, never run code.

`ARCHADVISOR_USER_CACHE` names the directory (empty: no cache at all); otherwise it is
platformdirs' user cache directory for "archadvisor". Nothing here depends on the input
files a run reads: the per-file result cache is advisor/batch/cache.py.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_ENV = "ARCHADVISOR_USER_CACHE"  # a directory; empty: no cache

__all__ = ["CACHE_ENV", "entry_path", "is_plain", "read_entry", "write_atomic", "write_entry"]


def entry_path(name: str) -> Path | None:
    """Where the entry `name` is kept, or None when there is no cache directory."""
    where = os.environ.get(CACHE_ENV)
    if where is None:
        try:
            from platformdirs import user_cache_dir
        except ImportError:
            return None
        where = user_cache_dir("archadvisor", appauthor=False)
    return Path(where) / name if where else None


def read_entry(name: str, digest: str) -> Any:
    """The value kept under `name` for `digest`, or None (no entry, another digest, or a
    file that does not parse)."""
    import orjson

    path = entry_path(name)
    try:
        if path is None or not path.is_file():
            return None
        entry = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("digest") != digest:
        return None
    return entry.get("value")


def write_entry(name: str, digest: str, value: Any) -> None:
    """Keep `value` under `name` (atomically: a reader sees the old file or the new one).
    Skipped when JSON would not give the value back with the same types, or when the
    directory cannot be written (a read-only home, a full disk): a cache is never needed."""
    import orjson

    path = entry_path(name)
    if path is None or not is_plain(value):
        return
    try:
        text = orjson.dumps({"digest": digest, "value": value})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, prefix=".entry-")
    except (OSError, TypeError):
        return
    _prune(path.parent, path.name.split("-", 1)[0] + "-", keep=path.name)


MAX_AGE_DAYS = 30  # entries of the same kind older than this go when a new one is written


def _prune(folder: Path, prefix: str, keep: str) -> None:
    """Old entries of one kind (`data-`, `patterns-`): each package version or data-file
    edit writes new ones and nothing reads the old again, so they would pile up. Only
    when an entry is written (rarely); one in use but older is only made again."""
    import time

    cutoff = time.time() - MAX_AGE_DAYS * 86400
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name != keep \
                    and entry.name.endswith(".json") and entry.stat().st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_atomic(path: Path, data: bytes | bytearray | tuple[bytes | bytearray, ...],
                 prefix: str = ".tmp-") -> None:
    """Write `data` (bytes, or a tuple of parts written one after the other, so that a
    large file is not joined into one more copy first) to `path` so that a reader sees
    the old file or the new one, never a part (a temporary file in the same directory,
    then renamed); OSError when it cannot."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in data if isinstance(data, tuple) else (data,):
                out.write(part)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_plain(value: Any) -> bool:
    """JSON gives `value` back with the same types (str keys, no tuples, dates, ...)."""
    if value is None or type(value) in (str, bool):
        return True
    if type(value) is int:
        return -(2 ** 63) <= value < 2 ** 64  # what orjson writes
    if type(value) is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(is_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and is_plain(v) for k, v in value.items())
    return False
