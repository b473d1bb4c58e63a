"""Unified diffs that `git apply` and `patch -p1` accept.

A diff names each file relative to the root of the git repository the file is in (so
`git apply` and `patch -p1` take it from that root, wherever `advisor fix` ran and however
the file was named: `../x.yaml`, an absolute path); a file in no repository is named
relative to the current directory.
"""

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


def repository_root(path: str) -> str | None:
    """The top of the git work tree holding `path` (the nearest directory above it with a
    `.git` directory, or a `.git` file as in a linked worktree or a submodule), if any.
    Read from the file system: git itself need not be installed."""
    here = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def patch_path(path: str) -> str:
    """How a diff names `path`: relative to its repository's root, else to the current
    directory (see the module docstring)."""
    root = repository_root(path)
    if root is None:
        return display_path(path)
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def unified(path: str, old: str, new: str, context: int = 3) -> str:
    """A git-style diff of one file (empty when nothing changed)."""
    if old == new:
        return ""
    rel = patch_path(path)
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
