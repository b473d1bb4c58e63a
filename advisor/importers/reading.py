"""Reading input files safely: bounded size, strict UTF-8, clear errors with a location.

Every front end reads through `read_text` so that a 50 MB file, a binary file, invalid
UTF-8, a directory or an unreadable file all become an `AdvisorError` with the file name,
never a traceback or an unbounded read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from importlib import resources
from typing import Any

from advisor.errors import AdvisorError, Diagnostic

DEFAULT_LIMIT = 20 * 1024 * 1024  # 20 MB: far above any real template (CFN's own cap is 1 MB)
_READ_LOG: ContextVar[list[str] | None] = ContextVar("archadvisor_read_log", default=None)


@contextlib.contextmanager
def logging_reads() -> Iterator[list[str]]:
    """While active, the absolute path of every file `read_text` is asked for, read or
    not (a template's handler code, definitions, OpenAPI bodies, Terraform files): the
    result cache checks them before it reuses a result (advisor/batch/cache.py)."""
    log: list[str] = []
    token = _READ_LOG.set(log)
    try:
        yield log
    finally:
        _READ_LOG.reset(token)


def read_text(path: str | os.PathLike[str], limit: int = DEFAULT_LIMIT, *,
              display: str | None = None, lenient: bool = False) -> str:
    """The file's text, or AdvisorError saying exactly why it cannot be read.

    Only a regular file is opened (a symbolic link to one is fine): a FIFO, socket or
    device would block or never end, so it is refused from its `stat` before any `open`,
    and the descriptor is checked again after opening (non-blocking) in case the path
    changed in between. At most `limit` bytes are read. `display` is the name errors
    use (default: the path); `lenient` decodes invalid UTF-8 with replacement characters
    (for handler sources, which are only scanned).
    """
    name = display or str(path)
    log = _READ_LOG.get()
    if log is not None:
        log.append(os.path.abspath(path))
    try:
        st = os.stat(path)
    except OSError as exc:
        raise AdvisorError([Diagnostic(name, 1, 1, f"cannot read: {exc.strerror or exc}",
                                       "check the path and permissions")]) from None
    if stat.S_ISDIR(st.st_mode):
        raise AdvisorError([Diagnostic(name, 1, 1, "is a directory, not a file")])
    if not stat.S_ISREG(st.st_mode):
        raise AdvisorError([Diagnostic(name, 1, 1, f"not a regular file ({file_type(st.st_mode)})",
                                       "only regular files are read")])
    if st.st_size > limit:
        raise AdvisorError([Diagnostic(
            name, 1, 1,
            f"file is too large ({st.st_size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB)",
            "split it, or check that this is the file you meant")])
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise AdvisorError([Diagnostic(name, 1, 1, f"cannot read: {exc.strerror or exc}",
                                       "check the path and permissions")]) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AdvisorError([Diagnostic(name, 1, 1, "not a regular file (changed while read)")])
        data = _read_bounded(fd, st.st_size, limit)
    except OSError as exc:
        raise AdvisorError([Diagnostic(name, 1, 1, f"cannot read: {exc.strerror or exc}",
                                       "check the path and permissions")]) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise AdvisorError([Diagnostic(name, 1, 1, f"file grew past the limit ({limit / 1e6:.0f} MB)")])
    if lenient:
        return data.decode("utf-8-sig", errors="replace")
    return decode(data, name)


def _read_bounded(fd: int, size: int, limit: int) -> bytes:
    """At most `limit + 1` bytes of `fd` (one more than allowed tells a file too large),
    with `os.read` sized by the file's `stat`: a buffered file object asked for the limit
    sets up a buffer of that size first, which made a read five times slower."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(limit + 1 - total, max(size + 1 - total, 1 << 16)))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def file_type(mode: int) -> str:
    """What a non-regular file is, in words (for the result line that says it was skipped)."""
    for test, word in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return word
    return "not a regular file"


def read_beside(path: str | os.PathLike[str], limit: int) -> tuple[str | None, str | None]:
    """A file a template points to (a definition, an OpenAPI body, handler code):
    (text, None), or (None, why it was not read) for the importer's note."""
    try:
        return read_text(path, limit), None
    except AdvisorError as exc:
        return None, exc.diagnostics[0].message if exc.diagnostics else "could not be read"


def decode(data: bytes, path: str) -> str:
    """Strict UTF-8 (a BOM is allowed); the error names the line and column of the bad byte."""
    if b"\x00" in data[:8192]:
        raise AdvisorError([Diagnostic(path, 1, 1, "binary file (contains NUL bytes)",
                                       "expected a text file: .arch, YAML, JSON or .tf")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise AdvisorError([Diagnostic(
            path, line, column, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8")]) from None
    return text


def package_yaml(name: str) -> Any:
    """A data file shipped in `advisor.importers` (our own, trusted), parsed with the
    package's shared safe loader (libyaml when available)."""
    from advisor.datafiles import safe_load

    return safe_load(resources.files("advisor.importers").joinpath(name).read_text("utf-8"), remember=True)
