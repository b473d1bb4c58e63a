"""`Fn::ForEach` of the `AWS::LanguageExtensions` transform, expanded before import.

`Fn::ForEach::LoopName: [Identifier, Collection, {OutputKey: OutputValue}]` stands, in a
mapping (Resources, Outputs, Conditions, a resource's properties), for one entry per item
of the collection: `${Identifier}` / `&{Identifier}` (the item without its
non-alphanumeric characters) in the output key, and `Ref: Identifier` / `${Identifier}` in
`Fn::Sub` strings of the value, become the item
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html).
Loops nest. The collection is a list, or a `Ref` to a list parameter, read from its
`Default`; a collection that cannot be known here is reported and its entries left out.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from advisor.errors import Diagnostic
from advisor.importers.cloudformation.template import LineDict, LineList

PREFIX = "Fn::ForEach::"
MAX_EXPANDED = 10_000  # entries produced by every loop of a template together


def expand_for_each(template: dict[str, Any], path: str) -> list[Diagnostic]:
    """Expand every `Fn::ForEach::*` key of the template in place; notes for the loops
    whose collection is not known."""
    if not _has_loop(template):
        return []
    notes: list[Diagnostic] = []
    params = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    budget = [MAX_EXPANDED]
    stack: list[Any] = [template]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if any(isinstance(k, str) and k.startswith(PREFIX) for k in value):
                _expand_mapping(value, params, path, notes, budget)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return notes


def _has_loop(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(isinstance(k, str) and k.startswith(PREFIX) for k in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _expand_mapping(mapping: dict[str, Any], params: dict[str, Any], path: str,
                    notes: list[Diagnostic], budget: list[int]) -> None:
    """Replace each loop key of `mapping` by the entries it stands for (in key order)."""
    items = list(mapping.items())
    lines = dict(mapping.key_lines) if isinstance(mapping, LineDict) else {}
    mapping.clear()
    for key, value in items:
        if not (isinstance(key, str) and key.startswith(PREFIX)):
            mapping[key] = value
            continue
        where = lines.get(key, (getattr(mapping, "line", 1) or 1, 1))
        for out_key, out_value in _loop_entries(key, value, params, path, where, notes, budget):
            mapping[out_key] = out_value
            if isinstance(mapping, LineDict):
                mapping.key_lines[out_key] = where
    if isinstance(mapping, LineDict):
        for key in list(mapping):
            if key in lines:
                mapping.key_lines[key] = lines[key]


def _loop_entries(key: str, spec: Any, params: dict[str, Any], path: str,
                  where: tuple[int, int], notes: list[Diagnostic],
                  budget: list[int]) -> list[tuple[str, Any]]:
    if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)
            and isinstance(spec[2], dict)):
        notes.append(Diagnostic(path, where[0], where[1],
                                f"{key} is not [Identifier, Collection, Fragment]; skipped",
                                severity="info"))
        return []
    ident, collection, fragment = spec
    items = _collection(collection, params)
    if items is None:
        notes.append(Diagnostic(
            path, where[0], where[1],
            f"the collection of {key} is not known here (a parameter without a Default, or "
            "an intrinsic); its entries are not imported", severity="info"))
        return []
    out: list[tuple[str, Any]] = []
    for item in items:
        filled = _fill_value(copy.deepcopy(fragment), ident, item)
        if any(isinstance(k, str) and k.startswith(PREFIX) for k in filled):
            _expand_mapping(filled, params, path, notes, budget)  # a loop nested in this one
        for frag_key, frag_value in filled.items():
            budget[0] -= 1
            if budget[0] < 0:
                return out
            out.append((str(frag_key), frag_value))
    return out


def _collection(value: Any, params: dict[str, Any]) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    if isinstance(value, dict) and set(value) == {"Ref"}:
        param = params.get(value["Ref"])
        default = param.get("Default") if isinstance(param, dict) else None
        if isinstance(default, str):
            return [v.strip() for v in default.split(",") if v.strip()]
        if isinstance(default, list):
            return [str(v) for v in default]
    return None


def _fill_key(key: str, ident: str, item: str) -> str:
    alnum = re.sub(r"[^A-Za-z0-9]", "", item)
    return key.replace("${" + ident + "}", item).replace("&{" + ident + "}", alnum)


def _fill_value(value: Any, ident: str, item: str) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (k, inner), = value.items()
            if k == "Ref" and inner == ident:
                return item
            if k == "Fn::Sub":
                if isinstance(inner, str):
                    return _same(value, {"Fn::Sub": inner.replace("${" + ident + "}", item)})
                if isinstance(inner, list) and inner and isinstance(inner[0], str):
                    local = inner[1] if len(inner) > 1 and isinstance(inner[1], dict) else {}
                    if ident not in local:
                        rest = [_fill_value(v, ident, item) for v in inner[1:]]
                        filled = LineList([inner[0].replace("${" + ident + "}", item), *rest])
                        return _same(value, {"Fn::Sub": filled})
        out = {(_fill_key(k, ident, item) if isinstance(k, str) else k): _fill_value(v, ident, item)
               for k, v in value.items()}
        return _same(value, out)
    if isinstance(value, list):
        return LineList([_fill_value(v, ident, item) for v in value])
    return value


def _same(like: Any, data: dict[str, Any]) -> Any:
    """`data` as a LineDict with `like`'s line marks."""
    out = LineDict(data)
    if isinstance(like, LineDict):
        out.line, out.col = like.line, like.col
        out.key_lines.update({k: v for k, v in like.key_lines.items() if k in out})
    return out
