"""Glue between S3 and SQS, SNS or EventBridge, removed in CloudFormation/SAM: the bucket
notifies the target itself (GLUE-S3-SQS, GLUE-S3-SNS, GLUE-S3-EVENTBRIDGE).

The bucket's `NotificationConfiguration` gets a `QueueConfigurations` /
`TopicConfigurations` entry with the events and key filter of the function's trigger (a
SAM `S3` event, or the bucket's `LambdaConfigurations` entry, which goes), or
`EventBridgeConfiguration`. A queue or topic policy lets s3.amazonaws.com send, for this
bucket (`aws:SourceArn` built from its name, since naming the bucket resource itself
would make the template circular: the bucket waits for the policy) and this account.

S3 sends its own event notification (the JSON the function received), so the function
must have forwarded that unchanged: a handler read that sends something else keeps its
function, with that reason. S3's EventBridge events go to the default bus only, with
source `aws.s3`: a function putting events on another bus, or rules of the template that
match the function's own events, keep the function.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.glue import remove_function
from advisor.fix.cfn.locate import resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.template import Template, Unpatchable, plain, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.emit import GetAtt, Ref, Sub
from advisor.fix.handler import template_handler

BUCKET = "AWS::S3::Bucket"


def _triggers(tpl: Template, bucket: str, fn: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """(the notification entries that invoke the function: {Event, Filter}, the template
    paths to delete for them)."""
    entries: list[dict[str, Any]] = []
    paths: list[Any] = []
    events = tpl.props(fn).get("Events")
    for name, ev in (events or {}).items() if isinstance(events, dict) else []:
        if not isinstance(ev, dict) or ev.get("Type") != "S3":
            continue
        p = ev.get("Properties") or {}
        if ref_target(p.get("Bucket")) != bucket:
            raise Unpatchable(f"{fn} is also triggered by another bucket ({name})")
        kinds = p.get("Events")
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            entry: dict[str, Any] = {"Event": kind}
            if p.get("Filter") is not None:
                entry["Filter"] = p["Filter"]
            entries.append(entry)
    cfg = tpl.props(bucket).get("NotificationConfiguration") or {}
    for i, item in enumerate(cfg.get("LambdaConfigurations") or []):
        if isinstance(item, dict) and fn in refs(item.get("Function")):
            entries.append({k: v for k, v in item.items() if k != "Function"})
            paths.append(("LambdaConfigurations", i))
    if not entries:
        raise Unpatchable(f"no notification of {bucket} to {fn} found")
    return entries, paths


def _forwards_event(ctx: FixContext, tpl: Template, fn_node: str, fn: str,
                    message_member: str) -> None:
    """The function must send S3's notification unchanged (`json.dumps(event)`)."""
    found = template_handler(ctx, tpl, fn_node, fn)
    if found is None:
        ctx.note(f"the handler of {fn} was not read: S3 now sends its own event "
                 "notification, which a function that only forwards passed on unchanged")
        return
    from advisor.engine.deliveryinput import s3_event
    from advisor.importers.handlers.payload import shape

    found_shape = shape(found.call.args.get(message_member))
    if s3_event(found_shape.scope, found_shape.template) is not None:
        raise Unpatchable(f"{fn} sends its own message, not S3's event notification; with "
                          "a native notification the consumers would receive another shape")


def _bucket_arn(tpl: Template, bucket: str) -> tuple[Any, bool]:
    """The bucket's ARN without naming the bucket resource, and whether it is exact."""
    name = tpl.props(bucket).get("BucketName")
    if isinstance(name, str):
        return Sub("arn:${AWS::Partition}:s3:::" + name.replace("${", "${!")), True
    if isinstance(name, dict) and len(name) == 1 and next(iter(name)) in ("Ref", "Fn::Sub"):
        k, v = next(iter(name.items()))
        if k == "Ref":
            return Sub("arn:${AWS::Partition}:s3:::${" + str(v) + "}"), True
        if isinstance(v, str) and bucket not in refs(name):
            return Sub("arn:${AWS::Partition}:s3:::" + v), True
    return Sub("arn:${AWS::Partition}:s3:::*"), False


def _allow_s3(ctx: FixContext, tpl: Template, bucket: str, target: str, kind: str) -> str:
    arn, exact = _bucket_arn(tpl, bucket)
    if not exact:
        ctx.note(f"{bucket} has a generated name, so the {kind} policy admits S3 "
                 "notifications from any bucket of this account (naming the bucket "
                 "resource would make the template circular)")
    condition = {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}
    if exact:
        condition["ArnLike"] = {"aws:SourceArn": arn}
    if kind == "queue":
        return tpl.add_resource(f"{target}S3Policy", "AWS::SQS::QueuePolicy", {
            "Queues": [Ref(target)],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": GetAtt(target, "Arn"),
                "Condition": condition}]},
        })
    return tpl.add_resource(f"{target}S3Policy", "AWS::SNS::TopicPolicy", {
        "Topics": [Ref(target)],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sns:Publish", "Resource": Ref(target), "Condition": condition}]},
    })


def bucket_to_target(ctx: FixContext, tpl: Template) -> None:
    bucket_node, fn_node, target_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    bucket = resource_of(ctx, tpl, bucket_node, BUCKET)
    kind = ctx.before.kind(target_node)
    entries, paths = _triggers(tpl, bucket, fn)
    cfg_path = tpl.prop_path(bucket, "NotificationConfiguration")
    cfg = tpl.props(bucket).get("NotificationConfiguration")
    handled = {bucket}
    if kind == "eventbridge":
        _to_eventbridge(ctx, tpl, fn_node, fn, target_node)
        _set_config(tpl, bucket, cfg, "EventBridgeConfiguration", {"EventBridgeEnabled": True})
    else:
        target = resource_of(ctx, tpl, target_node)
        member, key, field, what = ("MessageBody", "QueueConfigurations", "Queue", "queue") \
            if kind == "sqs" else ("Message", "TopicConfigurations", "Topic", "topic")
        if tpl.rtype(target) == "AWS::SQS::Queue" and \
                tpl.props(target).get("FifoQueue") in (True, "true"):
            raise Unpatchable("S3 cannot notify a FIFO queue")
        _forwards_event(ctx, tpl, fn_node, fn, member)
        policy = _allow_s3(ctx, tpl, bucket, target, what)
        arn: Any = GetAtt(target, "Arn") if kind == "sqs" else Ref(target)
        for entry in entries:
            item = {"Event": entry["Event"], field: arn}
            if "Filter" in entry:
                item["Filter"] = entry["Filter"]
            _append_config(tpl, bucket, cfg, key, item)
        _depends_on(tpl, bucket, policy)
    for i in sorted((i for _, i in paths), reverse=True):
        tpl.doc.delete((*cfg_path, "LambdaConfigurations", i))
    if paths and len(paths) == len((cfg or {}).get("LambdaConfigurations") or []):
        tpl.doc.delete((*cfg_path, "LambdaConfigurations"))
    remove_function(ctx, tpl, fn, handled)


def _set_config(tpl: Template, bucket: str, cfg: Any, key: str, value: Any) -> None:
    if isinstance(cfg, dict):
        tpl.set(bucket, ("NotificationConfiguration", key), value)
    else:
        tpl.set(bucket, ("NotificationConfiguration",), {key: value})


def _append_config(tpl: Template, bucket: str, cfg: Any, key: str, item: Any) -> None:
    if isinstance(cfg, dict) and isinstance(cfg.get(key), list):
        tpl.append(bucket, ("NotificationConfiguration", key), item)
    else:
        tpl.doc.append(tpl.prop_path(bucket, "NotificationConfiguration", key), item)


def _depends_on(tpl: Template, lid: str, other: str) -> None:
    """The bucket waits for the policy (S3 checks the permission when configured)."""
    current = plain(tpl.doc.root["Resources"][lid].get("DependsOn"))
    if current is None:
        tpl.doc.set(("Resources", lid, "DependsOn"), other)
    elif isinstance(current, list):
        tpl.doc.append(("Resources", lid, "DependsOn"), other)
    else:
        tpl.doc.set(("Resources", lid, "DependsOn"), [current, other])


def _to_eventbridge(ctx: FixContext, tpl: Template, fn_node: str, fn: str,
                    bus_node: str) -> None:
    data = ctx.node(bus_node)
    sid = str(data.get("source_id") or bus_node)
    if tpl.has(sid) and tpl.rtype(sid) == "AWS::Events::EventBus":
        raise Unpatchable(f"S3 sends its EventBridge events to the default bus only, not to "
                          f"{sid}")
    for rule in tpl.of_type("AWS::Events::Rule"):
        pattern = tpl.props(rule).get("EventPattern")
        source = pattern.get("source") if isinstance(pattern, dict) else None
        on_default = tpl.props(rule).get("EventBusName") in (None, "default")
        if on_default and isinstance(source, list) and "aws.s3" not in source:
            raise Unpatchable(f"rule {rule} matches the function's own events (source "
                              f"{', '.join(map(str, source))}); S3's events have source "
                              "aws.s3, so its pattern must change by hand")
    ctx.note("S3 now puts its own events (source aws.s3, detail-type `Object Created`, ...) on "
             "the default bus, for every object of the bucket: rules filter what they need")
