"""Unified diffs that `git apply` and `patch -p1` accept."""

from __future__ import annotations

import difflib
import os


def display_path(path: str) -> str:
    """The path relative to the current directory, with forward slashes."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        rel = path
    return rel.replace(os.sep, "/")


def unified(path: str, old: str, new: str, context: int = 3) -> str:
    """A git-style diff of one file (empty when nothing changed)."""
    if old == new:
        return ""
    rel = display_path(path)
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out = [f"diff --git a/{rel} b/{rel}\n"]
    for line in difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=context):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:  # the file's last line has no newline
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
