"""Rewrite safety invariants: checked on every rewrite before it is applied or offered.

Each invariant is one function over the `Delta` of one alternative (the neighbourhood as
it was, the design as it is after the ops; advisor/engine/edit.py) and returns why it is
broken, or None. `check` runs them all; a rewrite that fails one is refused (never
applied, never offered as applicable) and the finding says which invariant and why.

1. `paths_kept`: every entry point still reaches every sink it reached: each caller of a
   removed node reaches that node's real targets, and every edge that went away between
   nodes that remain is replaced by a path (the removed glue itself excepted).
2. `auth_kept`: authentication on every path is kept: no caller of a removed
   authenticating API reaches its targets on an open path without credentials; no API
   loses its `auth`; no function that acted with per-request credentials (STS in its
   policy) is replaced by a fixed integration role.
3. `semantics_kept`: FIFO ordering, filters, batching and windowing of the edges into a
   removed node are kept on the new path, or the alternative says what changes
   (`what_changes` in the pattern, by aspect).
4. `no_orphan_added`: no node is added that nothing reads (a queue or stream with no
   consumer), unless it is a failure destination or stands for the target the removed
   function's code sends to.
5. `no_phantom_copy`: no added node is a copy of a removed node or of the removed
   function's own input (a queue added beside the queue the function read from).
6. `integration_exists`: every new edge is an integration AWS has with that
   configuration (the catalog's integrations within integration_limits.yaml; an HTTP API
   only with its subtypes and actions; a target read from the event only where the
   mechanism takes it per request).

All are local: they read the snapshot and search the new design a few hops from what
changed, so checking costs the neighbourhood, not the design.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx

from advisor import catalog
from advisor.datafiles import safe_load
from advisor.engine import apis, evidence, limits
from advisor.engine.conditions import check_condition
from advisor.engine.context import INCIDENTAL_CATEGORIES, SIDE_PROPS, category_of
from advisor.engine.edit import Delta
from advisor.engine.routes import NOT_AWS_APIS, code_targets, hop_mechanism
from advisor.overlay import linked

API_KINDS = ("apigw", "appsync", "alb")
MAX_HOPS = 6  # a rewritten path is a few hops long (a pipe, a workflow, the target)
BUFFER_KINDS = frozenset({"sqs", "sns", "kinesis", "eventbridge", "firehose"})
ORDERED_SOURCES = frozenset({"kinesis", "dynamodb"})  # streams; FIFO queues/topics by prop
FAILURE_LABELS = frozenset({"on failure", "on success", "dlq"})
# targets that configure their source rather than receive its data
SETTING_CATEGORIES = INCIDENTAL_CATEGORIES | {"identity"}
ASPECTS = ("ordering", "filter", "batching", "windowing")

Violation = dict[str, str]


@cache
def _limits_data() -> dict[str, Any]:
    path = Path(__file__).with_name("integration_limits.yaml")
    return safe_load(path.read_text("utf-8"), remember=True) or {}  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- helpers
def _reaches(g: nx.DiGraph, a: str, b: str, avoid: Callable[[str], bool] | None = None) -> bool:
    """b is reachable from a in at most MAX_HOPS hops (not through nodes `avoid` says)."""
    if a == b:
        return True
    seen = {a}
    todo = deque([(a, 0)])
    while todo:
        n, depth = todo.popleft()
        if depth >= MAX_HOPS:
            continue
        for s in g._succ[n]:
            if s == b:
                return True
            if s in seen or (avoid is not None and avoid(s)):
                continue
            seen.add(s)
            todo.append((s, depth + 1))
    return False


def _work_succs(d: Delta, x: str) -> list[str]:
    """What removed node x really sent to, as it was: not its failure or success
    destinations, logs or keys."""
    props = d.before_props(x)
    side = {str(props[p]) for p in SIDE_PROPS if props.get(p)}
    out = []
    for s in d.before_succs(x):
        data = d.edges[(x, s)]
        kind = d.before_kind(s) or (d.after.graph._node[s]["kind"] if s in d.after.graph else "")
        if s in side or data.get("label") in FAILURE_LABELS:
            continue
        if category_of(kind) in INCIDENTAL_CATEGORIES:
            continue
        out.append(s)
    return code_targets(props, out, lambda n: _kind(d, n))


def _authenticates(kind: str, props: dict[str, Any]) -> str | None:
    if kind not in API_KINDS:
        return None
    auth = catalog.prop_value(props, kind, "auth")
    return None if auth in (None, "none") else str(auth)


def _credentialed(g: nx.DiGraph, n: str) -> bool:
    return g._node[n]["props"].get("credentials") not in (None, "none")


def _kind(d: Delta, n: str) -> str:
    g = d.after.graph
    return str(g._node[n]["kind"]) if n in g else str(d.before_kind(n) or "")


# ---------------------------------------------------------------------- invariants
def paths_kept(d: Delta) -> str | None:
    """Every caller of a removed node still reaches that node's real targets; every edge
    that went away between remaining nodes is replaced by a path."""
    if not d.structural:
        return None
    g = d.after.graph
    removed = d.removed
    lost: set[str] = set()
    for x in removed:
        targets = [s for s in _work_succs(d, x) if s in g]
        for p in d.before_preds(x):
            if p not in g:
                continue
            if d.edges[(p, x)].get("label") in FAILURE_LABELS:
                continue
            lost.update(f"{p} -> {s}" for s in targets if not _reaches(g, p, s))
    succ = g._succ
    for a, b in d.edges:
        if a in succ and b in succ and b not in succ[a] and not _reaches(g, a, b):
            lost.add(f"{a} -> {b}")
    if not lost:
        return None
    via = f" (through {', '.join(removed)})" if removed else ""
    return f"{', '.join(sorted(lost))} no longer connected{via}"


def auth_kept(d: Delta) -> str | None:
    """No open path replaces an authenticating API; no API loses its auth; no function
    with per-request credentials gives way to a fixed integration role."""
    g = d.after.graph
    problems: list[str] = []

    def guarded(n: str) -> bool:
        return n in g and _authenticates(g._node[n]["kind"], g._node[n]["props"]) is not None

    for x in d.removed:
        kind, props = d.before_kind(x) or "", d.before_props(x)
        auth = _authenticates(kind, props)
        if auth:
            targets = [s for s in _work_succs(d, x) if s in g]
            for p in d.before_preds(x):
                if p not in g or _credentialed(g, p):
                    continue
                problems.extend(f"{p} reaches {s} without {x}'s {auth} authorization"
                                for s in targets if _reaches(g, p, s, avoid=guarded))
        if kind == "lambda":
            creds = evidence.policy_counter(list(props.get("permissions") or ()), set())
            if creds and "per-request credentials" in creds:
                problems.append(f"{x} acted with per-request credentials ({creds.split(':')[0]}"
                                "); a fixed integration role would remove that isolation")
    by_type = _limits_data().get("auth_by_type") or {}
    for n in sorted(d.touched):
        if n in g._node and n in d.nodes and d.nodes[n]["kind"] in API_KINDS:
            before = _authenticates(d.before_kind(n) or "", d.before_props(n))
            after = _authenticates(g._node[n]["kind"], g._node[n]["props"])
            if before and not after:
                problems.append(f"{n} loses its {before} authorization")
            if g._node[n]["kind"] == "apigw" and after:
                kind_type = catalog.prop_value(g._node[n]["props"], "apigw", "type")
                was = catalog.prop_value(d.before_props(n), "apigw", "type")
                changed = kind_type != was or before != after
                if changed and after not in by_type.get(kind_type, (after,)):
                    problems.append(f"{n} as a {kind_type} API has no {after} authorization")
    return "; ".join(sorted(set(problems))) or None


def semantic_changes(d: Delta) -> dict[str, str]:
    """What the new path changes of the edges into each removed node, by aspect
    (ordering, filter, batching, windowing)."""
    if not d.removed:
        return {}
    g = d.after.graph
    out: dict[str, str] = {}
    for x in d.removed:
        targets = set(_work_succs(d, x))
        for p in d.before_preds(x):
            if p not in g or d.edges[(p, x)].get("label") in FAILURE_LABELS:
                continue
            eprops = d.edges[(p, x)].get("props") or {}
            hops = [(p, y) for y in g._succ[p]
                    if (p, y) not in d.edges or y in targets or y in d.added]
            hop_props = [{**(g.edges[e].get("props") or {}),
                          **(g._node[e[1]]["props"] if e[1] in d.added else {})} for e in hops]
            for prop, aspect in (("filter", "filter"), ("batch", "batching"),
                                 ("window", "windowing")):
                value = eprops.get(prop)
                if value is None or (prop == "batch" and int(value) <= 1):
                    continue
                if not any(h.get(prop) == value for h in hop_props):
                    out.setdefault(aspect, f"the {prop} = {value} of {p} -> {x} is not on the"
                                           f" new path from {p}")
            if _ordered(_kind(d, p), d.before_props(p) if p in d.nodes else g._node[p]["props"]):
                breaking = _order_breaking_hop(d, p, targets)
                if breaking:
                    out.setdefault("ordering", f"{p} is ordered, but {breaking}")
    return out


def semantics_kept(d: Delta) -> str | None:
    """Ordering, filters, batching and windowing kept, or declared by the alternative."""
    declared = d.alternative.get("what_changes") or {}
    undeclared = {a: why for a, why in semantic_changes(d).items() if a not in declared}
    if not undeclared:
        return None
    return "; ".join(f"{a}: {why}" for a, why in sorted(undeclared.items()))


def _ordered(kind: str, props: dict[str, Any]) -> bool:
    if kind in ORDERED_SOURCES:
        return True
    return kind in ("sqs", "sns") and props.get("fifo") is True


def _order_breaking_hop(d: Delta, p: str, targets: set[str]) -> str | None:
    """An added hop between an ordered source and the targets that does not keep order."""
    g = d.after.graph
    rules = _limits_data().get("order_breaking", ())
    for n in d.added:
        # an intermediate hop; a new sink stands for what the code already sent to
        if n not in g or not g._succ[n] or not _reaches(g, p, n):
            continue
        kind, props = g._node[n]["kind"], g._node[n]["props"]
        for rule in rules:
            if rule["kind"] == kind and all(check_condition(props, kind, c)
                                            for c in rule.get("props", ())):
                return f"{n}: {rule['why']}"
    return None


def no_orphan_added(d: Delta) -> str | None:
    """No added queue, topic, stream or bus that nothing reads."""
    if not d.added:
        return None
    g = d.after.graph
    nd = g._node
    orphans = []
    for a in d.added:
        if a not in nd or nd[a]["kind"] not in BUFFER_KINDS or g._succ[a]:
            continue
        if nd[a]["props"].get("is_dlq") or a in d.failures:
            continue
        if _stands_for_code_target(d, g._node[a]["kind"]):
            continue
        orphans.append(f"{a} ({g._node[a]['kind']})")
    return f"adds {', '.join(orphans)}, which nothing reads" if orphans else None


def _stands_for_code_target(d: Delta, kind: str) -> bool:
    """A removed function's code sends to a service of this kind that the design has no
    node for: the added node stands for that (existing) target."""
    for x in d.removed:
        props = d.before_props(x)
        if props.get("glue_target") == kind and props.get("glue_evidence") and \
                not any(_kind(d, s) == kind for s in _work_succs(d, x)):
            return True
    return False


def no_phantom_copy(d: Delta) -> str | None:
    """No added node copies a removed node, or the removed function's own input."""
    if not d.removed:
        return None
    g = d.after.graph
    copies = []
    removed_ids = {d.nodes[x].get("source_id") for x in d.removed} - {None}
    for n in sorted(set(d.touched) | set(d.added)):
        if n in g and n not in d.nodes and g._node[n].get("source_id") in removed_ids:
            copies.append(f"{n} keeps the template resource of a removed node")
    for a in d.added:
        if a not in g:
            continue
        kind = g._node[a]["kind"]
        for x in d.removed:
            if d.before_kind(x) == kind and a.startswith(x):
                copies.append(f"{a} is a copy of the removed {x}")
            inputs = [p for p in d.before_preds(x)
                      if _kind(d, p) == kind and d.edges[(p, x)].get("label") not in FAILURE_LABELS]
            if inputs and kind in BUFFER_KINDS:
                copies.append(f"{a} is a {kind} beside {x}'s own input {', '.join(inputs)}"
                              f" (a copy of it: does {x} acknowledge its input rather than"
                              " forward?)")
        if not g._succ[a] and _stands_for_code_target(d, kind):
            same = _same_service(g, a, kind, set(d.added))
            if same:
                copies.append(f"{a} stands for the {kind} the removed code sends to, but the"
                              f" design has {', '.join(same[:3])}: it may be a copy of one"
                              " (state the function's target as an edge)")
    return "; ".join(sorted(set(copies))) or None


def _same_service(g: nx.DiGraph, a: str, kind: str, added: set[str]) -> list[str]:
    """Nodes of the design (not added) of the same kind or AWS service as `a`."""
    service = g._node[a]["props"].get("service")

    def same(data: dict[str, Any]) -> bool:
        if kind == "resource":
            return bool(data["props"].get("service") == service)
        if data["kind"] != kind:
            return False
        return not catalog.is_event_rule(kind, data["props"])

    return sorted(n for n, data in g._node.items() if n not in added and same(data))


def integration_exists(d: Delta) -> str | None:
    """Every new edge is an integration AWS has, with that configuration."""
    g = d.after.graph
    any_service = d.params.get("glue_any_service") or {}
    per_request = set(_limits_data().get("per_request_target", ()))
    dynamic = _dynamic_targets(d)
    problems = []
    nd, succ = g._node, g._succ
    for a, b in d.new_edges:
        ka, kb = nd[a]["kind"], nd[b]["kind"]
        data = succ[a][b]
        if ka in NOT_AWS_APIS or ka == "lambda" or data.get("label") in FAILURE_LABELS:
            continue
        if nd[b]["props"].get("is_dlq") or b in d.failures:
            continue  # a redrive or dead-letter target: a setting of the source, not a hop
        if category_of(kb) in SETTING_CATEGORIES:
            continue  # an authorizer's user pool, a log group, a key: settings, not hops
        pa, pb = g._node[a]["props"], g._node[b]["props"]
        if kb == "resource" and pb.get("service"):
            kb = str(pb["service"])  # a service the catalog has no kind for (Comprehend)
        mech = _mechanism(ka, kb, any_service, pa, pb)
        if mech is None:
            why = _why_not(ka, kb, pa, pb)
            problems.append(f"{a} -> {b}: no native {ka} -> {kb} integration{why}")
            continue
        if b in dynamic and mech not in per_request:
            problems.append(f"{dynamic[b]}; {a} -> {b} ({_mech_title(mech, ka, any_service)})"
                            " has one fixed target")
    for n in sorted(set(d.touched) | {a for a, _ in d.new_edges}):
        if n not in nd or nd[n]["kind"] != "apigw":
            continue
        if g._node[n]["props"].get("type") != "http":
            continue
        was = d.before_props(n).get("type") if n in d.nodes else "http"
        integrations = [(g._node[s]["kind"], category_of(g._node[s]["kind"]),
                         g._succ[n][s].get("props") or {}) for s in sorted(g._succ[n])]
        lacks = (apis.rest_only(g._node[n]["props"], integrations) if was != "http"
                 else apis.http_api_lacks(integrations))
        if lacks:
            problems.append(f"{n} as an HTTP API would lose {'; '.join(lacks)}")
    return "; ".join(problems) or None


def _mechanism(ka: str, kb: str, any_service: Any, pa: dict[str, Any],
               pb: dict[str, Any]) -> str | None:
    """The catalog integration id of a hop a -> b that the limits allow (`any_service`
    for the pattern's "any AWS API" mechanisms), or None."""
    for integ in catalog.native_integrations(ka, kb):
        if limits.allows(integ.id, ka, kb, pa, pb):
            return integ.id
    if hop_mechanism(ka, kb, any_service, pa, pb) is not None:
        return limits.ANY_SERVICE
    return None


def _why_not(ka: str, kb: str, pa: dict[str, Any], pb: dict[str, Any]) -> str:
    for integ in catalog.native_integrations(ka, kb):
        lim = limits.blocking(integ.id, ka, kb, pa, pb)
        if lim is not None:
            return f" ({lim.why})"
    return ""


def _mech_title(mech: str, ka: str, any_service: Any) -> str:
    if mech == limits.ANY_SERVICE:
        return str((any_service or {}).get(ka, "an AWS SDK call"))
    for integ in catalog.integrations():
        if integ.id == mech:
            return integ.mechanism.split(" (")[0]
    return mech


def _dynamic_targets(d: Delta) -> dict[str, str]:
    """Targets of removed functions whose code reads the target from the event: target ->
    what the code does."""
    out: dict[str, str] = {}
    for x in d.removed:
        props = d.before_props(x)
        found = evidence.has(evidence.of_handler(props), "dynamic-target")
        if not found:
            continue
        what = f"{x}'s {found['detail']} ({evidence.where(found)})"
        g = d.after.graph
        targets = [s for s in _work_succs(d, x) if s in g]
        kind = props.get("glue_target")
        targets += [a for a in d.added if a in g and g._node[a]["kind"] == kind]
        targets += [a for a in d.added if a in g and g._node[a]["kind"] == "resource"
                    and g._node[a]["props"].get("service") == kind]
        for s in targets:
            out.setdefault(s, what)
    return out


INVARIANTS: tuple[tuple[str, Callable[[Delta], str | None]], ...] = (
    ("paths_kept", paths_kept),
    ("auth_kept", auth_kept),
    ("semantics_kept", semantics_kept),
    ("no_orphan_added", no_orphan_added),
    ("no_phantom_copy", no_phantom_copy),
    ("integration_exists", integration_exists),
)


def _only_failure_handling(d: Delta) -> bool:
    """The delta removed nothing, dropped no edge, touched no API, and added only
    dead-letter queues and edges into them (a DLQ, an on-failure destination, a
    redrive): every invariant holds by construction, so none needs searching."""
    if d.removed:
        return False
    g = d.after.graph
    nd, succ = g._node, g._succ
    added = set(d.added)
    if any(not nd[a]["props"].get("is_dlq") for a in added if a in nd):
        return False
    if any(n in nd and nd[n]["kind"] in API_KINDS for n in d.touched):
        return False
    if any(not _kept(g, d, a, b) for a, b in d.edges):
        return False
    return all(b in added or succ[a][b].get("label") in FAILURE_LABELS for a, b in d.new_edges)


def _kept(g: nx.DiGraph, d: Delta, a: str, b: str) -> bool:
    """The neighbourhood's edge a -> b still exists, read from the side of it the
    neighbourhood holds (its target's predecessors, else its source's successors) and
    without copying into an overlay (`overlay.linked`): what a check only reads does
    not count among what the alternative changed."""
    if b in d.nodes:
        return linked(g._pred, b, a)
    return linked(g._succ, a, b)


def check(d: Delta) -> list[Violation]:
    """Every invariant the delta breaks: [{invariant, why}], in a fixed order."""
    if _only_failure_handling(d):
        return []
    out = []
    for name, fn in INVARIANTS:
        why = fn(d)
        if why:
            out.append({"invariant": name, "why": why})
    return out


__all__ = ["ASPECTS", "INVARIANTS", "check", "semantic_changes"]
