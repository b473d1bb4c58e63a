"""Glue removal in CloudFormation/SAM: the function goes, the services connect natively.

`remove_function` deletes the function and what only it used: its event source
mappings, permissions, invoke configs, URLs, versions and aliases, its log group, its
role when no other resource uses it (with the policies attached only to that role), SAM
events (they are part of the function), and outputs that name any of these. A resource
that still needs the function (another function's environment, a state machine) makes
the rewrite unpatchable, with that resource named.

Then one connection per family, with least-privilege IAM:
- SNS -> SQS: an `AWS::SNS::Subscription` (RawMessageDelivery, the filter policy kept)
  and a queue policy for sns.amazonaws.com with the topic's ARN;
- EventBridge rule -> SQS / SNS / Step Functions / Kinesis: the rule's target becomes
  the service (input settings, retry policy and DLQ kept; a role for Step Functions and
  Kinesis, a queue or topic policy for SQS and SNS); a SAM event rule is declared as an
  `AWS::Events::Rule` of its own, since the function that generated it goes;
- API Gateway -> a service: advisor/fix/cfn/integrations.py.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.locate import node_site, resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES
from advisor.fix.cfn.template import Template, Unpatchable, ref_target, refs
from advisor.fix.context import FixContext
from advisor.fix.emit import GetAtt, Ref
from advisor.fix.handler import template_handler

OWNED_BY_FUNCTION = {
    "AWS::Lambda::Permission": "FunctionName",
    "AWS::Lambda::EventSourceMapping": "FunctionName",
    "AWS::Lambda::EventInvokeConfig": "FunctionName",
    "AWS::Lambda::Url": "TargetFunctionArn",
    "AWS::Lambda::Version": "FunctionName",
    "AWS::Lambda::Alias": "FunctionName",
}
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def remove_function(ctx: FixContext, tpl: Template, fn: str, handled: set[str]) -> None:
    """Delete `fn` and what only it used; `handled`: referrers the family rewired."""
    gone = {fn}
    for other in tpl.referrers(fn):
        if other in handled:
            continue
        rtype = tpl.rtype(other)
        key = OWNED_BY_FUNCTION.get(rtype)
        owned = bool(key) and ref_target(tpl.props(other).get(str(key))) in (fn, *gone)
        log_group = rtype == "AWS::Logs::LogGroup" and fn in refs(
            tpl.props(other).get("LogGroupName"))
        if owned or log_group:
            gone.add(other)
        else:
            raise Unpatchable(f"{other} ({rtype}) still references {fn}")
    role, _ = tpl.function_role(fn)
    if role is not None:
        users = [r for r in tpl.referrers(role) if r not in gone]
        policies = [r for r in users if tpl.rtype(r) in POLICY_TYPES
                    and _only_role(tpl, r, role)]
        if all(r in policies for r in users):
            gone.add(role)
            gone.update(policies)
    for lid in sorted(gone):
        tpl.remove_resource(lid)
    outputs = tpl.doc.root.get("Outputs") if isinstance(tpl.doc.root, dict) else None
    if isinstance(outputs, dict):
        from advisor.fix.cfn.template import plain

        dead = [n for n in outputs if refs(plain(outputs[n])) & gone]
        if dead and len(dead) == len(outputs):
            tpl.doc.delete(("Outputs",))
        else:
            for name in dead:
                tpl.doc.delete(("Outputs", name))


def _only_role(tpl: Template, policy: str, role: str) -> bool:
    roles = tpl.props(policy).get("Roles")
    return isinstance(roles, list) and all(ref_target(r) == role for r in roles)


def _fn(ctx: FixContext, tpl: Template) -> str:
    return resource_of(ctx, tpl, ctx.match[1], *FUNCTION_TYPES)


def _arn(tpl: Template, lid: str) -> Any:
    """How to name a resource's ARN: Ref for topics and state machines, else GetAtt."""
    if tpl.rtype(lid) in ("AWS::SNS::Topic", "AWS::StepFunctions::StateMachine",
                          "AWS::Serverless::StateMachine"):
        return Ref(lid)
    return GetAtt(lid, "Arn")


# the SDK member that carries the message, per target kind (the rest names the target or
# is a target parameter)
MESSAGE_MEMBER = {"sqs": "MessageBody", "sns": "Message", "sfn": "input", "kinesis": "Data",
                  "firehose": "Record.Data"}


def forwarded_message(ctx: FixContext, tpl: Template, fn_node: str, fn: str,
                      kind: str, first_record: bool = False) -> tuple[Any, dict[str, Any]]:
    """(what the function sent as the message, all its call's arguments): advisor.fix.mapping
    expressions read from its handler; (None, {}) when the handler was not read (the patch
    then says it assumes the function forwarded unchanged). `first_record`: the source
    hands the function one record per event (SNS), so `Records[0]` is each record."""
    found = template_handler(ctx, tpl, fn_node, fn, first_record)
    if found is None:
        ctx.note(f"the handler of {fn} was not read: the native connection delivers the "
                 "message unchanged, as a function that only forwards does")
        return None, {}
    sdk = found.call
    node: Any = sdk.args
    member = MESSAGE_MEMBER.get(kind, "")
    for part in member.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise Unpatchable(f"the handler's call has no {member}")
    extra = set(sdk.args) - {member.split(".")[0], _TARGET_MEMBERS.get(kind, ""),
                             *_TARGET_PARAMS.get(kind, ())}
    if extra:
        raise Unpatchable(f"the handler also sets {', '.join(sorted(extra))}, which the "
                          "native connection does not send")
    return node, sdk.args


_TARGET_PARAMS = {"kinesis": ("PartitionKey",)}  # written as target parameters
_TARGET_MEMBERS = {"sqs": "QueueUrl", "sns": "TopicArn", "sfn": "stateMachineArn",
                   "kinesis": "StreamName", "firehose": "DeliveryStreamName"}


def _dlq_of_edge(ctx: FixContext, a: str, b: str) -> str | None:
    dlq = ctx.after_edge(a, b).get("dlq")
    if not dlq:
        return None
    return ctx.names.get(str(dlq)) or ctx.source_id(str(dlq))


# ------------------------------------------------------------------ SNS -> SQS
def sns_to_sqs(ctx: FixContext, tpl: Template) -> None:
    topic_node, _, queue_node = ctx.match[:3]
    fn = _fn(ctx, tpl)
    topic = resource_of(ctx, tpl, topic_node, "AWS::SNS::Topic")
    queue = resource_of(ctx, tpl, queue_node, "AWS::SQS::Queue")
    handled: set[str] = set()
    sub_props: dict[str, Any] = {}
    for other in tpl.referrers(fn):
        if tpl.rtype(other) == "AWS::SNS::Subscription":
            sub_props = dict(tpl.props(other))
            handled.add(other)
            tpl.remove_resource(other)
    events = tpl.props(fn).get("Events") or {}
    for ev in events.values() if isinstance(events, dict) else []:
        if isinstance(ev, dict) and ev.get("Type") == "SNS":
            sub_props = dict(ev.get("Properties") or {})
    inline = tpl.props(topic).get("Subscription")
    if isinstance(inline, list):
        for i, s in enumerate(inline):
            if isinstance(s, dict) and fn in refs(s.get("Endpoint")):
                tpl.doc.delete(tpl.prop_path(topic, "Subscription", i))
                sub_props = dict(s)
        handled.add(topic)
    message, _ = forwarded_message(ctx, tpl, ctx.match[1], fn, "sqs", first_record=True)
    from advisor.fix.requests import sns_raw_delivery

    raw = True if message is None else sns_raw_delivery(message)
    props: dict[str, Any] = {"TopicArn": Ref(topic), "Protocol": "sqs",
                             "Endpoint": GetAtt(queue, "Arn"), "RawMessageDelivery": raw}
    for key in ("FilterPolicy", "FilterPolicyScope"):
        if key in sub_props:
            props[key] = sub_props[key]
    dlq = _dlq_of_edge(ctx, topic_node, queue_node)
    if dlq:
        props["RedrivePolicy"] = {"deadLetterTargetArn": GetAtt(dlq, "Arn")}
    remove_function(ctx, tpl, fn, handled)
    tpl.add_resource(f"{topic}To{queue}", "AWS::SNS::Subscription", props)
    from advisor.fix.cfn.template import queue_policy

    queue_policy(tpl, queue, "sns.amazonaws.com", Ref(topic))


# ------------------------------------------------------------------ EventBridge -> target
def rule_to_service(ctx: FixContext, tpl: Template) -> None:
    rule_node, _, target_node = ctx.match[:3]
    fn = _fn(ctx, tpl)
    target = resource_of(ctx, tpl, target_node)
    ttype = tpl.rtype(target)
    site = node_site(ctx, tpl, rule_node)
    entry: dict[str, Any]
    handled: set[str] = set()
    if site.what == "event":
        if site.lid != fn:
            raise Unpatchable(f"the rule is generated by SAM from {site.lid}")
        ev = tpl.props(fn)["Events"][site.event]
        p = dict(ev.get("Properties") or {})
        rule_props: dict[str, Any] = {}
        if ev.get("Type") in ("EventBridgeRule", "CloudWatchEvent"):
            rule_props["EventPattern"] = p.get("Pattern")
        elif ev.get("Type") == "Schedule":
            rule_props["ScheduleExpression"] = p.get("Schedule")
        else:
            raise Unpatchable(f"SAM event type {ev.get('Type')} is not a rule")
        if p.get("EventBusName") is not None:
            rule_props["EventBusName"] = p["EventBusName"]
        if p.get("Enabled") is False or p.get("State") == "DISABLED":
            rule_props["State"] = "DISABLED"
        entry = {"Arn": None, "Id": f"{target}Target"}
        for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy",
                    "DeadLetterConfig"):
            if key in p:
                entry[key] = p[key]
        _shape_input(ctx, tpl, fn, target_node, entry)
        rule_lid = tpl.unique_id(f"{fn}{site.event}Rule")
        ctx.names[rule_node] = rule_lid
        _target_access(ctx, tpl, target, ttype, entry, GetAtt(rule_lid, "Arn"))
        dlq = _dlq_of_edge(ctx, rule_node, target_node)
        if dlq and "DeadLetterConfig" not in entry:
            entry["DeadLetterConfig"] = {"Arn": GetAtt(dlq, "Arn")}
        rule_props["Targets"] = [entry]
        remove_function(ctx, tpl, fn, handled)
        tpl.add_resource(rule_lid, "AWS::Events::Rule",
                         {k: v for k, v in rule_props.items() if v is not None})
        return
    rule = resource_of(ctx, tpl, rule_node, "AWS::Events::Rule")
    targets = tpl.props(rule).get("Targets") or []
    hits = [i for i, t in enumerate(targets) if isinstance(t, dict) and fn in refs(t.get("Arn"))]
    if len(hits) != 1:
        raise Unpatchable(f"rule {rule} has {len(hits)} targets naming {fn}")
    old = dict(targets[hits[0]])
    entry = {"Arn": None, "Id": old.get("Id") or f"{target}Target"}
    for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig"):
        if key in old:
            entry[key] = old[key]
    _shape_input(ctx, tpl, fn, target_node, entry)
    _target_access(ctx, tpl, target, ttype, entry, GetAtt(rule, "Arn"))
    dlq = _dlq_of_edge(ctx, rule_node, target_node)
    if dlq and "DeadLetterConfig" not in entry:
        entry["DeadLetterConfig"] = {"Arn": GetAtt(dlq, "Arn")}
    tpl.set(rule, ("Targets", hits[0]), entry)
    handled.add(rule)
    remove_function(ctx, tpl, fn, handled)


def _shape_input(ctx: FixContext, tpl: Template, fn: str, target_node: str,
                 entry: dict[str, Any]) -> None:
    """The target's input: what the function sent, built from the event it received."""
    from advisor.fix.requests import eventbridge_input

    message, args = forwarded_message(ctx, tpl, ctx.match[1], fn,
                                      ctx.before.kind(target_node))
    if message is None:
        return
    key = args.get("PartitionKey")
    if key is not None:
        from advisor.fix.mapping import Event

        if not (isinstance(key, Event) and key.where == "doc"):
            raise Unpatchable("the handler's partition key is not a field of the event")
        entry["KinesisParameters"] = {"PartitionKeyPath": "$" + "".join(
            f".{k}" for k in key.keys)}
    shaped = eventbridge_input(message)
    if not shaped:
        return  # the event as the function received it: the target's input as it was
    if any(k in entry for k in ("Input", "InputPath", "InputTransformer")):
        raise Unpatchable("the rule already reshapes the event for the function, which "
                          "reshapes it again; combine both by hand")
    entry.update(shaped)


def _target_access(ctx: FixContext, tpl: Template, target: str, ttype: str,
                   entry: dict[str, Any], rule_arn: Any) -> None:
    """The target's ARN and what lets EventBridge deliver to it."""
    from advisor.fix.cfn.template import queue_policy

    entry["Arn"] = _arn(tpl, target)
    if ttype == "AWS::SQS::Queue":
        if tpl.props(target).get("FifoQueue") in (True, "true"):
            entry["SqsParameters"] = {"MessageGroupId": "events"}
        queue_policy(tpl, target, "events.amazonaws.com", rule_arn)
    elif ttype == "AWS::SNS::Topic":
        tpl.add_resource(f"{target}EventsPolicy", "AWS::SNS::TopicPolicy", {
            "Topics": [Ref(target)],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish", "Resource": Ref(target),
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]},
        })
    elif ttype in ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine",
                   "AWS::Kinesis::Stream"):
        action = "kinesis:PutRecord" if ttype == "AWS::Kinesis::Stream" else \
            "states:StartExecution"
        role = tpl.add_resource(f"{target}EventsRole", "AWS::IAM::Role", {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "deliver", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": action, "Resource": _arn(tpl, target)}]}}],
        })
        entry["RoleArn"] = GetAtt(role, "Arn")  # a Kinesis target without a partition key
        # path uses the event's id (EventBridge's default)
    else:
        raise Unpatchable(f"no EventBridge target wiring for {ttype}")


def unshown_target(ctx: FixContext, tpl: Template) -> None:
    """The function calls a service the template does not declare: what to call and how
    to map the request come from its code, so the integration is not generated."""
    fn = ctx.match[1] if len(ctx.match) > 1 else ctx.match[0]
    target = next((n for n in ctx.rewrite.added if n in ctx.after.graph), "the service")
    raise Unpatchable(f"{fn} calls {target}, which the template does not declare; the "
                      "native integration's request mapping depends on the handler's code, "
                      "so write it by hand (the finding says which integration)")


def not_generated(ctx: FixContext, tpl: Template) -> None:
    """Other glue rewrites: the native connection needs a mapping taken from the
    handler's code (a DynamoDB item, a state machine task's parameters)."""
    fn = ctx.match[1] if len(ctx.match) > 1 else ctx.match[0]
    raise Unpatchable(f"removing {fn} needs the native integration's request mapping, "
                      "which depends on what its handler does; this patch is not generated "
                      "yet (make the change the finding describes by hand)")
