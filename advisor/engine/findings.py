"""What the engine hands back: findings, their alternative rewrites, and the change log.

These are plain data objects; `to_dict` gives exactly the JSON shapes of the report
contract (docs/internals.md, "The JSON report"; plus a few extra fields the contract
allows: id, likely, references, equivalents, auto, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.model import Architecture, Location


@dataclass
class Alternative:
    """One way to fix a finding, with the architecture it leads to.

    `after` is computed lazily (a copy of the whole graph per alternative would make a
    100k-node analysis quadratic). The engine leaves the deltas unset; the pipeline
    estimates `after` and fills them (advisor.pipeline.attach_deltas).
    """

    title: str
    _build: Callable[[], Architecture | None] | None = field(default=None, repr=False)
    cost_delta_usd_month: float | None = None
    latency_delta_ms: float | None = None
    applies_by_default: bool = False
    # the engine can make this rewrite itself (`Engine.run(apply={finding_id: index})`);
    # False: advice only, the change is the user's to make
    applicable: bool = False
    refused: str | None = None  # why the rewrite could not be made safely (None: it can)
    # why a judge kept a level from applying it (costs more and is not faster, ...)
    rejected: str | None = None
    # the safety invariants this rewrite fails on this design ({invariant, why}); a
    # rewrite that fails one is refused (`refused` says the first) and never applied
    violations: list[dict[str, str]] = field(default_factory=list)
    # what the user must add for the rewritten design to work ({kind, detail,
    # changes_behaviour}): a mapping template, an input template, an IAM role, a timeout
    # (advisor/engine/obligations.py); read by the report and by `advisor fix`
    must_add: list[dict[str, Any]] = field(default_factory=list)
    # what the rewrite changes in what the system does, by aspect (ordering, filter,
    # batching, windowing), as the pattern declares it
    what_changes: dict[str, str] = field(default_factory=dict)
    _after: Architecture | None = field(default=None, repr=False)
    _built: bool = field(default=False, repr=False)

    @property
    def after(self) -> Architecture | None:
        """The before architecture with only this alternative applied (None: advisory or
        refused). Building it also runs the safety invariants and works out `must_add`."""
        if not self._built:
            self._built = True
            self._after = self._build() if self._build is not None else None
        return self._after

    def release(self) -> None:
        """Forget the built design (built again, the same, when next asked for): once its
        deltas are known, a large design's tens of thousands of alternatives need not all
        stay in memory."""
        if self._build is not None:
            self._after = None
            self._built = False

    @property
    def changes_behaviour(self) -> list[str]:
        """What of `must_add` changes what the system does (never applied by default)."""
        return [str(m["detail"]) for m in self.must_add if m.get("changes_behaviour")]

    @after.setter
    def after(self, value: Architecture | None) -> None:
        self._after = value
        self._built = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "cost_delta_usd_month": self.cost_delta_usd_month,
            "latency_delta_ms": self.latency_delta_ms,
        }
        out["applicable"] = self.applicable
        if self.refused:
            out["refused"] = self.refused
        if self.rejected:
            out["rejected"] = self.rejected
        if self.violations:
            out["violations"] = [dict(v) for v in self.violations]
        if self.must_add:
            out["must_add"] = [dict(m) for m in self.must_add]
        if self.what_changes:
            out["what_changes"] = dict(sorted(self.what_changes.items()))
        return out


@dataclass
class Finding:
    """One match of one pattern on a set of nodes."""

    id: str
    rule: str
    title: str
    pillar: str
    severity: str
    nodes: list[str]
    message: str
    location: Location | None = None
    likely: bool = False
    alternatives: list[Alternative] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str | None = None
    equivalents: list[str] = field(default_factory=list)
    # which `apply` level rewrites it by itself: "default" (also "all"), "all" (likely
    # glue, opt-in patterns), "chosen" (manual patterns: only when picked by id), "never"
    # (advice only, or a judge found every rewrite worse: see `note`)
    auto: str = "never"
    # the alternative that level applies (0 unless a judge rejected earlier ones; None
    # when no level applies one)
    auto_alternative: int | None = None
    note: str = ""  # why the engine applies a later alternative, or none (judged)
    # CDK: the construct path of the resource the finding is about (set by the pipeline)
    construct_path: str | None = None
    # why the engine believes it: [{kind, detail, path, line}] (advisor/engine/evidence.py)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    # the saving at stake (USD/month, >= 0): the best cost saving of its alternatives,
    # set with the deltas (`rank_by_stake`); what cost findings are ordered and graded by
    stake_usd_month: float = 0.0

    @property
    def default_applied(self) -> bool:
        """`apply="default"` rewrites this finding (with `auto_alternative`)."""
        return self.auto == "default"

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        where = (0, loc.path, loc.line, loc.column) if loc else (1, "", 0, 0)
        return (*where, self.rule, tuple(self.nodes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "title": self.title,
            "pillar": self.pillar,
            "severity": self.severity,
            "nodes": list(self.nodes),
            "message": self.message,
            "location": self.location.to_dict() if self.location else None,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "likely": self.likely,
            "references": list(self.references),
            "equivalents": list(self.equivalents),
            "auto": self.auto,
            "default_applied": self.default_applied,
            "auto_alternative": self.auto_alternative,
            **({"note": self.note} if self.note else {}),
            **({"construct_path": self.construct_path} if self.construct_path else {}),
            **({"evidence": [dict(e) for e in self.evidence]} if self.evidence else {}),
            **({"stake_usd_month": self.stake_usd_month} if self.stake_usd_month else {}),
        }


@dataclass
class Change:
    """One rewrite step that was applied to produce `after`."""

    rule: str
    action: str
    nodes: list[str]
    detail: str = ""
    # which rewrite made this step (set by the engine; read by advisor.fix to patch the
    # user's templates): the finding id in the design it was applied to, the alternative
    # index, and the pattern's match nodes (n0, n1, ...)
    finding: str = ""
    alternative: int = 0
    match: tuple[str, ...] = ()
    added: tuple[str, ...] = ()  # every node the rewrite added (also by named rewriters)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "action": self.action, "nodes": list(self.nodes),
                "detail": self.detail}


@dataclass
class BlockedFinding:
    """A rule that would have fired but for a reason worth knowing (`--show-blocked`):
    a REST API with a REST-only feature, a function whose size counts against glue."""

    rule: str
    title: str
    nodes: list[str]
    reason: str
    location: Location | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "title": self.title, "nodes": list(self.nodes),
                "reason": self.reason,
                "location": self.location.to_dict() if self.location else None}


@dataclass
class Outcome:
    """The result of `Engine.run`."""

    findings: list[Finding]
    after: Architecture
    changes: list[Change]
    blocked: list[BlockedFinding] = field(default_factory=list)
