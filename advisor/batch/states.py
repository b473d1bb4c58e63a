"""What files and folders look like now, as short strings to compare with a later look.

The result cache (`cache`) keys and checks its entries with these, and so does the replay
of a whole run (`replay`), which runs before anything else is imported: so this module
imports only the standard library's cheapest parts (no pathlib, no dataclasses, no
typing at run time), and the one owner of each kind of state is here.

- `file_state`: a file's content hash and size, or why it has none (absent, unreadable);
- `tree_state`: the names under a folder (a file appearing there changes it, an edit does
  not): the handler search's view of a function's folder;
- `listing_state`: one folder's names and what each is (file, folder, other), as a walk
  sees them;
- `tree_content`: the content of every file under some roots (pattern packs, pricing);
- `code_stamp`: path, size and mtime of every file of the package (an edit in a checkout,
  an upgrade, a reinstall).
"""

from __future__ import annotations

import contextlib
import os

from advisor.batch.files import NotReadable, read_bytes

try:  # the same function; importing it alone skips OpenSSL's start-up in hashlib
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python implementation
    from hashlib import blake2b

TYPE_CHECKING = False  # typing's own flag costs its import, which a replay avoids
if TYPE_CHECKING:
    from collections.abc import Iterator

CACHE_DIR_NAME = ".archadvisor_cache"
INPUT_LIMIT = 20 * 1024 * 1024 + 1  # the importers' bound, plus the byte that exceeds it
TREE_LIMIT = 2000  # names recorded under a template's folder (the handler search's bound)
TREE_SKIP = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
                       ".terraform", ".aws-sam", "cdk.out", CACHE_DIR_NAME})


def digest(*parts: bytes) -> str:
    """One hex digest of several byte strings (each length-prefixed: no two splits of
    the same bytes collide)."""
    h = blake2b(digest_size=20)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def file_state(path: str) -> str:
    """What a dependency looks like now: its content hash and size, or why there is none."""
    try:
        data = read_bytes(path, INPUT_LIMIT)
    except NotReadable as exc:
        return "absent" if not os.path.lexists(path) else f"unreadable: {exc}"
    size = len(data)
    if size >= INPUT_LIMIT:  # only the start is hashed; the size still tells growth
        with contextlib.suppress(OSError):
            size = os.stat(path).st_size
    return f"{digest(data)}:{size}"


def tree_state(directory: str) -> str:
    """The names of the files under `directory` (sorted walk, bounded, tool folders left
    out): a file appearing or vanishing there changes it, an edit does not."""
    names: list[str] = []
    for rel, entries in _tree_walk(directory, names):
        for name, is_dir in entries:
            if not is_dir:
                names.append(f"{rel}/{name}" if rel else name)
    return digest("\n".join(names[:TREE_LIMIT]).encode("utf-8", "surrogateescape"))


def tree_folders(directory: str) -> list[str]:
    """The folders `tree_state(directory)` lists (at most these): when a listing of each
    is checked, the tree state needs no check of its own."""
    names: list[str] = []
    folders = []
    for rel, entries in _tree_walk(directory, names):
        folders.append(os.path.join(directory, rel) if rel else directory)
        names.extend(name for name, is_dir in entries if not is_dir)
    return folders


def _tree_walk(directory: str, names: list[str]) -> Iterator[tuple[str, list[tuple[str, bool]]]]:
    """(folder relative to `directory`, its sorted (name, is a folder) entries), depth
    first, until `names` (filled by the caller) reaches TREE_LIMIT."""
    stack = [""]
    while stack and len(names) < TREE_LIMIT:
        rel = stack.pop()
        try:
            with os.scandir(os.path.join(directory, rel) if rel else directory) as it:
                entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        except OSError:
            continue
        yield rel, entries
        stack.extend(f"{rel}/{name}" if rel else name for name, is_dir in entries
                     if is_dir and name not in TREE_SKIP)


def listing_state(directory: str) -> str:
    """One folder's names, each with what it is through links (f file, d folder, o other,
    x a dangling link), or why it cannot be listed: what a directory walk decides on."""
    try:
        with os.scandir(directory) as it:
            return entries_state(sorted(it, key=lambda e: e.name))
    except OSError as exc:
        return f"unlistable: {exc.strerror or exc}"


def entries_state(entries: list[os.DirEntry[str]]) -> str:
    """`listing_state` of a folder from its entries, sorted by name, as a walk listed
    them (the walk keeps the state of what it saw, not of a second look)."""
    lines = [f"{_kind(e)}{e.name}" for e in entries]
    return digest("\n".join(lines).encode("utf-8", "surrogateescape"))


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_dir():
            return "d"
        return "f" if entry.is_file() else "o"
    except OSError:
        return "x"


def tree_content(roots: list[str]) -> str:
    """The content of every file under `roots` (pattern packs, pricing data)."""
    h = blake2b(digest_size=20)
    for root in roots:
        h.update(str(root).encode() + b"\0")
        for dirpath, dirs, files in os.walk(root, followlinks=True):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                h.update(os.path.relpath(path, root).encode() + b"\0")
                with contextlib.suppress(NotReadable):
                    h.update(read_bytes(path, INPUT_LIMIT))
    return h.hexdigest()


def code_stamp(package: str) -> str:
    """Path, size and mtime of the package's code and data (an edit in a checkout, an
    upgrade or a reinstall changes it); the grammar is reached through its link."""
    h = blake2b(digest_size=20)
    stack = [os.path.join(package, "grammar"), package]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if e.name != "__pycache__":
                    stack.append(e.path)
            elif not e.is_symlink():
                with contextlib.suppress(OSError):
                    st = e.stat(follow_symlinks=False)
                    h.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


__all__ = ["CACHE_DIR_NAME", "INPUT_LIMIT", "TREE_LIMIT", "TREE_SKIP", "code_stamp", "digest",
           "entries_state", "file_state", "listing_state", "tree_content", "tree_folders", "tree_state"]
