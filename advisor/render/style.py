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
    return safe_load(text, remember=True)  # type: ignore[no-any-return]


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


def value_text(kind: str | None, prop: str, value: Any) -> str:
    """One side of a `prop: before -> after` change: `on`/`off` for flags, the catalog
    default when the side does not state the prop, `unset` when there is none."""
    spec = catalog.prop_spec(kind, prop) if kind else catalog.edge_props().get(prop)
    if value is None and spec is not None:
        value = spec.default
    if value is None:
        return "off" if spec is not None and spec.type == "bool" else "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = format_value(kind, prop, value) or ""
    return text if len(text) <= 40 else text[:39] + "…"


def _table(rows: list[str], padding: int = 0) -> str:
    return (
        f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{int(padding)}">'
        + "".join(f"<TR>{r}</TR>" for r in rows)
        + "</TABLE>"
    )


def badge_words(count: int | None) -> str:
    """`⚠ 2 errors`; `⚠ error` when only the node is known, not how many."""
    words = "error" if count is None else f"{count} error{'s' if count != 1 else ''}"
    return f"{style()['badge']['mark']} {words}"


def status_label(status: str, text: str = "") -> str:
    """`✕ removed · PutRecord`, `+ added`: an edge's (or reference's) text with its status."""
    st = style()["status"][status]
    head = f"{st['mark']} {st['word']}"
    return f"{head} · {text}" if text else head


def shown_changes(changes: list[str] | tuple[str, ...]) -> list[str]:
    """The change lines drawn: the first `changed_lines`, then `+N more`."""
    limit = int(style().get("changed_lines", 4))
    shown = list(changes[:limit])
    if len(changes) > limit:
        shown.append(f"+{len(changes) - limit} more")
    return shown


def badge_cell(count: int | None, text: str | None = None) -> str:
    """The badge as a table cell on the badge colour (`text` instead of the count words:
    the legend's `⚠ N errors`)."""
    b = style()["badge"]
    mark, _, words = badge_words(count).partition(" ")
    words = text or words
    return (
        f'<TD BGCOLOR="{b["fill"]}" VALIGN="MIDDLE" CELLPADDING="2">'
        f'<FONT COLOR="{b["color"]}" POINT-SIZE="8">'
        f'<B>{escape(mark)}&#160;{escape(words)}</B></FONT></TD>'
    )


def node_label(
    name: str,
    kind: str,
    props: dict[str, Any],
    mark: str = "",
    pad: int = 0,
    *,
    icon: str | None = None,
    strike: bool = False,
    changes: list[str] | tuple[str, ...] = (),
    change_color: str = "",
    badge: int | bool | None = False,
) -> str:
    """An HTML-like label: bold name (diff mark in front, struck through when removed),
    kind title, key props, what changed (`prop: before -> after`), an error badge beside
    the name; with `icon`, the service's icon to the left of all of it.

    `pad` > 0 pads the text cell (points), for shapes Graphviz sizes too tightly to the
    bare text (style.yaml `pad`). `badge`: False for none, None for a badge without a
    count, an int for `N errors`."""
    title = escape(name)
    if strike:
        title = f"<S>{title}</S>"
    head = f"<B>{escape(mark)}&#160;{title}</B>" if mark else f"<B>{title}</B>"
    lines = [head, f'<FONT POINT-SIZE="10">{escape(short_title(kind))}</FONT>']
    extra = key_props_text(kind, props)
    if extra:
        lines.append(f'<FONT POINT-SIZE="9">{escape(extra)}</FONT>')
    colour = f' COLOR="{change_color}"' if change_color else ""
    lines += [f'<FONT POINT-SIZE="9"{colour}>{escape(line)}</FONT>' for line in shown_changes(changes)]
    has_badge = badge is not False
    rows = []
    for i, line in enumerate(lines):
        cell = f'<TD ALIGN="LEFT" BALIGN="LEFT">{line}</TD>'
        if i == 0 and has_badge:
            cell += '<TD WIDTH="5"></TD>' + badge_cell(None if badge is None or badge is True else int(badge))
        elif has_badge:
            cell = cell.replace("<TD ", '<TD COLSPAN="3" ', 1)
        rows.append(cell)
    text = _table(rows, 1)
    if icon:
        size = icon_cell_size()
        image = (
            f'<TD FIXEDSIZE="TRUE" WIDTH="{size}" HEIGHT="{size}" VALIGN="MIDDLE">'
            f'<IMG SRC="{escape(icon)}" SCALE="TRUE"/></TD>'
        )
        return "<" + _table([f'{image}<TD WIDTH="6"></TD><TD ALIGN="LEFT">{text}</TD>'], 0) + ">"
    if pad > 0:
        return "<" + _table([f"<TD>{text}</TD>"], pad) + ">"
    return "<" + text + ">"


def icon_cell_size() -> int:
    return int((style().get("icons") or {}).get("size", 34))
