"""The Markdown report for design docs and pull requests.

Reads like `infracost diff`: a summary table (cost and latency before / after / delta),
the per-component cost change, then findings grouped by pillar with their alternatives
and deltas, the change log, and links to the diagrams.

`diagrams` (option): {"before": href, "after": href, "diff": href, ...} for a single
result, or a callable result -> that dict; without it the diagram section is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from advisor.render import figures
from advisor.report import common
from advisor.vocabulary import SEVERITIES

DIAGRAM_TITLES = {
    "before": "Before",
    "after": "After",
    "diff": "What changed",
    "compare": "Side by side",
}


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def code(text: Any) -> str:
    text = str(text).replace("`", "'")
    return f"`{text}`"


def write(
    report: Any,
    *,
    diagrams: Mapping[str, str] | Callable[[Any], Mapping[str, str]] | None = None,
    title: str | None = None,
    **_: Any,
) -> str:
    results = list(report.results)
    lines: list[str] = []
    single = len(results) == 1
    if single:
        lines.append(f"# {title or 'Architecture review: ' + common.arch_name(results[0])}")
        lines.append("")
        lines += _result(results[0], level=2, diagrams=_links(diagrams, results[0]),
                         report=report)
    else:
        lines.append(f"# {title or 'Architecture review'}")
        lines.append("")
        lines += _overview(report)
        for r in results:
            lines.append(f"## {code(r.source)}")
            lines.append("")
            lines += _result(r, level=3, diagrams=_links(diagrams, r), report=report)
    return "\n".join(lines).rstrip() + "\n"


def _links(diagrams: Any, result: Any) -> Mapping[str, str]:
    if diagrams is None:
        return {}
    return diagrams(result) if callable(diagrams) else diagrams


def _overview(report: Any) -> list[str]:
    s = report.summary()
    out = ["## Summary", ""]
    out.append(
        f"{s['files']} files, {s['findings']} findings "
        f"({', '.join(f'{n} {k}' for k, n in s['by_severity'].items())}); "
        f"cost change {figures.signed_money(s.get('cost_delta_usd_month'))}/month; "
        f"{common.savings_text(s)}."
    )
    out.append("")
    out.append("| File | Findings | Cost before | Cost after | Delta |")
    out.append("|---|---:|---:|---:|---:|")
    for r in report.results:
        b = figures.totals(r.before_estimate)["monthly_usd"]
        a = figures.totals(r.after_estimate)["monthly_usd"]
        status = "input errors" if r.errors else "skipped" if getattr(r, "skipped", None) \
            else str(len(r.findings))
        out.append(
            f"| {cell(r.source)} | {status} | {figures.money(b)} | {figures.money(a)} | "
            f"{figures.signed_money(figures.delta(b, a))} |"
        )
    out.append("")
    return out


def _assumptions(result: Any) -> list[str]:
    """The workload the estimate priced and every default it assumed, under the totals."""
    told = result.assumptions
    out = [f"{told['workload'][:1].upper()}{told['workload'][1:]}.", ""]
    if told["rows"]:
        out += ["Assumptions behind these figures:", ""]
        for row in told["rows"]:
            how = f" (state it with {row['state']})" if row.get("state") else ""
            out.append(f"- {row['line']}{how}")
        out.append("")
    return out


def _result(result: Any, *, level: int, diagrams: Mapping[str, str],
            report: Any = None) -> list[str]:
    """One result's section; `report`: for its rule docs (references)."""
    h = "#" * level
    out: list[str] = []
    if getattr(result, "skipped", None):
        return [f"Skipped: {result.skipped}.", ""]
    if result.errors:
        out += [f"{h} Input errors", ""]
        for e in result.errors:
            hint = f" (hint: {e.suggestion})" if getattr(e, "suggestion", None) else ""
            out.append(f"- {code(f'{e.path}:{e.line}:{e.column}')}: {e.message}{hint}")
        out.append("")
        return out
    findings = list(result.findings)
    sev = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    out += [f"{h} Summary", ""]
    out.append(
        f"Source: {code(result.source)} ({result.format}). "
        f"{len(findings)} findings: {sev['error']} error, {sev['warning']} warning, "
        f"{sev['info']} info. {len(result.changes)} changes applied."
    )
    if common.has_estimates(result) and hasattr(result, "savings"):
        applied, available = result.savings()
        out[-1] += " " + common.savings_text({"applied_savings_usd_month": applied,
                                              "available_savings_usd_month": available
                                              }).capitalize() + "."
    out.append("")
    if common.has_estimates(result):
        out.append("| | Before | After | Delta | |")
        out.append("|---|---:|---:|---:|---:|")
        for metric, before, after, delta, pct in common.rows(result):
            out.append(f"| {metric} | {before} | {after} | **{delta}** | {pct} |")
        out.append("")
        cost_rows = [r for r in common.node_cost_rows(result) if r[1] != " "]
        if cost_rows:
            out.append("Cost by component (changed only):")
            out.append("")
            out.append("| | Component | Before | After | Delta |")
            out.append("|---|---|---:|---:|---:|")
            for name, status, before, after in cost_rows:
                d = figures.delta(before or 0.0, after or 0.0)
                out.append(
                    f"| {status} | {cell(name)} | {figures.money(before)} | "
                    f"{figures.money(after)} | {figures.signed_money(d)} |"
                )
            out.append("")
        out += _assumptions(result)
    else:
        out += ["No cost or latency estimate was made for this run.", ""]
    if diagrams:
        out += [f"{h} Diagrams", ""]
        for key in ("diff", "compare", "before", "after"):
            if key in diagrams:
                out.append(f"![{DIAGRAM_TITLES.get(key, key)}]({diagrams[key]})")
                out.append("")
        others = [k for k in sorted(diagrams) if k not in DIAGRAM_TITLES]
        for key in others:
            out += [f"[{key}]({diagrams[key]})", ""]
    out += [f"{h} Findings", ""]
    if not findings:
        out += ["No findings.", ""]
    for pillar, items in common.by_pillar(findings):
        out += [f"{h}# {common.pillar_title(pillar)}", ""]
        for f in items:
            where = common.location_text(f.location)
            likely = " (likely)" if common.likely_mark(f) else ""
            nodes = ", ".join(code(n) for n in f.nodes)
            out.append(f"- **{f.severity}** {code(f.rule)} {f.title}{likely}: {f.message}")
            detail = f"nodes {nodes}" + (f" at {code(where)}" if where else "")
            out.append(f"  - {detail}")
            for alt in getattr(f, "alternatives", []) or []:
                refused = getattr(alt, "refused", None)
                extra = f" (not applied: {refused})" if refused else ""
                out.append(f"  - Alternative: {alt.title}: {common.alt_delta_text(alt)}{extra}")
                for note in common.alternative_notes(alt):
                    if not note.startswith("not applicable"):
                        out.append(f"    - {note}")
            for line in common.evidence_lines(f):
                out.append(f"  - Evidence: {line}")
            refs = common.rule_doc(report, f.rule, f)["references"]
            if refs:
                out.append("  - See: " + ", ".join(f"<{r}>" for r in refs[:3]))
        out.append("")
    rows = common.blocked_rows(result) if getattr(report, "show_blocked", False) else []
    if rows:
        out += [f"{h} Blocked", ""]
        out += [f"- {code(rule)} {code(where or nodes)}: blocked by: {reason}"
                for rule, where, nodes, reason in rows]
        out.append("")
    out += [f"{h} Change log", ""]
    if result.changes:
        out.append("| Rule | Action | Nodes | Detail |")
        out.append("|---|---|---|---|")
        for c in result.changes:
            out.append(
                f"| {code(c.rule)} | {cell(c.action)} | {cell(', '.join(c.nodes))} | "
                f"{cell(getattr(c, 'detail', '') or '')} |"
            )
    else:
        out.append("No changes were applied.")
    out.append("")
    return out
