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
from typing import Generic, TypeVar

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


__all__ = ["IdentityMemo", "by_identity"]
