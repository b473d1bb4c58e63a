"""Named rewriters: what a pattern's `call` op runs when its ops cannot say it.

Each takes the `Editor` of the working copy, the match's nodes and the op's `args`,
changes the design through the editor (so the nodes it touches are recorded), and
returns a short description for the change log ("" when nothing needed changing).
Raising `Refused` leaves the design as it was (advisor/engine/ops.py restores it).

Registering a new one: decorate it with @rewriter; the loader refuses pattern files
that call a rewriter that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor import catalog
from advisor.engine.context import Ctx
from advisor.engine.edit import Editor, Refused
from advisor.engine.routes import http_api_subtypes, route_to

REWRITERS: dict[str, Callable[..., str]] = {}
# edge props of a trigger that stay with the trigger when a function between is replaced
CARRIED_EDGE_PROPS = ("filter", "fanout", "batch", "window")


def rewriter(fn: Callable[..., str]) -> Callable[..., str]:
    REWRITERS[fn.__name__] = fn
    return fn


@rewriter
def raise_visibility(rw: Editor, nodes: tuple[str, ...], args: dict[str, Any]) -> str:
    """Set the queue's visibility timeout to `factor` x the function timeout."""
    queue, fn = nodes[0], nodes[1]
    ctx = Ctx(rw.arch)
    timeout = float(ctx.prop(fn, "timeout") or 3000)
    value = int(float(args.get("factor", 6)) * timeout)
    rw.set_props(queue, {"visibility": value})
    return f"{queue}.visibility = {value / 1000:g}s (6 x {fn}.timeout)"


@rewriter
def require_rest_api(rw: Editor, nodes: tuple[str, ...], args: dict[str, Any]) -> str:
    """Service integrations with SNS, Firehose, DynamoDB and S3 exist on REST APIs only:
    an HTTP API in front of them becomes a REST API."""
    api = nodes[0]
    props = rw.arch.graph._node[api]["props"]
    if props.get("type") == "http":
        rw.set_props(api, {"type": "rest"})
        return f"{api}.type = rest (HTTP APIs have no service integration for {nodes[-1]})"
    return ""  # nothing to change


@rewriter
def close_stream_gaps(rw: Editor, nodes: tuple[str, ...], args: dict[str, Any]) -> str:
    """Give a stream event source what it lacks: an on-failure queue, bisect on error,
    and a retry limit when nothing bounds the retries (no `retries` >= 0, no `max_age`);
    existing settings are kept (a stated MaximumRetryAttempts of 0 stays 0)."""
    source, fn = nodes[0], nodes[1]
    g = rw.arch.graph
    eprops = g._succ[source][fn].setdefault("props", {})
    done = []
    if not eprops.get("on_failure") and not eprops.get("dlq"):
        name = rw.new_node(f"{source}_{fn}_failures", "sqs", {"is_dlq": True},
                           tuple(g._node[fn].get("group", ())))
        rw.add_edge(fn, name, "async", {}, "on failure")
        eprops["on_failure"] = name
        done.append(f"on_failure = {name}")
    if eprops.get("bisect") is not True:
        eprops["bisect"] = True
        done.append("bisect = true")
    unbounded = eprops.get("retries") is None or int(eprops["retries"]) < 0
    if unbounded and not (eprops.get("max_age") and float(eprops["max_age"]) > 0):
        eprops["retries"] = int(args.get("retries", 3))
        done.append(f"retries = {eprops['retries']}")
    rw.touched.update((source, fn))
    return f"{source} -> {fn}: " + ", ".join(done)


@rewriter
def set_log_retention(rw: Editor, nodes: tuple[str, ...], args: dict[str, Any]) -> str:
    """Retention on the log group: the function's `log_retention`, or the `logs` node's
    `retention` (and on any retention-less log group attached to the function)."""
    n = nodes[0]
    days = int(args.get("days", 30))
    g = rw.arch.graph
    if g._node[n]["kind"] == "logs":
        rw.set_props(n, {"retention": days})
        return f"{n}.retention = {days} days"
    groups = [m for m in list(g.successors(n)) + list(g.predecessors(n))
              if g._node[m]["kind"] == "logs"]
    if groups:
        for m in sorted(groups):
            rw.set_props(m, {"retention": days})
        return f"{', '.join(sorted(groups))}.retention = {days} days"
    rw.set_props(n, {"log_retention": days})
    return f"{n}.log_retention = {days} days"


@rewriter
def forward_natively(rw: Editor, nodes: tuple[str, ...], args: dict[str, Any]) -> str:
    """Remove glue function nodes[1]: each trigger reaches the target through the
    native route (`route_to` with `args` as the pattern params), with a node added for
    every hop kind on the way (a pipe, an Express workflow) and for the target itself
    when the design had none (a `resource` node named after the service otherwise)."""
    g = rw.arch.graph
    fn = nodes[1]
    ctx = Ctx(rw.arch)
    props = ctx.props(fn)
    if len(nodes) > 2:
        target, tkind = nodes[2], ctx.kind(nodes[2])
        extra: list[str] = []
    else:
        tkind = str(props.get("glue_target") or "")
        target = ""
        extra = [s for s in ctx.work_out(fn) if ctx.kind(s) == "resource"]
    preds = sorted(g.predecessors(fn))
    tprops = ctx.props(target) if target else None
    routes = {p: route_to(ctx.kind(p), tkind, args, ctx.props(p), tprops) for p in preds}
    if not preds or any(r is None for r in routes.values()):
        raise Refused(f"not every trigger of {fn} reaches {tkind} natively")
    group = tuple(g._node[fn].get("group", ()))
    failure = props.get("on_failure") or props.get("dlq")
    if not target:
        known = tkind in catalog.kind_names()
        target = rw.new_node(f"{tkind}_target", tkind if known else "resource",
                             {} if known else {"service": tkind}, group)
        for s in extra:
            rw.add_edge(target, s, None, {})
    subtypes = set(http_api_subtypes())
    made = []
    for p in preds:
        prev = p
        # what the trigger's edge into the function says (a filter, a batch size, a
        # batching window) goes on the first hop of the new path: the pipe's source
        # parameters or the rule's pattern
        carried = {k: v for k, v in (g._succ[p][fn].get("props") or {}).items()
                   if k in CARRIED_EDGE_PROPS}
        for kind in routes[p] or []:
            word = {"pipes": "pipe", "sfn": "workflow"}.get(kind, kind)
            hop_props = {"type": "express"} if kind == "sfn" else {}
            hop = rw.new_node(f"{fn}_{word}", kind, hop_props, group)
            made.append(hop)
            rw.add_edge(prev, hop, None, {"integration": "native",
                                          **(carried if prev == p else {})})
            prev = hop
        eprops: dict[str, Any] = {"integration": "service" if ctx.kind(prev) == "apigw"
                                  else "native", **(carried if prev == p else {})}
        if failure and failure in g and prev == p:
            eprops["dlq"] = failure
        rw.add_edge(prev, target, None, eprops)
        if ctx.kind(p) == "apigw" and prev == p and ctx.prop(p, "type") == "http" and \
                tkind not in subtypes:
            rw.set_props(p, {"type": "rest"})
    g.remove_node(fn)
    rw.touched.update([*preds, target])
    via = f" via {', '.join(made)}" if made else ""
    return f"removed {fn}; {', '.join(preds)} -> {target}{via}"
