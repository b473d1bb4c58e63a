"""The terminal report: findings grouped by pillar and a before/after table (rich).

Colours only when the output is a terminal (or `color=True`); NO_COLOR turns them off.
The writer returns a string, so the same text can be printed or captured in tests.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from advisor.report import common
from advisor.vocabulary import SEVERITIES

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
DEFAULT_WIDTH = 100  # when neither the caller, COLUMNS nor a terminal says
MIN_WIDTH = 40
MESSAGE_MIN = 30  # narrower than this, findings are printed as blocks, not a table
NOTES_MAX = 20  # notes listed per result; the rest are counted ("... and N more")


def _color(color: bool | None) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _width(width: int | None) -> int:
    """Explicit width, else `COLUMNS` (set by shells and CI runners that want a width),
    else the terminal's width when stdout is one, else DEFAULT_WIDTH."""
    if width:
        return max(int(width), MIN_WIDTH)
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    if sys.stdout.isatty():
        try:
            return max(os.get_terminal_size().columns, MIN_WIDTH)
        except OSError:
            pass
    return DEFAULT_WIDTH


def write(report: Any, *, color: bool | None = None, width: int | None = None, **_: Any) -> str:
    use_color = _color(color)
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=use_color,
        no_color=not use_color,
        color_system="standard" if use_color else None,
        width=_width(width),
        highlight=False,
        emoji=False,
    )
    for result in report.results:
        _result(console, result, bool(getattr(report, "show_blocked", False)))
    _summary(console, report)
    return buf.getvalue()


def _message(f: Any) -> Text:
    msg = Text(str(f.message))
    if common.likely_mark(f):
        msg.append(" (likely)", style="dim")
    for alt in getattr(f, "alternatives", []) or []:
        msg.append(f"\n- fix: {alt.title} ({common.alt_delta_text(alt)})", style="dim")
        for note in common.alternative_notes(alt):
            msg.append(f"\n    {note}", style="dim")
    for line in common.evidence_lines(f):
        msg.append(f"\n- evidence: {line}", style="dim")
    return msg


def _findings(console: Console, result: Any, findings: list[Any]) -> None:
    """One table per pillar, all with the same column widths (they line up), or, when
    the terminal is too narrow for a readable message column, one block per finding.
    A location (file:line:col), a CDK construct path and a rule id are never broken: the
    `where` column is as wide as the longest of them, and when that leaves too little
    room for the message, the blocks give each its own line."""
    rows = [(f, f.severity, str(f.rule), _where(f, result)) for f in findings]
    sev_w = max(len("severity"), *(len(r[1]) for r in rows))
    rule_w = max(len("rule"), *(len(r[2]) for r in rows))
    where_w = max(len("where"), *(len(line) for r in rows for line in r[3]))
    # 4 columns: 1 space of padding each side, plus the header box's edges
    message_w = console.width - (sev_w + rule_w + where_w) - 8
    by_finding = {id(r[0]): r for r in rows}
    for pillar, items in common.by_pillar(findings):
        if message_w < MESSAGE_MIN:
            console.print(Text(common.pillar_title(pillar), style="bold"))
            for f in items:
                _, sev, rule, where = by_finding[id(f)]
                _block(console, sev, rule, where)
                console.print(Padding(_message(f), (0, 0, 0, 4), expand=False), overflow="fold")
            continue
        table = Table(
            title=common.pillar_title(pillar),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            expand=True,
            title_style="bold",
        )
        table.add_column("severity", no_wrap=True, width=sev_w)
        table.add_column("rule", no_wrap=True, width=rule_w)
        table.add_column("where", no_wrap=True, width=where_w)
        table.add_column("finding", ratio=1, min_width=MESSAGE_MIN, overflow="fold")
        for f in items:
            _, sev, rule, where = by_finding[id(f)]
            table.add_row(Text(sev, style=SEVERITY_STYLE.get(sev, "")), rule,
                          "\n".join(where), _message(f))
        console.print(table)


def _block(console: Console, sev: str, rule: str, where: list[str]) -> None:
    """A finding's head in the narrow layout: `  severity  RULE  location` when it fits,
    else the location on its own line; a construct path always on its own line, indented
    under the head. Lines break between these, never inside one."""
    head = Text("  ")
    head.append(sev, style=SEVERITY_STYLE.get(sev, ""))
    head.append(f"  {rule}")
    rest = list(where)
    if rest and head.cell_len + 2 + len(rest[0]) <= console.width:
        head.append(f"  {rest.pop(0)}")
    console.print(head, overflow="fold")
    for line in rest:
        console.print(Padding(Text(line, style="dim"), (0, 0, 0, 4), expand=False),
                      overflow="fold")


def _where(f: Any, result: Any) -> list[str]:
    """The template location, and below it the CDK construct path when there is one."""
    where = common.short_location(f.location, result.source) or ", ".join(f.nodes)
    construct = getattr(f, "construct_path", None)
    return [where, str(construct)] if construct else [where]


def _result(console: Console, result: Any, show: bool = False) -> None:
    title = Text(f"{result.source} ({result.format})", style="bold")
    if title.cell_len + 6 > console.width:  # a long path: whole, wrapped, then the rule
        console.print(title, overflow="fold")
        console.rule(style="dim")
    else:
        console.rule(title, align="left")
    if getattr(result, "skipped", None):
        console.print(Text(f"skipped: {result.skipped}", style="dim"))
        console.print()
        return
    for err in getattr(result, "errors", []):
        render = getattr(err, "render", None)
        console.print(Text(render() if render else str(err), style="red"))
    if getattr(result, "errors", None):
        console.print()
        return
    findings = list(getattr(result, "findings", []))
    if not findings:
        console.print(Text("no findings", style="green"))
    else:
        _findings(console, result, findings)
    _notes(console, result)
    _blocked(console, result, show)
    if common.has_estimates(result):
        table = Table(
            title="Before / after",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            title_style="bold",
        )
        for col in ("", "before", "after", "delta", ""):
            table.add_column(col, justify="right" if col else "left")
        for metric, before, after, delta, pct in common.rows(result):
            style = "green" if delta.startswith("-") else "red" if delta.startswith("+") else ""
            table.add_row(metric, before, after, Text(delta, style=style), pct)
        console.print(table)
        _assumptions(console, result)
    changes = list(getattr(result, "changes", []))
    if changes:
        console.print(Text("Changes applied", style="bold"))
        for c in changes:
            console.print(
                Padding(Text(common.change_text(c)), (0, 0, 0, 2), expand=False),
                overflow="fold",
            )
    console.print()


def _assumptions(console: Console, result: Any) -> None:
    """The workload the estimate priced and every default it assumed, under the totals."""
    told = result.assumptions
    console.print(Text(told["workload"], style="dim"), overflow="fold")
    if told["rows"]:
        console.print(Text("Assumptions", style="bold"))
        for row in told["rows"]:
            console.print(Padding(Text(f"- {row['line']}"), (0, 0, 0, 2), expand=False),
                          overflow="fold")


def _blocked(console: Console, result: Any, show: bool) -> None:
    """`--show-blocked`: what a rule would have flagged, and what blocked it."""
    rows = common.blocked_rows(result) if show else []
    if not rows:
        return
    console.print(Text(f"Blocked ({len(rows)})", style="bold"))
    for rule, where, nodes, reason in rows:
        line = Text(f"{rule}  ")
        line.append(f"{where or nodes}  ", style="dim")
        line.append(f"blocked by: {reason}")
        console.print(Padding(line, (0, 0, 0, 2), expand=False), overflow="fold")


def _notes(console: Console, result: Any) -> None:
    """What the importer could not read or decided (a module not followed, a count not
    known): an empty result must never look like a clean one. Every note with its
    location (a column as wide as the longest, so none is broken and the messages line
    up), up to NOTES_MAX; the rest are counted (the JSON report has them all)."""
    notes = list(getattr(result, "notes", None) or [])
    if not notes:
        return
    console.print(Text(f"Notes ({len(notes)})", style="bold"))
    shown = notes[:NOTES_MAX]
    wheres = [_note_where(note, result.source) for note in shown]
    where_w = max(len(w) for w in wheres)
    grid = Table.grid(padding=(0, 2))
    if where_w and where_w + 2 + MESSAGE_MIN <= console.width - 2:
        grid.add_column(no_wrap=True, width=where_w, style="dim")
        grid.add_column(ratio=1, overflow="fold")
        for where, note in zip(wheres, shown, strict=True):
            grid.add_row(where, str(getattr(note, "message", note)))
    else:  # too narrow for two columns: the location above its message
        grid.add_column(ratio=1, overflow="fold")
        for where, note in zip(wheres, shown, strict=True):
            if where:
                grid.add_row(Text(where, style="dim"))
            grid.add_row(str(getattr(note, "message", note)))
    console.print(Padding(grid, (0, 0, 0, 2)))
    if len(notes) > len(shown):
        console.print(Padding(Text(f"... and {len(notes) - len(shown)} more (all of them "
                                   "are in --format json)", style="dim"), (0, 0, 0, 2),
                              expand=False))


def _note_where(note: Any, source: str) -> str:
    """A note's location; none for a note about the whole input (the importers place
    those, such as the count of wiring resources read as edges, at 1:1 of the input
    itself, a position that would point at nothing in a directory)."""
    path = str(getattr(note, "path", "") or "")
    if (not path or path == source) and (getattr(note, "line", 0), getattr(note, "column", 0)) \
            in ((1, 1), (0, 0)):
        return ""
    return common.short_location(note, source)


def _summary(console: Console, report: Any) -> None:
    s = report.summary()
    sev = s["by_severity"]
    line = Text(f"{s['files']} file(s), {s['findings']} finding(s): ")
    parts = [(f"{sev.get(k, 0)} {k}", SEVERITY_STYLE[k]) for k in SEVERITIES]
    for i, (word, style) in enumerate(parts):
        line.append(word, style=style if sev.get(word.split()[1], 0) else "")
        if i < len(parts) - 1:
            line.append(", ")
    if s.get("errors"):
        line.append(f"; {s['errors']} file(s) with input errors", style="red")
    if s.get("skipped"):
        line.append(f"; {s['skipped']} skipped")
    if any(common.has_estimates(r) for r in report.results):
        line.append(
            f"; cost change {common.figures.signed_money(s.get('cost_delta_usd_month'))}/month"
        )
        savings = common.savings_text(s)
        if savings:
            line.append(f"; {savings}")
    console.print(line)
