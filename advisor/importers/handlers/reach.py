"""What a handler reaches by name in its own file (both languages' narrowing).

One file often holds several functions' handlers; each is judged on its handler and
what that reaches: the names it uses, the names those use, and so on. The readers say
which names a name's definition uses; this is the closure, the same whatever order the
names are met in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def reachable(start: str, uses: Callable[[str], Iterable[str]]) -> set[str]:
    """`start` and every name reached from it through `uses` (a name -> the names its
    definition uses; a name with no definition uses none)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in uses(name) if n not in seen)
    return seen
