"""Which paths a directory walk passes over: `.gitignore`-style rules, through `pathspec`.

`pathspec`'s `GitIgnoreSpec` implements git's wildmatch syntax (`*`, `**`, `?`, `[...]`,
`!` re-includes, a trailing `/` for directories, a leading or inner `/` anchors). What it
does not know is where each ignore file sits: git applies the patterns of
`sub/.gitignore` to paths relative to `sub/`, and a deeper file overrides a shallower
one. `IgnoreRules` keeps one spec per file with its base directory and asks them from the
outermost to the innermost; the last one with an opinion wins, as in git.

A set of plain directory names (`node_modules/`, the default excludes) needs no pattern
engine: it is a set look-up, and `pathspec` is only imported when a real pattern is met
(a run over named files, or a tree without ignore files, starts faster).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_PLAIN_DIR = re.compile(r"[\w.-]+/")


@dataclass(frozen=True)
class _DirNames:
    """Patterns that are all `name/`: a directory of that name at any depth."""

    names: frozenset[str]

    def check(self, rel: str, is_dir: bool) -> bool | None:
        return True if is_dir and rel.rpartition("/")[2] in self.names else None


@dataclass(frozen=True)
class _Spec:
    spec: Any  # pathspec.GitIgnoreSpec

    def check(self, rel: str, is_dir: bool) -> bool | None:
        return self.spec.check_file(rel + "/" if is_dir else rel).include


@dataclass(frozen=True)
class IgnoreRules:
    """Ignore patterns found so far on the way down a walk (immutable: each directory
    extends its parent's rules without changing them)."""

    layers: tuple[tuple[str, _DirNames | _Spec], ...] = ()

    @classmethod
    def from_lines(cls, lines: Iterable[str], base: str = "") -> IgnoreRules:
        return cls().with_lines(lines, base)

    def with_lines(self, lines: Iterable[str], base: str = "") -> IgnoreRules:
        """These rules plus the patterns of one ignore file in directory `base` (a posix
        path relative to the walk's root; "" for the root itself)."""
        lines = [line.rstrip("\r\n") for line in lines]
        layer: _DirNames | _Spec
        if lines and all(_PLAIN_DIR.fullmatch(line) for line in lines):
            layer = _DirNames(frozenset(line[:-1] for line in lines))
        else:
            from pathspec import GitIgnoreSpec

            spec = GitIgnoreSpec.from_lines(lines)
            if all(p.include is None for p in spec.patterns):  # comments and blank lines
                return self
            layer = _Spec(spec)
        return IgnoreRules((*self.layers, (base.strip("/"), layer)))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Is `rel` (a posix path relative to the walk's root) ignored?"""
        verdict: bool | None = None
        for base, layer in self.layers:
            if base:
                if not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1:]
            else:
                sub = rel
            include = layer.check(sub, is_dir)
            if include is not None:
                verdict = include
        return bool(verdict)

    def excludes_path(self, rel: str) -> bool:
        """Is `rel` or one of its parent directories ignored (as a walk would have
        found)? For files named one by one, as pre-commit passes them."""
        parts = rel.split("/")
        return any(self.ignored("/".join(parts[:depth]), True)
                   for depth in range(1, len(parts))) or self.ignored(rel, False)


__all__ = ["IgnoreRules"]
