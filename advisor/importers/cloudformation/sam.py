"""SAM: Globals, function/state machine `Events`, `Policies` templates, SAM-only props.

SAM is a transform: the resources it would generate (the implicit REST/HTTP API, the
rules behind Schedule events, the queue behind an SNS event with SqsSubscription) are
created here as nodes named the way SAM names them, so the graph matches what deploys.
"""

from __future__ import annotations

import copy
from typing import Any

from advisor.importers.cloudformation.context import Ctx, data
from advisor.importers.cloudformation.template import LineDict

GLOBAL_SECTIONS = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
    "StateMachine": "AWS::Serverless::StateMachine",
}


def merge_globals(ctx: Ctx) -> None:
    """Merge `Globals` into each SAM resource: maps merge, lists add, scalars the resource's."""
    glob = ctx.template.get("Globals")
    if not isinstance(glob, dict):
        return
    for section, rtype in GLOBAL_SECTIONS.items():
        defaults = glob.get(section)
        if not isinstance(defaults, dict):
            continue
        for lid in ctx.of_type(rtype):
            res = ctx.resources[lid]
            props = res.get("Properties")
            if not isinstance(props, dict):
                props = LineDict()
                res["Properties"] = props
            merged = _merge(copy.deepcopy(dict(defaults)), props)
            for key, value in merged.items():
                props[key] = value


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(over, list):
        return list(base) + [v for v in over if v not in base]
    return over


# ------------------------------------------------------------------------ events
def wire_events(ctx: Ctx, lid: str) -> None:
    """Each entry of a function's or state machine's `Events` becomes an edge into it."""
    target = ctx.names.get(lid)
    events = ctx.props_of(lid).get("Events")
    if target is None or not isinstance(events, dict):
        return
    table = data()["sam_events"]
    for ev_name, ev in events.items():
        if not isinstance(ev, dict):
            continue
        etype = ctx.scalar(ev.get("Type"))
        p = ev.get("Properties") if isinstance(ev.get("Properties"), dict) else {}
        spec = table.get(etype) if isinstance(etype, str) else None
        line, col = ctx.line_of(ev, lid)
        if spec is None:
            ctx.info(f"SAM event type {etype!r} of {lid} is not mapped; kept as a generic source",
                     line, col)
            src = ctx.implicit_node(f"{lid}{ev_name}", "resource", {"type": str(etype)},
                                    loc=ctx.loc_of(lid))
            ctx.edge(src, target, anchor=lid)
            continue
        kind = spec["kind"]
        handler = _EVENT_WIRING.get(str(etype))
        if handler is not None:
            handler(ctx, lid, target, str(ev_name), p, spec)
            continue
        src = _event_source(ctx, lid, str(ev_name), p, spec, kind)
        props = _stream_props(ctx, p)
        label = "filtered" if p.get("FilterCriteria") or p.get("FilterPolicy") else None
        ctx.edge(src, target, mode=spec.get("mode"), label=label, props=props, anchor=lid)
        on_failure = _on_failure(ctx, p)
        if on_failure is not None:
            ctx.edge(src, target, props={"on_failure": on_failure})
            ctx.edge(target, on_failure, mode="async", label="on failure", anchor=lid)


def _event_source(ctx: Ctx, lid: str, ev_name: str, p: dict[str, Any], spec: dict[str, Any],
                  kind: str) -> str | None:
    ref_key = spec.get("ref")
    if ref_key:
        value = p.get(ref_key)
        node = ctx.node_ref(value)
        if node is not None:
            return node
        if value is None:
            return None
        return ctx.external_node(value, kind, f"{ev_name} event source of {lid}",
                                 ev_name_anchor(p), lid, spec.get("type"))
    props: dict[str, Any] = {}
    if spec.get("type"):
        props["type"] = spec["type"]
    return ctx.implicit_node(f"{lid}{ev_name}", kind, props, loc=ctx.loc_of(lid))


def ev_name_anchor(p: Any) -> Any:
    return p if isinstance(p, LineDict) else None


def _stream_props(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    batch = ctx.number(p.get("BatchSize"))
    if batch is not None:
        out["batch"] = int(batch)
    if ctx.flag(p.get("BisectBatchOnFunctionError")):
        out["bisect"] = True
    retries = ctx.number(p.get("MaximumRetryAttempts"))
    if retries is not None:
        out["retries"] = int(retries)
    window = ctx.number(p.get("MaximumBatchingWindowInSeconds"))
    if window is not None:
        out["window"] = window * 1000
    age = ctx.number(p.get("MaximumRecordAgeInSeconds"))
    if age is not None and age >= 0:
        out["max_age"] = age * 1000
    return out


def _on_failure(ctx: Ctx, p: dict[str, Any]) -> str | None:
    dest = p.get("DestinationConfig")
    onf = dest.get("OnFailure") if isinstance(dest, dict) else None
    if isinstance(onf, dict):
        return ctx.node_ref(onf.get("Destination"))
    return None


def _api_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
               spec: dict[str, Any]) -> None:
    from advisor.importers.cloudformation.apigw import sam_api_event

    api_ref = p.get("RestApiId") if spec["api_type"] == "rest" else p.get("ApiId")
    api = ctx.node_ref(api_ref) if api_ref is not None else None
    if api is None:
        api = ctx.implicit_node(spec["implicit_api"], "apigw", {"type": spec["api_type"]},
                                loc=ctx.loc_of(lid))
        ctx.names.setdefault(spec["implicit_api"], api)
        _implicit_api_globals(ctx, api, "Api" if spec["api_type"] == "rest" else "HttpApi")
    sam_api_event(ctx, api, target, p, spec["api_type"], lid)


def _implicit_api_globals(ctx: Ctx, api: str, section: str) -> None:
    """SAM applies `Globals.Api` / `Globals.HttpApi` to the API it generates from
    function events too: its stage settings (throttling, tracing, access logs)."""
    from advisor.importers.cloudformation.apigw import _stage

    glob = ctx.template.get("Globals")
    settings = glob.get(section) if isinstance(glob, dict) else None
    if isinstance(settings, dict):
        _stage(ctx, api, settings)


def _rule_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
                spec: dict[str, Any]) -> None:
    """EventBridgeRule / CloudWatchEvent / Schedule: SAM generates a rule <Fn><Event>."""
    from advisor.importers.cloudformation.props import eventbridge_props

    props = eventbridge_props(ctx, lid, {"EventPattern": p.get("Pattern"),
                                         "ScheduleExpression": p.get("Schedule")}
                              if p.get("Pattern") is not None or p.get("Schedule") is not None
                              else {})
    rule = ctx.implicit_node(f"{lid}{ev_name}", "eventbridge", props, loc=ctx.loc_of(lid))
    bus = ctx.node_ref(p.get("EventBusName"), "eventbridge")
    if bus is not None:
        ctx.edge(bus, rule, anchor=lid)
    elif p.get("Pattern") is not None:
        ctx.default_bus_rules.add(rule)
    edge_props = target_policies(ctx, p)
    transform = any(k in p for k in ("InputTransformer", "Input", "InputPath"))
    if transform:
        edge_props["transform"] = True
    ctx.edge(rule, target, props=edge_props, anchor=lid)
    if ctx.flag(p.get("Enabled")) is False or str(ctx.scalar(p.get("State"))) == "DISABLED":
        ctx.set_props(rule, description="disabled")


def target_policies(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """DeadLetterConfig and RetryPolicy of a rule/schedule target as edge props."""
    out: dict[str, Any] = {}
    dlc = p.get("DeadLetterConfig")
    if isinstance(dlc, dict):
        dlq = ctx.node_ref(dlc.get("Arn", dlc.get("TargetArn")))
        if dlq is not None:
            out["dlq"] = dlq
            if ctx.arch.kind(dlq) == "sqs":
                ctx.set_props(dlq, is_dlq=True)
    retry = p.get("RetryPolicy")
    if isinstance(retry, dict):
        n = ctx.number(retry.get("MaximumRetryAttempts"))
        if n is not None:
            out["retries"] = int(n)
        age = ctx.number(retry.get("MaximumEventAgeInSeconds"))
        if age is not None:
            out["max_age"] = age * 1000
    return out


def _schedule_v2(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
                 spec: dict[str, Any]) -> None:
    expr = ctx.scalar(p.get("ScheduleExpression"))
    node = ctx.implicit_node(f"{lid}{ev_name}", "scheduler",
                             {"schedule": expr} if isinstance(expr, str) else {},
                             loc=ctx.loc_of(lid))
    ctx.edge(node, target, props=target_policies(ctx, p), anchor=lid)


def _sns_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
               spec: dict[str, Any]) -> None:
    topic = _event_source(ctx, lid, ev_name, p, spec, "sns")
    label = "filtered" if p.get("FilterPolicy") else None
    sqs_sub = p.get("SqsSubscription")
    if sqs_sub:
        queue = None
        if isinstance(sqs_sub, dict):
            queue = ctx.node_ref(sqs_sub.get("QueueArn"))
        if queue is None:
            queue = ctx.implicit_node(f"{lid}{ev_name}Queue", "sqs", {}, loc=ctx.loc_of(lid))
        ctx.edge(topic, queue, label=label, anchor=lid)
        batch = ctx.number(sqs_sub.get("BatchSize")) if isinstance(sqs_sub, dict) else None
        ctx.edge(queue, target, props={"batch": int(batch)} if batch else {}, anchor=lid)
        return
    ctx.edge(topic, target, label=label, props=subscription_redrive(ctx, p), anchor=lid)


def subscription_redrive(ctx: Ctx, props: dict[str, Any]) -> dict[str, Any]:
    """Edge props for an SNS subscription's RedrivePolicy: its DLQ, marked as a DLQ."""
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, dict):
        dlq = ctx.node_ref(redrive.get("deadLetterTargetArn"))
        if dlq is not None:
            ctx.set_props(dlq, is_dlq=True)
            return {"dlq": dlq}
    return {}


def _s3_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
              spec: dict[str, Any]) -> None:
    bucket = _event_source(ctx, lid, ev_name, p, spec, "s3")
    events = p.get("Events")
    label = None
    if isinstance(events, str):
        label = events
    elif isinstance(events, list) and events and all(isinstance(e, str) for e in events):
        label = ", ".join(sorted(events))
    ctx.edge(bucket, target, label=label, anchor=lid)


_EVENT_WIRING = {
    "Api": _api_event,
    "HttpApi": _api_event,
    "EventBridgeRule": _rule_event,
    "CloudWatchEvent": _rule_event,
    "Schedule": _rule_event,
    "ScheduleV2": _schedule_v2,
    "SNS": _sns_event,
    "S3": _s3_event,
}


# ------------------------------------------------------------------------ policies
def policy_items(ctx: Ctx, lid: str) -> list[Any]:
    policies = ctx.props_of(lid).get("Policies")
    if policies is None:
        return []
    return list(policies) if isinstance(policies, list) else [policies]


def wire_policies(ctx: Ctx, lid: str) -> list[dict[str, Any]]:
    """SAM policy templates -> edges to what they let the function write; returns the
    inline IAM statements (for wildcard checks and action-based edges)."""
    from advisor.importers.cloudformation.iam import managed_policy_is_wide

    node = ctx.names.get(lid)
    table = data()["sam_policies"]
    statements: list[dict[str, Any]] = []
    for item in policy_items(ctx, lid):
        if isinstance(item, str):
            if managed_policy_is_wide(item):
                ctx.set_props(node, iam_wildcard=True)
            continue
        if not isinstance(item, dict):
            continue
        if "Statement" in item:
            stmts = item["Statement"]
            statements.extend(s for s in (stmts if isinstance(stmts, list) else [stmts])
                              if isinstance(s, dict))
            continue
        for tname, params in item.items():
            spec = table.get(tname)
            if spec is None:
                continue
            if spec["access"] not in ("write", "crud") or spec["kind"] == "resource":
                continue
            value = params.get(spec["param"]) if isinstance(params, dict) and spec.get("param") \
                else params
            target = ctx.node_ref(value, spec["kind"])
            if target is not None:
                ctx.edge(node, target, label=None, anchor=lid)
    return statements


def sam_function_extras(ctx: Ctx, lid: str) -> None:
    """SAM-only function settings: DeadLetterQueue, EventInvokeConfig, AutoPublishAlias."""
    node = ctx.names.get(lid)
    p = ctx.props_of(lid)
    dlq = p.get("DeadLetterQueue")
    if isinstance(dlq, dict):
        target = ctx.node_ref(dlq.get("TargetArn"))
        if target is not None:
            ctx.set_props(node, dlq=target)
            if ctx.arch.kind(target) == "sqs":
                ctx.set_props(target, is_dlq=True)
            ctx.edge(node, target, mode="async", label="on failure", anchor=lid)
    eic = p.get("EventInvokeConfig")
    if isinstance(eic, dict):
        from advisor.importers.cloudformation.wiring import apply_invoke_config

        apply_invoke_config(ctx, node, eic, lid)
