"""The choose layer: matches -> findings with their alternatives, and which one to apply.

For each match it builds the `Finding` (message, location, the alternatives, each with
the architecture it leads to, built on a copy by the op interpreter when first read),
says which `apply` level rewrites it by itself (`auto_level`), and, when the caller
handed in a `judge`, which alternative the levels may apply (`judge_finding`,
`judge_match`). `Chooser.pick` is the one answer to "which alternative of this match does
this run apply?", asked by the rewrite layer for every match of every round.

Judging: the engine has no estimates (data flows one way), so a caller that has them
passes `judge(before, after) -> (cost_delta_usd_month, latency_delta_ms)` (after minus
before; either may be None: unknown). For cost and performance patterns (GLUE-*,
COST-*, PERF-*, and the cost, performance and sustainability pillars) the levels
("default", "all") then apply the first alternative that is not worse (`worse`): one
that costs more and is not faster, a cost rule's rewrite that costs more, or a
performance rule's rewrite that is slower and not cheaper, is skipped. A finding with no
acceptable alternative keeps `auto = "never"` and says why in `note` (and its message);
a chosen set (`apply={id: index}`) is never judged. The judge's figures are used only to
decide: the deltas a report shows are the pipeline's to attach.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from advisor.engine import evidence, invariants, obligations
from advisor.engine.edit import Delta, Refused, fast_copy
from advisor.engine.findings import Alternative, Finding
from advisor.engine.matcher import Match
from advisor.engine.ops import Rewriter
from advisor.engine.pattern import Pattern
from advisor.memo import by_identity
from advisor.model import Architecture
from advisor.overlay import overlay_copy
from advisor.vocabulary import SEVERITIES

# judge(before, after) -> (cost delta USD/month, latency delta ms), after minus before;
# either may be None (unknown). See `Engine.run`.
Judge = Callable[[Architecture, Architecture], tuple[float | None, float | None]]

LEVELS = ("default", "all", "none")  # the `apply` levels; "chosen" is a mapping
# patterns whose rewrites exist to save money or time: judged when a judge is given
JUDGED_PREFIXES = ("GLUE-", "COST-", "PERF-")
COST_PILLARS = frozenset({"cost-optimization", "sustainability"})
JUDGED_PILLARS = COST_PILLARS | {"performance-efficiency"}
EPS_USD = 0.005  # deltas below a cent or a tenth of a millisecond are no change
EPS_MS = 0.05


def finding_id(m: Match) -> str:
    """The stable id of a match's finding: rule id and node names (`apply=` mapping key)."""
    return f"{m.pattern.id}:{'/'.join(m.all_nodes)}"


def auto_level(m: Match) -> str:
    """Which `apply` level rewrites this match by itself: "default", "all", "chosen"
    (only when picked by id) or "never" (advice only)."""
    p = m.pattern
    if not p.rewrites:
        return "never"
    if p.apply == "default" and not m.likely and not m.fields.get("not_default"):
        return "default"
    if p.apply in ("default", "opt-in"):
        return "all"
    return "chosen"


def judged(p: Pattern) -> bool:
    """Cost and performance patterns: their default rewrite must not make things worse."""
    return p.id.startswith(JUDGED_PREFIXES) or p.pillar in JUDGED_PILLARS


def worse(p: Pattern, cost: float | None, latency: float | None) -> str | None:
    """Why an alternative with these deltas must not be applied by a level, or None.

    - costs more and is not faster (any judged pattern);
    - a cost (or sustainability) rule whose rewrite costs more, even if it is faster:
      the user may still choose it for the latency;
    - a performance rule whose rewrite is slower and not cheaper.
    Unknown deltas (None) are no evidence either way.
    """
    c = float(cost) if cost is not None else 0.0
    lat = float(latency) if latency is not None else 0.0
    if c > EPS_USD and lat >= -EPS_MS:
        return f"costs more (+${c:,.2f}/month) and is not faster"
    if c > EPS_USD and p.pillar in COST_PILLARS:
        return (f"costs more (+${c:,.2f}/month) for a {-lat:,.1f} ms gain; choose it if the"
                " latency matters more")
    if lat > EPS_MS and c >= -EPS_USD and p.pillar == "performance-efficiency":
        return f"is slower (+{lat:,.1f} ms) and not cheaper"
    return None


# ---------------------------------------------------------------------- findings
def make_finding(base: Architecture, m: Match) -> Finding:
    """The finding of one match on `base`, with its alternatives (built lazily)."""
    p = m.pattern
    message_text, alt_info = _finding_texts(p)
    values: dict[str, Any] = {f"n{i}": n for i, n in enumerate(m.nodes)}
    values.update({"subject": m.subject, "evidence": ""})
    values.update(m.fields)
    message = _format(message_text or f"{p.title}: {', '.join(m.nodes)}", values)
    if m.likely:
        unread = evidence.has(m.evidence, "code-not-read")
        why = f"; code not read: {unread['detail']}" if unread else ""
        message += (f" (likely: inferred from the structure alone{why}; state"
                    f" `glue = true` or `glue = false` on {m.subject} to confirm)")
    nd = base.graph._node  # no view object per look-up (100k-node designs)
    # a predicate's `at_prop`: the finding is about that prop, set in a folded resource
    # (a role's policy, a stage): it points there (`Architecture.location_of`)
    at_prop = m.fields.get("at_prop") or p.location_prop
    loc = base.location_of(m.subject, at_prop) if at_prop else nd[m.subject].get("loc")
    if loc is None:
        loc = next((nd[n]["loc"] for n in m.nodes if nd[n].get("loc") is not None), None)
    alts = []
    auto = auto_level(m)
    by_default = auto == "default"
    note = None
    if m.fields.get("not_default") and p.apply == "default" and not m.likely:
        # a predicate's reason this match is offered, not applied by default
        note = f"not applied by default: {m.fields['not_default']}"
        message += f" ({note})"
    for i, (title, plain, ops) in enumerate(alt_info):
        alt = Alternative(
            title=title if plain else _format(title, values),
            applies_by_default=(i == 0 and by_default),
            applicable=ops,
        )
        if ops:
            alt._build = _builder(base, p, m.nodes, i, alt)
        alts.append(alt)
    return Finding(
        id=finding_id(m), auto=auto,
        auto_alternative=0 if auto in ("default", "all") else None,
        rule=p.id, title=p.title, pillar=p.pillar, severity=_severity(p, m),
        nodes=list(m.all_nodes), message=message, location=loc, likely=m.likely,
        alternatives=alts, references=list(p.references), subject=m.subject,
        equivalents=list(p.equivalents), evidence=[dict(e) for e in m.evidence], note=note or "",
    )


def _severity(p: Pattern, m: Match) -> str:
    """The pattern's severity, unless its predicate judged this match's own (a `severity`
    field: a deprecated runtime is an error once AWS blocks updates)."""
    judged = m.fields.get("severity")
    return judged if judged in SEVERITIES else p.severity


@by_identity
def _finding_texts(p: Pattern) -> tuple[str, tuple[tuple[str, bool, bool], ...]]:
    """A pattern's message and alternative titles (title, title has no fields, has ops),
    read once per pattern rather than once per finding (a 100k-node design has tens of
    thousands of findings)."""
    alts = tuple((alt["title"], "{" not in alt["title"] and "}" not in alt["title"],
                  bool(alt.get("ops"))) for alt in p.alternatives)
    return p.message, alts


def _builder(base: Architecture, p: Pattern, nodes: tuple[str, ...], i: int,
             alt: Alternative) -> Callable[[], Architecture | None]:
    """Builds `base` with only alternative `i` applied, checked by the safety invariants
    (None when it is refused: `alt` then says why and is not applicable); records on
    `alt` what the user must add and what the rewrite changes."""
    def build() -> Architecture | None:
        # copied where the rewrite touches it: one alternative costs what it changes
        work = overlay_copy(base)
        rw = Rewriter(work, pristine_of=base.graph)  # (dropped, not restored, if refused)
        try:
            rw.apply(p, nodes, i, check=invariants.check)
        except Refused as exc:
            alt.refused = str(exc)
            alt.violations = list(exc.violations)
            alt.applicable = False
            return None
        if rw.last_delta is not None:
            describe(alt, rw.last_delta)
        return work

    return build


def describe(alt: Alternative, delta: Delta) -> None:
    """What the user must add for `delta` and what it changes, on `alt`."""
    alt.must_add = obligations.must_add(delta)
    alt.what_changes = {a: str(t) for a, t in (delta.alternative.get("what_changes") or {}).items()}


def safety(level: str) -> Callable[[Delta], list[dict[str, str]]]:
    """The check a rewrite must pass when a run applies it at `level`: the safety
    invariants, and for `default` also nothing that changes what the system does (a
    lost SNS Subject, typed DynamoDB JSON for consumers, a batch sent message by
    message) and no payload the handler's code did not show (a pipe's input template
    that is not known): the user chooses those knowing so (`--apply all` or by id)."""
    if level != "default":
        return invariants.check

    def check(delta: Delta) -> list[dict[str, str]]:
        found = invariants.check(delta)
        if found:
            return found
        blockers = obligations.default_blockers(obligations.must_add(delta))
        if blockers:
            return [{"invariant": BEHAVIOUR, "why": "; ".join(blockers)}]
        return []

    return check


# the pseudo-invariant of `safety("default")`: the rewrite changes what the system does,
# or what it must send is not known (obligations.default_blockers says which)
BEHAVIOUR = "changes_behaviour"


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format_map(_SafeDict(values))
    except (ValueError, IndexError):
        return text


def choose(base: Architecture, matches: list[Match], judge: Judge | None = None,
           ) -> tuple[list[Finding], dict[str, int | None]]:
    """The findings of `matches` in their deterministic order and, with a judge, the
    judged choice of every cost/performance finding a level would apply (finding id ->
    alternative index, None: none)."""
    findings = sorted((make_finding(base, m) for m in matches), key=Finding.sort_key)
    decisions: dict[str, int | None] = {}
    if judge is not None:
        by_fid = {finding_id(m): m for m in matches}
        for f in findings:
            m = by_fid[f.id]
            if f.auto in ("default", "all") and judged(m.pattern):
                decisions[f.id] = judge_finding(base, f, m.pattern, judge)
                behaviour_gate(f)
    return findings, decisions


# ---------------------------------------------------------------------- judging
def judge_finding(base: Architecture, f: Finding, p: Pattern, judge: Judge) -> int | None:
    """The first alternative of `f` the judge accepts (None: none); records on each
    alternative why it was rejected and, when none is accepted, why on the finding."""
    first_reason = None
    for i, alt in enumerate(f.alternatives):
        if not alt.applicable:
            continue
        after = alt.after
        if after is None:  # refused on this design (alt.refused says why)
            first_reason = first_reason or f"fails invariant {alt.refused}"
            continue
        cost, latency = _ask(judge, base, after)
        reason = worse(p, cost, latency)
        if reason is None:
            if i:
                f.note = (f"alternative {i + 1} applied: the first "
                          f"{first_reason or 'cannot be applied'}")
            _set_auto(f, f.auto, i)
            return i
        first_reason = first_reason or reason
        alt.rejected = reason
    fallback = _confirmed_glue_fallback(p, f.likely, f.alternatives)
    if fallback is not None:
        # the user (or the handler's code) says the function only forwards: it goes,
        # and the finding says what that costs
        f.alternatives[fallback].rejected = None
        f.note = (f"applied although the native path {first_reason}: the function is "
                  "confirmed glue")
        f.message += f" ({f.note})"
        _set_auto(f, f.auto, fallback)
        return fallback
    f.note = f"not applied: {first_reason or 'no rewrite can be made'}"
    f.message += f" ({f.note})"
    _set_auto(f, "never", None)
    return None


def judge_match(work: Architecture, m: Match, judge: Judge) -> int | None:
    """Judge a match found only after a rewrite, on the current working design
    (confirmed glue falls back to its first rewrite, as in `judge_finding`)."""
    before = fast_copy(work)
    first: int | None = None
    for i, alt in enumerate(m.pattern.alternatives):
        if not alt.get("ops"):
            continue
        after = fast_copy(work)
        try:
            Rewriter(after).apply(m.pattern, m.nodes, i, check=invariants.check)
        except Refused:
            continue
        cost, latency = _ask(judge, before, after)
        if worse(m.pattern, cost, latency) is None:
            return i
        first = i if first is None else first
    return first if m.pattern.id.startswith("GLUE-") and not m.likely else None


def _confirmed_glue_fallback(p: Pattern, likely: bool, alternatives: list[Any]) -> int | None:
    """Confirmed glue (`glue = true` or handler evidence) is rewritten by default even when
    every native path costs a little more (a Pipe's per-request price against a tiny
    function): the first applicable alternative that passes the safety invariants, or
    None for likely glue and other rules."""
    if not p.id.startswith("GLUE-") or likely:
        return None
    return next((i for i, a in enumerate(alternatives) if a.applicable and a.after is not None),
                None)


def behaviour_gate(f: Finding) -> None:
    """A finding a level would apply by default whose applied alternative changes what
    the system does, or needs a payload the handler's code did not show (its `must_add`
    says so), is applied by `--apply all` or by choice only; the note says why."""
    if f.auto != "default" or f.auto_alternative is None:
        return
    alt = f.alternatives[f.auto_alternative]
    blockers = obligations.default_blockers(alt.must_add) if alt._built else []
    if blockers:
        demote(f, "; ".join(blockers))


def demote(f: Finding, why: str) -> None:
    """Not applied by default, for `why` (obligations.default_blockers: it changes what
    the system does, a payload not traced); this note replaces a judge's "applied
    although ..." one."""
    if f.note and f.message.endswith(f" ({f.note})"):
        f.message = f.message[: -len(f" ({f.note})")]
    f.note = f"not applied by default: {why}"
    f.message += f" ({f.note})"
    _set_auto(f, "all", f.auto_alternative)


def refuse(f: Finding, index: int, why: str, violations: list[dict[str, str]]) -> None:
    """The applied alternative failed a safety invariant on the way (rewrite layer): it is
    neither applied nor offered as applicable."""
    alt = f.alternatives[index]
    alt.refused, alt.violations, alt.applicable = why, list(violations), False
    if f.auto_alternative == index:
        f.note = f"not applied: {why}"
        f.message += f" ({f.note})"
        _set_auto(f, "never", None)


def _ask(judge: Judge, before: Architecture, after: Architecture,
         ) -> tuple[float | None, float | None]:
    """The judge's deltas; a judge that fails (an estimate it cannot make) is no evidence,
    so the engine's own policy stands rather than the whole analysis failing."""
    try:
        return judge(before, after)
    except Exception:  # any failure of a caller's callback
        return None, None


def _set_auto(f: Finding, auto: str, index: int | None) -> None:
    """Record which level applies `f` and with which alternative."""
    f.auto = auto
    f.auto_alternative = index
    for i, alt in enumerate(f.alternatives):
        alt.applies_by_default = auto == "default" and i == index


# ---------------------------------------------------------------------- the choice
class Chooser:
    """Which alternative of a match this run applies: by the level ("default", "all",
    "none"), or exactly the chosen set ("chosen"), judged as the module says."""

    def __init__(self, level: str, chosen: Mapping[str, int] | None = None,
                 judge: Judge | None = None,
                 decisions: dict[str, int | None] | None = None) -> None:
        self.level = level
        self.chosen: Mapping[str, int] = chosen or {}
        self.judge = judge if level in ("default", "all") else None
        self.decisions: dict[str, int | None] = decisions if decisions is not None else {}
        self.check = safety(level)
        # what the rewrite layer found on the way, by finding id: (alternative, why,
        # violations) of a rewrite the safety check refused
        self.refusals: dict[str, tuple[int, str, list[dict[str, str]]]] = {}
        # findings a judge found acceptable that change what the system does: not default
        self.demoted: set[str] = set()
        self.behaviour: dict[str, str] = {}  # what a demoted rewrite changes, by id

    def note_refused(self, m: Match, index: int, exc: Refused) -> None:
        """The safety check refused `m`'s alternative `index` on the way: a violated
        invariant refuses it for good; a change of behaviour only keeps it from
        `default` (it stays the finding's alternative for `--apply all`)."""
        if not exc.violations:
            return  # an op refused on the current design (it may fit a later round)
        fid = finding_id(m)
        if all(v["invariant"] == BEHAVIOUR for v in exc.violations):
            self.demoted.add(fid)
            self.behaviour[fid] = "; ".join(v["why"] for v in exc.violations)
        else:
            real = [v for v in exc.violations if v["invariant"] != BEHAVIOUR]
            why = "; ".join(f"invariant {v['invariant']}: {v['why']}" for v in real)
            self.refusals[fid] = (index, why, real)

    def pick(self, m: Match, work: Architecture) -> int | None:
        """The alternative to apply to `m` (matched on `work`, the current design), or
        None. A match the input's findings did not judge is judged here, on `work`."""
        if self.level == "chosen":
            fid = finding_id(m)
            return None if fid in self.refusals else self.chosen.get(fid)
        if self.level == "none":
            return None
        level = auto_level(m)
        if not (level == "default" or (self.level == "all" and level == "all")):
            return None
        fid = finding_id(m)
        if fid in self.refusals or (self.level == "default" and fid in self.demoted):
            return None
        if self.judge is None or not judged(m.pattern):
            return 0
        if fid in self.decisions:
            return self.decisions[fid]
        index = self.decisions[fid] = judge_match(work, m, self.judge)
        return index
