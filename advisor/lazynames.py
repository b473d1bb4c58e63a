"""Names a package gives from its modules, imported when first used (PEP 562).

A package whose light users must not pay for its heavy modules (a cached rerun reads
`advisor.estimate.usage` without the estimator and networkx; the report writers import
`advisor.render.figures` without the diagram builder and pydot) lists where each name
lives; `lazy_getattr` makes the package's `__getattr__` from that table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, namespace: dict[str, Any], where: dict[str, str]
                 ) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that imports `where[name]` on first use and
    keeps the value in the package's `namespace` (its `globals()`)."""
    def __getattr__(name: str) -> Any:
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


__all__ = ["lazy_getattr"]
