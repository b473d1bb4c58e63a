"""The legend under a diagram: exactly the marks the diagram draws, nothing else.

The graph builders record what they drew in a `Drawn` (which diff statuses, which edge
modes, reference arrows, error badges); the legend has one entry per recorded thing, so
a diff with no changed node has no "changed" entry and a design with no stream no "bold"
entry. Status is colour + mark, mode is the line style: the legend says so when both
occur, since a removed async edge is red *and* dashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from advisor.render.style import badge_cell, style

STATUS_ORDER = ("removed", "added", "changed")
MODE_ORDER = ("sync", "async", "stream", "poll")
REF_COLOR = "#8D99A6"


@dataclass
class Drawn:
    """What a diagram contains, as far as the legend is concerned."""

    statuses: set[str] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)
    refs: bool = False
    badges: bool = False

    def update(self, other: Drawn) -> None:
        self.statuses |= other.statuses
        self.modes |= other.modes
        self.refs |= other.refs
        self.badges |= other.badges

    def entries(self) -> list[str]:
        """The legend's entries as words, in drawing order (what tests and the app read)."""
        out = [style()["status"][s]["legend"] for s in STATUS_ORDER if s in self.statuses]
        out += [style()["modes"][m]["word"] for m in MODE_ORDER if m in self.modes]
        if self.refs:
            out.append(REF_WORDS)
        if self.badges:
            out.append(style()["badge"]["legend"])
        return out


REF_WORDS = "dlq / on_failure (thin grey, hollow arrow)"


def _swatch(text: str, fill: str = "", color: str = "", bold: bool = True) -> str:
    inner = f"<B>{escape(text)}</B>" if bold else escape(text)
    if color:
        inner = f'<FONT COLOR="{color}">{inner}</FONT>'
    box = f' BGCOLOR="{fill}" BORDER="1" COLOR="{color}"' if fill else ' BORDER="0"'
    return f'<TD{box} ALIGN="CENTER">{inner}</TD>'


def _entry(swatch: str, words: str, color: str = "", size: int = 0) -> str:
    text = escape(words)
    if color or size:
        attrs = (f' COLOR="{color}"' if color else "") + (f' POINT-SIZE="{size}"' if size else "")
        text = f"<FONT{attrs}>{text}</FONT>"
    return f'{swatch}<TD ALIGN="LEFT" BORDER="0">{text}</TD>'


def table(drawn: Drawn) -> str | None:
    """The legend as an HTML-like table, one entry a row (swatch, words): None when
    there is nothing to explain. Entries appear exactly when `drawn` has them."""
    marks, lines = [], []  # two columns: what the node/edge marks mean, what lines mean
    for status in STATUS_ORDER:
        if status in drawn.statuses:
            st = style()["status"][status]
            marks.append(_entry(_swatch(st["mark"], st["fill"], st["color"]), st["legend"], st["color"]))
    if drawn.badges:
        marks.append(_entry(badge_cell(None, "N errors"), style()["badge"]["legend"]))
    for mode in MODE_ORDER:
        if mode in drawn.modes:
            m = style()["modes"][mode]
            lines.append(_entry(_swatch(m["sample"], bold=False), m["word"]))
    if drawn.refs:
        lines.append(_entry(_swatch("- - ▷", color=REF_COLOR, bold=False), REF_WORDS, REF_COLOR))
    if drawn.statuses and drawn.modes:
        lines.append(_entry('<TD BORDER="0"></TD>', "colour and mark = status; line style = mode",
                            "#545B64", 9))
    columns = [c for c in (marks, lines) if c]
    if not columns:
        return None
    empty = '<TD BORDER="0"></TD><TD BORDER="0"></TD>'
    rows = []
    for i in range(max(len(c) for c in columns)):
        cells = [c[i] if i < len(c) else empty for c in columns]
        rows.append("<TR>" + '<TD BORDER="0" WIDTH="14"></TD>'.join(cells) + "</TR>")
    head = f'<TR><TD COLSPAN="{len(columns) * 3 - 1}" ALIGN="LEFT" BORDER="0"><B>Legend</B></TD></TR>'
    return ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
            + head + "".join(rows) + "</TABLE>")
