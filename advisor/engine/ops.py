"""The op interpreter: one pattern alternative applied to a working copy, atomically.

Each pattern alternative is a list of ops (bypass, remove, set, unset, set_kind, replace,
add_node, add_edge, set_edge, call). A `Rewriter` applies one alternative for one match
atomically: it snapshots the neighbourhood first and restores it when an op is refused,
so a half-applied alternative never leaks into `after`. The choose layer uses it to build
each alternative's `after` on a copy; the rewrite layer to apply the chosen ones.

Safety rule (docs/internals.md, "Rewrites"): a rewrite never removes a security control
silently. Removing an API (apigw, appsync, alb) whose `auth` is not `none` is refused
unless the callers that now reach the target directly are given credentials
(`client_credentials`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor import catalog
from advisor.engine.context import Ctx
from advisor.engine.edit import Delta, Editor, Refused
from advisor.engine.findings import Change
from advisor.engine.pattern import Pattern
from advisor.engine.rewriters import REWRITERS
from advisor.engine.routes import forward_targets

API_KINDS = ("apigw", "appsync", "alb")
# check(delta) -> violations ({invariant, why}); the choose layer's safety invariants
Check = Callable[[Delta], list[dict[str, str]]]


class Rewriter(Editor):
    """Applies alternatives to `arch` (mutated in place); records `Change`s."""

    # ------------------------------------------------------------ alternatives
    def apply(self, pattern: Pattern, nodes: tuple[str, ...], alt_index: int = 0,
              check: Check | None = None) -> list[Change]:
        """Apply one alternative atomically; raises Refused (graph restored) when unsafe.

        `check(delta)` (the choose layer's safety invariants, handed in: this layer does
        not know them) is asked after the ops, before the change is kept; the violations
        it returns refuse the alternative like a failed op."""
        alt = pattern.alternatives[alt_index]
        region = set(nodes)
        pristine, self.pristine_of = self.pristine_of, None  # (the first alternative only)
        if any(op["op"] in ("bypass", "remove", "replace", "call") for op in alt.get("ops", ())):
            g = pristine if pristine is not None else self.g  # (the same neighbours)
            for n in nodes:  # these rewire neighbours too
                if n in g:
                    region.update(g._pred[n])
                    region.update(g._succ[n])
        snap = self.snapshot(region, pristine)
        mark = len(self.added)
        outer = self.touched
        self.touched = set()
        names: dict[str, str] = {}
        changes: list[Change] = []
        try:
            for op in alt.get("ops", []):
                changes.extend(self._op(pattern, nodes, op, names))
            if check is not None:
                self.last_delta = Delta(snap["nodes"], snap["edges"], self.arch,
                                        list(self.added[mark:]), set(self.touched),
                                        pattern.id, alt, dict(pattern.match.get("params") or {}))
                violations = check(self.last_delta)
                if violations:
                    raise Refused("; ".join(f"{v['invariant']}: {v['why']}"
                                            for v in violations), violations)
        except Refused:
            if pristine is None:  # (an untouched copy's owner drops it instead)
                self.restore(snap, self.added[mark:])
            del self.added[mark:]
            self.touched = outer
            raise
        self.last_touched = self.touched
        self.last_added = tuple(self.added[mark:])
        outer.update(self.touched)  # in place: a union copy per rewrite is quadratic
        self.touched = outer
        return changes

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
                self.g._node[n]["props"].pop(p, None)
            self.touched.add(n)
            return [Change(rule, "unset", [n], f"{n}: removed {', '.join(op['props'])}")]
        if kind == "set_kind":
            n = self._existing(self._name(op["node"], nodes, names))
            old = self.g._node[n]["kind"]
            keep = set(op.get("keep_props", ()))
            data = self.g._node[n]
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
                group = tuple(self.g._node[self._name(op["group_of"], nodes, names)]
                              .get("group", ()))
            props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
            if op["kind"] == "sqs" and props.get("is_dlq") and any(
                    n in self.g and self.g._node[n]["kind"] in ("sqs", "sns")
                    and self.g._node[n]["props"].get("fifo") for n in nodes):
                props["fifo"] = True  # a FIFO queue's or FIFO subscription's DLQ must be FIFO
            name = self.new_node(template, op["kind"], props, group)
            names[template] = name
            return [Change(rule, "add_node", [name], f"added {op['kind']} {name}")]
        if kind == "add_edge":
            a = self._existing(self._name(op["from"], nodes, names))
            b = self._existing(self._name(op["to"], nodes, names))
            props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
            self.add_edge(a, b, op.get("mode"), props, op.get("label"))
            return [Change(rule, "add_edge", [a, b], f"added {a} -> {b}")]
        if kind == "set_edge":
            a = self._existing(self._name(op["from"], nodes, names))
            b = self._existing(self._name(op["to"], nodes, names))
            if not self.g.has_edge(a, b):
                raise Refused(f"no edge {a} -> {b}")
            data = self.g._succ[a][b]
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
            detail = REWRITERS[op["fn"]](self, nodes, op.get("args", {}))
            return [Change(rule, op["fn"], list(nodes), detail)] if detail else []
        raise Refused(f"unknown op {kind}")  # the schema makes this unreachable

    def _guard_security(self, n: str, credentialed: list[str]) -> None:
        """Refuse to drop an authenticating API unless every caller now authenticates."""
        data = self.g._node[n]
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
        out_data = self.g._succ[x][s]
        for p in preds:
            in_props = self.g._succ[p][x].get("props") or {}
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
            self.add_edge(p, s, op.get("mode"), props, out_data.get("label"))
        if cred:
            for p in preds:
                self.g._node[p]["props"]["credentials"] = cred
            identity = self.new_node(f"{x}_identity", "cognito", {"pool": "identity"},
                                     tuple(self.g._node[x].get("group", ())))
            changes.append(Change(rule, "add_node", [identity],
                                  f"added cognito {identity} (identity pool: {cred} credentials"
                                  f" for {', '.join(preds)})"))
            for p in preds:
                self.add_edge(p, identity, "sync", {})
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
        data = self.g._node[x]
        props = {k: self._value(v, nodes, names) for k, v in op.get("props", {}).items()}
        new = self.new_node(template, op["kind"], props, tuple(data.get("group", ())))
        names[template] = new
        side = Ctx(self.arch).side_targets(x)
        for p, _, d in list(self.g.in_edges(x, data=True)):
            self.add_edge(p, new, None, dict(d.get("props") or {}), d.get("label"))
        failure = data["props"].get("on_failure") or data["props"].get("dlq")
        for _, s, d in list(self.g.out_edges(x, data=True)):
            if s in side:
                continue
            self.add_edge(new, s, None, dict(d.get("props") or {}), d.get("label"))
        if op.get("carry_failure") and failure and failure in self.g:
            for p in self.g.predecessors(new):
                eprops = self.g._succ[p][new]["props"]
                eprops.setdefault("on_failure", failure)
        self.g.remove_node(x)
        self.touched.add(new)
        return [Change(rule, "replace", [x, new], f"replaced {x} by {op['kind']} {new}")]


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
