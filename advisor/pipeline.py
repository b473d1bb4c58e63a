"""The one-way pipeline: source -> Architecture -> engine -> estimates -> Report.

`analyze_source` runs one input end to end and never raises for bad input: problems
become `errors` on the FileResult, so a batch can go on. Writers (advisor.report) only
read a `Report`; the JSON contract (docs/internals.md, "The JSON report") is
`Report.to_dict()`.

`run_engine` is the one engine entry of every command (analyze, optimize, cost, the app):
the run's engine for the options' pattern set (built once), fed with the estimates'
per-node traffic (`node_traffic`, for the rules that depend on load) and judged by the
estimates at the options' region, traffic and pricing (`Estimates.judge`). The flow is
one way: the engine hands back findings and the rewritten design, then the pipeline
estimates both sides and attaches every alternative's deltas in one place
(`attach_deltas`), from the same estimates the judge used.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError, Diagnostic
from advisor.vocabulary import PILLARS, SEVERITIES

if TYPE_CHECKING:  # imported lazily: a rerun served from the result cache never needs it
    from advisor.model import Architecture

SCHEMA_VERSION = 1

__all__ = [
    "PILLARS", "SCHEMA_VERSION", "SEVERITIES", "Estimates", "FileResult", "Options",
    "Report", "analyze_architecture", "analyze_source", "attach_deltas", "builtin_rule_docs",
    "engine_for", "load_architecture", "node_traffic", "rule_docs", "run_engine",
]


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
    pricing_file: str | None = None  # a pricing YAML instead of the bundled region's
    free_tier: bool | str = False  # subtract the AWS free tier allowances ("12-month": those too)

    def estimate_kwargs(self) -> dict[str, Any]:
        """The arguments of `advisor.estimate.estimate` these options ask for."""
        return {"region": self.region, "requests": self.requests,
                "free_tier": self.free_tier, "pricing_file": self.pricing_file,
                "usage": self.usage_file}


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
    # why the input was looked at but not analysed ("not a template (...)", "not a
    # regular file (a named pipe)"); a skipped input is neither an error nor clean
    skipped: str | None = None
    # rules that would have fired but for a reason (advisor.engine.BlockedFinding):
    # shown with `--show-blocked` only
    blocked: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def assumptions(self) -> dict[str, Any]:
        """What this result's estimates rest on, for the writers and the app:
        {"workload": text, "rows": [...]}, each row with its one-line rendering `line`."""
        from advisor.estimate.assumptions import assumption_line, assumptions_for

        told = assumptions_for(self)
        for row in told["rows"]:
            row["line"] = assumption_line(row)
        return told

    def applied(self, finding: Any) -> bool:
        """The run's rewrites include this finding's (a change of its rule on its
        subject): what the summary counts as applied rather than available."""
        subject = getattr(finding, "subject", None) or (finding.nodes[0] if finding.nodes else "")
        return (finding.rule, subject) in self._applied_index()

    def _applied_index(self) -> set[tuple[str, str]]:
        """(rule, node) of every change, made once per list of changes (asking each
        finding of a 60,000-resource design against every change was quadratic)."""
        changes = self.changes
        cached = self.__dict__.get("_applied_cache")
        if cached is None or cached[0] is not changes or cached[1] != len(changes):
            index = {(c.rule, n) for c in changes for n in c.nodes}
            cached = self.__dict__["_applied_cache"] = (changes, len(changes), index)
        return cached[2]  # type: ignore[no-any-return]

    def savings(self) -> tuple[float, float]:
        """(applied, available) USD/month: the before-after saving of this run's rewrites,
        and the savings offered by findings it did not apply (each finding's best
        alternative; overlapping alternatives may not all be taken together)."""
        applied = 0.0
        if self.before_estimate is not None and self.after_estimate is not None:
            applied = float(self.before_estimate.monthly_usd) - float(self.after_estimate.monthly_usd)
        available = sum(float(getattr(f, "stake_usd_month", 0.0) or 0.0)
                        for f in self.findings if not self.applied(f))
        return applied, available

    def to_dict(self, show_blocked: bool = False) -> dict[str, Any]:
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
        if self.skipped:
            out["skipped"] = self.skipped
        if show_blocked:
            out["blocked"] = [b.to_dict() for b in self.blocked]
        return out


def _side(arch: Architecture | None, est: Any) -> dict[str, Any] | None:
    if arch is None:
        return None
    side: dict[str, Any] = arch.to_dict()
    if est is not None:
        side.update(est.to_dict())
    return side


def rule_docs(patterns: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """What a writer shows about each rule (title, description, rationale, references,
    pillar, severity), by rule id."""
    return {p.id: {"title": p.title, "description": p.description, "rationale": p.rationale,
                   "references": list(p.references), "pillar": p.pillar,
                   "severity": p.severity} for p in patterns}


@functools.cache
def _builtin_rule_docs() -> dict[str, dict[str, Any]]:
    from advisor.engine.loader import builtin_patterns

    return rule_docs(builtin_patterns())


def builtin_rule_docs() -> dict[str, dict[str, Any]]:
    """The rule docs of the built-in catalog."""
    return dict(_builtin_rule_docs())


class BuiltinRuleDocs(Mapping[str, dict[str, Any]]):
    """A Report's default `rules`: the built-in catalog's rule docs, read when a writer
    first asks (SARIF, JUnit, Markdown do; the JSON writer does not, so a rerun that
    reads every result from the cache never loads the pattern pack)."""

    def _docs(self) -> dict[str, dict[str, Any]]:
        return _builtin_rule_docs()

    def __getitem__(self, rule: str) -> dict[str, Any]:
        return self._docs()[rule]

    def __iter__(self) -> Any:
        return iter(self._docs())

    def __len__(self) -> int:
        return len(self._docs())


@dataclass
class Report:
    """Results of a run, in input order, with a summary; `rules` documents the catalog's
    rules for the writers (SARIF rule metadata, JUnit test cases, references), so a
    writer needs nothing but the Report."""

    results: list[FileResult] = field(default_factory=list)
    rules: Mapping[str, dict[str, Any]] = field(default_factory=BuiltinRuleDocs)
    # list what a rule would have flagged but for a reason (`analyze --show-blocked`)
    show_blocked: bool = False

    def summary(self) -> dict[str, Any]:
        by_sev: Counter[str] = Counter()
        by_pillar: Counter[str] = Counter()
        cost_delta = 0.0
        applied = available = 0.0
        for r in self.results:
            for f in r.findings:
                by_sev[f.severity] += 1
                by_pillar[f.pillar] += 1
            if r.before_estimate is not None and r.after_estimate is not None:
                cost_delta += r.after_estimate.monthly_usd - r.before_estimate.monthly_usd
            got, offered = r.savings()
            applied += got
            available += offered
        return {
            "applied_savings_usd_month": round(applied, 2) + 0.0,
            "available_savings_usd_month": round(available, 2) + 0.0,
            **({"blocked": sum(len(r.blocked) for r in self.results)}
               if self.show_blocked else {}),
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
            "results": [r.to_dict(self.show_blocked) for r in self.results],
            "summary": self.summary(),
        }


def load_architecture(
    path: str, text: str | None = None, *, var_files: tuple[str, ...] = (),
    var_values: tuple[str, ...] = (),
) -> Architecture:
    """Read a DSL file or a template (detected by content); raises AdvisorError.
    `var_files` / `var_values` are Terraform's `--var-file` / `--var NAME=VALUE`."""
    from advisor.importers import load_any

    if var_files or var_values:
        return load_any(path, text, var_files=var_files, var_values=var_values)
    return load_any(path, text)


# ---------------------------------------------------------------------- estimates
class Estimates:
    """The estimates of one analysis at the options' region, traffic and pricing: each
    design is estimated once (by identity), so the engine's judge and the report's
    figures are the same numbers. Made per analysis and dropped with it."""

    def __init__(self, options: Options) -> None:
        from advisor.estimate import estimate
        from advisor.estimate.estimator import estimate_rewrite
        from advisor.memo import by_identity

        kwargs = options.estimate_kwargs()
        self.kwargs = kwargs
        self._estimate_rewrite = estimate_rewrite
        self.of = by_identity(lambda arch: estimate(arch, **kwargs))
        # (before, after) -> the rewrite's estimate; the designs are kept, so ids stay theirs
        self._rewrites: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def of_rewrite(self, before: Architecture, after: Architecture, *,
                   last: bool = False) -> Any:
        """The estimate of `after`, a rewrite of `before`, made from `before`'s for what
        the rewrite changes (`advisor.estimate.estimator.estimate_rewrite`: the same
        totals as estimating `after` whole), once per pair. `last`: the pair is not asked
        for again (its entry is dropped, and the designs it kept alive with it)."""
        key = (id(before), id(after))
        got = self._rewrites.pop(key, None) if last else self._rewrites.get(key)
        if got is None:
            est = self._estimate_rewrite(before, self.of(before), after, **self.kwargs)
            got = (before, after, est)
            if not last:
                self._rewrites[key] = got
        return got[2]

    def judge(self, before: Architecture, after: Architecture,
              ) -> tuple[float | None, float | None]:
        """The engine's judge (advisor.engine.Judge): (cost delta USD/month, latency delta
        ms), after minus before; the latency by the estimates' one rule
        (`Estimate.latency_delta_from`), None when it cannot be told."""
        b, a = self.of(before), self.of_rewrite(before, after)
        cost = float(a.monthly_usd) - float(b.monthly_usd)
        try:
            latency: float | None = float(a.latency_delta_from(b))
        except (AttributeError, KeyError, TypeError):
            latency = None
        return cost, latency


def attach_deltas(before: Architecture, findings: Iterable[Any], estimates: Estimates) -> None:
    """Set `cost_delta_usd_month` and `latency_delta_ms` (after minus before) on every
    alternative of every finding, by the estimates' one rule
    (`advisor.estimate.attach_alternative_deltas`) and from the analysis's estimates: the
    one place deltas are attached. Advice (no `after`) changes nothing: 0 and 0."""
    from advisor.estimate import attach_alternative_deltas
    from advisor.gcpause import paused

    with paused():  # every alternative's design and estimate: many small objects
        attach_alternative_deltas(
            before, findings, estimates.of(before),
            estimate_of=lambda after: estimates.of_rewrite(before, after, last=True),
            release=True)


def node_traffic(arch: Architecture) -> dict[str, float]:
    """Executions per month of every node, from the design's own stated traffic (entry
    rate, node `requests`, schedules, fan-out, filters, batches: the estimates'
    propagation) and no assumed default rate: what the engine's traffic-dependent rules
    read (`Engine(traffic=...)`)."""
    from advisor.estimate.propagate import propagate

    stated = arch.workload.get("requests")
    wl = propagate(arch, requests=float(stated) if stated is not None else 0.0)
    return {n: float(load.invocations) for n, load in wl.nodes.items()}


# ---------------------------------------------------------------------- the engine
@functools.cache
def _engine(pattern_dirs: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]) -> Any:
    from advisor.engine import Engine

    return Engine.default(extra_dirs=pattern_dirs, select=select, ignore=ignore,
                          traffic=node_traffic)


def engine_for(options: Options) -> Any:
    """The engine of the options' pattern set, one for the whole run: a batch of many
    files reads the user's pattern packs once, not once per file. Raises AdvisorError
    for a broken pack or an unknown --select/--ignore prefix."""
    return _engine(tuple(options.pattern_dirs), tuple(options.select), tuple(options.ignore))


def run_engine(arch: Architecture, options: Options,
               apply: str | Mapping[str, int] | None = None,
               estimates: Estimates | None = None) -> Any:
    """The engine's outcome (advisor.engine.Outcome) on `arch`: rewritten by `apply`
    (default: `options.apply`; a level or {finding id: alternative index}), with default
    rewrites of cost/performance rules that would cost more and not be faster kept out
    by the estimates' judge (the finding stays, with a note)."""
    estimates = estimates or Estimates(options)
    return engine_for(options).run(arch, apply=options.apply if apply is None else apply,
                                   judge=estimates.judge)


def analyze_architecture(arch: Architecture, options: Options, result: FileResult) -> FileResult:
    """Engine and estimates on an already-built architecture."""
    estimates = Estimates(options)
    outcome = run_engine(arch, options, estimates=estimates)
    result.before = arch
    result.findings = list(outcome.findings)
    _construct_paths(result.findings, arch)
    result.after = outcome.after
    result.changes = list(outcome.changes)
    result.blocked = list(getattr(outcome, "blocked", ()))
    if options.estimates:
        from advisor.engine.stake import grade

        result.before_estimate = estimates.of(arch)
        result.after_estimate = estimates.of(outcome.after)
        attach_deltas(arch, result.findings, estimates)
        grade(result.findings)  # severity and order by the saving at stake
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
