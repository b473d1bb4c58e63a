"""Which generator writes which rewrite, per input format.

A rule with no generator for a format is reported as not patched, with that reason;
`table()` lists the generators (docs/fix.md has the same table in prose).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Generator = Callable[[Any, Any], None]  # (FixContext, target) -> None

_REGISTRY: dict[str, dict[str, Generator]] = {}


def register(fmt: str, *rules: str) -> Callable[[Generator], Generator]:
    def deco(fn: Generator) -> Generator:
        for rule in rules:
            _REGISTRY.setdefault(fmt, {})[rule] = fn
        return fn
    return deco


def generator(fmt: str, rule: str) -> Generator | None:
    _load()
    table = _REGISTRY.get(fmt, {})
    if rule in table:
        return table[rule]
    # a family entry (`GLUE-`) covers every rule of the family without its own entry
    fam = next((k for k in sorted(table, key=len, reverse=True)
                if k.endswith("-") and rule.startswith(k)), None)
    if fam:
        return table[fam]
    return table.get("*")  # a target that writes every rewrite itself


def table() -> dict[str, dict[str, str]]:
    """{format: {rule: generator name}} for docs and `--list`."""
    _load()
    return {fmt: {r: fn.__module__.rsplit(".", 1)[-1] + "." + fn.__name__
                  for r, fn in sorted(rules.items())}
            for fmt, rules in sorted(_REGISTRY.items())}


_LOADED = False


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from advisor.fix import dslfix as _dsl  # noqa: F401
    from advisor.fix.cfn import families as _cfn  # noqa: F401
    from advisor.fix.terraform import families as _tf  # noqa: F401
    from advisor.fix.terraform import glue as _tf_glue  # noqa: F401
    from advisor.fix.terraform import settings as _tf_settings  # noqa: F401
