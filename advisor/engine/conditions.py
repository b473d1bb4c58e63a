"""Prop conditions: the `props:` checks of node and edge specs (equals, in, missing, lt, ...).

The one definition of what a condition means, used by the matcher and by the sub-type
limits of native integrations (advisor/engine/limits.py). `check_condition` reads the
YAML mapping each time; `compile_condition` works the constants out once for the
matcher's inner loop and gives the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor import catalog

OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


def names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def quantity(value: Any) -> Any:
    """YAML thresholds may carry units ('5min', '128MB'); compare in internal units."""
    if isinstance(value, str):
        try:
            return catalog.parse_unit_text(value)
        except ValueError:
            return value
    return value


def check_condition(props: dict[str, Any], kind: str | None, cond: dict[str, Any]) -> bool:
    """One attribute predicate (equals/in/missing/lt/...) on a props mapping."""
    name = cond["prop"]
    present = props.get(name) is not None
    if present:
        value = props[name]
    elif kind is not None and cond.get("default", True):
        value = catalog.default_prop(kind, name)
    else:
        value = None
    if "missing" in cond and (not present) != bool(cond["missing"]):
        return False
    if "truthy" in cond and bool(value) != bool(cond["truthy"]):
        return False
    if "equals" in cond and norm(value) != norm(cond["equals"]):
        return False
    if "not_equals" in cond and norm(value) == norm(cond["not_equals"]):
        return False
    if "in" in cond and norm(value) not in [norm(v) for v in cond["in"]]:
        return False
    if "not_in" in cond and norm(value) in [norm(v) for v in cond["not_in"]]:
        return False
    for op in ("lt", "le", "gt", "ge"):
        if op in cond:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            if not OPS[op](float(value), float(quantity(cond[op]))):
                return False
    return True


def norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


Cond = Callable[[dict[str, Any], str | None], bool]


def compile_condition(cond: dict[str, Any]) -> Cond:
    """`check_condition` for one condition with its constants (normalised lists, unit
    thresholds) worked out once; the same answers, without re-reading the YAML mapping
    for every node. A threshold that is not a number keeps the uncompiled path, so it
    fails (as before) only when it is compared."""
    try:
        ops = tuple((OPS[op], float(quantity(cond[op])))
                    for op in ("lt", "le", "gt", "ge") if op in cond)
    except (TypeError, ValueError):
        return lambda props, kind: check_condition(props, kind, cond)
    name = cond["prop"]
    use_default = bool(cond.get("default", True))
    has_missing, want_missing = "missing" in cond, bool(cond.get("missing"))
    has_truthy, want_truthy = "truthy" in cond, bool(cond.get("truthy"))
    has_eq, eq = "equals" in cond, norm(cond.get("equals"))
    has_ne, ne = "not_equals" in cond, norm(cond.get("not_equals"))
    in_list = [norm(v) for v in cond["in"]] if "in" in cond else None
    not_in_list = [norm(v) for v in cond["not_in"]] if "not_in" in cond else None
    # only `missing` looks at presence alone: no catalog default is needed then
    needs_value = bool(has_truthy or has_eq or has_ne or in_list is not None
                       or not_in_list is not None or ops)
    default_prop = catalog.default_prop

    def check(props: dict[str, Any], kind: str | None) -> bool:
        value = props.get(name)
        present = value is not None
        if has_missing and (not present) != want_missing:
            return False
        if not needs_value:
            return True
        if not present and kind is not None and use_default:
            value = default_prop(kind, name)
        if has_truthy and bool(value) != want_truthy:
            return False
        if has_eq or has_ne or in_list is not None or not_in_list is not None:
            v = value.lower() if isinstance(value, str) else value
            if has_eq and v != eq:
                return False
            if has_ne and v == ne:
                return False
            if in_list is not None and v not in in_list:
                return False
            if not_in_list is not None and v in not_in_list:
                return False
        if ops:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            fv = float(value)
            for op, limit in ops:
                if not op(fv, limit):
                    return False
        return True

    return check
