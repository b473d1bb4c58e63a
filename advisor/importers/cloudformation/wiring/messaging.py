"""SQS and SNS wiring: redrive policies, topic subscriptions (inline and as resources, with
their redrive DLQ and filter policy), and queue/topic policies that let a service send on
behalf of a resource."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.iam import policy_document
from advisor.importers.cloudformation.sam import subscription_redrive
from advisor.importers.cloudformation.wiring.common import as_list, target_node
from advisor.importers.edge_labels import FILTERED
from advisor.importers.iam_policies import add_public_grants, open_to_anyone
from advisor.importers.redrive_allow import declares_dlq


def wire_sqs_redrive(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::SQS::Queue"):
        p = ctx.props_of(lid)
        if declares_dlq(p.get("RedriveAllowPolicy")):  # it lets source queues use it
            ctx.set_props(ctx.names.get(lid), is_dlq=True)
        redrive = p.get("RedrivePolicy")
        if not isinstance(redrive, dict):
            continue
        queue = ctx.names.get(lid)
        dlq = ctx.node_ref(redrive.get("deadLetterTargetArn"))
        if dlq is None:
            dlq = target_node(ctx, redrive.get("deadLetterTargetArn"), "dead-letter queue", lid, "sqs")
        receives = ctx.number(redrive.get("maxReceiveCount"))
        ctx.set_props(queue, dlq=dlq, max_receives=int(receives) if receives else None)
        if dlq is not None:
            ctx.set_props(dlq, is_dlq=True)


def wire_sns(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::SNS::Topic"):
        topic = ctx.names.get(lid)
        for sub in as_list(ctx.props_of(lid).get("Subscription")):
            if isinstance(sub, dict):
                _subscribe(ctx, topic, sub, lid)
    for lid in ctx.of_type("AWS::SNS::Subscription"):
        p = ctx.props_of(lid)
        topic = target_node(ctx, p.get("TopicArn"), "topic", lid, "sns")
        _subscribe(ctx, topic, p, lid)


def _subscribe(ctx: Ctx, topic: str | None, p: dict[str, Any], owner: str) -> None:
    protocol = str(ctx.scalar(p.get("Protocol")) or "").lower()
    endpoint = p.get("Endpoint")
    if protocol in ("email", "email-json", "sms", "application"):
        return
    if protocol in ("http", "https"):
        url = ctx.scalar(endpoint)
        target = ctx.implicit_node(f"{owner}Endpoint", "http",
                                   {"url": url} if isinstance(url, str) else {})
    else:
        kind = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose"}.get(protocol)
        target = target_node(ctx, endpoint, "subscription endpoint", owner, kind)
    if topic is None or target is None:
        return
    label = FILTERED if p.get("FilterPolicy") else None
    ctx.edge(topic, target, label=label, props=subscription_redrive(ctx, p), anchor=owner)


_POLICY_TARGETS = {  # resource policy type -> (property naming what it guards, write actions)
    "AWS::SQS::QueuePolicy": ("Queues", ("sqs:sendmessage", "sqs:*")),
    "AWS::SQS::QueueInlinePolicy": ("Queue", ("sqs:sendmessage", "sqs:*")),
    "AWS::SNS::TopicPolicy": ("Topics", ("sns:publish", "sns:*")),
    "AWS::SNS::TopicInlinePolicy": ("TopicArn", ("sns:publish", "sns:*")),
}


_SOURCE_KEYS = ("aws:sourcearn",)


def wire_resource_policies(ctx: Ctx) -> None:
    """A queue or topic policy that lets a service send on behalf of one resource
    (`Condition: {ArnEquals: {aws:SourceArn: <resource>}}`) is evidence that the resource
    sends there, like a Lambda permission's `SourceArn`; used where no other wiring drew
    that edge (a SAM connector's queue policy, a rule whose target is set elsewhere)."""
    for lid in ctx.of_type(*_POLICY_TARGETS):
        field, actions = _POLICY_TARGETS[ctx.rtype(lid)]
        p = ctx.props_of(lid)
        guarded = ctx.node_refs(p.get(field))
        doc = policy_document(ctx, p.get("PolicyDocument"))
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        for stmt in as_list(statements):
            if not isinstance(stmt, dict) or str(ctx.scalar(stmt.get("Effect"))) != "Allow":
                continue
            _mark_public(ctx, lid, guarded, stmt)
            granted = [str(ctx.scalar(a) or "").lower() for a in as_list(stmt.get("Action"))]
            if not any(a in actions for a in granted):
                continue
            for src in _condition_sources(ctx, stmt.get("Condition")):
                failures = ctx.arch.failure_destinations([src])
                for target in guarded:
                    if src == target or target in failures or \
                            ctx.arch.graph.has_edge(src, target):
                        continue  # a dead-letter queue's policy is not a delivery
                    ctx.edge(src, target, anchor=lid)


def _mark_public(ctx: Ctx, lid: str, guarded: list[str], stmt: dict[str, Any]) -> None:
    """A statement that lets anyone call the queue or topic (`iam_policies.open_to_anyone`):
    its actions on each guarded node (`public_policy`), at this policy resource."""
    principal = stmt.get("Principal")
    principal = ctx.scalar(principal) if not isinstance(principal, dict | list) else principal
    if not open_to_anyone(ctx.scalar(stmt.get("Effect")), principal, stmt.get("Condition")):
        return
    acts = [str(ctx.scalar(a)) for a in as_list(stmt.get("Action")) if ctx.scalar(a)]
    for node in guarded:
        if ctx.arch.kind(node) not in ("sqs", "sns"):
            continue
        add_public_grants(ctx.arch.graph.nodes[node]["props"], acts or ["*"])
        ctx.arch.graph.nodes[node].setdefault("prop_locs", {})["public_policy"] = \
            ctx.loc_of(lid)


def _condition_sources(ctx: Ctx, condition: Any) -> list[str]:
    out: list[str] = []
    for op in condition.values() if isinstance(condition, dict) else []:
        for key, value in op.items() if isinstance(op, dict) else []:
            if str(key).lower() in _SOURCE_KEYS:
                out.extend(n for n in ctx.node_refs(value) if n not in out)
    return out
