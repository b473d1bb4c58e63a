"""The Engine: run every pattern, report findings, rewrite to a fixpoint.

Rewriting policy (documented in docs/patterns-authoring.md):

- Which findings are rewritten: `apply="none"` none; `"default"` the first alternative
  of findings whose pattern says `fix.apply: default` and that are not only *likely*
  (structure-inferred glue); `"all"` also likely findings and `opt-in` patterns.
  `manual` patterns are never applied, only offered.
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
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

from advisor.engine.context import Ctx
from advisor.engine.findings import Alternative, Change, Finding, Outcome
from advisor.engine.loader import Pattern, load_all
from advisor.engine.matcher import Match, Matcher
from advisor.engine.rewrite import Refused, Rewriter, fast_copy
from advisor.model import Architecture

MAX_ROUNDS = 25
APPLY_CHOICES = ("default", "all", "none")
# ops that change which nodes and edges exist; the others only set props or add leaves
STRUCTURAL_OPS = frozenset({"bypass", "remove", "replace", "set_kind", "call"})


def _prefixed(rule: str, prefixes: Iterable[str]) -> bool:
    return any(rule == p or rule.startswith(p) for p in prefixes if p)


class Engine:
    """A set of patterns; `run` analyses and rewrites one architecture."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self.patterns = sorted(patterns, key=lambda p: p.id)
        self.by_id = {p.id: p for p in self.patterns}
        self.structural = {p.id for p in self.patterns if any(
            op["op"] in STRUCTURAL_OPS for op in (p.alternatives[0].get("ops") or ()))}
        # a match touching a changed node starts at most (chain length - 1) hops away
        self.radius = max((len(p.chain) for p in self.patterns), default=1) - 1

    @classmethod
    def default(cls, extra_dirs: Iterable[str] = (), select: Iterable[str] = (),
                ignore: Iterable[str] = ()) -> Engine:
        """Built-in patterns plus user packs, filtered by id prefix (like ruff)."""
        select, ignore = tuple(select), tuple(ignore)
        chosen = []
        for p in load_all(tuple(str(d) for d in extra_dirs)):
            ids = (p.id, *p.equivalents)
            if select and not any(_prefixed(i, select) for i in ids):
                continue
            if ignore and any(_prefixed(i, ignore) for i in ids):
                continue
            chosen.append(p)
        return cls(chosen)

    # ------------------------------------------------------------------ matching
    def _suppressed(self, ctx: Ctx, m: Match) -> bool:
        ids = (m.pattern.id, *m.pattern.equivalents)
        for n in m.nodes:
            ignore = ctx.g.nodes[n].get("ignore") or ()
            if not ignore:
                continue
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
    def run(self, arch: Architecture, apply: str = "default") -> Outcome:
        if apply not in APPLY_CHOICES:
            raise ValueError(f"apply must be one of {APPLY_CHOICES}, not {apply!r}")
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
            after, changes = self._rewrite(base, matches, apply)
        finally:
            if was_enabled:
                gc.enable()
        return Outcome(findings=findings, after=after, changes=changes)

    def _eligible(self, m: Match, apply: str) -> bool:
        p = m.pattern
        if apply == "none" or not p.rewrites:
            return False
        if apply == "all":
            return p.apply in ("default", "opt-in")
        return p.apply == "default" and not m.likely

    def _rewrite(self, base: Architecture, matches: list[Match],
                 apply: str) -> tuple[Architecture, list[Change]]:
        work = fast_copy(base)
        changes: list[Change] = []
        if apply == "none":
            return work, changes
        levels = ("default",) if apply == "default" else ("default", "opt-in")
        rewriting = [p for p in self.patterns if p.rewrites and p.apply in levels]
        current = matches
        for _round in range(MAX_ROUNDS):
            candidates = sorted(
                (m for m in current if self._eligible(m, apply)),
                key=lambda m: (m.pattern.priority, m.subject, m.pattern.id, m.nodes),
            )
            if not candidates:
                break
            rw = Rewriter(work)
            ctx = Ctx(work)  # one view per round; kept current by note_changed
            matcher = Matcher(ctx)
            used: set[str] = set()
            applied = False
            for m in candidates:
                structural = m.pattern.id in self.structural
                if structural and used.intersection(m.nodes):
                    continue
                fresh = matcher.verify(m)
                if fresh is None or self._suppressed(ctx, fresh):
                    continue
                try:
                    changes.extend(rw.apply(m.pattern, m.nodes, 0))
                except Refused:
                    continue
                ctx.note_changed(rw.last_touched | set(m.nodes))
                used.update(rw.last_touched if structural else m.nodes)
                applied = True
            if not applied:
                break
            region = _expand(work, rw.touched, self.radius)
            current = self.match_all(work, rewriting, region)
        return work, changes

    # ------------------------------------------------------------------ findings
    def _finding(self, base: Architecture, m: Match) -> Finding:
        p = m.pattern
        values: dict[str, Any] = {f"n{i}": n for i, n in enumerate(m.nodes)}
        values.update({"subject": m.subject, "evidence": ""})
        values.update(m.fields)
        message = _format(p.message or f"{p.title}: {', '.join(m.nodes)}", values)
        if m.likely:
            message += (f" (likely: inferred from the structure alone; state"
                        f" `glue = true` or `glue = false` on {m.subject} to confirm)")
        loc = base.graph.nodes[m.subject].get("loc")
        if loc is None:
            loc = next((base.graph.nodes[n].get("loc") for n in m.nodes
                        if base.graph.nodes[n].get("loc") is not None), None)
        alts = []
        for i, alt in enumerate(p.alternatives):
            alts.append(Alternative(
                title=_format(alt["title"], values),
                _build=_builder(base, p, m.nodes, i) if alt.get("ops") else None,
                applies_by_default=(i == 0 and p.apply == "default" and not m.likely),
            ))
        return Finding(
            id=f"{p.id}:{'/'.join(m.nodes)}",
            rule=p.id, title=p.title, pillar=p.pillar, severity=p.severity,
            nodes=list(m.nodes), message=message, location=loc, likely=m.likely,
            alternatives=alts, references=list(p.references), subject=m.subject,
            equivalents=list(p.equivalents),
        )


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
