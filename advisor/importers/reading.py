"""Reading input files safely: bounded size, strict UTF-8, clear errors with a location.

Every front end reads through `read_text` so that a 50 MB file, a binary file, invalid
UTF-8, a directory or an unreadable file all become an `AdvisorError` with the file name,
never a traceback or an unbounded read.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

from advisor.errors import AdvisorError, Diagnostic

DEFAULT_LIMIT = 20 * 1024 * 1024  # 20 MB: far above any real template (CFN's own cap is 1 MB)


def read_text(path: str, limit: int = DEFAULT_LIMIT) -> str:
    """The file's text, or AdvisorError saying exactly why it cannot be read."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise AdvisorError([Diagnostic(path, 1, 1, f"cannot read: {exc.strerror or exc}",
                                       "check the path and permissions")]) from None
    if os.path.isdir(path):
        raise AdvisorError([Diagnostic(path, 1, 1, "is a directory, not a file")])
    if size > limit:
        raise AdvisorError([Diagnostic(
            path, 1, 1,
            f"file is too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB)",
            "split it, or check that this is the file you meant")])
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise AdvisorError([Diagnostic(path, 1, 1, f"cannot read: {exc.strerror or exc}",
                                       "check the path and permissions")]) from None
    return decode(data, path)


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

    return safe_load(resources.files("advisor.importers").joinpath(name).read_text("utf-8"))
