"""Local paths a template names (SAM `CodeUri`, `DefinitionUri`, a packaged `Code`) that
a build would not find: missing, or spelt with another case than on disk.

Why a finding and not a note: `sam build` / `aws cloudformation package` fail on such a
template, and a case mismatch that works on a case-insensitive disk (macOS, Windows)
breaks on Linux CI and SAM's build containers. What is looked at is bounded: only paths
inside the template's folder (`..` and absolute paths are not judged), only directory
listings (capped) and `lstat`, never a file's content, and a symlink leading out of the
folder ends the check.
"""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

MAX_ENTRIES = 5000  # directory entries listed per path component


def local_path_problem(base: Path, uri: str, *, want_file: bool = False) -> str | None:
    """Why `uri` (relative to the template's folder `base`) would not be found by a build
    on a case-sensitive file system, or None when it is there or is not judged."""
    rel = Path(uri)
    parts = [p for p in rel.parts if p not in ("", ".")]
    if not parts or rel.is_absolute() or ".." in parts or "://" in uri:
        return None
    root = os.path.realpath(base)
    here = root
    for i, part in enumerate(parts):
        try:
            with os.scandir(here) as entries:
                names = [e.name for e in itertools.islice(entries, MAX_ENTRIES)]
        except OSError:
            return None
        shown = "/".join(parts[: i + 1])
        if part not in names:
            folded = sorted(n for n in names if n.lower() == part.lower())
            if folded:
                disk = "/".join([*parts[:i], folded[0]])
                return (f"{shown} is spelt {disk} on disk: a build on a case-sensitive file "
                        "system (Linux, CI, SAM build containers) does not find it")
            if len(names) >= MAX_ENTRIES:
                return None  # the listing was cut short: not judged
            return f"{shown} does not exist beside the template"
        nxt = os.path.join(here, part)
        # `here` is resolved already, so only this last name can be a link to follow
        real = os.path.realpath(nxt) if os.path.islink(nxt) else nxt
        if os.path.commonpath([root, real]) != root:
            return None  # a symlink out of the template's folder: not followed
        here = real
    if want_file:
        try:
            mode = os.lstat(here).st_mode
        except OSError:
            return None
        if not stat.S_ISREG(mode):
            return f"{'/'.join(parts)} is not a regular file"
    return None
