"""Values -> template text, in the style of the file being patched.

Patch generators build plain Python values (dicts, lists, str, int, bool) with the
CloudFormation intrinsics as small objects (`Ref`, `GetAtt`, `Sub`), so one generator
serves YAML with short tags (`!Ref X`), YAML in long form (`Ref: X`) and JSON
(`{"Ref": "X"}`). The emitters write block YAML or indented JSON the way the
surrounding file does (its indent unit, whether sequences are indented under their key).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class GetAtt:
    name: str
    attr: str = "Arn"


@dataclass(frozen=True)
class Sub:
    text: str


@dataclass(frozen=True)
class Comment:
    """A YAML comment line placed before a mapping entry (dropped in JSON)."""

    text: str


@dataclass
class Style:
    """How the file being patched writes YAML (detected by `detect_style`)."""

    unit: int = 2  # spaces per nesting level
    seq_indent: bool = True  # `key:\n  - item` (True) or `key:\n- item` (False)
    short_tags: bool = True  # `!Ref X` rather than `Ref: X`
    json: bool = False


def from_plain(value: Any) -> Any:
    """A long-form intrinsic read from the template (`{"Ref": "X"}`) as its object, so
    it is written back in the file's own style."""
    if isinstance(value, dict) and len(value) == 1:
        k, v = next(iter(value.items()))
        if k == "Ref" and isinstance(v, str):
            return Ref(v)
        if k == "Fn::GetAtt" and isinstance(v, list) and len(v) == 2 and \
                all(isinstance(x, str) for x in v):
            return GetAtt(v[0], v[1])
        if k == "Fn::Sub" and isinstance(v, str):
            return Sub(v)
    return value


def long_form(value: Any) -> Any:
    """The JSON shape of a value: intrinsics as their `Ref`/`Fn::...` mappings."""
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, GetAtt):
        return {"Fn::GetAtt": [value.name, value.attr]}
    if isinstance(value, Sub):
        return {"Fn::Sub": value.text}
    if isinstance(value, dict):
        return {k: long_form(v) for k, v in value.items() if not isinstance(v, Comment)}
    if isinstance(value, list):
        return [long_form(v) for v in value]
    return value


# ------------------------------------------------------------------------- YAML
_PLAIN = re.compile(r"^[A-Za-z_/$][\w\-./:$*{}@]*( [\w\-./:$*{}@]+)*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and ": " not in text \
            and not text.endswith(":") and "{" not in text[:1]:
        return text
    return "'" + text.replace("'", "''") + "'"


def _inline(value: Any, style: Style) -> str | None:
    """A value written on the key's line, or None when it needs a block."""
    if isinstance(value, Ref):
        return f"!Ref {value.name}" if style.short_tags else None
    if isinstance(value, GetAtt):
        return f"!GetAtt {value.name}.{value.attr}" if style.short_tags else None
    if isinstance(value, Sub):
        return f"!Sub {yaml_scalar(value.text)}" if style.short_tags else None
    if isinstance(value, dict | list):
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        if isinstance(value, list) and all(_is_scalar(v) for v in value) and len(value) <= 4:
            return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
        return None
    return yaml_scalar(value)


def _is_scalar(v: Any) -> bool:
    return isinstance(v, str | int | float | bool) or v is None


def _long_intrinsic(value: Any) -> dict[str, Any] | None:
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, GetAtt):
        return {"Fn::GetAtt": [value.name, value.attr]}
    if isinstance(value, Sub):
        return {"Fn::Sub": value.text}
    return None


def yaml_entry(key: str, value: Any, indent: int, style: Style) -> list[str]:
    """Lines of `key: value` at `indent` spaces (no trailing newlines)."""
    pad = " " * indent
    value = from_plain(value)
    long = _long_intrinsic(value) if not style.short_tags else None
    if long is not None:
        value = long
    inline = _inline(value, style)
    if inline is not None:
        return [f"{pad}{yaml_scalar(key)}: {inline}"]
    lines = [f"{pad}{yaml_scalar(key)}:"]
    lines.extend(yaml_value_block(value, indent + style.unit, style))
    return lines


def yaml_value_block(value: Any, indent: int, style: Style) -> list[str]:
    """A dict's entries or a list's items as block lines at `indent` (a list's dashes at
    `indent` when sequences are indented, else `style.unit` less)."""
    if isinstance(value, dict):
        out: list[str] = []
        for k, v in value.items():
            if isinstance(v, Comment):
                out.append(" " * indent + "# " + v.text)
                continue
            out.extend(yaml_entry(str(k), v, indent, style))
        return out
    if isinstance(value, list):
        dash = indent if style.seq_indent else indent - style.unit
        return yaml_items(value, dash, style)
    raise TypeError(f"not a collection: {value!r}")


def yaml_items(items: list[Any], dash: int, style: Style) -> list[str]:
    out: list[str] = []
    for item in items:
        out.extend(yaml_item(item, dash, style))
    return out


def yaml_item(item: Any, dash: int, style: Style) -> list[str]:
    pad = " " * dash
    item = from_plain(item)
    long = _long_intrinsic(item) if not style.short_tags else None
    if long is not None:
        item = long
    inline = _inline(item, style)
    if inline is not None:
        return [f"{pad}- {inline}"]
    if isinstance(item, dict):
        body = yaml_value_block(item, dash + 2, style)
        return [pad + "- " + body[0][dash + 2:], *body[1:]]
    body = yaml_items(item, dash + 2, style)
    return [pad + "- " + body[0][dash + 2:], *body[1:]]


def yaml_flow(value: Any, style: Style) -> str:
    """A value in YAML flow style (inside `{...}` / `[...]`), short tags when the file
    uses them."""
    value = from_plain(value)
    if isinstance(value, Ref | GetAtt | Sub):
        if style.short_tags:
            return str(_inline(value, style))
        value = _long_intrinsic(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_scalar(k)}: {yaml_flow(v, style)}"
                               for k, v in value.items() if not isinstance(v, Comment)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_flow(v, style) for v in value) + "]"
    return yaml_scalar(value)


# ------------------------------------------------------------------------- JSON
def json_text(value: Any, indent: int, unit: int) -> str:
    """`value` as JSON whose continuation lines start at `indent` spaces."""
    text = json.dumps(long_form(value), indent=unit, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * indent)


def json_entry(key: str, value: Any, indent: int, unit: int) -> str:
    return " " * indent + json.dumps(key) + ": " + json_text(value, indent, unit)
