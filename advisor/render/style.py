"""The diagrams' visual language (style.yaml) and the text put on nodes and edges.

Kept apart from graph building so a new category, mode or key prop is a data change.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from typing import Any

from advisor import catalog, units
from advisor.datafiles import safe_load


@cache
def style() -> dict[str, Any]:
    text = resources.files("advisor.render").joinpath("style.yaml").read_text("utf-8")
    return safe_load(text)  # type: ignore[no-any-return]


def font() -> str:
    return str(style()["font"])


def category_style(kind: str) -> dict[str, Any]:
    cats = style()["categories"]
    return dict(cats.get(catalog.category_of(kind), cats["other"]))


def mode_style(mode: str | None) -> dict[str, Any]:
    modes = style()["modes"]
    return dict(modes.get(mode or "sync", modes["sync"]))


def status_style(status: str) -> dict[str, Any]:
    return dict(style()["status"][status])


def short_title(kind: str) -> str:
    """The catalog title without the vendor prefix: labels stay short."""
    title = catalog.title_of(kind)
    for prefix in style()["title_prefixes"]:
        if title.startswith(prefix):
            return title[len(prefix) :]
    return title


def format_value(kind: str | None, prop: str, value: Any) -> str | None:
    """A prop value as people write it (1GB, 300s, 50M/month); None to leave it out."""
    spec = catalog.prop_spec(kind, prop) if kind else catalog.edge_props().get(prop)
    if isinstance(value, bool):
        return prop if value else None
    if isinstance(value, int | float) and spec is not None and spec.type in ("size", "duration", "rate"):
        return units.format_quantity(value, spec.type)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def key_props_text(kind: str, props: dict[str, Any]) -> str:
    """`memory=1GB · python3.12`-style line of the props style.yaml names for the kind."""
    parts = []
    for prop in style()["key_props"].get(kind, []):
        if prop not in props:
            continue
        text = format_value(kind, prop, props[prop])
        if text is None:
            continue
        parts.append(text if text == prop else f"{prop}={text}")
    return " · ".join(parts)


def edge_text(data: dict[str, Any]) -> str:
    """An edge's own label plus the props worth seeing (batch, filter, ...)."""
    parts = []
    if data.get("label"):
        parts.append(str(data["label"]))
    props = data.get("props") or {}
    for prop in style()["edge_props"]:
        if prop in props and not (prop == "action" and data.get("label")):
            text = format_value(None, prop, props[prop])
            if text is not None:
                parts.append(text if text == prop else f"{prop}={text}")
    return " · ".join(parts)


def node_label(name: str, kind: str, props: dict[str, Any], mark: str = "", pad: int = 0) -> str:
    """An HTML-like label: bold name (with the diff mark), kind title, key props.

    `pad` > 0 wraps the lines in a borderless cell with that padding (points), for shapes
    Graphviz sizes too tightly to the bare text (style.yaml `pad`)."""
    head = f"{mark} {name}" if mark else name
    rows = [f"<B>{escape(head)}</B>", f'<FONT POINT-SIZE="10">{escape(short_title(kind))}</FONT>']
    extra = key_props_text(kind, props)
    if extra:
        rows.append(f'<FONT POINT-SIZE="9">{escape(extra)}</FONT>')
    body = "<BR/>".join(rows)
    if pad > 0:
        body = (
            f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{int(pad)}">'
            f"<TR><TD>{body}</TD></TR></TABLE>"
        )
    return "<" + body + ">"
