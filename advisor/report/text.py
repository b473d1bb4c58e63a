"""The terminal report: findings grouped by pillar and a before/after table.

Colours only when the output is a terminal (or `color=True`); NO_COLOR turns them off.
The writer returns a string, so the same text can be printed or captured in tests. The
layout (wrapping, columns, rules, colour codes) is advisor/report/textlayout.py's; this
module says what the report holds and where.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from advisor.report import common
from advisor.report.textcells import cell_len
from advisor.report.textlayout import Column, Page, Parts, Table, append, plain, text
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


def layout(color: bool | None = None, width: int | None = None) -> tuple[int, bool]:
    """(width, colour) the report is written with here: a batch worker, whose output is
    no terminal, is told them (`section`)."""
    return _width(width), _color(color)


def section(result: Any, width: int, color: bool, show_blocked: bool = False) -> str:
    """One result's part of the report, exactly as `write` prints it: batch workers write
    their files' sections, and the report only puts them together."""
    page = Page(width, color)
    _result(page, result, show_blocked)
    return page.getvalue()


def write(report: Any, *, color: bool | None = None, width: int | None = None,
          sections: list[str | None] | None = None, **_: Any) -> str:
    """The report; `sections[i]`, when given, is `section(results[i], ...)` at this
    page's width and colour."""
    page = Page(*layout(color, width))
    show = bool(getattr(report, "show_blocked", False))
    for i, result in enumerate(report.results):
        given = sections[i] if sections is not None else None
        if given is not None:
            page.raw(given)
        else:
            _result(page, result, show)
    _summary(page, report)
    return page.getvalue()


def _message(f: Any) -> Parts:
    msg = text(str(f.message))
    if common.likely_mark(f):
        append(msg, " (likely)", "dim")
    for alt in getattr(f, "alternatives", []) or []:
        append(msg, f"\n- fix: {alt.title} ({common.alt_delta_text(alt)})", "dim")
        for note in common.alternative_notes(alt):
            append(msg, f"\n    {note}", "dim")
    for line in common.evidence_lines(f):
        append(msg, f"\n- evidence: {line}", "dim")
    return msg


def _findings(page: Page, result: Any, findings: list[Any]) -> None:
    """One table per pillar, all with the same column widths (they line up), or, when
    the terminal is too narrow for a readable message column, one block per finding.
    A location (file:line:col), a CDK construct path and a rule id are never broken: the
    `where` column is as wide as the longest of them (in terminal cells), and when that
    leaves too little room for the message, the blocks give each its own line."""
    rows = [(f, f.severity, str(f.rule), _where(f, result)) for f in findings]
    sev_w = max(len("severity"), *(cell_len(r[1]) for r in rows))
    rule_w = max(len("rule"), *(cell_len(r[2]) for r in rows))
    where_w = max(len("where"), *(cell_len(line) for r in rows for line in r[3]))
    # 4 columns: 1 space of padding each side, plus the header box's edges
    message_w = page.width - (sev_w + rule_w + where_w) - 8
    by_finding = {id(r[0]): r for r in rows}
    columns = [Column("severity", width=sev_w, no_wrap=True),
               Column("rule", width=rule_w, no_wrap=True),
               Column("where", width=where_w, no_wrap=True),
               Column("finding", ratio=1, min_width=MESSAGE_MIN, overflow="fold")]
    for pillar, items in common.by_pillar(findings):
        if message_w < MESSAGE_MIN:
            page.print(text(common.pillar_title(pillar), "bold"))
            for f in items:
                _, sev, rule, where = by_finding[id(f)]
                _block(page, sev, rule, where)
                page.indented(_message(f), 4)
            continue
        table_rows = []
        for f in items:
            _, sev, rule, where = by_finding[id(f)]
            table_rows.append([text(sev, SEVERITY_STYLE.get(sev, "")), text(rule),
                               text("\n".join(where)), _message(f)])
        page.table(Table(columns, table_rows, title=text(common.pillar_title(pillar), "bold"),
                         expand=True))


def _block(page: Page, sev: str, rule: str, where: list[str]) -> None:
    """A finding's head in the narrow layout: `  severity  RULE  location` when it fits,
    else the location on its own line; a construct path always on its own line, indented
    under the head. Lines break between these, never inside one."""
    head = text("  ")
    append(head, sev, SEVERITY_STYLE.get(sev, ""))
    append(head, f"  {rule}")
    rest = list(where)
    if rest and cell_len(plain(head)) + 2 + cell_len(rest[0]) <= page.width:
        append(head, f"  {rest.pop(0)}")
    page.print(head)
    for line in rest:
        page.indented(text(line, "dim"), 4)


def _where(f: Any, result: Any) -> list[str]:
    """The template location, and below it the CDK construct path when there is one."""
    where = common.short_location(f.location, result.source) or ", ".join(f.nodes)
    construct = getattr(f, "construct_path", None)
    return [where, str(construct)] if construct else [where]


def _result(page: Page, result: Any, show: bool = False) -> None:
    title = text(f"{result.source} ({result.format})", "bold")
    if cell_len(title[0][0]) + 6 > page.width:  # a long path: whole, wrapped, then the rule
        page.print(title)
        page.rule(style="dim")
    else:
        page.rule(title)
    if getattr(result, "skipped", None):
        page.print(text(f"skipped: {result.skipped}", "dim"))
        page.blank()
        return
    for err in getattr(result, "errors", []):
        render = getattr(err, "render", None)
        page.print(text(render() if render else str(err), "red"))
    if getattr(result, "errors", None):
        page.blank()
        return
    findings = list(getattr(result, "findings", []))
    if not findings:
        page.print(text("no findings", "green"))
    else:
        _findings(page, result, findings)
    _notes(page, result)
    _blocked(page, result, show)
    if common.has_estimates(result):
        columns = [Column(col, justify="right" if col else "left")
                   for col in ("", "before", "after", "delta", "")]
        rows = []
        for metric, before, after, delta, pct in common.rows(result):
            style = "green" if delta.startswith("-") else "red" if delta.startswith("+") else ""
            rows.append([text(metric), text(before), text(after), text(delta, style), text(pct)])
        page.table(Table(columns, rows, title=text("Before / after", "bold")))
        _assumptions(page, result)
    changes = list(getattr(result, "changes", []))
    if changes:
        page.print(text("Changes applied", "bold"))
        for c in changes:
            page.indented(text(common.change_text(c)), 2)
    page.blank()


def _assumptions(page: Page, result: Any) -> None:
    """The workload the estimate priced and every default it assumed, under the totals."""
    told = result.assumptions
    page.print(text(told["workload"], "dim"))
    if told["rows"]:
        page.print(text("Assumptions", "bold"))
        for row in told["rows"]:
            page.indented(text(f"- {row['line']}"), 2)


def _blocked(page: Page, result: Any, show: bool) -> None:
    """`--show-blocked`: what a rule would have flagged, and what blocked it."""
    rows = common.blocked_rows(result) if show else []
    if not rows:
        return
    page.print(text(f"Blocked ({len(rows)})", "bold"))
    for rule, where, nodes, reason in rows:
        line = text(f"{rule}  ")
        append(line, f"{where or nodes}  ", "dim")
        append(line, f"blocked by: {reason}")
        page.indented(line, 2)


def _notes(page: Page, result: Any) -> None:
    """What the importer could not read or decided (a module not followed, a count not
    known): an empty result must never look like a clean one. Every note with its
    location (a column as wide as the longest, so none is broken and the messages line
    up), up to NOTES_MAX; the rest are counted (the JSON report has them all)."""
    notes = list(getattr(result, "notes", None) or [])
    if not notes:
        return
    page.print(text(f"Notes ({len(notes)})", "bold"))
    shown = notes[:NOTES_MAX]
    wheres = [_note_where(note, result.source) for note in shown]
    where_w = max(cell_len(w) for w in wheres)
    if where_w and where_w + 2 + MESSAGE_MIN <= page.width - 2:
        columns = [Column(width=where_w, no_wrap=True, style="dim"),
                   Column(ratio=1, overflow="fold")]
        rows = [[text(where), text(_note_text(note))]
                for where, note in zip(wheres, shown, strict=True)]
    else:  # too narrow for two columns: the location above its message
        columns = [Column(ratio=1, overflow="fold")]
        rows = []
        for where, note in zip(wheres, shown, strict=True):
            if where:
                rows.append([text(where, "dim")])
            rows.append([text(_note_text(note))])
    page.block(Table(columns, rows, boxed=False).render(page.width - 2), 2)
    if len(notes) > len(shown):
        page.indented(text(f"... and {len(notes) - len(shown)} more (all of them are in "
                           "--format json)", "dim"), 2)


def _note_text(note: Any) -> str:
    """A note's message with its hint, as an error shows it (a misspelt type's closest
    name, what to do about a module not read)."""
    message = str(getattr(note, "message", note))
    hint = getattr(note, "suggestion", None)
    return f"{message} (hint: {hint})" if hint else message


def _note_where(note: Any, source: str) -> str:
    """A note's location; none for a note about the whole input (the importers place
    those, such as the count of wiring resources read as edges, at 1:1 of the input
    itself, a position that would point at nothing in a directory)."""
    path = str(getattr(note, "path", "") or "")
    if (not path or path == source) and (getattr(note, "line", 0), getattr(note, "column", 0)) \
            in ((1, 1), (0, 0)):
        return ""
    return common.short_location(note, source)


def _summary(page: Page, report: Any) -> None:
    s = report.summary()
    sev = s["by_severity"]
    line = text(f"{s['files']} file(s), {s['findings']} finding(s): ")
    parts = [(f"{sev.get(k, 0)} {k}", SEVERITY_STYLE[k]) for k in SEVERITIES]
    for i, (word, style) in enumerate(parts):
        append(line, word, style if sev.get(word.split()[1], 0) else "")
        if i < len(parts) - 1:
            append(line, ", ")
    if s.get("errors"):
        append(line, f"; {s['errors']} file(s) with input errors", "red")
    if s.get("skipped"):
        append(line, f"; {s['skipped']} skipped")
    if any(common.has_estimates(r) for r in report.results):
        append(line, f"; cost change "
               f"{common.figures.signed_money(s.get('cost_delta_usd_month'))}/month")
        savings = common.savings_text(s)
        if savings:
            append(line, f"; {savings}")
    page.print(line)
