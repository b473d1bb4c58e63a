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
from rich.table import Table
from rich.text import Text

from advisor.report import common

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _color(color: bool | None) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def write(report: Any, *, color: bool | None = None, width: int | None = None, **_: Any) -> str:
    use_color = _color(color)
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=use_color,
        no_color=not use_color,
        color_system="standard" if use_color else None,
        width=width
        or (os.get_terminal_size().columns if use_color and sys.stdout.isatty() else 100),
        highlight=False,
        emoji=False,
    )
    for result in report.results:
        _result(console, result)
    _summary(console, report)
    return buf.getvalue()


def _result(console: Console, result: Any) -> None:
    console.rule(Text(f"{result.source} ({result.format})", style="bold"), align="left")
    for err in getattr(result, "errors", []):
        render = getattr(err, "render", None)
        console.print(Text(render() if render else str(err), style="red"))
    if getattr(result, "errors", None):
        console.print()
        return
    findings = list(getattr(result, "findings", []))
    if not findings:
        console.print(Text("no findings", style="green"))
    for pillar, items in common.by_pillar(findings):
        table = Table(
            title=common.pillar_title(pillar),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            expand=False,
            title_style="bold",
        )
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("line", no_wrap=True)
        table.add_column("finding", ratio=1)
        for f in items:
            loc = f.location
            if loc is not None and getattr(loc, "path", None) == result.source:
                where = f"{loc.line}:{loc.column}"  # the file is in the heading
            else:
                where = common.location_text(loc)
            where = where or ", ".join(f.nodes)
            msg = Text(f.message)
            if getattr(f, "likely", False):
                msg.append(" (likely)", style="dim")
            for alt in getattr(f, "alternatives", []) or []:
                msg.append(f"\n- fix: {alt.title} ({common.alt_delta_text(alt)})", style="dim")
            table.add_row(
                Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")), f.rule, where, msg
            )
        console.print(table)
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
    changes = list(getattr(result, "changes", []))
    if changes:
        console.print(Text("Changes applied", style="bold"))
        for c in changes:
            console.print(f"  {common.change_text(c)}", soft_wrap=True, highlight=False)
    console.print()


def _summary(console: Console, report: Any) -> None:
    s = report.summary()
    sev = s["by_severity"]
    line = Text(f"{s['files']} file(s), {s['findings']} finding(s): ")
    parts = [(f"{sev.get(k, 0)} {k}", SEVERITY_STYLE[k]) for k in ("error", "warning", "info")]
    for i, (word, style) in enumerate(parts):
        line.append(word, style=style if sev.get(word.split()[1], 0) else "")
        if i < len(parts) - 1:
            line.append(", ")
    if s.get("errors"):
        line.append(f"; {s['errors']} file(s) with input errors", style="red")
    if any(common.has_estimates(r) for r in report.results):
        line.append(
            f"; cost change {common.figures.signed_money(s.get('cost_delta_usd_month'))}/month"
        )
    console.print(line)
