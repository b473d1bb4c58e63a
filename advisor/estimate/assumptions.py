"""Assumptions: every value an estimate used that nobody stated.

A cost or latency figure is only as good as the workload behind it. Whenever the
estimator falls back on a default (the entry rate, a payload size, the bytes a function
logs, the share of responses that leave AWS, a KMS key per encrypted resource, a peak
factor), it records an `Assumption`: what was assumed, for which nodes, the value and
unit, where the default comes from, and how to state it instead. Writers show them next
to the totals; `assumption_rows(before, after)` is the one call a report or the app needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.estimate.data import default_value, model_default


@dataclass(frozen=True)
class Assumption:
    """One defaulted value and what it drives."""

    id: str  # stable key, e.g. "workload.requests", "lambda.log_bytes"
    text: str  # one sentence a reader understands
    value: Any = None
    unit: str = ""
    nodes: tuple[str, ...] = ()
    source: str = ""
    weak: bool = False
    state: str = ""  # how to state it instead (DSL prop / usage-file key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.value is not None:
            out["value"] = self.value
        if self.unit:
            out["unit"] = self.unit
        if self.nodes:
            out["nodes"] = list(self.nodes)
        if self.source:
            out["source"] = self.source
        if self.weak:
            out["weak"] = True
        if self.state:
            out["state"] = self.state
        return out


@dataclass
class Assumptions:
    """Collects assumptions during one estimate; the same id for several nodes merges."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, id: str, text: str, *, nodes: tuple[str, ...] | list[str] = (),
            value: Any = None, unit: str = "", source: str = "", weak: bool = False,
            state: str = "") -> None:
        entry = self.items.get(id)
        if entry is None:
            self.items[id] = {"text": text, "value": value, "unit": unit, "source": source,
                              "weak": weak, "state": state, "nodes": set(nodes)}
        else:
            entry["nodes"].update(nodes)

    def default(self, section: str, name: str, text: str, *, nodes: tuple[str, ...] | list[str] = (),
                state: str = "") -> Any:
        """Record that the data default `section.name` (data/defaults.yaml) was used and
        return its value."""
        spec = model_default(section, name)
        self.add(f"{section}.{name}", text, nodes=nodes, value=spec["value"],
                 unit=str(spec.get("unit", "")), source=str(spec.get("source", "")),
                 weak=bool(spec.get("weak", False)), state=state)
        return spec["value"]

    def to_list(self) -> list[Assumption]:
        return [
            Assumption(id=k, text=v["text"], value=v["value"], unit=v["unit"],
                       nodes=tuple(sorted(v["nodes"])), source=v["source"], weak=v["weak"],
                       state=v["state"])
            for k, v in sorted(self.items.items())
        ]


class Unrecorded(Assumptions):
    """The assumptions of an estimate that gives totals only (an alternative's
    incremental estimate, advisor/estimate/incremental.py): the defaults it falls back on
    are returned as `Assumptions` returns them, and nothing is recorded, since nothing
    reads them (the full estimates of the before and after designs state them)."""

    def add(self, id: str, text: str, *, nodes: tuple[str, ...] | list[str] = (),
            value: Any = None, unit: str = "", source: str = "", weak: bool = False,
            state: str = "") -> None:
        return None

    def default(self, section: str, name: str, text: str, *, nodes: tuple[str, ...] | list[str] = (),
                state: str = "") -> Any:
        return default_value(section, name)


def assumption_rows(before: Any, after: Any = None) -> list[dict[str, Any]]:
    """The assumptions behind a before/after pair of estimates, for a report or the app:
    one row per assumption (`id`, `text`, `value`, `unit`, `nodes`, `source`, `weak`,
    `state`) with `sides` = "both", "before" or "after". Either estimate may be None."""
    rows: dict[str, dict[str, Any]] = {}
    for side, est in (("before", before), ("after", after)):
        for a in getattr(est, "assumptions", None) or ():
            row = rows.get(a.id)
            if row is None:
                rows[a.id] = {**a.to_dict(), "sides": side}
            else:
                row["sides"] = "both"
                nodes = sorted(set(row.get("nodes", [])) | set(a.nodes))
                if nodes:
                    row["nodes"] = nodes
    return [rows[k] for k in sorted(rows)]


def assumption_line(row: dict[str, Any], max_nodes: int = 4) -> str:
    """`text (nodes: a, b, +3 more) [weak]`: one line for the text and Markdown writers."""
    nodes = list(row.get("nodes") or [])
    where = ""
    if nodes:
        shown = ", ".join(nodes[:max_nodes])
        more = f", +{len(nodes) - max_nodes} more" if len(nodes) > max_nodes else ""
        where = f" ({shown}{more})"
    side = "" if row.get("sides", "both") == "both" else f" [{row['sides']} only]"
    weak = " [judgement]" if row.get("weak") else ""
    return f"{row['text']}{where}{side}{weak}"


def _count(x: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= step:
            return f"{x / step:.3g}{suffix}"
    return f"{x:.3g}"


def _size(b: float) -> str:
    for suffix, step in (("MB", 1024.0**2), ("KB", 1024.0)):
        if b >= step:
            return f"{b / step:.3g} {suffix}"
    return f"{b:.0f} B"


SOURCE_WORDS = {"design": "stated in the design", "--requests": "from --requests",
                "default": "assumed: nothing stated"}


def workload_text(summary: dict[str, Any]) -> str:
    """`workload: 50M requests/month at browser, 2 KB per request (stated in the design)`:
    the workload an estimate priced, whether or not it was stated."""
    if not summary:
        return "workload: not estimated"
    entries = list(summary.get("entries") or [])
    shown = ", ".join(entries[:3]) + (f" +{len(entries) - 3} more" if len(entries) > 3 else "")
    where = f" shared by {shown}" if len(entries) > 1 else f" at {shown}" if entries else ""
    text = (f"workload: {_count(float(summary.get('requests_month', 0)))} requests/month{where} "
            f"({SOURCE_WORDS.get(str(summary.get('requests_source')), '')}), "
            f"{_size(float(summary.get('payload_bytes', 0)))} per request "
            f"({SOURCE_WORDS.get(str(summary.get('payload_source')), '')})")
    return text


def assumptions_for(result: Any) -> dict[str, Any]:
    """Everything a report or the app shows about what an analysed file's estimates rest
    on, in one call: {"workload": text, "rows": assumption_rows(before, after)}."""
    before = getattr(result, "before_estimate", None)
    after = getattr(result, "after_estimate", None)
    if before is None and after is None:
        return {"workload": "", "rows": []}
    first = before if before is not None else after
    return {"workload": workload_text(getattr(first, "workload_summary", None) or {}),
            "rows": assumption_rows(before, after)}


__all__ = ["Assumption", "Assumptions", "Unrecorded", "assumption_line", "assumption_rows", "assumptions_for",
           "workload_text"]
