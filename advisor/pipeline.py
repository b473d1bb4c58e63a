"""The one-way pipeline: source -> Architecture -> engine -> estimates -> Report.

`analyze_source` runs one input end to end and never raises for bad input: problems
become `errors` on the FileResult, so a batch can go on. Writers (advisor.report) only
read a `Report`; the JSON contract of DESIGN.md is `Report.to_dict()`.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError, Diagnostic

if TYPE_CHECKING:  # imported lazily: a rerun served from the result cache never needs it
    from advisor.model import Architecture

SCHEMA_VERSION = 1
SEVERITIES = ("error", "warning", "info")
PILLARS = (
    "operational-excellence",
    "security",
    "reliability",
    "performance-efficiency",
    "cost-optimization",
    "sustainability",
)


@dataclass
class Options:
    """What a run was asked to do (CLI flags and configuration merged)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    pattern_dirs: tuple[str, ...] = ()
    apply: str = "default"  # "default" (confirmed only), "all" (likely glue too), "none"
    region: str = "us-east-1"
    requests: float | None = None  # overrides the workload's entry rate (per month)
    estimates: bool = True
    # used only where a design states no workload of its own (configuration defaults)
    workload_defaults: dict[str, float] = field(default_factory=dict)


@dataclass
class FileResult:
    """Everything known about one input; `before`/`after` are None when it did not parse."""

    source: str
    format: str = "unknown"
    errors: list[Diagnostic] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # advisor.engine.Finding
    before: Architecture | None = None
    after: Architecture | None = None
    before_estimate: Any = None  # advisor.estimate.Estimate
    after_estimate: Any = None
    changes: list[Any] = field(default_factory=list)  # advisor.engine.Change
    notes: list[Diagnostic] = field(default_factory=list)  # info from importers
    # why the input was looked at but not analysed ("not a template (...)", "not a
    # regular file (a named pipe)"); a skipped input is neither an error nor clean
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "format": self.format,
            "errors": [e.to_dict() for e in self.errors],
            "findings": [f.to_dict() for f in self.findings],
            "before": _side(self.before, self.before_estimate),
            "after": _side(self.after, self.after_estimate),
            "changes": [c.to_dict() for c in self.changes],
        }
        if self.notes:
            out["notes"] = [n.to_dict() for n in self.notes]
        if self.skipped:
            out["skipped"] = self.skipped
        return out


def _side(arch: Architecture | None, est: Any) -> dict[str, Any] | None:
    if arch is None:
        return None
    side: dict[str, Any] = arch.to_dict()
    if est is not None:
        side.update(est.to_dict())
    return side


@dataclass
class Report:
    """Results of a run, in input order, with a summary."""

    results: list[FileResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_sev: Counter[str] = Counter()
        by_pillar: Counter[str] = Counter()
        cost_delta = 0.0
        for r in self.results:
            for f in r.findings:
                by_sev[f.severity] += 1
                by_pillar[f.pillar] += 1
            if r.before_estimate is not None and r.after_estimate is not None:
                cost_delta += r.after_estimate.monthly_usd - r.before_estimate.monthly_usd
        return {
            "files": len(self.results),
            "errors": sum(1 for r in self.results if r.errors),
            "skipped": sum(1 for r in self.results if getattr(r, "skipped", None)),
            "findings": sum(len(r.findings) for r in self.results),
            "by_severity": {s: by_sev.get(s, 0) for s in SEVERITIES},
            "by_pillar": {p: by_pillar[p] for p in PILLARS if by_pillar.get(p)},
            "cost_delta_usd_month": round(cost_delta, 2),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "results": [r.to_dict() for r in self.results],
            "summary": self.summary(),
        }


def load_architecture(path: str, text: str | None = None) -> Architecture:
    """Read a DSL file or a template (detected by content); raises AdvisorError."""
    try:
        from advisor.importers import load_any
    except ImportError:  # importers not installed: DSL only
        from advisor.dsl import parse_file, parse_text

        return parse_text(text, path) if text is not None else parse_file(path)
    return load_any(path, text)


@functools.cache
def _engine(pattern_dirs: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]) -> Any:
    """One engine per pattern set for the whole run: a batch of many files reads the
    user's pattern packs once, not once per file."""
    from advisor.engine import Engine

    return Engine.default(extra_dirs=pattern_dirs, select=select, ignore=ignore)


def analyze_architecture(arch: Architecture, options: Options, result: FileResult) -> FileResult:
    """Engine and estimates on an already-built architecture."""
    from advisor.engine import estimate_judge
    from advisor.estimate import attach_alternative_deltas, estimate

    engine = _engine(tuple(options.pattern_dirs), tuple(options.select), tuple(options.ignore))
    # the judge keeps default rewrites of cost/performance rules that would cost more and
    # not be faster from being applied (the finding stays, with a note)
    judge = estimate_judge(estimate, region=options.region, requests=options.requests)
    outcome = engine.run(arch, apply=options.apply, judge=judge)
    result.before = arch
    result.findings = list(outcome.findings)
    result.after = outcome.after
    result.changes = list(outcome.changes)
    if options.estimates:
        result.before_estimate = estimate(arch, region=options.region, requests=options.requests)
        result.after_estimate = estimate(
            outcome.after, region=options.region, requests=options.requests
        )
        attach_alternative_deltas(
            arch, result.findings, result.before_estimate, region=options.region,
            requests=options.requests, reuse_judged=True,
        )
    return result


def analyze_source(path: str, options: Options | None = None, text: str | None = None) -> FileResult:
    """One input end to end. Input problems become `errors`; nothing is raised for them."""
    options = options or Options()
    result = FileResult(source=path)
    try:
        arch = load_architecture(path, text)
    except AdvisorError as exc:
        from advisor.importers import guess_format

        result.errors = list(exc.diagnostics)
        result.format = guess_format(path)
        return result
    for key, value in options.workload_defaults.items():
        arch.workload.setdefault(key, value)
    result.format = arch.format
    result.notes = [n for n in arch.notes if isinstance(n, Diagnostic)]
    return analyze_architecture(arch, options, result)
