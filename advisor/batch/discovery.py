"""Finding the inputs under the paths a user gives, by name only, losing none.

- A file named on the command line is analysed whatever its name (the format is decided
  by content).
- A directory is walked (recursively, names sorted, `.gitignore` / `.archadvisorignore`
  files in the tree and `--exclude` patterns honoured, see `ignore.py`). Every file whose
  name says it may be an input is an input: `*.arch`, `*.yaml`, `*.yml`, `*.json`,
  `*.template`; each directory holding `*.tf` files is one Terraform module, one input
  (a local module it calls with `source = "./..."` is part of it, not an input of its
  own). Such a file is marked `scanned`: whether it is a template at all is decided when
  it is analysed (`unit.py`), so a file that is not one gets a "skipped" result line, a
  FIFO or a device is skipped with the reason, and a file that does not even parse gets
  an error with its location. Nothing is opened here but ignore files and `.tf` files
  (for their local module calls), through `files.read_bytes`.
- A path that does not exist but contains `*`, `?` or `[` is a glob (`**` recurses); the
  files it matches count as scanned.
- Symbolic links are followed, each real path once, so a loop ends; an unreadable
  directory or a path that does not exist is an input with an error, reported like any
  other result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from advisor.batch import files
from advisor.batch.files import read_bytes, read_lines
from advisor.batch.ignore import IgnoreRules

DATA_SUFFIXES = (".yaml", ".yml", ".json", ".template")  # CloudFormation/SAM, or not
TEMPLATE_SUFFIXES = DATA_SUFFIXES  # the name used before; kept for callers
DSL_SUFFIXES = (".arch",)
TF_SUFFIX = ".tf"
CONSIDERED_SUFFIXES = (*DSL_SUFFIXES, *DATA_SUFFIXES, TF_SUFFIX)
IGNORE_FILES = (".gitignore", ".archadvisorignore")
# Never worth walking into: VCS data, virtualenvs, dependency and build caches (SAM's
# .aws-sam/build and cdk.out hold generated copies of the templates in the tree), and
# our own result cache.
DEFAULT_EXCLUDES = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", "node_modules/", ".terraform/",
    ".aws-sam/", "cdk.out/", "__pycache__/", ".tox/", ".mypy_cache/", ".pytest_cache/",
    ".ruff_cache/", ".archadvisor_cache/",
)
IGNORE_FILE_BYTES = 1024 * 1024
TF_SCAN_BYTES = 1024 * 1024  # where `source = "./..."` lines are looked for
_TF_LOCAL_SOURCE = re.compile(r"""\bsource\s*=\s*"(\.{1,2}/[^"]*)\"""")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Input:
    """One thing to analyse: a file, or a directory that is one Terraform module.

    `path` is how the user will see it (as given, or joined onto the directory they gave);
    `error`, when set, says why it cannot even be reached (it is reported, not dropped);
    `scanned` marks a file found by a walk or a glob rather than named: when it turns out
    not to be a template it is reported as skipped instead of as an error.
    """

    path: str
    kind: str = "file"  # "file" | "module"
    error: str | None = None
    scanned: bool = False


@dataclass
class _Walk:
    exclude: IgnoreRules
    seen: set[str] = field(default_factory=set)  # real paths of modules already emitted
    files: set[str] = field(default_factory=set)  # real paths of files emitted
    tf_modules: set[str] = field(default_factory=set)  # real paths of called local modules


def discover(paths: Sequence[str], exclude: Sequence[str] = (), *,
             use_default_excludes: bool = True, hook: bool = False) -> list[Input]:
    """The inputs named by `paths`, in the order given, each once (by real path).

    With `hook` set (pre-commit passes every changed file matching its regex), named
    files are treated like files found by a walk: excludes apply to them, names that are
    not inputs are passed over, data files are `scanned`, and a `.tf` file stands for its
    module directory. Files a glob matches are treated the same way (excludes aside).
    """
    rules = IgnoreRules.from_lines(
        [*exclude, *(DEFAULT_EXCLUDES if use_default_excludes else ())])
    walk = _Walk(exclude=rules)
    out: list[Input] = []
    for raw in paths:
        for path, from_glob in _expand(raw):
            out.extend(_one(path, walk, hook, from_glob))
    # A module that another module calls is part of it, even if it was walked first.
    return [i for i in out
            if not (i.kind == "module" and os.path.realpath(i.path) in walk.tf_modules
                    and not _named_directly(i.path, paths))]


def _named_directly(path: str, paths: Sequence[str]) -> bool:
    return any(os.path.normpath(path) == os.path.normpath(p) for p in paths)


def _expand(raw: str) -> list[tuple[str, bool]]:
    """(path, came from a glob) for one argument."""
    if os.path.lexists(raw) or not _GLOB_CHARS.search(raw):
        return [(raw, False)]
    import glob

    if files.WATCH is not None:  # the folders a glob lists are not noted: no replay
        files.WATCH.globbed = True
    matches = sorted(glob.glob(raw, recursive=True))
    return [(m, True) for m in matches] or [(raw, False)]


def _one(path: str, walk: _Walk, hook: bool, from_glob: bool) -> Iterator[Input]:
    if not os.path.lexists(path):
        what = "no file matches this pattern" if _GLOB_CHARS.search(path) else \
            "no such file or directory"
        yield Input(path, error=what)
        return
    if os.path.isdir(path):
        if _has_tf(path):
            yield from _module(path, walk)
        yield from _walk(path, "", walk, IgnoreRules(), frozenset())
        return
    name = os.path.basename(path)
    if hook or from_glob:
        if hook and walk.exclude.excludes_path(os.path.relpath(path).replace(os.sep, "/")):
            return
        if not name.endswith(CONSIDERED_SUFFIXES):
            return
        if name.endswith(TF_SUFFIX):
            yield from _module(os.path.dirname(path) or ".", walk)
            return
    yield from _file(path, walk, scanned=(hook or from_glob) and name.endswith(DATA_SUFFIXES))


def _file(path: str, walk: _Walk, scanned: bool) -> Iterator[Input]:
    real = os.path.realpath(path)  # the same file reached through links counts once
    if real in walk.files:
        return
    walk.files.add(real)
    yield Input(path, scanned=scanned)


def _module(directory: str, walk: _Walk) -> Iterator[Input]:
    real = os.path.realpath(directory)
    if real not in walk.seen:
        walk.seen.add(real)
        yield Input(directory, kind="module")


def _walk(root: str, rel: str, walk: _Walk, inherited: IgnoreRules,
          ancestors: frozenset[str]) -> Iterator[Input]:
    """Inputs below directory `root` (display path), depth first, names sorted."""
    real = os.path.realpath(root)
    if real in ancestors:
        return  # a symlink loop: this directory is already being walked above us
    ancestors = ancestors | {real}
    try:
        entries = files.list_dir(root)
    except OSError as exc:
        yield Input(root, error=f"cannot read directory: {exc.strerror or exc}")
        return
    rules = inherited
    names = {e.name for e in entries}
    for ignore_name in IGNORE_FILES:
        if ignore_name in names:
            rules = rules.with_lines(read_lines(os.path.join(root, ignore_name),
                                                IGNORE_FILE_BYTES), rel)
    tf_files = [e.name for e in entries if e.name.endswith(TF_SUFFIX) and _is_file(e)]
    if tf_files:
        walk.tf_modules |= _tf_local_modules(root, tf_files)
    module_emitted = False
    for entry in entries:
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        child = os.path.join(root, entry.name)
        is_dir = _is_dir(entry)
        if rules.ignored(child_rel, is_dir) or walk.exclude.ignored(child_rel, is_dir):
            continue
        if is_dir:
            yield from _walk(child, child_rel, walk, rules, ancestors)
        elif entry.name.endswith(TF_SUFFIX) and entry.name in tf_files:
            if not module_emitted and real not in walk.tf_modules and real not in walk.seen:
                module_emitted = True
                walk.seen.add(real)
                yield Input(root, kind="module")
        elif entry.name.endswith(CONSIDERED_SUFFIXES):
            # a FIFO, a device, a broken link or a link loop named like an input is an
            # input too: its result line says why it was not read
            yield from _file(child, walk, scanned=entry.name.endswith(DATA_SUFFIXES))


def _tf_local_modules(directory: str, tf_files: Sequence[str]) -> set[str]:
    """Real paths of local modules (`source = "./x"`) that `directory`'s .tf files call."""
    found: set[str] = set()
    for name in tf_files:
        try:
            text = read_bytes(os.path.join(directory, name), TF_SCAN_BYTES).decode(
                "utf-8", errors="replace")
        except Exception:  # unreadable: the module's analysis reports it
            continue
        for m in _TF_LOCAL_SOURCE.finditer(text):
            found.add(os.path.realpath(os.path.join(directory, m.group(1))))
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=True)
    except OSError:
        return False


def _has_tf(directory: str) -> bool:
    try:
        with os.scandir(directory) as it:  # the walk of the same folder notes its listing
            return any(e.name.endswith(TF_SUFFIX) and _is_file(e) for e in it)
    except OSError:
        return False


__all__ = ["CONSIDERED_SUFFIXES", "DATA_SUFFIXES", "DEFAULT_EXCLUDES", "DSL_SUFFIXES",
           "IGNORE_FILES", "Input", "discover"]
