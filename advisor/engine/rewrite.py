"""The rewrite layer: apply the choice, re-match around what changed, to a fixpoint.

- Fixpoint: match, apply, re-match the region around what changed, until a round
  changes nothing (at most MAX_ROUNDS). Each rewrite removes its own match, so the
  result is idempotent: optimizing the optimized architecture changes nothing.
- Rounds run one priority class at a time: glue removals (priority 10) reach their
  fixpoint before DLQs and settings are added, so a DLQ is never added to a function
  that is about to go, nor named after it.
- Conflicts: in a round, candidates are ordered by (pattern priority, subject node name,
  rule id, nodes) and each is re-verified against the current graph just before it is
  applied (a stale match is skipped). A structural rewrite (bypass, remove, replace,
  set_kind, named rewriters) is applied only if none of its nodes was touched by an
  earlier rewrite this round (one structural rewrite per node per round); the rest wait
  for the next round, where they are matched afresh. Prop-only rewrites (set, add a
  DLQ) apply whenever they still match.

Which alternative a match gets is the choose layer's answer (`Chooser.pick`); how an
alternative changes the design is the op interpreter's (advisor/engine/ops.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.engine.choose import Chooser, finding_id
from advisor.engine.context import Ctx, Traffic
from advisor.engine.edit import Refused, fast_copy
from advisor.engine.findings import Change
from advisor.engine.matcher import Match, Matcher, find, suppressed
from advisor.engine.ops import Rewriter
from advisor.engine.pattern import Pattern
from advisor.model import Architecture

MAX_ROUNDS = 60  # rounds run one priority class at a time
# ops that change which nodes and edges exist; the others only set props or add leaves
STRUCTURAL_OPS = frozenset({"bypass", "remove", "replace", "set_kind", "call"})


def structural_alternatives(patterns: Iterable[Pattern]) -> set[tuple[str, int]]:
    """(pattern id, alternative index) of every alternative with a structural op."""
    return {(p.id, i) for p in patterns for i, alt in enumerate(p.alternatives)
            if any(op["op"] in STRUCTURAL_OPS for op in (alt.get("ops") or ()))}


def match_radius(patterns: Iterable[Pattern]) -> int:
    """A match touching a changed node starts at most (chain length - 1) hops away."""
    return max((len(p.chain) for p in patterns), default=1) - 1


def rewrite(base: Architecture, matches: list[Match], chooser: Chooser,
            patterns: list[Pattern], structural: set[tuple[str, int]], radius: int,
            traffic: Traffic | None = None) -> tuple[Architecture, list[Change]]:
    """A copy of `base` with the chosen alternatives of `matches` (found on `base`)
    applied, and of the matches that appear on the way, to a fixpoint; the change log."""
    work = fast_copy(base)
    changes: list[Change] = []
    level = chooser.level
    if level == "none" or (level == "chosen" and not chooser.chosen):
        return work, changes
    if level == "chosen":
        rules = {fid.split(":", 1)[0] for fid in chooser.chosen}
        rewriting = [p for p in patterns if p.id in rules]
    else:
        levels = ("default",) if level == "default" else ("default", "opt-in")
        rewriting = [p for p in patterns if p.rewrites and p.apply in levels]
    current = matches
    for _round in range(MAX_ROUNDS):
        candidates = sorted(
            ((m, i) for m in current if (i := chooser.pick(m, work)) is not None),
            key=lambda mi: (mi[0].pattern.priority, mi[0].subject, mi[0].pattern.id,
                            mi[0].nodes),
        )
        if not candidates:
            break
        top = candidates[0][0].pattern.priority
        deferred = [m for m, _ in candidates if m.pattern.priority != top]
        rw = Rewriter(work)
        ctx = Ctx(work, traffic)  # one view per round; kept current by note_changed
        matcher = Matcher(ctx)
        used: set[str] = set()
        applied = False
        for m, index in candidates:
            if m.pattern.priority != top:
                break
            structural_rewrite = (m.pattern.id, index) in structural
            if structural_rewrite and used.intersection(m.nodes):
                continue
            fresh = matcher.verify(m)
            if fresh is None or suppressed(ctx, fresh):
                continue
            try:
                made = rw.apply(m.pattern, m.nodes, index, check=chooser.check)
            except Refused as exc:
                chooser.note_refused(m, index, exc)
                continue
            fid = finding_id(m)
            for c in made:  # which rewrite made each step: advisor.fix patches by it
                c.finding, c.alternative, c.match = fid, index, tuple(m.nodes)
                c.added = rw.last_added
            changes.extend(made)
            ctx.note_changed(rw.last_touched | set(m.nodes))
            used.update(rw.last_touched if structural_rewrite else m.nodes)
            applied = True
        if not applied and not deferred:
            break
        g = work.graph
        region = _expand(work, rw.touched, radius) if applied else set()
        current = find(work, rewriting, region, traffic) if applied else []
        # deferred matches away from what changed stay valid (verified when applied);
        # those near it were matched afresh above
        current += [m for m in deferred
                    if all(n in g for n in m.nodes) and not region.intersection(m.nodes)]
    return work, changes


def _expand(arch: Architecture, seeds: set[str], radius: int) -> set[str]:
    """Nodes within `radius` hops (either direction) of the seeds: where a new match can be."""
    g = arch.graph
    region = {n for n in seeds if n in g}
    frontier = set(region)
    pred, succ = g._pred, g._succ  # (every node of the frontier is in the graph)
    for _ in range(radius):
        nxt: set[str] = set()
        for n in frontier:
            nxt.update(pred[n])
            nxt.update(succ[n])
        nxt -= region
        if not nxt:
            break
        region |= nxt
        frontier = nxt
    return region


__all__ = ["MAX_ROUNDS", "fast_copy", "match_radius", "rewrite", "structural_alternatives"]
