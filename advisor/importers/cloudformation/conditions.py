"""Conditions are not evaluated: where an `Fn::If` stands for a mapping or a list, both of
its branches count, and `AWS::NoValue` drops out.

SAM writes such `Fn::If`s around every path and method of a conditional function in an
OpenAPI body, around stage route settings and around policies; templates put them
anywhere. `resolve_conditionals` turns them into the union of their branches so the
readers of bodies, settings and policy lists see plain mappings.
"""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.template import LineDict, LineList

_DROP = object()  # a value that is `AWS::NoValue` in every branch


def no_value(value: Any) -> bool:
    return isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}


def is_intrinsic(value: Any) -> bool:
    """SAM's test for an intrinsic function: a one-key mapping whose key is `Ref`,
    `Condition` or `Fn::...` (anything else is a plain mapping)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::"))


def list_branches(items: list[Any]) -> list[Any]:
    """A list's items with each item that is an `Fn::If` replaced by its branches (an
    `AWS::NoValue` branch dropped): a policy list's conditional entry grants what either
    branch grants. The branches stay separate items, where `resolve_conditionals` would
    merge two mappings into one (and keep only the first of two statement lists)."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and set(item) == {"Fn::If"} and \
                isinstance(item["Fn::If"], list) and len(item["Fn::If"]) == 3:
            out.extend(list_branches([b for b in item["Fn::If"][1:] if not no_value(b)]))
        else:
            out.append(item)
    return out


def resolve_conditionals(value: Any) -> Any:
    """`value` with each `Fn::If` between mappings (or lists) replaced by both branches
    merged, and `AWS::NoValue` branches dropped. An `Fn::If` between other values (two
    URIs) stays: reference resolution already reads both of its branches."""
    got = _resolve(value, 0)
    return LineDict() if got is _DROP else got


def _resolve(value: Any, depth: int) -> Any:
    if depth > 200:  # bounded by the template's own depth limit; never reached in practice
        return value
    if isinstance(value, dict):
        if len(value) == 1 and "Fn::If" in value and isinstance(value["Fn::If"], list) \
                and len(value["Fn::If"]) == 3:
            branches = [_resolve(b, depth + 1) for b in value["Fn::If"][1:]]
            branches = [b for b in branches if b is not _DROP and not no_value(b)]
            if not branches:
                return _DROP
            if len(branches) == 1:
                return branches[0]
            if all(isinstance(b, dict) and not is_intrinsic(b) for b in branches):
                return _union(branches[0], branches[1])
            if all(isinstance(b, list) for b in branches):
                return LineList([item for b in branches for item in b])
            return value
        out = LineDict()
        if isinstance(value, LineDict):
            out.line, out.col, out.key_lines = value.line, value.col, dict(value.key_lines)
        for key, item in value.items():
            got = _resolve(item, depth + 1)
            if got is not _DROP:
                out[key] = got
        return out
    if isinstance(value, list):
        items = [_resolve(item, depth + 1) for item in value]
        return LineList([item for item in items if item is not _DROP])
    return value


def _union(first: dict[str, Any], second: dict[str, Any]) -> LineDict:
    """Both mappings' entries; a key in both keeps both of its mappings' entries too (the
    first branch's value where the two are not both mappings)."""
    out = LineDict(first)
    if isinstance(first, LineDict):
        out.line, out.col, out.key_lines = first.line, first.col, dict(first.key_lines)
    for key, item in second.items():
        mine = out.get(key)
        if key not in out:
            out[key] = item
        elif isinstance(mine, dict) and isinstance(item, dict) and not is_intrinsic(mine) \
                and not is_intrinsic(item):
            out[key] = _union(mine, item)
    return out
