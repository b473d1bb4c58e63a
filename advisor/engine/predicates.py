"""Named Python predicates: what pattern YAML cannot say on its own (the match layer).

Patterns name these in `where:` lists. Every function is pure over a `Ctx` and returns
False/None when it does not hold, True or a dict of message fields when it does (the
dict's keys can be used as `{field}` in the pattern's message). The named rewriters of
`call` ops are in advisor/engine/rewriters.py; native routes, which both use, in
advisor/engine/routes.py.

Registering a new one: decorate it with @node, @edge or @match; the loader refuses
pattern files that name a predicate that does not exist.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from advisor.catalog import is_event_rule
from advisor.datafiles import safe_load
from advisor.engine import apis, evidence
from advisor.engine.context import Blocked, Ctx
from advisor.engine.routes import (
    NOT_AWS_APIS,
    describe_route,
    forward_targets,
    one_hop,
    route_to,
)
from advisor.vocabulary import TASK_TOKEN

NodePred = Callable[[Ctx, str, dict[str, Any]], Any]
EdgePred = Callable[[Ctx, str, str, dict[str, Any]], Any]
MatchPred = Callable[[Ctx, tuple[str, ...], dict[str, Any]], Any]

NODE_PREDICATES: dict[str, NodePred] = {}
EDGE_PREDICATES: dict[str, EdgePred] = {}
MATCH_PREDICATES: dict[str, MatchPred] = {}

# Sources whose invocations of a function are asynchronous (Lambda resource-policy
# principals that invoke with InvocationType=Event): SNS, S3, EventBridge, Scheduler.
ASYNC_SOURCES = frozenset({"sns", "s3", "eventbridge", "scheduler"})
# Push sources that each add a resource-policy principal to a function (WS1002).
PUSH_SOURCES = frozenset({"apigw", "sns", "s3", "eventbridge", "scheduler", "alb", "cognito",
                          "appsync", "logs", "client"})
STATEFUL_CATEGORIES = frozenset({"storage", "messaging", "stream", "orchestration"})


def node(fn: NodePred) -> NodePred:
    NODE_PREDICATES[fn.__name__] = fn
    return fn


def edge(fn: EdgePred) -> EdgePred:
    EDGE_PREDICATES[fn.__name__] = fn
    return fn


def match(fn: MatchPred) -> MatchPred:
    MATCH_PREDICATES[fn.__name__] = fn
    return fn


# ---------------------------------------------------------------------------- glue
def glue_status(ctx: Ctx, pred: str, fn: str, succ: str,
                params: dict[str, Any] | str | None = None) -> str | None:
    """'confirmed', 'likely' or None: does `fn` only forward from `pred` to `succ`?
    (`glue_verdict` without its evidence.)"""
    return glue_verdict(ctx, pred, fn, succ, params)[0]


def glue_verdict(ctx: Ctx, pred: str, fn: str, succ: str,
                 params: dict[str, Any] | str | None = None,
                 ) -> tuple[str | None, list[evidence.Item], Blocked | None]:
    """(status, evidence, blocked): does `fn` only forward from `pred` to `succ`?

    - `glue = false` (the user says it does real work) is final: never glue.
    - it must have exactly one real outgoing target, `succ` (`forward_targets`: its
      DLQ/destinations, log groups and keys do not count): a second target means it
      decides or fans out.
    - `pred` must reach `succ` natively (the catalog's integration families, within the
      sub-type limits of integration_limits.yaml), else there is nothing to replace the
      function with; with `glue_via` (e.g. `pipes`, or
      `[[sfn], [pipes, sfn]]`), through native hops of those kinds instead.
    - `glue = true` or handler evidence confirms it (then every trigger must reach `succ`
      natively, since all of them are rewired); the evidence is the handler's call and
      what it does to the data (file:line), or the design's statement. Evidence whose
      call goes to another service than `succ`'s (`glue_target`) confirms nothing about
      `succ`: never glue, and `blocked` says why.
    - otherwise it is only likely, and only with exactly one trigger (never with
      `glue_confirmed_only`), and only when nothing the design states counts against
      "only forwards" (glue.yaml: memory, duration, timeout above a forwarder's, a policy
      allowing other services or per-request credentials): then `blocked` says why. The
      evidence of likely glue says what the structure shows and that the code was not read.
    - `glue_indirect_only`: only when no one-hop route (direct or one pipe) exists, so a
      two-hop rule never doubles a one-hop one.
    - `glue_write` (the rewrite's integration only sends: SQS SendMessage, SNS Publish,
      ...): never likely when the API reaches the function by read requests only (every
      route GET/HEAD/OPTIONS, edge `methods`); handler evidence of the send still confirms.
    """
    if not isinstance(params, dict):
        params = {"glue_via": params} if params else {}
    props = ctx.props(fn)
    if props.get("glue") is False:
        return None, [], None
    if forward_targets(ctx, fn) != [succ]:
        return None, [], None
    if ctx.edge(fn, succ).get("label") == TASK_TOKEN:
        return None, [], None  # it resumes a waiting execution: no integration does that
    succ_kind = ctx.kind(succ)
    succ_props = ctx.props(succ)

    def reaches(source: str) -> bool:
        kind, sprops = ctx.kind(source), ctx.props(source)
        if params.get("glue_indirect_only") and one_hop(kind, succ_kind, sprops, succ_props):
            return False
        return route_to(kind, succ_kind, params, sprops, succ_props) is not None

    if not reaches(pred):
        return None, [], None
    elsewhere = _evidence_elsewhere(props, succ, succ_kind)
    if elsewhere:
        return None, [], Blocked(f"{fn} is not confirmed glue to {succ}: {elsewhere}")
    if props.get("glue") is True or props.get("glue_evidence"):
        preds = list(ctx.g.predecessors(fn))
        if all(reaches(p) for p in preds):
            return "confirmed", evidence.confirmed(props, ctx.nd[fn].get("loc")), None
        return None, [], None
    if params.get("glue_confirmed_only") or ctx.g.in_degree(fn) != 1:
        return None, [], None
    reads = _read_routes_only(ctx, pred, fn) if params.get("glue_write") else ""
    if reads:
        return None, [], Blocked(
            f"{fn} is not glue on structure alone: {pred} reaches it only by {reads}"
            f" requests, and the native integration would write to {succ} (a function that"
            " answers reads is not forwarding them)")
    counter = _structure_counter(ctx, fn, {ctx.kind(pred), succ_kind})
    if counter:
        return None, [], Blocked(f"{fn} is not glue on structure alone: {counter}")
    loc = ctx.nd[fn].get("loc")
    items = [evidence.item("structure", f"one trigger ({pred}) and one target ({succ});"
                           f" {pred} reaches {succ} natively",
                           loc.path if loc is not None else None,
                           loc.line if loc is not None else None),
             evidence.code_not_read(props)]
    sizing = _sizing(props)
    if sizing:
        items.append(evidence.item("structure", sizing))
    return "likely", items, None


def _read_routes_only(ctx: Ctx, pred: str, fn: str) -> str:
    """The methods (`GET`, `GET/HEAD`) when every API route from `pred` to `fn` is a read
    (glue.yaml `structure_only.read_methods`), "" when one may write or none is known."""
    methods = (ctx.edge(pred, fn).get("props") or {}).get("methods") or ()
    reads = set(evidence.glue_data().get("structure_only", {}).get("read_methods") or ())
    if not methods or not set(methods) <= reads:
        return ""
    return "/".join(sorted(str(m) for m in methods))


def _evidence_elsewhere(props: dict[str, Any], succ: str, succ_kind: str) -> str:
    """Why the handler's evidence is about another service than `succ` ("" when it is
    not): its single forwarding call (`glue_target`) goes to a different kind, so the
    function reaches `succ` some other way (an IAM policy, an environment variable, a
    local module the scanner did not read) and forwarding to it is not shown. An
    unmodelled `resource` successor is not compared (its service is not known)."""
    target = props.get("glue_target")
    if not target or not props.get("glue_evidence") or succ_kind in ("resource", target):
        return ""
    call = str(props["glue_evidence"]).split(";", 1)[0].split("(", 1)[0].strip()
    return (f"its handler's only forwarding call, {call}, goes to {target}, not to"
            f" {succ_kind}")


def _sizing(props: dict[str, Any]) -> str:
    """What the design states of a function's size and time ("" when nothing)."""
    parts = []
    if props.get("memory") is not None:
        parts.append(f"memory {float(props['memory']) / 1024**2:g} MB")
    if props.get("duration") is not None:
        parts.append(f"duration {_human_duration(float(props['duration']))}")
    if props.get("timeout") is not None:
        parts.append(f"timeout {_human_duration(float(props['timeout']))}")
    return ", ".join(parts)


def _structure_counter(ctx: Ctx, fn: str, allowed: set[str]) -> str:
    """What the design states against "only forwards" (glue.yaml `structure_only`):
    sized or timed for work, or a policy used for more than the trigger and target."""
    limits = evidence.glue_data().get("structure_only", {})
    props = ctx.props(fn)
    reasons = []
    mem = props.get("memory")
    if mem is not None and float(mem) / 1024**2 > float(limits.get("max_memory_mb", 1024)):
        reasons.append(f"memory {float(mem) / 1024**2:g} MB is sized for work")
    dur = props.get("duration")
    if dur is not None and float(dur) > float(limits.get("max_duration_ms", 500)):
        reasons.append(f"it runs {_human_duration(float(dur))}, longer than one forwarding"
                       " call takes")
    timeout = props.get("timeout")
    if timeout is not None and float(timeout) > float(limits.get("max_timeout_ms", 300_000)):
        reasons.append(f"its timeout of {_human_duration(float(timeout))} waits on more than"
                       " one call")
    policy = evidence.policy_counter(list(props.get("permissions") or ()), allowed)
    if policy:
        reasons.append(policy)
    return "; ".join(reasons)


# ---------------------------------------------------------------------------- nodes
@cache
def lambda_runtimes() -> dict[str, Any]:
    """advisor/engine/lambda_runtimes.yaml: architectures and deprecation schedule of the
    Lambda managed runtimes (sourced and dated there)."""
    path = Path(__file__).with_name("lambda_runtimes.yaml")
    return safe_load(path.read_text("utf-8"), remember=True) or {}  # type: ignore[no-any-return]


def _runtime_entry(ctx: Ctx, n: str) -> tuple[str, dict[str, Any]] | None:
    """The function's runtime (stated, or the catalog default) and its entry in the
    runtimes file; None when the runtime is not a string or not listed (unknown)."""
    runtime = ctx.prop(n, "runtime")
    entry = lambda_runtimes().get("runtimes", {}).get(runtime) if isinstance(runtime, str) \
        else None
    return (runtime, entry) if isinstance(entry, dict) else None


def _updates_blocked(entry: dict[str, Any]) -> bool:
    """AWS blocks updates of functions on this runtime, as of the runtimes file's date."""
    as_of, blocked = lambda_runtimes().get("as_of"), entry.get("block_update")
    return blocked is not None and as_of is not None and blocked <= as_of


@node
def runtime_supports_arm64(ctx: Ctx, n: str, params: dict[str, Any]) -> bool:
    """The function's runtime is known to have an arm64 build (lambda_runtimes.yaml) and
    its functions can still be updated; an unknown runtime, one built for x86_64 only
    (python3.7, java8, go1.x), or one whose updates AWS blocks (python3.8: changing the
    architecture fails like any other update) is not."""
    found = _runtime_entry(ctx, n)
    return (found is not None and "arm64" in (found[1].get("architectures") or ())
            and not _updates_blocked(found[1]))


@node
def deprecated_runtime(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """The function's runtime is deprecated (lambda_runtimes.yaml): a warning once AWS
    stopped patching it, an error once AWS blocks updates of functions that use it (as of
    the file's `as_of` date, so the report does not change with the clock)."""
    found = _runtime_entry(ctx, n)
    as_of = lambda_runtimes().get("as_of")
    if found is None or as_of is None or not found[1].get("deprecated") \
            or found[1]["deprecated"] > as_of:
        return None
    runtime, entry = found
    blocked = entry.get("block_update")
    if _updates_blocked(entry):
        status = (f"deprecated since {entry['deprecated']}; AWS blocks creating and updating"
                  f" functions on it since {blocked}")
        severity = "error"
    else:
        status = f"deprecated since {entry['deprecated']}: no more security patches"
        if blocked is not None:
            status += f"; AWS blocks updates from {blocked}"
        severity = "warning"
    return {"runtime": runtime, "status": status, "severity": severity}


@node
def named_open_routes(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Never blocks: the routes of the API anyone may call, by name (`routes`: `: GET /a,
    POST /b`, at most `max` of them and a count of the rest; empty when none is named)."""
    names = [str(r) for r in ctx.props(n).get("open_routes") or ()]
    shown = int(params.get("max_routes", 5))
    if not names:
        return {"routes": ""}
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return {"routes": f" on {', '.join(names[:shown])}{more}"}


@node
def unscoped_invokers(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A resource-based permission lets an AWS service invoke the function with no source
    condition (the importers record which services: advisor/importers/invoke_permissions.py)."""
    services = ctx.props(n).get("unscoped_invokers") or ()
    if not services:
        return None
    return {"services": ", ".join(f"{s}.amazonaws.com" for s in services),
            "at_prop": "unscoped_invokers"}


@node
def public_policy(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A queue or topic policy lets anyone make some calls with no condition (the importers
    record which: advisor/importers/iam_policies.py `open_to_anyone`)."""
    actions = ctx.props(n).get("public_policy") or ()
    if not actions:
        return None
    shown = ", ".join(str(a) for a in list(actions)[:4]) + (", ..." if len(actions) > 4 else "")
    return {"public_policy": shown, "at_prop": "public_policy"}


@node
def async_invoked(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Some caller invokes the function asynchronously (SNS, S3, EventBridge, Scheduler,
    or an edge stated `mode = async` / `invocation = async`). Pollers (SQS, streams) and
    API/ALB callers invoke synchronously: a DLQ on the function does nothing for them.
    `after_retries` says when Lambda gives up on an event: after the function's
    `async_retries` (its EventInvokeConfig MaximumRetryAttempts, 2 when not set)."""
    callers = []
    for p in ctx.g.predecessors(n):
        data = ctx.edge(p, n)
        inv = (data.get("props") or {}).get("invocation")
        if inv == "async" or (inv is None and (
                data.get("mode") == "async" or
                (ctx.kind(p) in ASYNC_SOURCES and data.get("mode") not in ("sync", "poll",
                                                                          "stream")))):
            callers.append(p)
    if not callers:
        return None
    stated = ctx.prop(n, "async_retries")  # the catalog default is Lambda's: 2
    retries = int(stated) if stated is not None else 2
    after = {0: "after one attempt (no retries)", 1: "after one retry"}.get(
        retries, f"after {retries} retries")
    return {"callers": ", ".join(sorted(callers)), "after_retries": after}


@node
def not_a_dlq(ctx: Ctx, n: str, params: dict[str, Any]) -> bool:
    """The queue is not itself a dead-letter queue / failure destination of anything."""
    return n not in ctx.failure_refs()


@node
def default_fix_needs_a_consumer(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Never rejects: a queue nothing in the design reads is still reported, but its
    rewrite is not applied by default (`not_default`): whoever consumes it, outside the
    design, decides how a message that keeps failing is handled, and a queue nobody reads
    (a buffer, an application's own dead-letter store) may need no DLQ at all."""
    failed = ctx.failure_refs()
    if any(s not in failed for s in ctx.succ[n]):
        return True
    return {"not_default": f"nothing in the design consumes {n}: whoever reads it decides "
                           "how a message that keeps failing is handled"}


@node
def no_log_retention_any(ctx: Ctx, n: str, params: dict[str, Any]) -> bool:
    """Logs that never expire. For a function: no `log_retention` and no connected `logs`
    node with a `retention`. For a log group: no `retention`, unless it belongs to a
    function (then the function's finding covers it)."""
    neighbours = list(ctx.g.successors(n)) + list(ctx.g.predecessors(n))
    if ctx.kind(n) == "logs":
        if ctx.props(n).get("retention") is not None:
            return False
        return not any(ctx.kind(m) == "lambda" for m in neighbours)
    if ctx.props(n).get("log_retention") is not None:
        return False
    return not any(ctx.kind(m) == "logs" and ctx.props(m).get("retention") is not None
                   for m in neighbours)


@node
def wildcard_permissions(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """`iam_wildcard = true` (on any node acting with a role: a function, a state machine,
    an API's integration role, a pipe, a rule or schedule target), or a granted action
    that is '*' or 'service:*'. The finding points at the role or policy resource that
    grants it (`at_prop`: the node's `prop_locs`)."""
    props = ctx.props(n)
    stars = sorted(str(p) for p in props.get("permissions") or () if "*" in str(p))
    named = [str(g) for g in props.get("wide_grants") or ()]
    if props.get("iam_wildcard") is True or stars or named:
        shown = named + [s for s in stars if s not in named]
        return {"actions": "; ".join(shown) or "*", "at_prop": "iam_wildcard"}
    return None


@node
def too_broad(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """One function serves several kinds of callers (different resource-policy
    principals, WS1002), too many event sources, or holds too many permissions."""
    reasons = []
    principals = sorted({ctx.kind(p) for p in ctx.g.predecessors(n)
                         if ctx.kind(p) in PUSH_SOURCES and ctx.kind(p) != "client"})
    if len(principals) >= int(params.get("max_principals", 2)):
        reasons.append(f"invoked by {len(principals)} different services"
                       f" ({', '.join(principals)})")
    sources = ctx.g.in_degree(n)
    if sources >= int(params.get("max_sources", 5)):
        reasons.append(f"{sources} event sources")
    perms = len(ctx.props(n).get("permissions") or ())
    if perms >= int(params.get("max_permissions", 15)):
        reasons.append(f"{perms} IAM actions")
    return {"reasons": "; ".join(reasons)} if reasons else None


@node
def memory_mis_sized(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Memory and duration both stated, and clearly mismatched: a large function that
    finishes in a few ms (paying for idle memory), or a small one that runs for seconds
    (CPU scales with memory, so more memory often costs the same and runs faster)."""
    props = ctx.props(n)
    mem, dur = props.get("memory"), props.get("duration")
    if mem is None or dur is None:
        return None
    mb = float(mem) / 1024**2
    large, short = float(params.get("large_mb", 2048)), float(params.get("short_ms", 50))
    small, long_ = float(params.get("small_mb", 256)), float(params.get("long_ms", 1000))
    if mb >= large and float(dur) <= short:
        return {"advice": f"{mb:g} MB for a {float(dur):g} ms invocation is over-provisioned;"
                          " try a smaller size"}
    if mb <= small and float(dur) >= long_:
        return {"advice": f"{mb:g} MB running {float(dur):g} ms is likely CPU-starved;"
                          " more memory gives more CPU and may cost the same"}
    return None


@node
def timeout_below_duration(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """The stated duration reaches the (stated or default 3 s) timeout."""
    dur = ctx.props(n).get("duration")
    timeout = ctx.prop(n, "timeout")
    if dur is None or timeout is None:
        return None
    if float(dur) >= float(timeout):
        return {"duration": f"{float(dur):g} ms", "timeout": f"{float(timeout):g} ms"}
    return None


# How long the synchronous caller of a function waits (integration timeouts, ms):
# API Gateway REST 29 s, HTTP API 30 s, AppSync 30 s
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
# https://docs.aws.amazon.com/appsync/latest/devguide/resolver-reference-overview-js.html).
CALLER_TIMEOUT_MS = {("apigw", "rest"): 29_000, ("apigw", "http"): 30_000,
                     ("appsync", None): 30_000}


def _caller_limit(ctx: Ctx, caller: str) -> float | None:
    kind = ctx.kind(caller)
    if kind == "apigw":
        return CALLER_TIMEOUT_MS.get((kind, ctx.prop(caller, "type")))
    return CALLER_TIMEOUT_MS.get((kind, None))


def _callee_bound(ctx: Ctx, callee: str) -> float | None:
    """How long a synchronous callee may take, as the design states it: its timeout or
    duration (a function's stated timeout; an Express workflow's or endpoint's stated
    duration)."""
    props = ctx.props(callee)
    for prop in ("timeout", "duration"):
        if props.get(prop) is not None:
            return float(props[prop])
    return None


@node
def timeout_consequence(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """The function's timeout (stated, or the 3 s default) does not fit its synchronous
    chain: longer than the integration timeout of an API waiting for it, or not longer
    than what it itself waits for. A timeout that is only unset is no finding."""
    timeout = float(ctx.prop(n, "timeout") or 3000)
    stated = ctx.props(n).get("timeout") is not None
    if stated:
        for p in sorted(ctx.g.predecessors(n)):
            limit = _caller_limit(ctx, p)
            if limit is not None and not ctx.is_async_edge(p, n) and timeout > limit:
                return {"consequence": f"times out after {_human_duration(timeout)}, but {p}"
                                       f" gives up after {_human_duration(limit)}: the caller"
                                       " has an error while the function runs and bills on",
                        "advice": f"at most {_human_duration(limit)}"}
    for s in sorted(ctx.g.successors(n)):
        if ctx.is_async_edge(n, s) or ctx.kind(s) not in ("lambda", "http", "sfn", "ecs"):
            continue
        if ctx.kind(s) == "sfn" and ctx.prop(s, "type") != "express":
            continue  # StartExecution of a Standard workflow returns at once
        if s in ctx.side_targets(n):
            continue
        bound = _callee_bound(ctx, s)
        if bound is not None and bound >= timeout:
            which = "its timeout" if stated else "the 3 s default timeout"
            return {"consequence": f"waits synchronously for {s}, which may take"
                                   f" {_human_duration(bound)}, but {which} ends it after"
                                   f" {_human_duration(timeout)}: it fails before {s} answers",
                    "advice": f"longer than {_human_duration(bound)}, or call {s}"
                              " asynchronously"}
    return None


@node
def memory_consequence(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """128 MB (stated or the default) for a JVM/.NET runtime or a stated run of a second
    or more. An unset size alone is no finding."""
    mem = float(ctx.prop(n, "memory") or 128 * 1024**2) / 1024**2
    if mem > float(params.get("max_mb", 128)):
        return None
    how = "128 MB (the default: memory not set)" if ctx.props(n).get("memory") is None \
        else f"{mem:g} MB"
    runtime = str(ctx.props(n).get("runtime") or "")
    heavy = tuple(params.get("cpu_bound_runtimes", ("java", "dotnet")))
    if runtime.startswith(heavy):
        return {"consequence": f"{how} for the {runtime} runtime: a JVM or .NET runtime"
                               " initializes and runs CPU-starved at this size (slow cold"
                               " starts)"}
    dur = ctx.props(n).get("duration")
    # with a stated size, COST-LAMBDA-MEMORY-SIZE weighs size against duration
    if dur is not None and ctx.props(n).get("memory") is None and \
            float(dur) >= float(params.get("long_ms", 1000)):
        return {"consequence": f"{how} running {_human_duration(float(dur))}: CPU scales with"
                               " memory, so more memory likely runs faster for about the same"
                               " cost"}
    return None


@node
def public_entry(ctx: Ctx, n: str, params: dict[str, Any]) -> bool:
    """An API that callers outside the system reach: called by a client, or by nobody
    in the design (its callers are outside it); not private/internal."""
    kind = ctx.kind(n)
    if kind == "apigw" and ctx.prop(n, "endpoint") == "private":
        return False
    if kind == "alb" and ctx.prop(n, "scheme") == "internal":
        return False
    preds = list(ctx.g.predecessors(n))
    return not preds or any(ctx.category(p) in ("client", "edge") for p in preds)


@node
def http_api_would_serve(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A REST API that uses nothing REST-only (advisor/engine/apis.py: X-Ray tracing,
    API keys and usage plans, mapping templates, caching, request validation, WAF, a
    resource policy, an edge-optimized or private endpoint (an unstated endpoint is
    edge-optimized), an integration HTTP APIs lack). Otherwise `Blocked` with the list."""
    if ctx.prop(n, "type") != "rest":
        return False
    uses = apis.rest_only(ctx.props(n), [
        (ctx.kind(s), ctx.category(s), ctx.edge(n, s).get("props") or {})
        for s in sorted(ctx.g.successors(n))])
    if uses:
        return Blocked("; ".join(uses))
    return True


def invocations(ctx: Ctx, n: str) -> float | None:
    """Executions of `n` per month: its own `requests`, else the traffic the caller's
    `traffic` function gives it (`Ctx.loads`; the pipeline hands in the estimates'
    propagation: upstream `requests`, schedules, fan-out, filters and batches count).
    With no workload rate stated, entry points carry nothing (not the estimator's assumed
    default): None when nothing reaches `n` then, or when no traffic is known at all."""
    own = ctx.props(n).get("requests")
    if own is not None:
        return float(own)
    loads = ctx.loads()
    if loads is None:
        return None
    value = float(loads.get(n, 0.0))
    if value <= 0 and ctx.arch.workload.get("requests") is None:
        return None
    return value


def _human_duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{ms / 60_000:g} min"
    if ms >= 1000:
        return f"{ms / 1000:g} s"
    return f"{ms:g} ms"


@node
def express_fits(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A Standard workflow that runs at volume (its own executions, not the design's
    entry rate: a nightly job behind a busy API runs 30 times a month), does not exceed
    Express's 5-minute limit, and waits on no callback, `.sync` job or polling loop
    (Express has none). The message says what is known about its duration."""
    if ctx.prop(n, "type") != "standard" or ctx.prop(n, "polling") is True:
        return None
    limit = float(params.get("max_ms", 300_000))
    duration = ctx.props(n).get("duration")
    if duration is not None and float(duration) > limit:
        return None
    for s in ctx.g.successors(n):
        eprops = ctx.edge(n, s).get("props") or {}
        if eprops.get("wait") in ("callback", "poll") or eprops.get("integration") == "callback":
            return None
    rate = invocations(ctx, n)
    if rate is None or rate < float(params.get("min_requests", 1_000_000)):
        return None
    if duration is not None:
        runtime = (f" that runs {_human_duration(float(duration))}, within Express's"
                   f" {_human_duration(limit)} limit")
    else:
        runtime = (f" (no duration stated: Express suits it only if every execution ends"
                   f" within {_human_duration(limit)})")
    return {"rate": f"{rate / 1e6:,.3g}M executions/month", "runtime": runtime}


@node
def kinesis_capacity_mismatch(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Provisioned shards far above the stated load, or on-demand at a known steady load
    that a few provisioned shards carry for less (on-demand bills a per-stream hour plus
    per-GB ingest; a shard takes 1,000 records/s or 1 MB/s)."""
    rate = ctx.requests(n)
    if rate is None:
        return None
    per_s = rate / 2_628_000
    needed = max(1, math.ceil(max(per_s / 1000, per_s * ctx.payload(n) / 1024**2)))
    if ctx.prop(n, "mode") == "provisioned":
        shards = int(ctx.prop(n, "shards") or 1)
        if shards > 2 * needed and shards > 1:
            return {"advice": f"{shards} provisioned shards for a load that needs {needed};"
                              " use fewer shards or on-demand"}
        return None
    if ctx.props(n).get("requests") is not None or params.get("workload_counts", True):
        return {"advice": f"on-demand at a steady {per_s:,.0f} records/s; {needed} provisioned"
                          f" shard(s) would carry it for less"}
    return None


@node
def many_writes(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A function that writes to several stores or services in one invocation: a
    multi-step transaction with no orchestration, retries or compensation."""
    targets = sorted(s for s in ctx.work_out(n)
                     if ctx.category(s) in STATEFUL_CATEGORIES and not ctx.is_async_edge(n, s))
    if len(targets) >= int(params.get("min_writes", 3)):
        return {"targets": ", ".join(targets)}
    return None


# ---------------------------------------------------------------------------- edges
@edge
def delivers_to_a_target(ctx: Ctx, a: str, b: str, params: dict[str, Any]) -> Any:
    """An EventBridge edge that delivers events to a target, not a bus routing to one of
    its own rules (a rule has a `pattern` or `schedule`; a bus has neither). A rule's
    targets get dead-letter queues; a bus-to-rule edge has nothing to attach one to.

    A function target with its own on-failure destination or DLQ keeps the events its
    code fails on; what the target's DLQ would add is the events EventBridge cannot
    deliver at all (throttled past 24 hours of retries, a missing permission): a warning
    rather than an error, and the message says so. A CloudWatch Logs target holds a copy
    of the events to read, not their processing: a warning too."""
    if ctx.kind(b) == "lambda":
        own = ctx.props(b).get("on_failure") or ctx.props(b).get("dlq")
        if own:
            return {"severity": "warning", "covered": (
                f" (its own failure destination {own} keeps the events its code fails on;"
                " this would keep the ones EventBridge cannot deliver to it)")}
        return {"covered": ""}
    if ctx.kind(b) == "logs":  # a copy of the events for reading, not their processing
        return {"severity": "warning", "covered": (
            f" (a log group: what is lost is {b}'s copy of them, not their processing)")}
    if ctx.kind(b) != "eventbridge":
        return {"covered": ""}
    def is_rule(n: str) -> bool:
        return is_event_rule(ctx.kind(n), ctx.props(n))
    return False if is_rule(b) and not is_rule(a) else {"covered": ""}


@edge
def sync_invocation(ctx: Ctx, a: str, b: str, params: dict[str, Any]) -> bool:
    return not ctx.is_async_edge(a, b)


@edge
def async_invocation(ctx: Ctx, a: str, b: str, params: dict[str, Any]) -> bool:
    return ctx.is_async_edge(a, b)


@edge
def stream_poison_gaps(ctx: Ctx, a: str, b: str, params: dict[str, Any]) -> Any:
    """What one record that keeps failing costs a stream event source, from its settings
    (Lambda's defaults: MaximumRetryAttempts and MaximumRecordAgeInSeconds -1, i.e. retry
    until the record expires from the stream; no bisect on error):

    - no retry limit and no maximum record age: the batch is retried until its records
      expire (24 hours by default) and its shard stalls behind it meanwhile (error);
    - a bound (`retries` >= 0, or a `max_age`) and no on-failure destination: the shard
      moves on once the bound is reached, and the failing batch is discarded, its records
      lost silently (error);
    - a bound and a destination, but no bisect on error: the failing batch goes to the
      destination whole, the good records behind the bad one unprocessed (warning);
    - a bound, a destination and bisect: nothing is at stake (None).

    Fields: `stake` (the message's sentence), `missing` (what the fix adds)."""
    eprops = ctx.edge(a, b).get("props") or {}
    dest = eprops.get("on_failure") or eprops.get("dlq")
    bisect = eprops.get("bisect") is True
    retries = eprops.get("retries")
    retries = int(retries) if retries is not None and int(retries) >= 0 else None
    age = eprops.get("max_age")
    age = float(age) if age is not None and float(age) > 0 else None
    missing = ([] if dest else ["an on-failure queue"]) + ([] if bisect else ["bisect on error"])
    if retries is None and age is None:
        gaps = (["no on-failure destination"] if not dest else []) + \
            (["no bisect on error"] if not bisect else []) + ["no retry limit"]
        lost = "; its records are then lost" if not dest else ""
        return {"stake": f"has {', '.join(gaps)}: one bad record makes its batch retry until"
                         f" the records expire from the stream (24 hours by default),"
                         f" blocking the shard meanwhile{lost}",
                "missing": _and([*missing, "a retry limit"])}
    bounds = []
    if retries is not None:
        bounds.append("its first failed attempt (no retries)" if retries == 0 else
                      f"{retries} {'retry' if retries == 1 else 'retries'}")
    if age is not None:
        bounds.append(f"once its records are {_human_duration(age)} old")
    bound = " or ".join(bounds)
    if not dest:
        whole = "" if bisect else ", the good records in its batch with the bad one"
        return {"stake": f"has no on-failure destination: after {bound} a failing batch is"
                         f" discarded and its records are lost silently{whole}",
                "missing": _and(missing)}
    if not bisect:
        return {"severity": "warning",
                "stake": f"has no bisect on error: after {bound} a failing batch goes to"
                         f" {dest} whole, the good records in it unprocessed with the bad one",
                "missing": _and(missing)}
    return None


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------------------- matches
@match
def visibility_too_short(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """Queue visibility timeout under 6x the consuming function's timeout (AWS advice for
    SQS event sources), so messages reappear while still being processed."""
    queue, fn = nodes[0], nodes[1]
    vis = ctx.prop(queue, "visibility")
    timeout = ctx.prop(fn, "timeout")
    if vis is None or timeout is None:
        return None
    factor = float(params.get("factor", 6))
    if float(vis) < factor * float(timeout):
        return {"visibility": f"{float(vis) / 1000:g} s",
                "timeout": f"{float(timeout) / 1000:g} s",
                "factor": f"{factor:g}",
                "needed": f"{factor * float(timeout) / 1000:g} s"}
    return None


def _sync_callees(ctx: Ctx, n: str) -> list[str]:
    nd = ctx.nd
    return sorted(s for s in ctx.succ[n]
                  if s != n and nd[s]["kind"] == "lambda" and not ctx.is_async_edge(n, s))


def _sync_callers(ctx: Ctx, n: str) -> list[str]:
    nd = ctx.nd
    return sorted(p for p in ctx.g._pred[n]
                  if p != n and nd[p]["kind"] == "lambda" and not ctx.is_async_edge(p, n))


def sync_call_group(ctx: Ctx, fn: str) -> tuple[str, tuple[str, ...]]:
    """The functions connected to `fn` by synchronous function-to-function calls (either
    direction): (its root, all of them in call order from the roots). The root is the
    first function no function calls synchronously (the first by name in a pure cycle).
    Computed once per group and view (`Ctx.memo`), so a long chain stays linear."""
    memo = ctx.memo.setdefault("sync_call_group", {})
    hit = memo.get(fn)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    seen = {fn}
    todo = [fn]
    while todo:
        n = todo.pop()
        for m in (*_sync_callees(ctx, n), *_sync_callers(ctx, n)):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    roots = sorted(n for n in seen if not _sync_callers(ctx, n)) or [min(seen)]
    order: list[str] = []
    placed: set[str] = set()
    queue = list(roots)
    for r in roots:
        placed.add(r)
    while queue:  # breadth first from the roots, callees by name
        n = queue.pop(0)
        order.append(n)
        for m in _sync_callees(ctx, n):
            if m not in placed:
                placed.add(m)
                queue.append(m)
    order += sorted(seen - placed)
    result = (roots[0], tuple(order))
    for n in seen:
        memo[n] = result
    return result


@match
def sync_call_chain(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """One finding per group of functions that call each other synchronously: only the
    binding (root, its first synchronous callee) matches, and the finding names every
    function of the chain or tree (`extra_nodes`)."""
    root, order = sync_call_group(ctx, nodes[0])
    if nodes[0] != root or _sync_callees(ctx, root)[:1] != [nodes[1]]:
        return None
    edges = {n: _sync_callees(ctx, n) for n in order}
    linear = all(len(v) <= 1 for v in edges.values()) and \
        all(len(_sync_callers(ctx, n)) <= 1 for n in order) and len(order) > 1
    if linear:
        path, n = [root], root
        while edges[n] and edges[n][0] not in path:
            n = edges[n][0]
            path.append(n)
        linear = len(path) == len(order)
    if linear:
        chain = " -> ".join(path)
    else:
        chain = "; ".join(f"{n} -> {', '.join(v)}" for n, v in edges.items() if v)
    rest = tuple(n for n in order if n not in nodes)
    return {"chain": chain, "count": len(order), "functions": ", ".join(order),
            "extra_nodes": rest}


@match
def destination_candidate(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> bool:
    """An asynchronously invoked function that hands its result to a queue, topic, bus or
    another function in code, where a Lambda destination would do it; not a plain glue
    function (the glue rules remove those) and not already a destination."""
    fn, target = nodes[0], nodes[1]
    if target in ctx.side_targets(fn) or target in ctx.failure_refs():
        return False
    if ctx.edge(fn, target).get("props", {}).get("integration") in ("native", "service"):
        return False
    if not async_invoked(ctx, fn, {}):
        return False
    if ctx.kind(target) == "lambda" and not ctx.is_async_edge(fn, target):
        return False
    return not any(glue_status(ctx, p, fn, target) for p in ctx.g.predecessors(fn))


@match
def direct_write_candidate(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> bool:
    """An API whose only job is to put client records into a stream: one route, a plain
    service integration, no validation, WAF or custom authorizer in the way."""
    _client, api, stream = nodes
    if [s for s in ctx.g.successors(api) if ctx.category(s) not in ("observability",)] != [stream]:
        return False
    if any(ctx.category(p) != "client" for p in ctx.g.predecessors(api)):
        return False
    return all(ctx.prop(api, f) is not True for f in ("validation", "waf", "caching"))


@match
def glue_unshown_target(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """A function its handler shows to make one forwarding SDK call (`glue = true` and a
    `glue_target`) to a service the design has no node for (the default event bus, a
    table named only in an environment variable, Comprehend, Translate, SES, ...), where
    every trigger reaches that service natively (`route_to`). Its only successors may be
    unmodelled `resource` nodes (e.g. an SES configuration set); a modelled successor
    means the three-node glue rules apply, or the function does more."""
    pred, fn = nodes[0], nodes[1]
    props = ctx.props(fn)
    target = props.get("glue_target")
    if props.get("glue") is not True or not target or target in NOT_AWS_APIS:
        return None
    if any(ctx.kind(s) != "resource" for s in ctx.work_out(fn)):
        return None
    route = None
    for p in ctx.g.predecessors(fn):
        if params.get("glue_indirect_only") and one_hop(ctx.kind(p), str(target),
                                                         ctx.props(p)):
            return None
        r = route_to(ctx.kind(p), str(target), params, ctx.props(p))
        if r is None:
            return None
        if p == pred:
            route = r
    if route is None:
        return None
    items = evidence.confirmed(props, ctx.nd[fn].get("loc"))
    shown = f" (handler: {evidence.summary(items)})" if evidence.has(items, "sdk-call") else ""
    return {"target": target, "evidence": shown, "evidence_items": items,
            "how": describe_route(ctx.kind(pred), route, str(target), params,
                                  ctx.props(pred))}


@match
def pipe_hint(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """Message field: name the EventBridge Pipe when the trigger needs one to start a workflow."""
    route = route_to(ctx.kind(nodes[0]), ctx.kind(nodes[-1]), params, ctx.props(nodes[0]),
                     ctx.props(nodes[-1])) or []
    return {"pipe_hint": " through an EventBridge Pipe" if "pipes" in route else ""}


# ------------------------------------------------------------- configuration checks
# Settings a template states (or leaves out) that break a deploy or a run, read by the
# importers into props. Each returns `at_prop` where the finding should point: where that
# prop was read (`Architecture.location_of`), e.g. the ASL file's line.
def _names(values: Any) -> str:
    return ", ".join(str(v) for v in values)


@node
def unsubstituted_placeholders(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """Definition placeholders no `DefinitionSubstitutions` entry fills."""
    names = [str(v) for v in ctx.props(n).get("unsubstituted") or ()]
    return {"names": _names(names), "at_prop": "unsubstituted"} if names else None


@node
def missing_local_path(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A local `CodeUri`/`DefinitionUri` a build would not find (missing, wrong case)."""
    why = ctx.props(n).get("missing_path")
    return {"why": str(why), "at_prop": "missing_path"} if why else None


@node
def untimed_callback(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """`.waitForTaskToken` states that no timeout or heartbeat bounds."""
    states = [str(s) for s in ctx.props(n).get("untimed_callbacks") or ()]
    return {"states": ", ".join(states)} if states else None


EXPRESS_LIMIT_MS = 5 * 60 * 1000  # an Express workflow's maximum duration


@node
def retry_outlasts_express(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """An Express workflow with a Retry schedule whose waits alone pass 5 minutes."""
    props = ctx.props(n)
    wait = props.get("longest_retry_wait")
    if props.get("type") != "express" or not isinstance(wait, int | float) or \
            wait <= EXPRESS_LIMIT_MS:
        return None
    state = props.get("longest_retry_state")
    return {"wait": f"{wait / 1000:g} s", "state": f" of {state}" if state else ""}


STREAM_READER_KINDS = ("lambda", "pipes")


@node
def crowded_stream(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A DynamoDB table whose stream more than `max_readers` (2) consumers read: Lambda
    event source mappings and Pipes, each polling every shard."""
    readers = sorted(m for m in ctx.g.successors(n)
                     if ctx.kind(m) in STREAM_READER_KINDS
                     and ctx.g.edges[n, m].get("mode") == "stream")
    limit = int(params.get("max_readers", 2))
    if len(readers) <= limit:
        return None
    return {"count": str(len(readers)), "readers": ", ".join(readers),
            "extra_nodes": tuple(readers)}
