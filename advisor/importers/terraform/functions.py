"""Terraform's built-in functions that configurations use to decide what they create.

Each function takes already-evaluated arguments and follows Terraform's documented
behaviour (https://developer.hashicorp.com/terraform/language/functions). Collections
whose shape is known but whose elements are symbolic (a list of resource ARNs) still
answer what depends only on the shape (`length`, `keys`, `lookup`, `merge`, `concat`); a
function that needs a value it cannot see raises `Unknown` and its call stays symbolic.
Functions that read the machine (files other than the parser's file()/templatefile(),
timestamps, UUIDs, regular expressions) are not implemented: their calls stay symbolic.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Callable
from typing import Any

from advisor.importers.terraform.evaluate import (
    MAX_ITEMS,
    EvalError,
    Scope,
    Unknown,
    as_bool,
    as_number,
    as_string,
    equal,
    ev,
    is_known,
    is_known_shallow,
    symbolic_call,
    tag,
)


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if not is_known_shallow(value):
        raise Unknown("list")
    raise EvalError("a list is required")


def _map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not is_known_shallow(value):
        raise Unknown("map")
    raise EvalError("a map is required")


def _known(value: Any) -> Any:
    if not is_known(value):
        raise Unknown("value")
    return value


def _bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_ITEMS:
        raise Unknown("too many items")
    return items


# ----------------------------------------------------------------- collections
def _length(value: Any) -> int:
    if isinstance(value, list | dict):
        return len(value)
    if isinstance(value, str):
        return len(as_string(value))
    if value is None:
        raise EvalError("length of null")
    raise Unknown("length")


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    m, k = _map(mapping), as_string(key)
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup: no key {k!r}")


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        out.update(_map(m))
    return out


def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for item in lists:
        out.extend(_list(item))
    return _bounded(out)


def _element(items: Any, index: Any) -> Any:
    values = _list(items)
    if not values:
        raise EvalError("element() of an empty list")
    return values[int(as_number(index)) % len(values)]


def _coalesce(*values: Any) -> Any:
    for v in values:
        if not is_known(v):
            raise Unknown("coalesce")
        if v is not None and v != "":
            return v
    raise EvalError("coalesce: no non-null, non-empty argument")


def _coalescelist(*values: Any) -> Any:
    for v in values:
        if _list(v):
            return v
    raise EvalError("coalescelist: no non-empty list")


def _compact(items: Any) -> list[Any]:
    return [v for v in (_known(x) for x in _list(items)) if v is not None and v != ""]


def _contains(items: Any, value: Any) -> bool:
    values = _known(_list(items))
    return any(equal(v, _known(value)) for v in values)


def _distinct(items: Any) -> list[Any]:
    out: list[Any] = []
    for v in _known(_list(items)):
        if not any(equal(v, o) for o in out):
            out.append(v)
    return out


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    for v in _list(items):
        if isinstance(v, list):
            out.extend(_flatten(v))
        elif is_known_shallow(v):
            out.append(v)
        else:
            raise Unknown("flatten")
    return _bounded(out)


def _keys(mapping: Any) -> list[str]:
    return sorted(_map(mapping))


def _values(mapping: Any) -> list[Any]:
    m = _map(mapping)
    return [m[k] for k in sorted(m)]


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    ks, vs = [as_string(k) for k in _list(keys)], _list(values)
    if len(ks) != len(vs):
        raise EvalError("zipmap: lists of different lengths")
    return dict(zip(ks, vs, strict=True))


def _one(items: Any) -> Any:
    values = _list(items)
    if len(values) > 1:
        raise EvalError("one(): more than one element")
    return values[0] if values else None


def _range(*args: Any) -> list[Any]:
    nums = [as_number(a) for a in args]
    if not 1 <= len(nums) <= 3:
        raise EvalError("range() takes 1 to 3 arguments")
    if len(nums) == 1:
        start, stop, step = 0, nums[0], 1
    else:
        start, stop, step = nums[0], nums[1], nums[2] if len(nums) > 2 else 1
    if step == 0:
        raise EvalError("range(): step 0")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_ITEMS:
        raise Unknown("range too large")
    return [start + i * step for i in range(count)]


def _slice(items: Any, start: Any, end: Any) -> list[Any]:
    values = _list(items)
    a, b = int(as_number(start)), int(as_number(end))
    if not 0 <= a <= b <= len(values):
        raise EvalError("slice(): index out of range")
    return values[a:b]


def _sets(op: str) -> Callable[..., list[Any]]:
    def fn(*sets: Any) -> list[Any]:
        lists = [_distinct(s) for s in sets]
        if not lists:
            raise EvalError(f"{op}: no arguments")
        out = list(lists[0])
        for other in lists[1:]:
            if op == "union":
                out += [v for v in other if not any(equal(v, o) for o in out)]
            elif op == "intersection":
                out = [v for v in out if any(equal(v, o) for o in other)]
            else:
                out = [v for v in out if not any(equal(v, o) for o in other)]
        return sorted(out, key=_sort_key)

    return fn


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (2, json.dumps(value, sort_keys=True, default=str))


def _index(items: Any, value: Any) -> int:
    for i, v in enumerate(_known(_list(items))):
        if equal(v, _known(value)):
            return i
    raise EvalError("index(): value not in list")


def _chunklist(items: Any, size: Any) -> list[Any]:
    values, n = _list(items), int(as_number(size))
    if n <= 0:
        return [values] if values else []
    return [values[i : i + n] for i in range(0, len(values), n)]


# ----------------------------------------------------------------- strings
_FORMAT_RE = re.compile(r"%(?:(%)|([-+ #0]*)(\d*)(?:\.(\d+))?([svdqtfbxXeEgGo]))")


def _format(spec: Any, *args: Any) -> str:
    text = as_string(spec)
    values = list(args)

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return "%"
        if not values:
            raise EvalError("format(): too few arguments")
        value = values.pop(0)
        verb, width, prec = m.group(5), m.group(3), m.group(4)
        if verb in "sv":
            out = as_string(value) if not isinstance(value, list | dict) else json.dumps(value)
        elif verb == "q":
            out = json.dumps(as_string(value))
        elif verb == "t":
            out = "true" if as_bool(value) else "false"
        elif verb == "d":
            out = str(int(as_number(value)))
        elif verb == "f":
            out = f"{float(as_number(value)):.{int(prec) if prec else 6}f}"
        else:
            raise Unknown("format verb")
        if width:
            flags = m.group(2)
            if "-" in flags:
                out = out.ljust(int(width))
            elif "0" in flags and verb in "df":
                out = out.zfill(int(width))
            else:
                out = out.rjust(int(width))
        return out

    return _FORMAT_RE.sub(repl, text)


def _join(sep: Any, *lists: Any) -> str:
    items = [v for lst in lists for v in _list(lst)]
    return as_string(sep).join(as_string(v) for v in items)


def _split(sep: Any, text: Any) -> list[str]:
    s = as_string(text)
    return s.split(as_string(sep)) if s else [""]


def _replace(text: Any, find: Any, repl: Any) -> str:
    f = as_string(find)
    if len(f) > 1 and f.startswith("/") and f.endswith("/"):
        raise Unknown("regular expression")  # RE2 syntax; not run here
    return as_string(text).replace(f, as_string(repl))


def _substr(text: Any, offset: Any, length: Any) -> str:
    s, o, n = as_string(text), int(as_number(offset)), int(as_number(length))
    if o < 0:
        o = max(len(s) + o, 0)
    return s[o:] if n < 0 else s[o : o + n]


def _trim(text: Any, chars: Any) -> str:
    return as_string(text).strip(as_string(chars))


def _tobool(value: Any) -> Any:
    return None if value is None else as_bool(value)


def _tonumber(value: Any) -> Any:
    return None if value is None else as_number(value)


def _tostring(value: Any) -> Any:
    return None if value is None else as_string(value)


def _jsondecode(text: Any) -> Any:
    try:
        return json.loads(as_string(text))
    except ValueError as exc:
        raise EvalError(f"jsondecode(): {exc}") from None


def _alltrue(items: Any) -> bool:
    return all(as_bool(v) for v in _known(_list(items)))


def _anytrue(items: Any) -> bool:
    return any(as_bool(v) for v in _known(_list(items)))


def _sum(items: Any) -> Any:
    values = [as_number(v) for v in _known(_list(items))]
    if not values:
        raise EvalError("sum() of an empty list")
    return sum(values)


def _minmax(fn: Callable[..., Any]) -> Callable[..., Any]:
    def inner(*args: Any) -> Any:
        if not args:
            raise EvalError("no arguments")
        return fn(as_number(a) for a in args)

    return inner


def _sort(items: Any) -> list[str]:
    return sorted(as_string(v) for v in _known(_list(items)))


def _reverse(items: Any) -> list[Any]:
    return list(reversed(_list(items)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda x: abs(as_number(x)),
    "ceil": lambda x: math.ceil(as_number(x)),
    "floor": lambda x: math.floor(as_number(x)),
    "max": _minmax(max),
    "min": _minmax(min),
    "signum": lambda x: (as_number(x) > 0) - (as_number(x) < 0),
    "length": _length,
    "lookup": _lookup,
    "merge": _merge,
    "concat": _concat,
    "element": _element,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "compact": _compact,
    "contains": _contains,
    "distinct": _distinct,
    "flatten": _flatten,
    "keys": _keys,
    "values": _values,
    "zipmap": _zipmap,
    "one": _one,
    "range": _range,
    "slice": _slice,
    "setunion": _sets("union"),
    "setintersection": _sets("intersection"),
    "setsubtract": _sets("subtract"),
    "index": _index,
    "chunklist": _chunklist,
    "reverse": _reverse,
    "sort": _sort,
    "sum": _sum,
    "alltrue": _alltrue,
    "anytrue": _anytrue,
    "format": _format,
    "join": _join,
    "split": _split,
    "replace": _replace,
    "substr": _substr,
    "lower": lambda s: as_string(s).lower(),
    "upper": lambda s: as_string(s).upper(),
    "title": lambda s: as_string(s).title(),
    "chomp": lambda s: as_string(s).rstrip("\r\n"),
    "trimspace": lambda s: as_string(s).strip(),
    "trim": _trim,
    "trimprefix": lambda s, p: as_string(s).removeprefix(as_string(p)),
    "trimsuffix": lambda s, p: as_string(s).removesuffix(as_string(p)),
    "startswith": lambda s, p: as_string(s).startswith(as_string(p)),
    "endswith": lambda s, p: as_string(s).endswith(as_string(p)),
    "strcontains": lambda s, p: as_string(p) in as_string(s),
    "strrev": lambda s: as_string(s)[::-1],
    "basename": lambda s: posixpath.basename(as_string(s)),
    "dirname": lambda s: posixpath.dirname(as_string(s)) or ".",
    "pathexpand": lambda s: as_string(s) if not as_string(s).startswith("~") else _unknown(),
    "tobool": _tobool,
    "tonumber": _tonumber,
    "tostring": _tostring,
    "tolist": lambda v: _list(v),
    "toset": lambda v: _distinct(v) if is_known(v) else _list(v),
    "tomap": lambda v: _map(v),
    "jsondecode": _jsondecode,
    "sensitive": lambda v: v,
    "nonsensitive": lambda v: v,
}


def _unknown() -> Any:
    raise Unknown("reads the machine")


# ----------------------------------------------------------------- lazy: try(), can()
def _try(e: Any, args: tuple[Any, ...], scope: Scope) -> Any:
    """The first argument that evaluates without an error (symbolic ones included)."""
    for arg in args:
        try:
            return ev(arg, scope.deeper())
        except EvalError:
            continue
        except Unknown:  # whether it fails is not known here
            return symbolic_call(e, scope, args, [tag(a, scope.env.home) for a in args])
    raise EvalError("try(): every argument failed")


def _can(e: Any, args: tuple[Any, ...], scope: Scope) -> Any:
    if len(args) != 1:
        raise EvalError("can() takes one argument")
    try:
        value = ev(args[0], scope.deeper())
    except EvalError:
        return False
    if not is_known(value):
        return symbolic_call(e, scope, args, [tag(value, scope.env.home)])
    return True


LAZY: dict[str, Callable[[Any, tuple[Any, ...], Scope], Any]] = {"try": _try, "can": _can}

__all__ = ["FUNCTIONS", "LAZY"]
