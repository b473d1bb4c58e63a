"""The Engine: a set of patterns, run on one architecture as match -> choose -> rewrite.

    engine = Engine.default(extra_dirs=(), select=(), ignore=(), judge=None, traffic=None)
    outcome = engine.run(arch, apply="default")   # "default" | "all" | "none"
    outcome = engine.run(arch, apply={finding.id: 1})   # exactly these, by alternative

Rewriting policy (documented in docs/patterns-authoring.md and docs/internals.md):

- Which findings are rewritten: `apply="none"` none; `"default"` the first alternative
  of findings whose pattern says `fix.apply: default` and that are not only *likely*
  (structure-inferred glue); `"all"` also likely findings and `opt-in` patterns.
  `manual` patterns are never applied by these levels, only offered.
- A chosen set: `apply={finding_id: alternative_index}` applies exactly those findings
  (any pattern level, any alternative whose `applicable` is true), by the ids of the
  findings of the input; a finding that only appears after another rewrite is applied
  only when its id is chosen too (otherwise it follows "none"). `Finding.auto` says
  which level would apply a finding by itself.
- Suppression: a finding is dropped when any of its nodes carries the rule id, a prefix
  of it, or one of the pattern's peer `equivalents` in its `ignore` set.
- Judging and traffic are handed in (advisor/engine/choose.py, advisor/engine/context.py):
  the engine imports no estimates.

The layers, each reading only those below it: match (advisor/engine/matcher.py, pure:
architecture -> matches), choose (advisor/engine/choose.py: findings, alternatives, the
judge's verdict), rewrite (advisor/engine/rewrite.py: apply the choice to a fixpoint).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from advisor import gcpause
from advisor.engine.choose import (
    LEVELS,
    Chooser,
    Judge,
    auto_level,
    choose,
    demote,
    finding_id,
    refuse,
)
from advisor.engine.context import Traffic
from advisor.engine.edit import fast_copy
from advisor.engine.findings import BlockedFinding, Finding, Outcome
from advisor.engine.loader import load_all
from advisor.engine.matcher import BlockedMatch, Match, find
from advisor.engine.pattern import Pattern
from advisor.engine.rewrite import match_radius, rewrite, structural_alternatives
from advisor.errors import AdvisorError, Diagnostic, did_you_mean
from advisor.model import Architecture

APPLY_CHOICES = LEVELS


def _selected(rule: str, prefixes: Iterable[str]) -> bool:
    """`--select` / `--ignore` matching: by id prefix, case-insensitively."""
    up = rule.upper()
    return any(up.startswith(p.upper()) for p in prefixes if p)


def check_prefixes(patterns: Iterable[Pattern], select: Iterable[str] = (),
                   ignore: Iterable[str] = ()) -> None:
    """Raise AdvisorError for a `--select`/`--ignore` prefix that names no rule.

    A typo (`--select GLEU`) would otherwise silently turn every rule off (or none), and
    CI would report "no findings". A prefix is known when it starts any pattern id or any
    of the patterns' peer `equivalents` (case-insensitively).
    """
    pats = list(patterns)
    ids = sorted({i for p in pats for i in (p.id, *p.equivalents)})
    families = sorted({p.id.split("-", 1)[0] + "-" for p in pats})
    diags = []
    for option, prefixes in (("--select", select), ("--ignore", ignore)):
        for prefix in prefixes:
            if not prefix or any(_selected(i, (prefix,)) for i in ids):
                continue
            hint = did_you_mean(prefix, [*families, *ids])
            diags.append(Diagnostic(
                option, 0, 0,
                f"unknown rule prefix '{prefix}'" + (f"; did you mean '{hint}'?" if hint else ""),
                f"rule families: {', '.join(families)} (see `advisor patterns`)",
            ))
    if diags:
        raise AdvisorError(diags)


class Engine:
    """A set of patterns; `run` analyses and rewrites one architecture.

    `judge`: the default judge of `run`. `traffic(arch) -> {node: executions/month}`:
    what the traffic-dependent rules read (advisor/engine/context.py); without it they
    do not fire.
    """

    def __init__(self, patterns: Iterable[Pattern], judge: Judge | None = None,
                 traffic: Traffic | None = None) -> None:
        self.judge = judge
        self.traffic = traffic
        self.patterns = sorted(patterns, key=lambda p: p.id)
        self.by_id = {p.id: p for p in self.patterns}
        self.structural = structural_alternatives(self.patterns)
        self.radius = match_radius(self.patterns)

    @classmethod
    def default(cls, extra_dirs: Iterable[str] = (), select: Iterable[str] = (),
                ignore: Iterable[str] = (), judge: Judge | None = None,
                traffic: Traffic | None = None) -> Engine:
        """Built-in patterns plus user packs, filtered by id prefix (like ruff, but
        case-insensitive). A prefix that matches no pattern id and no peer equivalent
        raises AdvisorError (CLI: exit 2), so a typo cannot silently disable every rule.
        `judge`, `traffic`: see the class."""
        select, ignore = tuple(select), tuple(ignore)
        patterns = load_all(tuple(str(d) for d in extra_dirs))
        check_prefixes(patterns, select, ignore)
        chosen = []
        for p in patterns:
            ids = (p.id, *p.equivalents)
            if select and not any(_selected(i, select) for i in ids):
                continue
            if ignore and any(_selected(i, ignore) for i in ids):
                continue
            chosen.append(p)
        return cls(chosen, judge=judge, traffic=traffic)

    def match_all(self, arch: Architecture, patterns: list[Pattern] | None = None,
                  region: set[str] | None = None) -> list[Match]:
        """Unsuppressed, non-superseded matches of `patterns` (default: all) on `arch`."""
        return find(arch, self.patterns if patterns is None else patterns, region,
                    self.traffic)

    def auto_level(self, m: Match) -> str:
        """Which `apply` level rewrites this match by itself (see choose.auto_level)."""
        return auto_level(m)

    def run(self, arch: Architecture, apply: str | Mapping[str, int] = "default",
            judge: Judge | None = None) -> Outcome:
        """Findings on `arch` and the architecture rewritten by `apply`: a level
        ("default", "all", "none") or a mapping {finding id: alternative index}.

        `judge` (default: the engine's own, if any) is called as
        `judge(before: Architecture, after: Architecture) -> (cost_delta_usd_month,
        latency_delta_ms)` (after minus before; None when unknown) for each rewriting
        alternative of a cost/performance finding that a level would apply; the levels
        then apply the first alternative that `worse` does not reject (see
        advisor/engine/choose.py). `before` and `after` must be treated as read-only.
        The alternatives' deltas are left unset: attaching them is the caller's
        (advisor.pipeline does it from the same estimates).
        """
        chosen = _check_apply(apply)
        judge = judge if judge is not None else self.judge
        # The engine allocates many small objects and creates no reference cycles; the
        # cyclic collector rescanning a 100k-node graph would make the run superlinear.
        with gcpause.paused():
            base = arch
            if any(d.get("mode") is None for _, _, d in arch.graph.edges(data=True)):
                base = fast_copy(arch)
                base.resolve_modes()
            blocked: list[BlockedMatch] = []
            matches = find(base, self.patterns, traffic=self.traffic,  # match
                           blocked=blocked)
            findings, decisions = choose(base, matches, judge)  # choose
            if chosen is not None:
                by_id = {f.id: f for f in findings}
                for fid, index in sorted(chosen.items()):
                    f = by_id.get(fid)
                    if f is not None and not (0 <= index < len(f.alternatives)
                                              and f.alternatives[index].applicable):
                        raise ValueError(f"finding {fid} has no applicable alternative {index}")
            level = "chosen" if chosen is not None else str(apply)
            chooser = Chooser(level, chosen, judge, decisions)
            # findings a level would apply by default that changed what the system does
            chooser.demoted = {f.id for f in findings if f.auto == "all" and not f.likely
                               and self.by_id[f.rule].apply == "default"}
            after, changes = rewrite(base, matches, chooser, self.patterns,  # rewrite
                                     self.structural, self.radius, self.traffic)
            _record(findings, chooser)
            outcome = Outcome(findings=findings, after=after, changes=changes,
                              blocked=blocked_findings(base, blocked))
        return outcome


def _record(findings: list[Finding], chooser: Chooser) -> None:
    """What the rewrite layer's safety check found, on the findings of the input: a
    refused alternative is not applicable and says which invariant and why; a rewrite
    that changes what the system does is not applied by default."""
    for f in findings:
        refused = chooser.refusals.get(f.id)
        if refused is not None:
            index, why, violations = refused
            refuse(f, index, why, violations)
        elif f.id in chooser.behaviour and f.auto == "default":
            demote(f, chooser.behaviour[f.id])


def blocked_findings(arch: Architecture, blocked: list[BlockedMatch]) -> list[BlockedFinding]:
    """What `--show-blocked` lists: each blocked binding with the rule's title, the
    subject's location and the reason."""
    nd = arch.graph._node
    out = []
    for b in blocked:
        subject = b.nodes[min(b.pattern.subject, len(b.nodes) - 1)]
        out.append(BlockedFinding(rule=b.pattern.id, title=b.pattern.title,
                                  nodes=list(b.nodes), reason=b.reason,
                                  location=nd[subject].get("loc")))
    return out


def _check_apply(apply: Any) -> Mapping[str, int] | None:
    """None for a level name; the mapping (validated) for a chosen set."""
    if isinstance(apply, str):
        if apply not in APPLY_CHOICES:
            raise ValueError(f"apply must be one of {APPLY_CHOICES} or a mapping"
                             f" {{finding id: alternative index}}, not {apply!r}")
        return None
    if not isinstance(apply, Mapping):
        raise ValueError(f"apply must be one of {APPLY_CHOICES} or a mapping, not {apply!r}")
    for fid, index in apply.items():
        if not isinstance(fid, str) or ":" not in fid:
            raise ValueError(f"not a finding id: {fid!r}")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"alternative index for {fid} must be an int >= 0, not {index!r}")
    return apply


__all__ = ["APPLY_CHOICES", "Engine", "Judge", "check_prefixes", "finding_id"]
