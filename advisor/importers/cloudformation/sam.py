"""SAM: function/state machine `Events`, `Policies` templates, SAM-only props (Globals are
`sam_globals`).

SAM is a transform: the resources it would generate (the implicit REST/HTTP API, the
rules behind Schedule events, the queue behind an SNS event with SqsSubscription) are
created here as nodes named the way SAM names them, so the graph matches what deploys.
"""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx, data
from advisor.importers.cloudformation.template import LineDict
from advisor.importers.edge_labels import FILTERED, ON_FAILURE, TASK_TOKEN
from advisor.importers.write_back import polled_sources

# ------------------------------------------------------------------------ implicit APIs
IMPLICIT_APIS = {  # event type -> (API id SAM generates, its type, the event's API property)
    "Api": ("ServerlessRestApi", "AWS::Serverless::Api", "RestApiId"),
    "HttpApi": ("ServerlessHttpApi", "AWS::Serverless::HttpApi", "ApiId"),
}


def add_implicit_apis(ctx: Ctx) -> None:
    """The APIs SAM generates for Api/HttpApi events that name no API, added as resources
    of their SAM type before Globals are merged: SAM applies `Globals.Api`/`HttpApi` to
    them too (their Auth, caching, access logs), and they are read like declared APIs.
    Located at the first function/state machine whose event needs them."""
    owners = ctx.of_type("AWS::Serverless::Function") + ctx.of_type(
        "AWS::Serverless::StateMachine")
    for lid in owners:
        events = ctx.props_of(lid).get("Events")
        for ev in events.values() if isinstance(events, dict) else []:
            if not isinstance(ev, dict):
                continue
            spec = IMPLICIT_APIS.get(str(ctx.scalar(ev.get("Type"))))
            p = ev.get("Properties") if isinstance(ev.get("Properties"), dict) else {}
            if spec is None or p.get(spec[2]) is not None or spec[0] in ctx.implicit_apis:
                continue
            api_id, rtype, _ = spec
            if api_id in ctx.resources:
                if ctx.rtype(api_id) == rtype:
                    continue  # the user declared SAM's implicit API themselves
                line, col = ctx.line_of(None, api_id)
                ctx.info(f"{api_id} ({ctx.rtype(api_id)}) has the id of the API SAM "
                         f"generates for {lid}'s events: SAM replaces it with that API",
                         line, col, "rename the resource")
            props = LineDict({"StageName": "Prod"} if rtype == "AWS::Serverless::Api" else {})
            ctx.set_resource(api_id, LineDict({"Type": rtype, "Properties": props}))
            ctx.implicit_apis.add(api_id)
            loc = ctx.loc_of(lid)
            if loc is not None and isinstance(ctx.resources, LineDict):
                ctx.resources.key_lines[api_id] = (loc.line, loc.column)


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
            # the table holds every event type SAM knows: any other makes SAM reject the
            # template (the resource is still read, the event as a generic source)
            from advisor.errors import did_you_mean

            best = did_you_mean(str(etype), table) if isinstance(etype, str) else None
            ctx.info(f"{etype!r} (event {ev_name} of {lid}) is not a SAM event type: SAM "
                     "rejects the template; the event is read as a generic source", line, col,
                     f"did you mean {best}?" if best else
                     f"SAM's event types: {', '.join(sorted(table))}", severity="warning")
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
        label = FILTERED if p.get("FilterCriteria") or p.get("FilterPolicy") or \
            ctx.scalar(p.get("FilterPattern")) not in (None, "") else None
        mode = spec.get("mode")
        if spec.get("mapping") and mode is None:
            from advisor.importers.cloudformation.wiring.functions import mapping_mode

            mode = mapping_mode(ctx, src)
        ctx.edge(src, target, mode=mode, label=label, props=props, anchor=lid)
        on_failure = _on_failure(ctx, p)
        if on_failure is not None:
            ctx.edge(src, target, props={"on_failure": on_failure})
            ctx.edge(target, on_failure, mode="async", label=ON_FAILURE, anchor=lid)


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
    types = p.get("FunctionResponseTypes")
    if isinstance(types, list) and "ReportBatchItemFailures" in [ctx.scalar(t) for t in types]:
        out["partial_batch"] = True
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
    from advisor.importers.cloudformation.apigw_sam import sam_api_event

    api_ref = p.get("RestApiId") if spec["api_type"] == "rest" else p.get("ApiId")
    if api_ref is None:
        api = ctx.names.get(spec["implicit_api"]) if spec["implicit_api"] in \
            ctx.implicit_apis else None
        if api is None:  # the id is taken by a resource of another type
            api = ctx.implicit_node(spec["implicit_api"], "apigw", {"type": spec["api_type"]},
                                    loc=ctx.loc_of(lid))
    else:
        named = ctx.sam_ref(api_ref)
        api = ctx.node_for(named) if named is not None else ctx.external_node(
            api_ref, "apigw", f"{ev_name} event API of {lid}", ev_name_anchor(p), lid)
    if api is None:
        line, col = ctx.line_of(ev_name_anchor(p), lid)
        ctx.info(f"the API of {lid}'s {ev_name} event is not a resource or parameter named "
                 "here; no edge drawn for the event", line, col)
        return
    sam_api_event(ctx, api, target, p, spec["api_type"], lid)


def _rule_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
                spec: dict[str, Any]) -> None:
    """EventBridgeRule / CloudWatchEvent / Schedule: SAM generates a rule <Fn><Event>."""
    from advisor.importers.cloudformation.props import eventbridge_props

    props = eventbridge_props(ctx, lid, {"EventPattern": p.get("Pattern"),
                                         "ScheduleExpression": p.get("Schedule")}
                              if p.get("Pattern") is not None or p.get("Schedule") is not None
                              else {})
    rule = ctx.implicit_node(f"{lid}{ev_name}", "eventbridge", props, loc=ctx.loc_of(lid))
    from advisor.importers.cloudformation.wiring.events import attach_rule

    attach_rule(ctx, rule, p.get("EventBusName"), p.get("Pattern") is not None, lid)
    edge_props = event_target_policies(ctx, lid, ev_name, p)
    transform = any(k in p for k in ("InputTransformer", "Input", "InputPath"))
    if transform:
        edge_props["transform"] = True
    ctx.edge(rule, target, props=edge_props, anchor=lid)
    desc = ctx.scalar(p.get("Description"))
    if isinstance(desc, str) and desc:
        ctx.set_props(rule, description=desc[:200])
    elif ctx.flag(p.get("Enabled")) is False or str(ctx.scalar(p.get("State"))) == "DISABLED":
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


def event_target_policies(ctx: Ctx, lid: str, ev_name: str, p: dict[str, Any]) -> dict[str, Any]:
    """`target_policies` of a SAM event, with the dead-letter queue SAM creates when the
    event's `DeadLetterConfig` says `Type: SQS` and names no `Arn`: a queue named
    `QueueLogicalId`, else `<Function><Event>Queue` (SAM's EventBridgeRuleUtils and
    scheduler event source)."""
    props = target_policies(ctx, p)
    dlc = p.get("DeadLetterConfig")
    if isinstance(dlc, dict) and dlc.get("Arn") is None and \
            str(ctx.scalar(dlc.get("Type")) or "").upper() == "SQS":
        qid = ctx.scalar(dlc.get("QueueLogicalId"))
        name = qid if isinstance(qid, str) and qid else f"{lid}{ev_name}Queue"
        props["dlq"] = ctx.implicit_node(name, "sqs", {"is_dlq": True}, loc=ctx.loc_of(lid))
    return props


def _schedule_v2(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
                 spec: dict[str, Any]) -> None:
    expr = ctx.scalar(p.get("ScheduleExpression"))
    node = ctx.implicit_node(f"{lid}{ev_name}", "scheduler",
                             {"schedule": expr} if isinstance(expr, str) else {},
                             loc=ctx.loc_of(lid))
    ctx.edge(node, target, props=event_target_policies(ctx, lid, ev_name, p), anchor=lid)


def _sns_event(ctx: Ctx, lid: str, target: str, ev_name: str, p: dict[str, Any],
               spec: dict[str, Any]) -> None:
    topic = _event_source(ctx, lid, ev_name, p, spec, "sns")
    label = FILTERED if p.get("FilterPolicy") else None
    sqs_sub = p.get("SqsSubscription")
    if sqs_sub:
        queue = None
        if isinstance(sqs_sub, dict):
            queue = ctx.node_ref(sqs_sub.get("QueueArn"))
        if queue is None:
            queue = ctx.implicit_node(f"{lid}{ev_name}Queue", "sqs", {}, loc=ctx.loc_of(lid))
        # SAM puts the event's RedrivePolicy on the subscription it makes for the queue
        ctx.edge(topic, queue, label=label, props=subscription_redrive(ctx, p), anchor=lid)
        batch = ctx.number(sqs_sub.get("BatchSize")) if isinstance(sqs_sub, dict) else None
        # SAM writes BatchSize 10 (SqsSubscriptionObject's default) into the mapping it makes
        ctx.edge(queue, target, props={"batch": int(batch) if batch else 10}, anchor=lid)
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
    from advisor.importers.cloudformation.wiring.s3 import bucket_edge

    bucket = _event_source(ctx, lid, ev_name, p, spec, "s3")
    events = p.get("Events")
    bucket_edge(ctx, bucket, target, [ctx.scalar(e) for e in (
        events if isinstance(events, list) else [events])], lid)


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
    """The entries of a SAM `Policies` list; both branches of an `Fn::If` count."""
    from advisor.importers.cloudformation.conditions import list_branches, resolve_conditionals

    policies = ctx.props_of(lid).get("Policies")
    if policies is None:
        return []
    items = list(policies) if isinstance(policies, list) else [policies]
    return [resolve_conditionals(item) for item in list_branches(items)]


def wire_policies(ctx: Ctx, lid: str) -> list[dict[str, Any]]:
    """SAM policy templates -> edges to what they let the function write; returns the
    inline IAM statements (for action-based edges). The statements the role SAM
    generates holds, inline ones and each template's in `Policies` order, are kept for
    the wildcard check (`memo["sam_role_statements"]`, read by iam.wire_iam)."""
    from advisor.importers.cloudformation import sam_policy_templates
    from advisor.importers.iam_policies import managed_policy_is_wide

    node = ctx.names.get(lid)
    table = data()["sam_policies"]
    # as for role policies (iam.wire_iam): access to its own event source is not a write,
    # unless a write or CRUD template names a source it polls (a write-back:
    # advisor/importers/write_back.py)
    own_sources = set(ctx.arch.graph.predecessors(node)) if node is not None else set()
    if node is not None and ctx.arch.kind(node) == "lambda":
        own_sources -= polled_sources(ctx.arch, node)
    statements: list[dict[str, Any]] = []
    role_statements = ctx.memo.setdefault("sam_role_statements", {}).setdefault(lid, [])
    for item in policy_items(ctx, lid):
        name = item if isinstance(item, str) else ctx.text_of(item) if isinstance(
            item, dict) and len(item) == 1 and next(iter(item)) in ("Fn::Sub", "Ref") else None
        if name is not None:  # a managed policy name or ARN
            if managed_policy_is_wide(name):  # marked after the inline statements (wire_iam)
                ctx.memo.setdefault("sam_wide_managed", {}).setdefault(lid, []).append(
                    name.rsplit("/", 1)[-1])
            continue
        if not isinstance(item, dict):
            continue
        if "Statement" in item:
            stmts = item["Statement"]
            inline = [s for s in (stmts if isinstance(stmts, list) else [stmts])
                      if isinstance(s, dict)]
            statements.extend(inline)
            role_statements.extend(inline)
            continue
        for tname, params in item.items():
            role_statements.extend(sam_policy_templates.statements(str(tname), params))
            spec = table.get(tname)
            if spec is None:
                continue
            if spec["access"] not in ("write", "crud", "callback") or spec["kind"] == "resource":
                continue
            value = params.get(spec["param"]) if isinstance(params, dict) and spec.get("param") \
                else params
            target = ctx.node_ref(value, spec["kind"])
            if target is not None and target not in own_sources and \
                    ctx.permission_is_use(node, target):
                answers = spec["access"] == "callback" and not ctx.arch.graph.has_edge(node, target)
                ctx.edge(node, target, label=TASK_TOKEN if answers else None, anchor=lid)
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
            ctx.edge(node, target, mode="async", label=ON_FAILURE, anchor=lid)
    eic = p.get("EventInvokeConfig")
    if isinstance(eic, dict):
        from advisor.importers.cloudformation.wiring.functions import apply_invoke_config

        apply_invoke_config(ctx, node, eic, lid, sam_function=lid)
