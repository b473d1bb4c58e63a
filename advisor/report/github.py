"""A pull-request comment (`advisor analyze --format github`): Markdown GitHub renders.

Per file: the findings (severity, rule, where, the applied fix), the cost and latency
table, a Mermaid diagram of the change (advisor.report.mermaid draws it; removed and
added components listed under it), and the patch `advisor fix` would make, in a
collapsed `<details>` block, with what could not be patched and why. Files without
findings are counted in the header, not repeated. docs/ci.md has the workflow that posts
this as a comment.

The patch is computed from the analysis already made (advisor.fix.fix_result): no file
is written. `verify=True` (option) runs the fix checks too and says which one failed.
"""

from __future__ import annotations

from typing import Any

from advisor.report import common, mermaid
from advisor.report.markdown import cell, code

MARKER = "<!-- archadvisor -->"  # lets a workflow find and update its own comment


def write(report: Any, *, verify: bool = False, title: str | None = None, **_: Any) -> str:
    results = list(report.results)
    summary = report.summary()
    lines = [MARKER, f"## {title or 'archadvisor'}", ""]
    lines.append(
        f"{summary['files']} file(s), {summary['findings']} finding(s) "
        f"({summary['by_severity']['error']} error, {summary['by_severity']['warning']} "
        f"warning, {summary['by_severity']['info']} info)"
        + (f", {summary['errors']} with input errors" if summary["errors"] else "") + "."
    )
    lines.append("")
    quiet = [r for r in results if not r.errors and not r.findings]
    for r in results:
        if r in quiet:
            continue
        lines += _file(r, verify)
    if quiet:
        lines.append(f"<sub>No findings in {len(quiet)} other file(s).</sub>")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _file(r: Any, verify: bool) -> list[str]:
    out = [f"### {code(r.source)}", ""]
    if r.errors:
        for e in r.errors:
            out.append(f"- :x: {code(f'{e.path}:{e.line}:{e.column}')} {e.message}")
        out.append("")
        return out
    icons = {"error": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}
    out += ["| | Rule | Where | Finding | Fix |", "|---|---|---|---|---|"]
    for f in sorted(r.findings, key=common.finding_key):
        fix = ""
        if f.auto == "default" and f.auto_alternative is not None:
            fix = "applied: " + f.alternatives[f.auto_alternative].title
        elif f.alternatives:
            fix = "option: " + f.alternatives[0].title
        where = common.short_location(f.location, r.source) if f.location else ""
        out.append(f"| {icons.get(f.severity, '')} | {code(f.rule)} | {cell(where)} | "
                   f"{cell(f.message)} | {cell(fix)} |")
    out.append("")
    if common.has_estimates(r) and r.changes:
        out += ["| | Before | After | Delta | |", "|---|---:|---:|---:|---:|"]
        for metric, before, after, delta, pct in common.rows(r):
            out.append(f"| {metric} | {before} | {after} | **{delta}** | {pct} |")
        out.append("")
    if r.changes and r.before is not None and r.after is not None:
        out += _diagram(r)
        out += _patch(r, verify)
    return out


def _diagram(r: Any) -> list[str]:
    before, after = set(r.before.graph.nodes), set(r.after.graph.nodes)
    draw = getattr(mermaid, "diff_diagram", None)
    text = draw(r.before, r.after) if callable(draw) else mermaid.diagram(r.after)
    out = ["```mermaid", text.rstrip(), "```", ""]
    removed, added = sorted(before - after), sorted(after - before)
    if removed:
        out.append("Removed: " + ", ".join(code(n) for n in removed))
    if added:
        out.append("Added: " + ", ".join(code(n) for n in added))
    if removed or added:
        out.append("")
    return out


def _patch(r: Any, verify: bool) -> list[str]:
    from advisor.fix import fix_result

    fix = fix_result(r, verify=verify)
    patched = [x for x in fix.rewrites if x.status == "patched"]
    out: list[str] = []
    diff = fix.diff()
    if diff:
        verdict = {True: ", verified", False: ", not verified", None: ""}[fix.verified]
        fence = "````" if "```" in diff else "```"
        out += [f"<details><summary>Patch: {len(patched)} of {len(fix.rewrites)} rewrite(s)"
                f"{verdict} (<code>advisor fix {cell(r.source)}</code>)</summary>", "",
                f"{fence}diff", diff.rstrip("\n"), fence, ""]
        if fix.verified is False:
            for name, result in fix.checks.items():
                if result != "ok":
                    out.append(f"- check `{name}` failed: {cell(result)}")
        out += ["</details>", ""]
    if fix.errors and not diff:
        out += [f"No patch: {cell(fix.errors[0])}", ""]
        return out
    missing = [x for x in fix.rewrites if x.status != "patched"]
    if missing:
        out.append("Not patched (change these by hand):")
        out.append("")
        out += [f"- {code(x.finding)}: {x.reason}" for x in missing]
        out.append("")
    notes = sorted({n for x in patched for n in x.notes})
    out += [f"> {n}" for n in notes] + ([""] if notes else [])
    return out
