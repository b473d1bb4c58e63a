"""Reliability rewrites in CloudFormation/SAM: dead-letter queues and redrive policies,
on-failure destinations (async invocations, stream event sources), EventBridge and
Scheduler target DLQs, SNS subscription DLQs, SQS visibility timeouts.

Every new queue is named after what it protects (`<Queue>DLQ`, `<Function>DLQ`,
`<Rule><Target>DLQ`), keeps 14 days of messages (the SQS maximum, so a failure found
late can still be replayed), is FIFO when its source is, and is encrypted as its source
is. Permissions are least privilege: a queue policy for the one service principal and
source ARN, or `sqs:SendMessage` on the one queue for the role that sends.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.fix.cfn.locate import (
    edge_anchor,
    find_events,
    names,
    node_site,
    outside_events,
    resource_of,
)
from advisor.fix.cfn.template import (
    Template,
    Unpatchable,
    queue_policy,
    ref_target,
    refs,
    send_statement,
)
from advisor.fix.context import FixContext
from advisor.fix.emit import GetAtt, Ref

RETENTION_S = 1_209_600  # 14 days, the SQS maximum
SQS_MAX_VISIBILITY_S = 43_200
QUEUE = "AWS::SQS::Queue"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def logical_base(engine_name: str) -> str:
    """`Orders_dlq` -> `OrdersDLQ`; `Stream_Fn_failures` -> `StreamFnFailures`."""
    words = {"dlq": "DLQ", "failures": "Failures", "pipe": "Pipe", "identity": "Identity",
             "users": "Users", "workflow": "Workflow"}
    parts = engine_name.split("_")
    return parts[0] + "".join(words.get(p, p[:1].upper() + p[1:]) for p in parts[1:])


def new_queue(ctx: FixContext, tpl: Template, engine_name: str, like: str | None) -> str:
    """Add the DLQ the engine added as `engine_name`; `like`: the queue it mirrors."""
    props: dict[str, Any] = {"MessageRetentionPeriod": RETENTION_S}
    src = tpl.props(like) if like else {}
    if ctx.after_props(engine_name).get("fifo") or src.get("FifoQueue") in (True, "true"):
        props["FifoQueue"] = True
    for key in ("KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"):
        if key in src:
            props[key] = src[key]
    lid = tpl.add_resource(logical_base(engine_name), QUEUE, props)
    ctx.names[engine_name] = lid
    return lid


def _one_added(ctx: FixContext) -> str:
    added = ctx.added("sqs")
    if len(added) != 1:
        raise Unpatchable("the rewrite added no single queue")
    return added[0]


# ------------------------------------------------------------------ REL-SQS-DLQ
def sqs_dlq(ctx: FixContext, tpl: Template) -> None:
    queue = resource_of(ctx, tpl, ctx.match[0], QUEUE)
    dlq = new_queue(ctx, tpl, _one_added(ctx), queue)
    receives = int(ctx.after_props(ctx.match[0]).get("max_receives") or 5)
    tpl.set(queue, ("RedrivePolicy",), {"deadLetterTargetArn": GetAtt(dlq, "Arn"),
                                        "maxReceiveCount": receives})


# ------------------------------------------------------------------ REL-SQS-VISIBILITY
def sqs_visibility(ctx: FixContext, tpl: Template) -> None:
    queue = resource_of(ctx, tpl, ctx.match[0], QUEUE)
    ms = ctx.after_props(ctx.match[0]).get("visibility")
    if ms is None:
        raise Unpatchable("the rewrite set no visibility timeout")
    seconds = math.ceil(float(ms) / 1000)
    if seconds > SQS_MAX_VISIBILITY_S:
        raise Unpatchable(f"{seconds} s is above the SQS maximum visibility timeout "
                          f"({SQS_MAX_VISIBILITY_S} s); shorten the function timeout instead")
    tpl.set(queue, ("VisibilityTimeout",), seconds)


# ------------------------------------------------------------------ REL-LAMBDA-ASYNC-DLQ
def lambda_on_failure(ctx: FixContext, tpl: Template) -> None:
    fn_node = ctx.match[0]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    dlq = new_queue(ctx, tpl, _one_added(ctx), None)
    dest = GetAtt(dlq, "Arn")
    if tpl.rtype(fn) == "AWS::Serverless::Function":
        eic = tpl.props(fn).get("EventInvokeConfig")
        if isinstance(eic, dict) and isinstance(eic.get("DestinationConfig"), dict):
            tpl.set(fn, ("EventInvokeConfig", "DestinationConfig", "OnFailure"),
                    {"Type": "SQS", "Destination": dest})
        else:
            tpl.set(fn, ("EventInvokeConfig", "DestinationConfig"),
                    {"OnFailure": {"Type": "SQS", "Destination": dest}})
        role, generated = tpl.function_role(fn)
        if not generated:  # SAM adds the permission only to the role it generates
            tpl.grant(fn, _role_or_fail(tpl, fn, role), f"{fn}OnFailure",
                      [send_statement(dlq)])
        return
    existing = [lid for lid in tpl.of_type("AWS::Lambda::EventInvokeConfig")
                if ref_target(tpl.props(lid).get("FunctionName")) == fn]
    if existing:
        tpl.set(existing[0], ("DestinationConfig", "OnFailure"), {"Destination": dest})
    else:
        tpl.add_resource(f"{fn}InvokeConfig", "AWS::Lambda::EventInvokeConfig", {
            "FunctionName": Ref(fn),
            "Qualifier": "$LATEST",
            "DestinationConfig": {"OnFailure": {"Destination": dest}},
        })
    role, _ = tpl.function_role(fn)
    tpl.grant(None, _role_or_fail(tpl, fn, role), f"{fn}OnFailure", [send_statement(dlq)])


def _role_or_fail(tpl: Template, fn: str, role: str | None) -> str:
    if role is None:
        raise Unpatchable(f"the execution role of {fn} is not declared in this template, so "
                          "it cannot be given sqs:SendMessage on the new queue")
    return role


# ------------------------------------------------------------------ REL-EB-TARGET-DLQ
def rule_target_dlq(ctx: FixContext, tpl: Template) -> None:
    rule_node, target_node = ctx.match[0], ctx.match[1]
    site = node_site(ctx, tpl, rule_node)
    target_ids = names(ctx, tpl, target_node)
    engine_dlq = _one_added(ctx)
    if site.what == "event":
        ev = tpl.props(site.lid)["Events"][site.event]
        etype = ev.get("Type")
        if etype not in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
            raise Unpatchable(f"SAM event type {etype} has no DeadLetterConfig")
        dlq = new_queue(ctx, tpl, engine_dlq, None)
        tpl.set(site.lid, ("Events", site.event, "Properties", "DeadLetterConfig"),
                {"Arn": GetAtt(dlq, "Arn")})
        if etype == "ScheduleV2":
            role = ref_target((ev.get("Properties") or {}).get("RoleArn"))
            if role is None:
                raise Unpatchable("the schedule's role is generated by SAM; SAM grants it "
                                  "sqs:SendMessage only for a DLQ it creates itself")
            tpl.grant(None, role, f"{site.lid}{site.event}DLQ", [send_statement(dlq)])
        else:
            queue_policy(tpl, dlq, "events.amazonaws.com",
                         GetAtt(f"{site.lid}{site.event}", "Arn"))
        return
    lid = resource_of(ctx, tpl, rule_node, "AWS::Events::Rule", "AWS::Scheduler::Schedule")
    if tpl.rtype(lid) == "AWS::Scheduler::Schedule":
        role = ref_target(tpl.props(lid).get("Target", {}).get("RoleArn"))
        if role is None or tpl.rtype(role) != "AWS::IAM::Role":
            raise Unpatchable(f"the role of schedule {lid} is not declared in this template")
        dlq = new_queue(ctx, tpl, engine_dlq, None)
        tpl.set(lid, ("Target", "DeadLetterConfig"), {"Arn": GetAtt(dlq, "Arn")})
        tpl.grant(None, role, f"{lid}DLQ", [send_statement(dlq)])
        return
    targets = tpl.props(lid).get("Targets")
    if not isinstance(targets, list):
        raise Unpatchable(f"rule {lid} has no Targets list")
    hits = [i for i, t in enumerate(targets) if isinstance(t, dict)
            and refs(t.get("Arn")) & target_ids]
    if not hits:  # a target outside the template: named in its ARN, or the only one
        import json

        hits = [i for i, t in enumerate(targets) if isinstance(t, dict)
                and target_node in json.dumps(t.get("Arn"))]
        if not hits and len(targets) == 1:
            hits = [0]
    if len(hits) != 1:
        raise Unpatchable(f"rule {lid} has {len(hits)} targets naming {target_node}")
    written = tpl.doc.replaced.get(tpl.prop_path(lid, "Targets", hits[0]))
    if isinstance(written, dict) and written.get("DeadLetterConfig"):
        raise Unpatchable(f"the target of {lid} keeps the dead-letter queue it had before "
                          "the rewrite (the engine's rewrite dropped it, then added one)")
    dlq = new_queue(ctx, tpl, engine_dlq, None)
    tpl.set(lid, ("Targets", hits[0], "DeadLetterConfig"), {"Arn": GetAtt(dlq, "Arn")})
    queue_policy(tpl, dlq, "events.amazonaws.com", GetAtt(lid, "Arn"))


# ------------------------------------------------------------------ REL-SNS-SUB-DLQ
def subscription_dlq(ctx: FixContext, tpl: Template) -> None:
    topic_node, endpoint_node = ctx.match[0], ctx.match[1]
    topic_ids = names(ctx, tpl, topic_node)
    endpoint_ids = names(ctx, tpl, endpoint_node)
    engine_dlq = _one_added(ctx)
    anchor = edge_anchor(ctx, tpl, topic_node, endpoint_node)
    topic_arn: Any = None
    if anchor and tpl.rtype(anchor) == "AWS::SNS::Subscription":
        dlq = new_queue(ctx, tpl, engine_dlq, None)
        tpl.set(anchor, ("RedrivePolicy",), {"deadLetterTargetArn": GetAtt(dlq, "Arn")})
        topic_arn = tpl.props(anchor).get("TopicArn")
    elif anchor and tpl.rtype(anchor) in FUNCTION_TYPES and \
            tpl.rtype(anchor) == "AWS::Serverless::Function":
        events = find_events(tpl, anchor, ("SNS",), topic_ids, "Topic")
        if len(events) != 1:
            raise Unpatchable(f"{anchor} has {len(events)} SNS events on {topic_node}")
        props = tpl.props(anchor)["Events"][events[0]].get("Properties") or {}
        if props.get("SqsSubscription"):
            raise Unpatchable("the subscription is SAM's SqsSubscription queue; SAM sets "
                              "no redrive policy on it")
        dlq = new_queue(ctx, tpl, engine_dlq, None)
        tpl.set(anchor, ("Events", events[0], "Properties", "RedrivePolicy"),
                {"deadLetterTargetArn": GetAtt(dlq, "Arn")})
        topic_arn = props.get("Topic")
    else:
        topic = resource_of(ctx, tpl, topic_node, "AWS::SNS::Topic")
        subs = tpl.props(topic).get("Subscription")
        hits = [i for i, s in enumerate(subs or []) if isinstance(s, dict)
                and refs(s.get("Endpoint")) & endpoint_ids]
        if not isinstance(subs, list) or len(hits) != 1:
            raise Unpatchable(f"no single subscription of {topic_node} to {endpoint_node} "
                              "found in the template")
        # an inline subscription has no RedrivePolicy: it becomes a Subscription resource
        sub = dict(subs[hits[0]])
        dlq = new_queue(ctx, tpl, engine_dlq, None)
        tpl.doc.delete(tpl.prop_path(topic, "Subscription", hits[0]))
        if len(subs) == 1:
            tpl.doc.delete(tpl.prop_path(topic, "Subscription"))
        tpl.add_resource(f"{topic}{endpoint_node}Subscription", "AWS::SNS::Subscription", {
            "TopicArn": Ref(topic), "Protocol": sub.get("Protocol"),
            "Endpoint": sub.get("Endpoint"),
            "RedrivePolicy": {"deadLetterTargetArn": GetAtt(dlq, "Arn")},
        })
        topic_arn = Ref(topic)
    if topic_arn is None:
        raise Unpatchable("the subscription's topic ARN is not known")
    queue_policy(tpl, dlq, "sns.amazonaws.com", topic_arn)


# ------------------------------------------------------------------ REL-STREAM-POISON
def stream_on_failure(ctx: FixContext, tpl: Template) -> None:
    src_node, fn_node = ctx.match[0], ctx.match[1]
    before = ctx.before_edge(src_node, fn_node)
    after = ctx.after_edge(src_node, fn_node)
    if node_site(ctx, tpl, fn_node).what == "resource" and \
            tpl.rtype(ctx.source_id(fn_node)) == "AWS::Pipes::Pipe":
        _pipe_on_failure(ctx, tpl, ctx.source_id(fn_node), before, after)
        return
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    anchor = edge_anchor(ctx, tpl, src_node, fn_node)
    settings: dict[str, Any] = {}
    if after.get("bisect") and not before.get("bisect"):
        settings["BisectBatchOnFunctionError"] = True
    if after.get("retries") != before.get("retries") and after.get("retries") is not None:
        settings["MaximumRetryAttempts"] = int(after["retries"])
    new_failure = after.get("on_failure") if after.get("on_failure") != before.get(
        "on_failure") else None
    if anchor and tpl.rtype(anchor) == "AWS::Lambda::EventSourceMapping":
        where: tuple[str, tuple[Any, ...]] = (anchor, ())
        sam = False
    else:
        if tpl.rtype(fn) != "AWS::Serverless::Function":
            raise Unpatchable(f"no event source mapping of {fn_node} on {src_node} found")
        types = ("Kinesis", "DynamoDB", "MSK", "SelfManagedKafka")
        events = find_events(tpl, fn, types, names(ctx, tpl, src_node), "Stream") or \
            outside_events(ctx, tpl, fn, src_node, types, "Stream")
        if len(events) != 1:
            raise Unpatchable(f"{fn} has {len(events)} stream events on {src_node}")
        where = (fn, ("Events", events[0], "Properties"))
        sam = True
    lid, base = where
    for key, value in settings.items():
        tpl.set(lid, (*base, key), value)
    if new_failure:
        dlq = new_queue(ctx, tpl, str(new_failure), None)
        dest: dict[str, Any] = {"Destination": GetAtt(dlq, "Arn")}
        if sam:
            dest = {"Type": "SQS", **dest}
        tpl.set(lid, (*base, "DestinationConfig"), {"OnFailure": dest})
        role, generated = tpl.function_role(fn)
        if not (sam and generated):
            tpl.grant(fn if sam else None, _role_or_fail(tpl, fn, role),
                      f"{fn}StreamFailures", [send_statement(dlq)])


PIPE_STREAM_PARAMS = ("KinesisStreamParameters", "DynamoDBStreamParameters")


def _pipe_on_failure(ctx: FixContext, tpl: Template, pipe: str, before: dict[str, Any],
                     after: dict[str, Any]) -> None:
    """A pipe reading a stream: DeadLetterConfig, a retry limit and AUTOMATIC_BISECT on
    its stream source parameters; the pipe's role may send to the new queue."""
    sp = tpl.props(pipe).get("SourceParameters")
    keys = [k for k in PIPE_STREAM_PARAMS if isinstance(sp, dict) and isinstance(sp.get(k),
                                                                               dict)]
    if len(keys) != 1:
        raise Unpatchable(f"pipe {pipe} has no stream source parameters to extend")
    base = ("SourceParameters", keys[0])
    if after.get("bisect") and not before.get("bisect"):
        tpl.set(pipe, (*base, "OnPartialBatchItemFailure"), "AUTOMATIC_BISECT")
    if after.get("retries") is not None and after.get("retries") != before.get("retries"):
        tpl.set(pipe, (*base, "MaximumRetryAttempts"), int(after["retries"]))
    failure = after.get("on_failure") if after.get("on_failure") != before.get(
        "on_failure") else None
    if failure:
        role = ref_target(tpl.props(pipe).get("RoleArn"))
        if role is None or tpl.rtype(role) != "AWS::IAM::Role":
            raise Unpatchable(f"the role of pipe {pipe} is not declared in this template")
        dlq = new_queue(ctx, tpl, str(failure), None)
        tpl.set(pipe, (*base, "DeadLetterConfig"), {"Arn": GetAtt(dlq, "Arn")})
        tpl.grant(None, role, f"{pipe}Failures", [send_statement(dlq)])
