"""Rewrite operations on a working copy of an Architecture.

Each pattern alternative is a list of ops (bypass, remove, set, unset, set_kind, replace,
add_node, add_edge, set_edge, call). A `Rewriter` applies one alternative for one match
atomically: it snapshots the neighbourhood first and restores it when an op is refused,
so a half-applied alternative never leaks into `after`.

Safety rule (DESIGN.md): a rewrite never removes a security control silently. Removing
an API (apigw, appsync, alb) whose `auth` is not `none` is refused unless the callers
that now reach the target directly are given credentials (`client_credentials`).
"""

from __future__ import annotations

import copy
from typing import Any

import networkx as nx

from advisor import catalog
from advisor.engine.context import Ctx
from advisor.engine.findings import Change
from advisor.engine.loader import Pattern
from advisor.model import Architecture

API_KINDS = ("apigw", "appsync", "alb")


class Refused(Exception):
    """The alternative cannot be applied safely to this match."""


def fast_copy(arch: Architecture) -> Architecture:
    """A copy whose graph, node props and edge props can be changed independently.

    Prop values are treated as immutable (ops replace them, never mutate in place), so
    this is much cheaper than `copy.deepcopy` on a 100k-node graph.
    """
    g = arch.graph
    new = nx.DiGraph()
    new.add_nodes_from((n, {**d, "props": dict(d["props"])}) for n, d in g.nodes(data=True))
    new.add_edges_from(
        (a, b, {**d, "props": dict(d.get("props") or {})}) for a, b, d in g.edges(data=True)
    )
    return Architecture(
        name=arch.name, graph=new, workload=copy.deepcopy(arch.workload),
        groups=list(arch.groups), source=arch.source, format=arch.format,
        notes=list(arch.notes),
    )


class Rewriter:
    """Applies alternatives to `arch` (mutated in place); records `Change`s."""

    def __init__(self, arch: Architecture) -> None:
        self.arch = arch
        self.g = arch.graph
        self.touched: set[str] = set()
        self.added: list[str] = []

    def new_node(self, name: str, kind: str, props: dict[str, Any],
                 group: tuple[str, ...] = ()) -> str:
        """Add a node under a free name (name, name_2, ...); returns the name used."""
        name = self._unique(name)
        self.g.add_node(name, kind=kind, props=dict(props), loc=None, group=tuple(group),
                        ignore=frozenset(), source_id=None)
        self.added.append(name)
        self.touched.add(name)
        return name

    # ------------------------------------------------------------ primitives
    def set_props(self, n: str, props: dict[str, Any]) -> None:
        self.g.nodes[n]["props"].update(props)
        self.touched.add(n)

    def _unique(self, name: str) -> str:
        if name not in self.g:
            return name
        i = 2
        while f"{name}_{i}" in self.g:
            i += 1
        return f"{name}_{i}"

    def _add_edge(self, a: str, b: str, mode: str | None, props: dict[str, Any],
                  label: str | None = None) -> None:
        if a == b:
            return
        mode = mode or catalog.default_edge_mode(self.g.nodes[a]["kind"], self.g.nodes[b]["kind"])
        if self.g.has_edge(a, b):
            data = self.g.edges[a, b]
            data["props"] = {**data.get("props", {}), **props}
        else:
            self.g.add_edge(a, b, mode=mode, label=label, props=dict(props), loc=None)
        self.touched.update((a, b))

    # ------------------------------------------------------------ alternatives
    def apply(self, pattern: Pattern, nodes: tuple[str, ...], alt_index: int = 0) -> list[Change]:
        """Apply one alternative atomically; raises Refused (graph restored) when unsafe."""
        alt = pattern.alternatives[alt_index]
        region = set(nodes)
        if any(op["op"] in ("bypass", "remove", "replace", "call") for op in alt.get("ops", ())):
            for n in nodes:  # these rewire neighbours too
                if n in self.g:
                    region.update(self.g._pred[n])
                    region.update(self.g._succ[n])
        snap = self._snapshot(region)
        mark = len(self.added)
        outer = self.touched
        self.touched = set()
        names: dict[str, str] = {}
        changes: list[Change] = []
        try:
            for op in alt.get("ops", []):
                changes.extend(self._op(pattern, nodes, op, names))
        except Refused:
            self._restore(snap, self.added[mark:])
            del self.added[mark:]
            self.touched = outer
            raise
        self.last_touched = self.touched
        self.last_added = tuple(self.added[mark:])
        outer.update(self.touched)  # in place: a union copy per rewrite is quadratic
        self.touched = outer
        return changes

    def _snapshot(self, region: set[str]) -> dict[str, Any]:
        """Node and edge attributes around a match (props copied; values are immutable)."""
        nd, pred, succ = self.g._node, self.g._pred, self.g._succ  # no view objects
        nodes = {n: {**nd[n], "props": dict(nd[n]["props"])} for n in region if n in nd}
        edges = {}
        for n in nodes:
            for a, d in pred[n].items():
                edges[(a, n)] = {**d, "props": dict(d.get("props") or {})}
            for b, d in succ[n].items():
                edges[(n, b)] = {**d, "props": dict(d.get("props") or {})}
        return {"nodes": nodes, "edges": edges}

    def _restore(self, snap: dict[str, Any], added: list[str]) -> None:
        g = self.g
        for n in added:
            if n in g:
                g.remove_node(n)
        for n in snap["nodes"]:
            if n in g:
                g.remove_node(n)
        for n, d in snap["nodes"].items():
            g.add_node(n, **d)
        for (a, b), d in snap["edges"].items():
            if a in g and b in g:
                g.add_edge(a, b, **d)

    def _name(self, ref: Any, nodes: tuple[str, ...], names: dict[str, str]) -> str:
        if isinstance(ref, int):
            return nodes[ref]
        text = self._fmt(str(ref), nodes)
        return names.get(text, text)

    @staticmethod
    def _fmt(text: str, nodes: tuple[str, ...]) -> str:
        values = {f"n{i}": n for i, n in enumerate(nodes)}
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError):
            return text

    def _value(self, v: Any, nodes: tuple[str, ...], names: dict[str, str]) -> Any:
        if isinstance(v, str) and "{" in v:
            text = self._fmt(v, nodes)
            return names.get(text, text)
        if isinstance(v, str):
            try:
                return catalog.parse_unit_text(v) if v[:1].isdigit() else v
            except ValueError:
                return v
        return v

    def _existing(self, name: str) -> str:
        if name not in self.g:
            raise Refused(f"node '{name}' no longer exists")
        return name

    # ------------------------------------------------------------ ops
    def _op(self, pattern: Pattern, nodes: tuple[str, ...], op: dict[str, Any],
            names: dict[str, str]) -> list[Change]:
        kind = op["op"]
        rule = pattern.id
        if kind == "bypass":
            return self._bypass(rule, self._existing(self._name(op["node"], nodes, names)), op,
                                nodes, names)
        if kind == "remove":
            n = self._existing(self._name(op["node"], nodes, names))
            self._guard_security(n, [])
            self.g.remove_node(n)
            return [Change(rule, "remove", [n], f"removed {n}")]
        if kind == "set":
            n = self._existing(self._name(op["node"], nodes, names))
            props = {k: self._value(v, nodes, names) for k, v in op["props"].items()}
            self.set_props(n, props)
            text = ", ".join(f"{k} = {_show(v)}" for k, v in sorted(props.items()))
            return [Change(rule, "set", [n], f"{n}: {text}")]
        if kind == "unset":
            n = self._existing(self._name(op["node"], nodes, names))
            for p in op["props"]:
                self.g.nodes[n]["props"].pop(p, None)
            self.touched.add(n)
            return [Change(rule, "unset", [n], f"{n}: removed {', '.join(op['props'])}")]
        if kind == "set_kind":
            n = self._existing(self._name(op["node"], nodes, names))
            old = self.g.nodes[n]["kind"]
            keep = set(op.get("keep_props", ()))
            data = self.g.nodes[n]
            data["kind"] = op["kind"]
            data["props"] = {k: v for k, v in data["props"].items() if k in keep}
            self.touched.add(n)
            return [Change(rule, "change_kind", [n], f"{n}: {old} -> {op['kind']}")]
        if kind == "replace":
            return self._replace(rule, self._existing(self._name(op["node"], nodes, names)), op,
                                 nodes, names)
        if kind == "add_node":
            template = self._fmt(op["name"], nodes)
            group: tuple[str, ...] = ()
            if "group_of" in op:
                group = tuple(self.g.nodes[self._name(op["group_of"], nodes, names)]
                              .get("group", ()))
            props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
            if op["kind"] == "sqs" and props.get("is_dlq") and any(
                    n in self.g and self.g.nodes[n]["kind"] in ("sqs", "sns")
                    and self.g.nodes[n]["props"].get("fifo") for n in nodes):
                props["fifo"] = True  # a FIFO queue's or FIFO subscription's DLQ must be FIFO
            name = self.new_node(template, op["kind"], props, group)
            names[template] = name
            return [Change(rule, "add_node", [name], f"added {op['kind']} {name}")]
        if kind == "add_edge":
            a = self._existing(self._name(op["from"], nodes, names))
            b = self._existing(self._name(op["to"], nodes, names))
            props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
            self._add_edge(a, b, op.get("mode"), props, op.get("label"))
            return [Change(rule, "add_edge", [a, b], f"added {a} -> {b}")]
        if kind == "set_edge":
            a = self._existing(self._name(op["from"], nodes, names))
            b = self._existing(self._name(op["to"], nodes, names))
            if not self.g.has_edge(a, b):
                raise Refused(f"no edge {a} -> {b}")
            data = self.g.edges[a, b]
            props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
            data["props"] = {**data.get("props", {}), **props}
            for p in op.get("unset", ()):
                data["props"].pop(p, None)
            if op.get("mode"):
                data["mode"] = op["mode"]
                props = {**props, "mode": op["mode"]}
            if op.get("label"):
                data["label"] = op["label"]
            self.touched.update((a, b))
            text = ", ".join(f"{k} = {_show(v)}" for k, v in sorted(props.items()))
            return [Change(rule, "set_edge", [a, b], f"{a} -> {b}: {text}")]
        if kind == "call":
            from advisor.engine.predicates import REWRITERS

            detail = REWRITERS[op["fn"]](self, nodes, op.get("args", {}))
            return [Change(rule, op["fn"], list(nodes), detail)] if detail else []
        raise Refused(f"unknown op {kind}")  # the schema makes this unreachable

    def _guard_security(self, n: str, credentialed: list[str]) -> None:
        """Refuse to drop an authenticating API unless every caller now authenticates."""
        data = self.g.nodes[n]
        if data["kind"] not in API_KINDS:
            return
        auth = catalog.prop_value(data["props"], data["kind"], "auth")
        if auth in (None, "none"):
            return
        missing = [p for p in self.g.predecessors(n) if p not in credentialed]
        if missing:
            raise Refused(f"removing {n} would drop its {auth} authorization for"
                          f" {', '.join(sorted(missing))}")

    def _bypass(self, rule: str, x: str, op: dict[str, Any], nodes: tuple[str, ...],
                names: dict[str, str]) -> list[Change]:
        """Remove x and connect each predecessor to x's single real successor."""
        from advisor.engine.predicates import forward_targets

        ctx = Ctx(self.arch)
        succs = forward_targets(ctx, x)
        if len(succs) != 1:
            raise Refused(f"{x} has {len(succs)} targets; cannot bypass it")
        s = succs[0]
        preds = sorted(self.g.predecessors(x))
        if not preds:
            raise Refused(f"{x} has no caller to reconnect")
        cred = op.get("client_credentials")
        credentialed: list[str] = []
        changes: list[Change] = []
        if cred:
            if any(ctx.category(p) != "client" for p in preds):
                raise Refused(f"only clients can call {s} directly; {x} has other callers")
            credentialed = preds
        self._guard_security(x, credentialed)
        carry = op.get("carry", ["filter", "fanout"])
        x_props = ctx.props(x)
        out_data = self.g.edges[x, s]
        for p in preds:
            in_props = self.g.edges[p, x].get("props") or {}
            props = {k: v for k, v in in_props.items() if k in carry}
            props.update({k: v for k, v in (out_data.get("props") or {}).items() if k in carry})
            props.update({k: self._value(v, nodes, names)
                          for k, v in op.get("edge_props", {}).items()})
            if op.get("integration"):
                props["integration"] = op["integration"]
            if op.get("failure_to_edge"):
                dest = x_props.get("on_failure") or x_props.get("dlq")
                if dest and dest in self.g and "dlq" not in props:
                    props["dlq"] = dest
            self._add_edge(p, s, op.get("mode"), props, out_data.get("label"))
        if cred:
            for p in preds:
                self.g.nodes[p]["props"]["credentials"] = cred
            identity = self.new_node(f"{x}_identity", "cognito", {"pool": "identity"},
                                     tuple(self.g.nodes[x].get("group", ())))
            changes.append(Change(rule, "add_node", [identity],
                                  f"added cognito {identity} (identity pool: {cred} credentials"
                                  f" for {', '.join(preds)})"))
            for p in preds:
                self._add_edge(p, identity, "sync", {})
        self.g.remove_node(x)
        self.touched.update([*preds, s])
        how = f" ({op['integration']} integration)" if op.get("integration") else ""
        changes.insert(0, Change(rule, "bypass", [x],
                                 f"removed {x}; {', '.join(preds)} -> {s}{how}"))
        return changes

    def _replace(self, rule: str, x: str, op: dict[str, Any], nodes: tuple[str, ...],
                 names: dict[str, str]) -> list[Change]:
        """Put a new node of another kind in x's place, taking over its edges."""
        template = self._fmt(op["name"], nodes)
        data = self.g.nodes[x]
        props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
        new = self.new_node(template, op["kind"], props, tuple(data.get("group", ())))
        names[template] = new
        side = Ctx(self.arch).side_targets(x)
        for p, _, d in list(self.g.in_edges(x, data=True)):
            self._add_edge(p, new, None, dict(d.get("props") or {}), d.get("label"))
        failure = data["props"].get("on_failure") or data["props"].get("dlq")
        for _, s, d in list(self.g.out_edges(x, data=True)):
            if s in side:
                continue
            self._add_edge(new, s, None, dict(d.get("props") or {}), d.get("label"))
        if op.get("carry_failure") and failure and failure in self.g:
            for p in self.g.predecessors(new):
                eprops = self.g.edges[p, new]["props"]
                eprops.setdefault("on_failure", failure)
        self.g.remove_node(x)
        self.touched.add(new)
        return [Change(rule, "replace", [x, new], f"replaced {x} by {op['kind']} {new}")]


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
