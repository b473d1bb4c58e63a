"""SNS and SQS wiring: topic subscriptions (with their redrive DLQ and filter policy),
queue redrive policies, inline or as `aws_sqs_queue_redrive_policy`, and what a queue or
topic policy lets anyone do (`public_policy`), inline or as `aws_sqs_queue_policy` /
`aws_sns_topic_policy`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from advisor.importers.edge_labels import FILTERED
from advisor.importers.redrive_allow import declares_dlq
from advisor.importers.terraform.hcl import Block, Expr
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import as_json, flag, num
from advisor.importers.terraform.wiring.common import http_node, mark_dlq

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _subscription(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    topics = ctx.nodes(mod, b.get("topic_arn"), b, "topic_arn")
    subscribe(
        ctx, res, mod, b, topics, str(b.get("protocol", "")), b.get("endpoint"),
        b.get("redrive_policy"), b.get("filter_policy"),
    )


def subscribe(
    ctx: Context, res: Resource, mod: Module, b: Block, topics: list[str], protocol: str,
    endpoint: Any, redrive_policy: Any, filter_policy: Any,
) -> None:
    """Topic -> endpoint edges of one subscription (a resource, or a registry module's
    `subscriptions` entry), with its redrive DLQ and filter policy."""
    targets = ctx.nodes(mod, endpoint, b, "endpoint")
    if not targets and protocol in ("http", "https") and isinstance(endpoint, str):
        targets = [http_node(ctx, res, endpoint)]
    if not targets:
        if protocol in ("email", "email-json", "sms"):
            ctx.note(b, f"{protocol} subscription of {res.address}: delivered outside AWS, no edge")
        return
    dlq = None
    redrive = as_json(redrive_policy)
    redrive_val = redrive if isinstance(redrive, dict) else redrive_policy
    if isinstance(redrive_val, dict):
        found = ctx.nodes(mod, redrive_val.get("deadLetterTargetArn"), b, "redrive_policy")
        dlq = found[0] if found else None
    elif redrive_val is not None:
        found = ctx.nodes(mod, redrive_val, b, "redrive_policy")
        dlq = found[0] if found else None
    if dlq:
        mark_dlq(ctx, dlq)
    for topic in topics:
        for target in targets:
            ctx.edge(
                topic,
                target,
                block=b,
                label=FILTERED if filter_policy is not None else None,
                dlq=dlq,
            )


def _sns_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """The topic's inline `policy`; terraform-aws-modules/sns: the `subscriptions` map
    (key -> {protocol, endpoint, filter_policy, redrive_policy})."""
    _public_policy(ctx, [name], b.get("policy"), b, mod)
    subs = b.get("subscriptions") if res.registry else None
    if not isinstance(subs, dict):
        return
    for _key, sub in sorted(subs.items()):
        if isinstance(sub, dict):
            subscribe(
                ctx, res, mod, b, [name], str(sub.get("protocol", "")), sub.get("endpoint"),
                sub.get("redrive_policy"), sub.get("filter_policy"),
            )


def _queue_redrive(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for queue in ctx.nodes(mod, b.get("queue_url"), b, "queue_url"):
        _apply_redrive(ctx, queue, b.get("redrive_policy"), b, mod)


def _apply_redrive(ctx: Context, queue: str, policy: Any, b: Block, mod: Module) -> None:
    if policy is None:
        return
    doc = as_json(policy)
    target_value: Any = policy
    receives = None
    if isinstance(doc, dict):
        target_value = doc.get("deadLetterTargetArn")
        receives = num(doc.get("maxReceiveCount"))
    elif isinstance(policy, Expr):
        found = re.search(r"maxReceiveCount\"?\s*[:=]\s*\"?(\d+)", policy.text)
        receives = int(found.group(1)) if found else None
    dlqs = [n for n in ctx.nodes(mod, target_value, b, "redrive_policy") if n != queue]
    if dlqs:
        ctx.set_props(queue, dlq=dlqs[0], max_receives=receives)
        mark_dlq(ctx, dlqs[0])


def _queue_redrive_allow(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    if declares_dlq(as_json(b.get("redrive_allow_policy"))):
        for queue in ctx.nodes(mod, b.get("queue_url"), b, "queue_url"):
            mark_dlq(ctx, queue)


def _sqs_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    _public_policy(ctx, [name], b.get("policy"), b, mod)
    if declares_dlq(as_json(b.get("redrive_allow_policy"))):  # it lets source queues use it
        mark_dlq(ctx, name)
    if res.registry and _registry_dlq(ctx, name, res, b):
        return
    _apply_redrive(ctx, name, b.get("redrive_policy"), b, mod)


def _queue_policy(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    _public_policy(ctx, ctx.nodes(mod, b.get("queue_url"), b, "queue_url"), b.get("policy"),
                   b, mod)


def _topic_policy(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    _public_policy(ctx, ctx.nodes(mod, b.get("arn"), b, "arn"), b.get("policy"), b, mod)


def _public_policy(ctx: Context, nodes: list[str], policy: Any, b: Block, mod: Module) -> None:
    """The actions a queue or topic policy lets anyone make (`iam_policies.open_to_anyone`)
    on each node (`public_policy`), at the block that states the policy."""
    from advisor.importers.iam_policies import add_public_grants, open_to_anyone
    from advisor.importers.terraform.wiring.iam import as_list, policy_document, statements

    if policy is None:
        return
    for stmt in statements(policy_document(ctx, mod, policy)):
        if not open_to_anyone(stmt.get("Effect"), stmt.get("Principal"), stmt.get("Condition")):
            continue
        acts = [str(a) for a in as_list(stmt.get("Action")) if isinstance(a, str)]
        for node in nodes:
            if ctx.arch.kind(node) in ("sqs", "sns"):
                add_public_grants(ctx.arch.graph.nodes[node]["props"], acts or ["*"])
                ctx.arch.graph.nodes[node].setdefault("prop_locs", {})["public_policy"] = \
                    ctx.loc(b)


def _registry_dlq(ctx: Context, name: str, res: Resource, b: Block) -> bool:
    """terraform-aws-modules/sqs with `create_dlq = true` creates a second queue, the DLQ,
    and a redrive policy to it (`maxReceiveCount` from `redrive_policy`, else the module's
    own 5): the queue has a DLQ, modelled as a node of its own."""
    from advisor.importers.terraform.importer import registry_default

    if not flag(registry_default(res, "create_dlq")):
        return False
    dlq, i = f"{name}_dlq", 2
    while dlq in ctx.arch.graph:
        dlq, i = f"{name}_dlq_{i}", i + 1
    props = {"is_dlq": True}
    if flag(b.get("fifo_queue")):
        props["fifo"] = True
    node = ctx.arch.graph.nodes[name]
    ctx.arch.add_node(
        dlq, "sqs", props, loc=node.get("loc"), group=node.get("group", ()),
        source_id=f"{res.address}.aws_sqs_queue.dlq",
    )
    policy = b.get("redrive_policy")
    receives = num(policy.get("maxReceiveCount")) if isinstance(policy, dict) else None
    ctx.set_props(
        name, dlq=dlq,
        max_receives=receives or registry_default(res, "dlq_max_receive_count"),
    )
    return True


WIRING = {
    "aws_sns_topic_subscription": _subscription,
    "aws_sqs_queue_redrive_policy": _queue_redrive,
    "aws_sqs_queue_redrive_allow_policy": _queue_redrive_allow,
    "aws_sqs_queue_policy": _queue_policy,
    "aws_sns_topic_policy": _topic_policy,
}
IMPLIED = {
    "sqs": _sqs_implied,
    "sns": _sns_implied,
}
