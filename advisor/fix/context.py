"""What a patch generator is given: one applied rewrite, the designs before and after it,
and the file(s) being patched; and what it hands back (new node -> resource names).

A generator is `fn(ctx: FixContext) -> None`; it edits `ctx.target` (a CloudFormation
`Template`, a Terraform module, a DSL file) and raises `Unpatchable(reason)` when the
rewrite cannot be written safely. The caller rolls the file back to where it was before
the generator ran, so a half-written rewrite never reaches a patch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.engine.findings import Change
from advisor.fix.cfn.template import Unpatchable
from advisor.model import Architecture

__all__ = ["FixContext", "Rewrite", "Unpatchable"]


@dataclass
class Rewrite:
    """One applied rewrite: the engine's change records that share a finding id."""

    finding: str
    rule: str
    alternative: int
    match: tuple[str, ...]
    changes: list[Change] = field(default_factory=list)

    @property
    def added(self) -> list[str]:
        """Nodes this rewrite added (in the order the engine added them)."""
        out = [c.nodes[0] for c in self.changes if c.action == "add_node"]
        out += [c.nodes[1] for c in self.changes if c.action == "replace"]
        for c in self.changes:  # named rewriters (close_stream_gaps, forward_natively)
            out += [n for n in getattr(c, "added", ()) if n not in out]
        return out

    @property
    def removed(self) -> list[str]:
        return [c.nodes[0] for c in self.changes if c.action in ("bypass", "remove", "replace")]


def group_changes(changes: list[Change]) -> list[Rewrite]:
    """The applied rewrites, in the order the engine applied them."""
    out: list[Rewrite] = []
    by_id: dict[str, Rewrite] = {}
    for c in changes:
        key = c.finding or f"{c.rule}:{'/'.join(c.nodes)}"
        rw = by_id.get(key)
        if rw is None:
            rw = Rewrite(key, c.rule, c.alternative, tuple(c.match or c.nodes))
            by_id[key] = rw
            out.append(rw)
        rw.changes.append(c)
    return out


@dataclass
class FixContext:
    rewrite: Rewrite
    before: Architecture
    after: Architecture
    target: Any  # Template | TerraformModule | DslFile
    names: dict[str, str]  # engine node added by a rewrite -> the name it got in the file
    notes: list[str] = field(default_factory=list)  # assumptions stated next to the patch
    # resources a patch adds that the engine models as a prop, not a node (a function's
    # log group): the re-import may show them as nodes of their own
    support: set[str] = field(default_factory=set)
    # IAM actions a patch grants a role so the new setting works (X-Ray writes): the
    # engine's design implies them, it does not list them in `permissions`
    granted: set[str] = field(default_factory=set)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def match(self) -> tuple[str, ...]:
        return self.rewrite.match

    def added(self, kind: str | None = None) -> list[str]:
        return [n for n in self.rewrite.added
                if kind is None or (n in self.after.graph and self.after.kind(n) == kind)]

    def node(self, name: str) -> dict[str, Any]:
        g = self.before.graph if name in self.before.graph else self.after.graph
        return g.nodes[name]  # type: ignore[no-any-return]

    def source_id(self, name: str) -> str:
        data = self.node(name)
        return str(data.get("source_id") or name)

    def after_props(self, name: str) -> dict[str, Any]:
        return dict(self.after.graph.nodes[name]["props"]) if name in self.after.graph else {}

    def before_edge(self, a: str, b: str) -> dict[str, Any]:
        g = self.before.graph
        return dict(g.edges[a, b].get("props") or {}) if g.has_edge(a, b) else {}

    def after_edge(self, a: str, b: str) -> dict[str, Any]:
        g = self.after.graph
        return dict(g.edges[a, b].get("props") or {}) if g.has_edge(a, b) else {}
