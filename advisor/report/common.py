"""What every writer needs from a Report: findings grouped by pillar, totals, rule docs.

Writers only read a `Report` (docs/internals.md): its results, and its `rules` for rule
documentation. Findings, changes and estimates are read by attribute with defaults, so a
writer keeps working when the engine adds fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from advisor.render import figures
from advisor.vocabulary import PILLARS, severity_rank

PILLAR_TITLES = {
    "operational-excellence": "Operational excellence",
    "security": "Security",
    "reliability": "Reliability",
    "performance-efficiency": "Performance efficiency",
    "cost-optimization": "Cost optimization",
    "sustainability": "Sustainability",
}


def pillar_title(pillar: str) -> str:
    return PILLAR_TITLES.get(pillar, pillar.replace("-", " ").capitalize())


def finding_key(f: Any) -> tuple[Any, ...]:
    """Worst severity first, then the largest saving at stake, then by location."""
    loc = getattr(f, "location", None)
    where = (getattr(loc, "line", 0) or 0, getattr(loc, "column", 0) or 0) if loc else (1 << 30, 0)
    return (
        severity_rank(getattr(f, "severity", "info")),
        -float(getattr(f, "stake_usd_month", 0.0) or 0.0),
        *where,
        str(getattr(f, "rule", "")),
        tuple(getattr(f, "nodes", ()) or ()),
    )


def by_pillar(findings: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    """(pillar, findings) in the Well-Architected order; worst severity first within."""
    groups: dict[str, list[Any]] = {}
    for f in findings:
        groups.setdefault(str(getattr(f, "pillar", "other")), []).append(f)
    order = [p for p in PILLARS if p in groups] + sorted(p for p in groups if p not in PILLARS)
    return [(p, sorted(groups[p], key=finding_key)) for p in order]


def location_text(loc: Any) -> str:
    if loc is None:
        return ""
    return f"{getattr(loc, 'path', '')}:{getattr(loc, 'line', 0)}:{getattr(loc, 'column', 0)}"


def short_location(loc: Any, source: str) -> str:
    """Where a finding is, as short as its result's heading allows.

    `line:col` when it is in the source file itself (the heading names it); a path
    relative to the source when the source is a folder (a Terraform module) or to the
    source file's folder (a nested template); else the file's basename. Pure string
    work: a writer never looks at the file system.
    """
    if loc is None:
        return ""
    where = f"{getattr(loc, 'line', 0)}:{getattr(loc, 'column', 0)}"
    path = str(getattr(loc, "path", "") or "")
    if not path or path == source:
        return where
    target = PurePath(path)
    for base in (PurePath(source), PurePath(source).parent):
        if str(base) in ("", "."):
            continue
        try:
            rel = target.relative_to(base)
        except ValueError:
            continue
        return f"{rel.as_posix()}:{where}"
    return f"{target.name}:{where}"


def likely_mark(finding: Any) -> bool:
    """Whether a writer should add "(likely)": the finding is inferred from structure
    alone and its message does not already say so (the engine's messages do)."""
    if not getattr(finding, "likely", False):
        return False
    return "(likely" not in str(getattr(finding, "message", "") or "")


def alt_delta_text(alt: Any) -> str:
    """`cost -$12.30/month · latency -55.0 ms` (or `not estimated`)."""
    cost = getattr(alt, "cost_delta_usd_month", None)
    lat = getattr(alt, "latency_delta_ms", None)
    if cost is None and lat is None:
        return "not estimated"
    if round(cost or 0.0, 2) == 0 and round(lat or 0.0, 1) == 0:
        return "no cost or latency change"
    return f"cost {figures.signed_money(cost)}/month · latency {figures.signed_ms(lat)}"


def rows(result: Any) -> list[tuple[str, str, str, str, str]]:
    """Before/after/delta rows (metric, before, after, delta, percent) of one result."""
    b = figures.totals(getattr(result, "before_estimate", None))
    a = figures.totals(getattr(result, "after_estimate", None))
    out = [
        (
            "Monthly cost",
            figures.money(b["monthly_usd"]),
            figures.money(a["monthly_usd"]),
            figures.signed_money(figures.delta(b["monthly_usd"], a["monthly_usd"])),
            figures.percent(b["monthly_usd"], a["monthly_usd"]),
        )
    ]
    for key in figures.LATENCY_KEYS:
        out.append(
            (
                figures.LATENCY_WORDS[key].capitalize(),
                figures.ms(b[key]),
                figures.ms(a[key]),
                figures.signed_ms(figures.delta(b[key], a[key])),
                figures.percent(b[key], a[key]),
            )
        )
    return out


def has_estimates(result: Any) -> bool:
    return getattr(result, "before_estimate", None) is not None


def node_cost_rows(result: Any) -> list[tuple[str, str, float | None, float | None]]:
    """(node, status, before usd, after usd) for every node with a cost on either side,
    biggest change first: the `infracost diff`-style resource list."""
    b = dict(getattr(getattr(result, "before_estimate", None), "by_node", None) or {})
    a = dict(getattr(getattr(result, "after_estimate", None), "by_node", None) or {})
    out = []
    for name in sorted(set(b) | set(a)):
        before, after = b.get(name), a.get(name)
        status = (
            "-"
            if after is None
            else "+"
            if before is None
            else "~"
            if round(before - after, 4)
            else " "
        )
        out.append((name, status, before, after))
    out.sort(key=lambda r: (-abs((r[3] or 0.0) - (r[2] or 0.0)), r[0]))
    return out


def change_text(change: Any) -> str:
    nodes = ", ".join(getattr(change, "nodes", ()) or ())
    detail = getattr(change, "detail", "") or ""
    text = f"{getattr(change, 'rule', '')}: {getattr(change, 'action', '')} {nodes}".strip()
    return f"{text} ({detail})" if detail else text


def arch_name(result: Any) -> str:
    arch = getattr(result, "before", None)
    return getattr(arch, "name", None) or str(getattr(result, "source", ""))


def rule_doc(report: Any, rule: str, finding: Any = None) -> dict[str, Any]:
    """Title, description, rationale, references and pillar/severity of a rule, from the
    report's rule docs (`Report.rules`) when it documents the rule, else from the finding."""
    p = (getattr(report, "rules", None) or {}).get(rule) or {}
    refs = list(p.get("references") or getattr(finding, "references", ()) or [])
    return {
        "id": rule,
        "title": str(p.get("title") or getattr(finding, "title", None) or rule),
        "description": str(
            p.get("description") or getattr(finding, "description", "") or ""
        ),
        "rationale": str(p.get("rationale") or ""),
        "references": [str(r) for r in refs],
        "pillar": str(p.get("pillar") or getattr(finding, "pillar", "") or ""),
        "severity": str(p.get("severity") or getattr(finding, "severity", "warning")),
    }


def known_rules(report: Any) -> list[str]:
    """Every rule the report documents, sorted."""
    return sorted(getattr(report, "rules", None) or {})


def evidence_lines(finding: Any) -> list[str]:
    """`sdk-call: dynamodb.put_item(TableName, Item) (src/app.py:8)`, one per item of a
    finding's evidence (glue: the handler's call and what it does to the data)."""
    out = []
    for e in getattr(finding, "evidence", None) or ():
        path, line = e.get("path"), e.get("line")
        at = f"{path}:{line}" if path and line else f"line {line}" if line else str(path or "")
        out.append(f"{e.get('kind')}: {e.get('detail')}" + (f" ({at})" if at else ""))
    return out


def alternative_notes(alt: Any) -> list[str]:
    """What a writer says under an alternative: why it is refused (which invariant),
    what it changes, what the user must add."""
    out = []
    for v in getattr(alt, "violations", None) or ():
        out.append(f"not applicable: invariant {v.get('invariant')}: {v.get('why')}")
    if getattr(alt, "refused", None) and not getattr(alt, "violations", None):
        out.append(f"not applicable: {alt.refused}")
    for aspect, text in sorted((getattr(alt, "what_changes", None) or {}).items()):
        out.append(f"changes {aspect}: {text}")
    for m in getattr(alt, "must_add", None) or ():
        mark = " (changes what the system does)" if m.get("changes_behaviour") else ""
        out.append(f"must add: {m.get('detail')}{mark}")
    return out


def blocked_rows(result: Any) -> list[tuple[str, str, str, str]]:
    """(rule, where, nodes, reason) of what rules would have flagged but for a reason."""
    rows = []
    for b in getattr(result, "blocked", None) or ():
        where = short_location(getattr(b, "location", None), str(getattr(result, "source", "")))
        rows.append((str(b.rule), where, ", ".join(b.nodes), str(b.reason)))
    return rows


def savings_text(summary: dict[str, Any]) -> str:
    """`savings applied $12.30/month, available $29,728.00/month (offered, not applied)`."""
    applied = summary.get("applied_savings_usd_month")
    available = summary.get("available_savings_usd_month")
    if applied is None and available is None:
        return ""
    return (f"savings applied {figures.money(applied or 0.0)}/month, available"
            f" {figures.money(available or 0.0)}/month (offered, not applied)")
