"""SAM `Globals`: merged into each SAM resource exactly as the SAM translator merges them.

The rules (SAM's `GlobalProperties`, documented in the Globals section of the SAM
specification and in samtranslator/plugins/globals/globals.py):
- a value local to the resource that is of another type than the global one, or a
  primitive (string, number, boolean), or an intrinsic function (a one-key mapping `Ref`,
  `Condition` or `Fn::*`, which CloudFormation resolves to a primitive) replaces the global
  value whole: a global `!Ref Queue` and a local `!GetAtt Other.Arn` never merge;
- two mappings merge key by key, recursively (the local side wins on each shared key);
- two lists concatenate, global items first, duplicates kept;
- per-property strategies override that (`replace`: `Function.Architectures`;
  `prune_and_merge`: only the local keys survive) -- listed in `data.yaml`;
- the resource attribute `IgnoreGlobals` (`"*"`, or a list of property names) leaves out
  all or some of its section's globals;
- every section SAM knows (`Function`, `Api`, `HttpApi`, `SimpleTable`, `StateMachine`,
  `LayerVersion`, `CapacityProvider`, `WebSocketApi`); the implicit APIs SAM generates
  (`ServerlessRestApi`, `ServerlessHttpApi`) are resources of their section too, so they
  are added (`sam.add_implicit_apis`) before this runs.
"""

from __future__ import annotations

import copy
from typing import Any

from advisor.importers.cloudformation.conditions import is_intrinsic
from advisor.importers.cloudformation.context import Ctx, data
from advisor.importers.cloudformation.template import LineDict, LineList

_PRIMITIVE, _DICT, _LIST = "primitive", "dict", "list"


def _token(value: Any) -> str:
    if isinstance(value, dict):
        return _PRIMITIVE if is_intrinsic(value) else _DICT
    if isinstance(value, list):
        return _LIST
    return _PRIMITIVE


def merge(global_value: Any, local_value: Any, strategies: dict[str, str],
          path: str = "") -> Any:
    """The value SAM gives a property set both globally and locally."""
    kind = _token(global_value)
    if kind != _token(local_value) or kind == _PRIMITIVE:
        return local_value
    rule = strategies.get(path)
    if rule == "replace":
        return local_value
    if kind == _LIST:
        out_list = LineList(copy.deepcopy(list(global_value)) + list(local_value))
        _mark(out_list, local_value)
        return out_list
    if rule == "prune_and_merge" and local_value:
        keys = list(local_value)
        base: dict[str, Any] = {}
    else:
        keys = list(local_value)
        base = {k: copy.deepcopy(v) for k, v in global_value.items()}
    out = LineDict(base)
    for key in keys:
        child = f"{path}.{key}" if path else str(key)
        out[key] = merge(global_value[key], local_value[key], strategies, child) \
            if key in global_value else local_value[key]
    _mark(out, local_value)
    if isinstance(local_value, LineDict):
        out.key_lines.update(local_value.key_lines)
    return out


def _mark(out: Any, like: Any) -> None:
    """Keep the local value's line marks on the merged value (findings point there)."""
    if isinstance(like, LineDict | LineList):
        out.line, out.col = like.line, like.col


def _globals_for(ctx: Ctx, lid: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """The section's globals minus what the resource's `IgnoreGlobals` leaves out."""
    res = ctx.resources.get(lid)
    ignore = res.get("IgnoreGlobals") if isinstance(res, dict) else None
    if ignore == "*":
        return {}
    if isinstance(ignore, list):
        skipped = {str(k) for k in ignore if isinstance(k, str)}
        return {k: v for k, v in defaults.items() if k not in skipped}
    if ignore is not None:
        line, col = ctx.line_of(res, lid)
        ctx.info(f"IgnoreGlobals of {lid} must be \"*\" or a list of property names; "
                 "the globals are merged as if it were not set", line, col)
    return defaults


def merge_globals(ctx: Ctx) -> None:
    """Merge each `Globals` section into every resource of its SAM type."""
    glob = ctx.template.get("Globals")
    if not isinstance(glob, dict):
        return
    spec = data()["sam_globals"]
    sections: dict[str, str] = spec["sections"]
    for section, defaults in glob.items():
        rtype = sections.get(str(section))
        if rtype is None or not isinstance(defaults, dict):
            line, col = ctx.line_of(glob)
            if isinstance(glob, LineDict):
                line, col = glob.key_loc(section)
            ctx.info(f"Globals section {section!r} is not one SAM knows "
                     f"({', '.join(sorted(sections))}) or is not a mapping; not merged",
                     line, col)
            continue
        prefix = f"{section}."
        strategies = {path[len(prefix):]: op for path, op in spec["strategies"].items()
                      if path.startswith(prefix)}
        for lid in ctx.of_type(rtype):
            res = ctx.resources[lid]
            props = res.get("Properties")
            if not isinstance(props, dict):
                props = LineDict()
            merged = merge(_globals_for(ctx, lid, defaults), props, strategies)
            res["Properties"] = merged
