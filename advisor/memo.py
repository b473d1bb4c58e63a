"""One memo idiom: a value computed once per object, keyed by the object's identity.

Patterns, node specs and edge specs are plain (unhashable) dicts and dataclasses that live
for the whole run; what the engine works out from them (compiled checks, a match plan,
message texts) is computed once per object rather than once per node. Architectures are
unhashable too; an analysis estimates each design once (advisor.pipeline.Estimates).
The cache keeps each key object alive, so its `id` can never be reused by another
object while the entry exists: make a per-run cache (`IdentityMemo(fn)`) for objects
that should die with the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """`memo(obj)` is `compute(obj)`, computed on the first call for that object only."""

    __slots__ = ("_compute", "_hits")

    def __init__(self, compute: Callable[[K], V]) -> None:
        self._compute = compute
        self._hits: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        hit = self._hits.get(id(key))
        if hit is None:
            hit = self._hits[id(key)] = (key, self._compute(key))
        return hit[1]

    def clear(self) -> None:
        """Forget every value (and release the key objects)."""
        self._hits.clear()


def by_identity(compute: Callable[[K], V]) -> IdentityMemo[K, V]:
    """Decorator: `compute` memoised by the identity of its single argument."""
    return IdentityMemo(compute)


class once(Generic[V]):
    """A property computed on first read and kept on the instance (in its `__dict__`):
    `functools.cached_property` without the lock Python 3.11 takes on every first read,
    for objects an analysis makes by the ten thousand (a rewrite's `Delta` per
    alternative). Not for objects shared between threads."""

    def __init__(self, compute: Callable[[Any], V]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> V:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


__all__ = ["IdentityMemo", "by_identity", "once"]
