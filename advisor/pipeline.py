"""The one-way pipeline: source -> Architecture -> engine -> estimates -> Report.

`analyze_source` runs one input end to end and never raises for bad input: problems
become `errors` on the FileResult, so a batch can go on. Writers (advisor.report) only
read a `Report`; the JSON contract of DESIGN.md is `Report.to_dict()`.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import AdvisorError, Diagnostic
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
    usage_file: str | None = None  # an Infracost-format usage file (advisor.estimate.usage)
    # Terraform root variables: `--var-file FILE` paths and `--var NAME=VALUE` texts
    tf_var_files: tuple[str, ...] = ()
    tf_vars: tuple[str, ...] = ()


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
    # several stacks analyzed as one (advisor.system): {"kind", "stacks", "links"}
    system: dict[str, Any] | None = None

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
        if self.system:
            out["system"] = self.system
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


def load_architecture(
    path: str, text: str | None = None, *, var_files: tuple[str, ...] = (),
    var_values: tuple[str, ...] = (),
) -> Architecture:
    """Read a DSL file or a template (detected by content); raises AdvisorError.
    `var_files` / `var_values` are Terraform's `--var-file` / `--var NAME=VALUE`."""
    try:
        from advisor.importers import load_any
    except ImportError:  # importers not installed: DSL only
        from advisor.dsl import parse_file, parse_text

        return parse_text(text, path) if text is not None else parse_file(path)
    if var_files or var_values:
        return load_any(path, text, var_files=var_files, var_values=var_values)
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
    judge = estimate_judge(estimate, region=options.region, requests=options.requests,
                           usage=options.usage_file)
    outcome = engine.run(arch, apply=options.apply, judge=judge)
    result.before = arch
    result.findings = list(outcome.findings)
    _construct_paths(result.findings, arch)
    result.after = outcome.after
    result.changes = list(outcome.changes)
    if options.estimates:
        result.before_estimate = estimate(arch, region=options.region, requests=options.requests,
                                          usage=options.usage_file)
        result.after_estimate = estimate(
            outcome.after, region=options.region, requests=options.requests,
            usage=options.usage_file,
        )
        attach_alternative_deltas(
            arch, result.findings, result.before_estimate, region=options.region,
            requests=options.requests, reuse_judged=True, usage=options.usage_file,
        )
    return result


def _construct_paths(findings: list[Any], arch: Architecture) -> None:
    """CDK: each finding gets the construct path of the resource at its location (else
    of its first node), so it is reported beside the template line."""
    paths = arch.graph.graph.get("construct_paths")
    if not paths:
        return
    for f in findings:
        loc = f.location
        found = paths.get(f"{loc.path}:{loc.line}") if loc is not None else None
        if found is None and f.nodes and f.nodes[0] in arch.graph:
            found = arch.graph.nodes[f.nodes[0]].get("construct_path")
        if found:
            f.construct_path = found


def analyze_system(paths: list[str], options: Options | None = None,
                   source: str | None = None) -> list[FileResult]:
    """Templates analyzed as one system (advisor.system): one result for the system, plus
    one with the errors of each template that could not be read."""
    from advisor.system import load_system

    options = options or Options()
    system = load_system(paths, source=source)
    failed = [FileResult(source=e.diagnostics[0].path if e.diagnostics else "<system>",
                         format="cloudformation", errors=list(e.diagnostics))
              for e in system.errors]
    if system.arch is None:
        return failed
    arch = system.arch
    for key, value in options.workload_defaults.items():
        arch.workload.setdefault(key, value)
    result = FileResult(source=arch.source, format=arch.format, system=system.to_dict())
    result.notes = [n for n in arch.notes if isinstance(n, Diagnostic)]
    return [analyze_architecture(arch, options, result), *failed]


def analyze_source(path: str, options: Options | None = None, text: str | None = None) -> FileResult:
    """One input end to end. Input problems become `errors`; nothing is raised for them."""
    options = options or Options()
    result = FileResult(source=path)
    try:
        arch = load_architecture(
            path, text, var_files=options.tf_var_files, var_values=options.tf_vars
        )
    except AdvisorError as exc:
        from advisor.importers import guess_format

        result.errors = list(exc.diagnostics)
        result.format = guess_format(path)
        return result
    for key, value in options.workload_defaults.items():
        arch.workload.setdefault(key, value)
    result.format = arch.format
    result.notes = [n for n in arch.notes if isinstance(n, Diagnostic)]
    result.system = arch.graph.graph.get("system")
    return analyze_architecture(arch, options, result)
