"""The other native connections that replace a glue function in CloudFormation/SAM:
Lambda destinations (GLUE-LAMBDA-DESTINATION), SNS subscriptions of a delivery stream or
an HTTPS endpoint (GLUE-SNS-FIREHOSE, GLUE-SNS-HTTP), a delivery stream reading a
Kinesis stream (GLUE-KINESIS-FIREHOSE), Kinesis Data Streams for DynamoDB
(GLUE-DYNAMODB-KINESIS), an EventBridge Scheduler target (GLUE-SCHEDULER-TARGET); and
the glue rewrites whose native side is code or a document only the user can write
(AppSync resolvers, SSM Automation steps, API destinations' credentials, Express
workflows) say so.

Every new role is assumed by the one service and may do the one action on the one
resource. What the native connection delivers is checked against what the function sent
(its SDK call, read from the handler): a different shape keeps the function, with that
reason; a handler that was not read is assumed to forward unchanged, and the patch says
so.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.glue import remove_function
from advisor.fix.cfn.locate import node_site, resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.template import Template, Unpatchable, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.emit import GetAtt, Ref
from advisor.fix.handler import template_handler
from advisor.fix.mapping import Event, Json, SdkArgs


def _role(tpl: Template, base: str, service: str, actions: list[str], resource: Any) -> str:
    return tpl.add_resource(f"{base}Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "deliver", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": actions, "Resource": resource}]}}],
    })


def _sdk(ctx: FixContext, tpl: Template, fn_node: str, fn: str,
         first_record: bool = False) -> SdkArgs | None:
    """The function's one SDK call, or None (and a note) when its handler was not read.
    `first_record`: the source hands the function one record per event (SNS), so
    `event["Records"][0]` is each record (advisor.fix.handler.read_handler)."""
    found = template_handler(ctx, tpl, fn_node, fn, first_record)
    if found is None:
        ctx.note(f"the handler of {fn} was not read: the native connection delivers what a "
                 "function that only forwards passed on")
        return None
    return found.call


def _member(args: dict[str, Any], *path: Any) -> Any:
    node: Any = args
    for p in path:
        found = (isinstance(node, dict) and p in node) or (
            isinstance(node, list) and isinstance(p, int) and p < len(node))
        if not found:
            return None
        node = node[p]
    return node


# ------------------------------------------------------------------ Lambda destinations
DESTINATION_TYPES = {"sqs": ("SQS", "sqs:SendMessage", "Arn"),
                     "sns": ("SNS", "sns:Publish", "Ref"),
                     "eventbridge": ("EventBridge", "events:PutEvents", "Arn"),
                     "lambda": ("Lambda", "lambda:InvokeFunction", "Arn")}


def on_success(ctx: FixContext, tpl: Template) -> None:
    fn_node, target_node = ctx.match[0], ctx.match[1]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    callers = [(p, d.get("mode")) for p, _, d in ctx.before.graph.in_edges(fn_node, data=True)]
    sync = sorted(p for p, mode in callers if mode != "async")
    if sync or not callers:
        raise Unpatchable(f"a destination receives asynchronous invocations only; {fn} is "
                          f"invoked {'by ' + ', '.join(sync) if sync else 'by nothing here'} "
                          "synchronously or by polling")
    kind = ctx.before.kind(target_node)
    if kind not in DESTINATION_TYPES:
        raise Unpatchable(f"a Lambda destination cannot be a {kind}")
    target = resource_of(ctx, tpl, target_node)
    dtype, action, how = DESTINATION_TYPES[kind]
    arn = Ref(target) if how == "Ref" else GetAtt(target, "Arn")
    if tpl.rtype(fn) == "AWS::Serverless::Function":
        eic = tpl.props(fn).get("EventInvokeConfig")
        dest = {"Type": dtype, "Destination": arn}
        if isinstance(eic, dict) and isinstance(eic.get("DestinationConfig"), dict):
            tpl.set(fn, ("EventInvokeConfig", "DestinationConfig", "OnSuccess"), dest)
        else:
            tpl.set(fn, ("EventInvokeConfig", "DestinationConfig"), {"OnSuccess": dest})
        role, generated = tpl.function_role(fn)
        if not generated:
            tpl.grant(fn, _own_role(tpl, fn, role), f"{fn}OnSuccess",
                      [{"Effect": "Allow", "Action": action, "Resource": arn}])
    else:
        existing = [lid for lid in tpl.of_type("AWS::Lambda::EventInvokeConfig")
                    if ref_target(tpl.props(lid).get("FunctionName")) == fn]
        if existing:
            tpl.set(existing[0], ("DestinationConfig", "OnSuccess"), {"Destination": arn})
        else:
            tpl.add_resource(f"{fn}InvokeConfig", "AWS::Lambda::EventInvokeConfig", {
                "FunctionName": Ref(fn), "Qualifier": "$LATEST",
                "DestinationConfig": {"OnSuccess": {"Destination": arn}}})
        role, _ = tpl.function_role(fn)
        tpl.grant(None, _own_role(tpl, fn, role), f"{fn}OnSuccess",
                  [{"Effect": "Allow", "Action": action, "Resource": arn}])
    ctx.granted.add(action)
    ctx.note(f"the handler of {fn} must return what it sent instead of calling the SDK, or "
             "each message is sent twice")
    ctx.note(f"{target} now receives Lambda's invocation record: the function's result is "
             "its responsePayload")


def _own_role(tpl: Template, fn: str, role: str | None) -> str:
    if role is None:
        raise Unpatchable(f"the execution role of {fn} is not declared in this template")
    return role


# ------------------------------------------------------------------ SNS subscriptions
def sns_subscription(ctx: FixContext, tpl: Template) -> None:
    topic_node, fn_node, target_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    topic = resource_of(ctx, tpl, topic_node, "AWS::SNS::Topic")
    sdk = _sdk(ctx, tpl, fn_node, fn, first_record=True)  # SNS invokes with one record
    handled: set[str] = set()
    sub_props = _take_subscription(tpl, topic, fn, handled)
    props: dict[str, Any] = {"TopicArn": Ref(topic)}
    kind = ctx.before.kind(target_node)
    if kind == "firehose":
        stream = resource_of(ctx, tpl, target_node, "AWS::KinesisFirehose::DeliveryStream")
        raw = True
        if sdk is not None:
            from advisor.fix.requests import sns_raw_delivery

            raw = sns_raw_delivery(_member(sdk.args, "Record", "Data"))
        role = _role(tpl, f"{topic}To{stream}", "sns.amazonaws.com",
                     ["firehose:DescribeDeliveryStream", "firehose:ListDeliveryStreams",
                      "firehose:ListTagsForDeliveryStream", "firehose:PutRecord",
                      "firehose:PutRecordBatch"], GetAtt(stream, "Arn"))
        props.update({"Protocol": "firehose", "Endpoint": GetAtt(stream, "Arn"),
                      "SubscriptionRoleArn": GetAtt(role, "Arn"),
                      "RawMessageDelivery": raw})
        base = f"{topic}To{stream}"
    else:
        url = (ctx.node(target_node).get("props") or {}).get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise Unpatchable(f"the endpoint of {target_node} is not a known https:// URL")
        props.update({"Protocol": "https", "Endpoint": url})
        ctx.note(f"{url} must confirm the subscription (SNS posts a SubscriptionConfirmation "
                 "first) and receives SNS's message envelope")
        base = f"{topic}To{target_node}"
    for key in ("FilterPolicy", "FilterPolicyScope"):
        if key in sub_props:
            props[key] = sub_props[key]
    dlq = ctx.after_edge(topic_node, target_node).get("dlq")
    if dlq:
        name = ctx.names.get(str(dlq)) or ctx.source_id(str(dlq))
        props["RedrivePolicy"] = {"deadLetterTargetArn": GetAtt(name, "Arn")}
    remove_function(ctx, tpl, fn, handled)
    tpl.add_resource(base, "AWS::SNS::Subscription", props)


def _take_subscription(tpl: Template, topic: str, fn: str, handled: set[str]) -> dict[str, Any]:
    """The function's subscription (a resource, a SAM event or an inline one), removed;
    its properties."""
    found: dict[str, Any] = {}
    for other in tpl.referrers(fn):
        if tpl.rtype(other) == "AWS::SNS::Subscription":
            found = dict(tpl.props(other))
            handled.add(other)
            tpl.remove_resource(other)
    events = tpl.props(fn).get("Events") or {}
    for ev in events.values() if isinstance(events, dict) else []:
        if isinstance(ev, dict) and ev.get("Type") == "SNS":
            found = dict(ev.get("Properties") or {})
    inline = tpl.props(topic).get("Subscription")
    if isinstance(inline, list):
        for i, s in enumerate(inline):
            if isinstance(s, dict) and fn in refs(s.get("Endpoint")):
                tpl.doc.delete(tpl.prop_path(topic, "Subscription", i))
                found = dict(s)
        handled.add(topic)
    return found


# ------------------------------------------------------------------ Kinesis -> Firehose
def kinesis_to_firehose(ctx: FixContext, tpl: Template) -> None:
    stream_node, fn_node, ds_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    stream = resource_of(ctx, tpl, stream_node, "AWS::Kinesis::Stream")
    ds = resource_of(ctx, tpl, ds_node, "AWS::KinesisFirehose::DeliveryStream")
    p = tpl.props(ds)
    if p.get("DeliveryStreamName") is not None:
        raise Unpatchable(f"a delivery stream's source changes only by replacing it, and "
                          f"{ds} has a fixed DeliveryStreamName")
    if p.get("DeliveryStreamType") not in (None, "DirectPut"):
        raise Unpatchable(f"{ds} already reads another source")
    sdk = _sdk(ctx, tpl, fn_node, fn)
    if sdk is not None:
        raise Unpatchable(f"{fn} writes records it decodes or builds; a delivery stream "
                          "reading the stream takes each record as it is")
    role = _role(tpl, f"{ds}Source", "firehose.amazonaws.com",
                 ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords",
                  "kinesis:ListShards"], GetAtt(stream, "Arn"))
    tpl.set(ds, ("DeliveryStreamType",), "KinesisStreamAsSource")
    tpl.set(ds, ("KinesisStreamSourceConfiguration",),
            {"KinesisStreamARN": GetAtt(stream, "Arn"), "RoleARN": GetAtt(role, "Arn")})
    ctx.note(f"changing the source replaces {ds} (records buffered in it at that moment are "
             "not delivered)")
    remove_function(ctx, tpl, fn, set())


# ------------------------------------------------------------------ DynamoDB -> Kinesis
def dynamodb_to_kinesis(ctx: FixContext, tpl: Template) -> None:
    table_node, fn_node, stream_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    table = resource_of(ctx, tpl, table_node, "AWS::DynamoDB::Table",
                        "AWS::DynamoDB::GlobalTable")
    stream = resource_of(ctx, tpl, stream_node, "AWS::Kinesis::Stream")
    if tpl.props(table).get("KinesisStreamSpecification") is not None:
        raise Unpatchable(f"{table} already streams to a Kinesis stream")
    sdk = _sdk(ctx, tpl, fn_node, fn)
    if sdk is not None:
        data = _member(sdk.args, "Data")
        if not (isinstance(data, Json) and data.inner == Event("record")):
            raise Unpatchable(f"{fn} writes its own records; Kinesis Data Streams for DynamoDB "
                              "writes the change records themselves")
    tpl.set(table, ("KinesisStreamSpecification",), {"StreamArn": GetAtt(stream, "Arn")})
    ctx.note(f"{stream} now receives DynamoDB's change records (the Kinesis Data Streams for "
             "DynamoDB format, not the Lambda stream event's)")
    remove_function(ctx, tpl, fn, set())


# ------------------------------------------------------------------ Scheduler
SCHEDULER_TARGETS = {
    "sqs": ("Arn", "sqs:SendMessage", "MessageBody"),
    "sns": ("Ref", "sns:Publish", "Message"),
    "sfn": ("Ref", "states:StartExecution", "input"),
    "kinesis": ("Arn", "kinesis:PutRecord", "Data"),
    "firehose": ("Arn", "firehose:PutRecord", None),
    "eventbridge": ("Arn", "events:PutEvents", None),
}


def schedule_target(ctx: FixContext, tpl: Template) -> None:
    """The schedule calls the target; its Input becomes what the function sent, evaluated
    on the schedule's own (constant) input."""
    import json

    sched_node, fn_node, target_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    kind = ctx.before.kind(target_node)
    if kind not in SCHEDULER_TARGETS or SCHEDULER_TARGETS[kind][2] is None:
        raise Unpatchable(f"a schedule's {kind} target is not generated")
    how, action, member = SCHEDULER_TARGETS[kind]
    target = resource_of(ctx, tpl, target_node)
    site = node_site(ctx, tpl, sched_node)
    if site.what != "resource" or tpl.rtype(site.lid) != "AWS::Scheduler::Schedule":
        raise Unpatchable(f"{sched_node} is not an AWS::Scheduler::Schedule of this template "
                          "(a SAM ScheduleV2 event is generated with the function)")
    sched = site.lid
    t = tpl.props(sched).get("Target") or {}
    given = t.get("Input")
    try:
        event = json.loads(given) if isinstance(given, str) else {}
    except ValueError as exc:
        raise Unpatchable("the schedule's Input is not JSON") from exc
    sdk = _sdk(ctx, tpl, fn_node, fn)
    if sdk is None:
        message = given
    else:
        message_expr = _member(sdk.args, member)
        message = _evaluate(message_expr, event)
        if not isinstance(message, str):
            message = json.dumps(message)
    arn = Ref(target) if how == "Ref" else GetAtt(target, "Arn")
    role = _role(tpl, f"{sched}To{target}", "scheduler.amazonaws.com", [action], arn)
    entry: dict[str, Any] = {"Arn": arn, "RoleArn": GetAtt(role, "Arn")}
    if message is not None:
        entry["Input"] = message
    if kind == "kinesis":
        entry["KinesisParameters"] = {"PartitionKey": str(_evaluate(
            _member(sdk.args, "PartitionKey"), event) if sdk else sched)}
    for key in ("RetryPolicy", "DeadLetterConfig"):
        if key in t:
            entry[key] = t[key]
    dlq = ctx.after_edge(sched_node, target_node).get("dlq")
    if dlq and "DeadLetterConfig" not in entry:
        entry["DeadLetterConfig"] = {"Arn": GetAtt(ctx.names.get(str(dlq)) or
                                                   ctx.source_id(str(dlq)), "Arn")}
    tpl.set(sched, ("Target",), entry)
    remove_function(ctx, tpl, fn, {sched})


def _evaluate(e: Any, event: Any) -> Any:
    """An expression of the handler on a constant event (the schedule's input)."""
    from advisor.fix.mapping import Concat, Const, Num, Str

    if isinstance(e, Const):
        return e.value
    if isinstance(e, Event) and e.where == "event":
        return event
    if isinstance(e, Event) and e.where == "doc":
        node = event
        for k in e.keys:
            if not isinstance(node, dict) or k not in node:
                raise Unpatchable(f"the handler reads {k!r}, which the schedule's input lacks")
            node = node[k]
        return node
    if isinstance(e, Json):
        import json

        return json.dumps(_evaluate(e.inner, event))
    if isinstance(e, Str):
        return str(_evaluate(e.inner, event))
    if isinstance(e, Num):
        return _evaluate(e.inner, event)
    if isinstance(e, Concat):
        return "".join(str(_evaluate(p, event)) for p in e.parts)
    if isinstance(e, dict):
        return {k: _evaluate(v, event) for k, v in e.items()}
    if isinstance(e, list):
        return [_evaluate(v, event) for v in e]
    raise Unpatchable("the handler sends a value from its environment or the time")


# ------------------------------------------------------------------ left with a reason
def needs_user_code(ctx: FixContext, tpl: Any) -> None:
    why = {
        "GLUE-APPSYNC-DATASOURCE": "the data source's resolver (JavaScript or VTL) must do "
                                   "what the function's code did; write the resolver, then "
                                   "remove the function",
        "GLUE-SSM-AUTOMATION": "the runbook's aws:executeAwsApi step takes the API call's "
                               "inputs from the document; edit the document's step, then "
                               "remove the function",
        "GLUE-EVENTBRIDGE-HTTP": "an API destination needs a connection with the endpoint's "
                                 "credentials, which the template does not hold",
        "GLUE-EXPRESS-SDK-TASK": "the Express workflow and its one task are a new state "
                                 "machine written from the function's call; not generated",
        "GLUE-EXPRESS-SDK-TASK-UNSHOWN": "the Express workflow and its one task are a new "
                                         "state machine written from the function's call; "
                                         "not generated",
    }
    raise Unpatchable(why.get(ctx.rewrite.rule, "the native side is code only you can write"))


__all__ = ["dynamodb_to_kinesis", "kinesis_to_firehose", "needs_user_code", "on_success",
           "schedule_target", "sns_subscription"]
