"""The Engine: run every pattern, report findings, rewrite to a fixpoint.

Rewriting policy (documented in docs/patterns-authoring.md):

- Which findings are rewritten: `apply="none"` none; `"default"` the first alternative
  of findings whose pattern says `fix.apply: default` and that are not only *likely*
  (structure-inferred glue); `"all"` also likely findings and `opt-in` patterns.
  `manual` patterns are never applied by these levels, only offered.
- A chosen set: `apply={finding_id: alternative_index}` applies exactly those findings
  (any pattern level, any alternative whose `applicable` is true), by the ids of the
  findings of the input; a finding that only appears after another rewrite is applied
  only when its id is chosen too (otherwise it follows "none"). `Finding.auto` says
  which level would apply a finding by itself.
- Fixpoint: match, apply, re-match the region around what changed, until a round
  changes nothing (at most MAX_ROUNDS). Each rewrite removes its own match, so the
  result is idempotent: optimizing the optimized architecture changes nothing.
- Conflicts: in a round, candidates are ordered by (pattern priority, subject node name,
  rule id, nodes) and each is re-verified against the current graph just before it is
  applied (a stale match is skipped). A structural rewrite (bypass, remove, replace,
  set_kind, named rewriters) is applied only if none of its nodes was touched by an
  earlier rewrite this round (one structural rewrite per node per round); the rest wait
  for the next round, where they are matched afresh. Prop-only rewrites (set, add a
  DLQ) apply whenever they still match.
- Suppression: a finding is dropped when any of its nodes carries the rule id, a prefix
  of it, or one of the pattern's peer `equivalents` in its `ignore` set.
- Judging (optional `judge` callback, see `Judge`): the engine has no estimates (data
  flows one way), so a caller that has them can pass `judge(before, after) ->
  (cost_delta_usd_month, latency_delta_ms)`. For cost and performance patterns (GLUE-*,
  COST-*, PERF-*, and the cost, performance and sustainability pillars) the levels
  ("default", "all") then apply the first alternative that is not worse (`worse`): one
  that costs more and is not faster, a cost rule's rewrite that costs more, or a
  performance rule's rewrite that is slower and not cheaper, is skipped. A finding with
  no acceptable alternative keeps `auto = "never"` and says why in `note` (and its
  message); a chosen set (`apply={id: index}`) is never judged.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from advisor.engine.context import Ctx
from advisor.engine.findings import Alternative, Change, Finding, Outcome
from advisor.engine.loader import Pattern, load_all
from advisor.engine.matcher import Match, Matcher
from advisor.engine.rewrite import Refused, Rewriter, fast_copy
from advisor.errors import AdvisorError, Diagnostic, did_you_mean
from advisor.model import Architecture

# judge(before, after) -> (cost delta USD/month, latency delta ms), after minus before;
# either may be None (unknown). See `Engine.run`.
Judge = Callable[[Architecture, Architecture], tuple[float | None, float | None]]

MAX_ROUNDS = 60  # rounds run one priority class at a time
APPLY_CHOICES = ("default", "all", "none")
# ops that change which nodes and edges exist; the others only set props or add leaves
STRUCTURAL_OPS = frozenset({"bypass", "remove", "replace", "set_kind", "call"})
# patterns whose rewrites exist to save money or time: judged when a judge is given
JUDGED_PREFIXES = ("GLUE-", "COST-", "PERF-")
COST_PILLARS = frozenset({"cost-optimization", "sustainability"})
JUDGED_PILLARS = COST_PILLARS | {"performance-efficiency"}
EPS_USD = 0.005  # deltas below a cent or a tenth of a millisecond are no change
EPS_MS = 0.05


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


def _confirmed_glue_fallback(p: Pattern, likely: bool, alternatives: list[Any]) -> int | None:
    """Confirmed glue (`glue = true` or handler evidence) is rewritten by default even when
    every native path costs a little more (a Pipe's per-request price against a tiny
    function): the first applicable alternative, or None for likely glue and other rules."""
    if not p.id.startswith("GLUE-") or likely:
        return None
    return next((i for i, a in enumerate(alternatives) if a.applicable and a.after is not None),
                None)


def _prefixed(rule: str, prefixes: Iterable[str]) -> bool:
    return any(rule == p or rule.startswith(p) for p in prefixes if p)


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
    """A set of patterns; `run` analyses and rewrites one architecture."""

    def __init__(self, patterns: Iterable[Pattern], judge: Judge | None = None) -> None:
        self.judge = judge
        self.patterns = sorted(patterns, key=lambda p: p.id)
        self.by_id = {p.id: p for p in self.patterns}
        self.structural = {(p.id, i) for p in self.patterns
                           for i, alt in enumerate(p.alternatives)
                           if any(op["op"] in STRUCTURAL_OPS for op in (alt.get("ops") or ()))}
        # a match touching a changed node starts at most (chain length - 1) hops away
        self.radius = max((len(p.chain) for p in self.patterns), default=1) - 1

    @classmethod
    def default(cls, extra_dirs: Iterable[str] = (), select: Iterable[str] = (),
                ignore: Iterable[str] = (), judge: Judge | None = None) -> Engine:
        """Built-in patterns plus user packs, filtered by id prefix (like ruff, but
        case-insensitive). A prefix that matches no pattern id and no peer equivalent
        raises AdvisorError (CLI: exit 2), so a typo cannot silently disable every rule.
        `judge`: see `run`."""
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
        return cls(chosen, judge=judge)

    # ------------------------------------------------------------------ matching
    def _suppressed(self, ctx: Ctx, m: Match) -> bool:
        nd = ctx.nd
        ids: tuple[str, ...] = ()
        for n in m.all_nodes:
            ignore = nd[n].get("ignore")
            if not ignore:
                continue
            ids = ids or (m.pattern.id, *m.pattern.equivalents)
            if "all" in ignore or "*" in ignore:
                return True
            if any(_prefixed(i, ignore) for i in ids):
                return True
        return False

    def match_all(self, arch: Architecture, patterns: list[Pattern] | None = None,
                  region: set[str] | None = None) -> list[Match]:
        """Unsuppressed, non-superseded matches of `patterns` (default: all) on `arch`."""
        ctx = Ctx(arch)
        matcher = Matcher(ctx)
        found: list[Match] = []
        for p in patterns if patterns is not None else self.patterns:
            for m in matcher.run(p, region):
                if not self._suppressed(ctx, m):
                    found.append(m)
        return _drop_superseded(found)

    # ------------------------------------------------------------------ running
    def run(self, arch: Architecture, apply: str | Mapping[str, int] = "default",
            judge: Judge | None = None) -> Outcome:
        """Findings on `arch` and the architecture rewritten by `apply`: a level
        ("default", "all", "none") or a mapping {finding id: alternative index}.

        `judge` (default: the engine's own, if any) is called as
        `judge(before: Architecture, after: Architecture) -> (cost_delta_usd_month,
        latency_delta_ms)` (after minus before; None when unknown) for each rewriting
        alternative of a cost/performance finding that a level would apply; the levels
        then apply the first alternative that `worse` does not reject (see the module
        docstring). `before` and `after` must be treated as read-only.
        """
        chosen = _check_apply(apply)
        judge = judge if judge is not None else self.judge
        # The engine allocates many small objects and creates no reference cycles; the
        # cyclic collector rescanning a 100k-node graph would make the run superlinear.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            base = arch
            if any(d.get("mode") is None for _, _, d in arch.graph.edges(data=True)):
                base = fast_copy(arch)
                base.resolve_modes()
            matches = self.match_all(base)
            findings = sorted((self._finding(base, m) for m in matches), key=Finding.sort_key)
            decisions: dict[str, int | None] = {}
            if judge is not None:
                by_fid = {finding_id(m): m for m in matches}
                for f in findings:
                    m = by_fid[f.id]
                    if f.auto in ("default", "all") and judged(m.pattern):
                        decisions[f.id] = self._judge_finding(base, f, m.pattern, judge)
            if chosen is not None:
                by_id = {f.id: f for f in findings}
                for fid, index in sorted(chosen.items()):
                    f = by_id.get(fid)
                    if f is not None and not (0 <= index < len(f.alternatives)
                                              and f.alternatives[index].applicable):
                        raise ValueError(f"finding {fid} has no applicable alternative {index}")
            level = "chosen" if chosen is not None else str(apply)
            after, changes = self._rewrite(base, matches, level, chosen or {}, decisions,
                                           judge)
        finally:
            if was_enabled:
                gc.enable()
        return Outcome(findings=findings, after=after, changes=changes)

    def auto_level(self, m: Match) -> str:
        """Which `apply` level rewrites this match by itself: "default", "all",
        "chosen" (only when picked by id) or "never" (advice only)."""
        p = m.pattern
        if not p.rewrites:
            return "never"
        if p.apply == "default" and not m.likely:
            return "default"
        if p.apply in ("default", "opt-in"):
            return "all"
        return "chosen"

    def _choice(self, m: Match, apply: str, chosen: Mapping[str, int],
                decisions: dict[str, int | None] | None = None,
                judge_here: Callable[[Match], int | None] | None = None) -> int | None:
        """The alternative to apply to a match under `apply`, or None. With a judge,
        `decisions` holds the judged choice of the input's findings and `judge_here`
        judges a match that appeared only after a rewrite."""
        if apply == "chosen":
            return chosen.get(finding_id(m))
        if apply == "none":
            return None
        level = self.auto_level(m)
        if not (level == "default" or (apply == "all" and level == "all")):
            return None
        if judge_here is None or not judged(m.pattern):
            return 0
        fid = finding_id(m)
        if decisions is not None and fid in decisions:
            return decisions[fid]
        index = judge_here(m)
        if decisions is not None:
            decisions[fid] = index
        return index

    def _judge_finding(self, base: Architecture, f: Finding, p: Pattern,
                       judge: Judge) -> int | None:
        """The first alternative of `f` the judge accepts (None: none); records every
        judged delta on the alternative and, when none is accepted, why on the finding."""
        first_reason = None
        for i, alt in enumerate(f.alternatives):
            if not alt.applicable:
                continue
            after = alt.after
            if after is None:  # refused on this design
                continue
            cost, latency = _ask(judge, base, after)
            alt.cost_delta_usd_month = None if cost is None else round(float(cost), 2) + 0.0
            alt.latency_delta_ms = None if latency is None else round(float(latency), 1) + 0.0
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

    def _judge_match(self, work: Architecture, m: Match, judge: Judge) -> int | None:
        """Judge a match found only after a rewrite, on the current working design
        (confirmed glue falls back to its first rewrite, as in `_judge_finding`)."""
        before = fast_copy(work)
        first: int | None = None
        for i, alt in enumerate(m.pattern.alternatives):
            if not alt.get("ops"):
                continue
            after = fast_copy(work)
            try:
                Rewriter(after).apply(m.pattern, m.nodes, i)
            except Refused:
                continue
            cost, latency = _ask(judge, before, after)
            if worse(m.pattern, cost, latency) is None:
                return i
            first = i if first is None else first
        return first if m.pattern.id.startswith("GLUE-") and not m.likely else None

    def _rewrite(self, base: Architecture, matches: list[Match], apply: str,
                 chosen: Mapping[str, int], decisions: dict[str, int | None] | None = None,
                 judge: Judge | None = None) -> tuple[Architecture, list[Change]]:
        work = fast_copy(base)
        judge_here = None
        if judge is not None and apply in ("default", "all"):
            def judge_here(m: Match) -> int | None:
                return self._judge_match(work, m, judge)
        changes: list[Change] = []
        if apply == "none" or (apply == "chosen" and not chosen):
            return work, changes
        if apply == "chosen":
            rules = {fid.split(":", 1)[0] for fid in chosen}
            rewriting = [p for p in self.patterns if p.id in rules]
        else:
            levels = ("default",) if apply == "default" else ("default", "opt-in")
            rewriting = [p for p in self.patterns if p.rewrites and p.apply in levels]
        current = matches
        for _round in range(MAX_ROUNDS):
            candidates = sorted(
                ((m, i) for m in current
                 if (i := self._choice(m, apply, chosen, decisions, judge_here)) is not None),
                key=lambda mi: (mi[0].pattern.priority, mi[0].subject, mi[0].pattern.id,
                                mi[0].nodes),
            )
            if not candidates:
                break
            # one priority class per round: glue removals (priority 10) reach their
            # fixpoint before DLQs and settings are added, so a DLQ is never added to a
            # function that is about to go, nor named after it
            top = candidates[0][0].pattern.priority
            deferred = [m for m, _ in candidates if m.pattern.priority != top]
            rw = Rewriter(work)
            ctx = Ctx(work)  # one view per round; kept current by note_changed
            matcher = Matcher(ctx)
            used: set[str] = set()
            applied = False
            for m, index in candidates:
                if m.pattern.priority != top:
                    break
                structural = (m.pattern.id, index) in self.structural
                if structural and used.intersection(m.nodes):
                    continue
                fresh = matcher.verify(m)
                if fresh is None or self._suppressed(ctx, fresh):
                    continue
                try:
                    made = rw.apply(m.pattern, m.nodes, index)
                except Refused:
                    continue
                fid = finding_id(m)
                for c in made:
                    c.finding, c.alternative, c.match = fid, index, tuple(m.nodes)
                    c.added = rw.last_added
                changes.extend(made)
                ctx.note_changed(rw.last_touched | set(m.nodes))
                used.update(rw.last_touched if structural else m.nodes)
                applied = True
            if not applied and not deferred:
                break
            g = work.graph
            region = _expand(work, rw.touched, self.radius) if applied else set()
            current = self.match_all(work, rewriting, region) if applied else []
            # deferred matches away from what changed stay valid (verified when applied);
            # those near it were matched afresh above
            current += [m for m in deferred
                        if all(n in g for n in m.nodes) and not region.intersection(m.nodes)]
        return work, changes

    # ------------------------------------------------------------------ findings
    def _finding(self, base: Architecture, m: Match) -> Finding:
        p = m.pattern
        message_text, alt_info = _finding_texts(p)
        values: dict[str, Any] = {f"n{i}": n for i, n in enumerate(m.nodes)}
        values.update({"subject": m.subject, "evidence": ""})
        values.update(m.fields)
        message = _format(message_text or f"{p.title}: {', '.join(m.nodes)}", values)
        if m.likely:
            message += (f" (likely: inferred from the structure alone; state"
                        f" `glue = true` or `glue = false` on {m.subject} to confirm)")
        nd = base.graph._node  # no view object per look-up (100k-node designs)
        loc = nd[m.subject].get("loc")
        if loc is None:
            loc = next((nd[n]["loc"] for n in m.nodes if nd[n].get("loc") is not None), None)
        alts = []
        auto = self.auto_level(m)
        by_default = auto == "default"
        for i, (title, plain, ops) in enumerate(alt_info):
            alts.append(Alternative(
                title=title if plain else _format(title, values),
                _build=_builder(base, p, m.nodes, i) if ops else None,
                applies_by_default=(i == 0 and by_default),
                applicable=ops,
            ))
        return Finding(
            id=finding_id(m), auto=auto,
            auto_alternative=0 if auto in ("default", "all") else None,
            rule=p.id, title=p.title, pillar=p.pillar, severity=p.severity,
            nodes=list(m.all_nodes), message=message, location=loc, likely=m.likely,
            alternatives=alts, references=list(p.references), subject=m.subject,
            equivalents=list(p.equivalents),
        )


# id(pattern) -> (pattern, (message, ((title, title has no fields, has ops), ...)));
# the pattern is kept so its id is never reused
_TEXTS: dict[int, tuple[Pattern, tuple[str, tuple[tuple[str, bool, bool], ...]]]] = {}


def _finding_texts(p: Pattern) -> tuple[str, tuple[tuple[str, bool, bool], ...]]:
    """A pattern's message and alternative titles, read once per pattern rather than once
    per finding (a 100k-node design has tens of thousands of findings)."""
    hit = _TEXTS.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    alts = tuple((alt["title"], "{" not in alt["title"] and "}" not in alt["title"],
                  bool(alt.get("ops"))) for alt in p.alternatives)
    texts = (p.message, alts)
    _TEXTS[id(p)] = (p, texts)
    return texts


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


def finding_id(m: Match) -> str:
    """The stable id of a match's finding: rule id and node names (`apply=` mapping key)."""
    return f"{m.pattern.id}:{'/'.join(m.all_nodes)}"


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


def _builder(base: Architecture, p: Pattern, nodes: tuple[str, ...], i: int) -> Any:
    def build() -> Architecture | None:
        work = fast_copy(base)
        try:
            Rewriter(work).apply(p, nodes, i)
        except Refused:
            return None
        return work

    return build


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format_map(_SafeDict(values))
    except (ValueError, IndexError):
        return text


def _expand(arch: Architecture, seeds: set[str], radius: int) -> set[str]:
    """Nodes within `radius` hops (either direction) of the seeds: where a new match can be."""
    g = arch.graph
    region = {n for n in seeds if n in g}
    frontier = set(region)
    for _ in range(radius):
        nxt: set[str] = set()
        for n in frontier:
            nxt.update(g.predecessors(n))
            nxt.update(g.successors(n))
        nxt -= region
        if not nxt:
            break
        region |= nxt
        frontier = nxt
    return region


def _drop_superseded(found: list[Match]) -> list[Match]:
    """Drop matches of a rule that another matched rule on the same subject supersedes."""
    covered: set[tuple[str, str]] = set()
    for m in found:
        for rule in m.pattern.supersedes:
            for n in m.nodes:
                covered.add((rule, n))
    if not covered:
        return found
    return [m for m in found if (m.pattern.id, m.subject) not in covered]
