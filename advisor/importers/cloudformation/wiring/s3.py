"""S3 wiring: bucket notifications to functions, queues and topics, and to EventBridge
(the default bus)."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.conditions import resolve_conditionals
from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.wiring.common import as_list, default_bus, target_node


def wire_s3_notifications(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::S3::Bucket"):
        bucket = ctx.names.get(lid)
        # both branches of an `Fn::If` count: SAM wraps each entry it adds for a function
        # that has a Condition in `Fn::If [cond, entry, AWS::NoValue]`
        cfg = resolve_conditionals(ctx.props_of(lid).get("NotificationConfiguration"))
        if not isinstance(cfg, dict):
            continue
        for key, field in (("LambdaConfigurations", "Function"),
                           ("QueueConfigurations", "Queue"),
                           ("TopicConfigurations", "Topic")):
            for item in as_list(cfg.get(key)):
                if not isinstance(item, dict):
                    continue
                target = target_node(ctx, item.get(field), key, lid)
                bucket_edge(ctx, bucket, target, [ctx.scalar(item.get("Event"))], lid)
        ebc = cfg.get("EventBridgeConfiguration")
        if isinstance(ebc, dict) and ctx.flag(ebc.get("EventBridgeEnabled")) is not False:
            ctx.edge(bucket, default_bus(ctx), anchor=lid)


def bucket_edge(ctx: Ctx, bucket: str | None, target: str | None, events: list[Any],
                owner: str) -> None:
    """bucket -> target, labelled with every event type it is notified of (sorted), however
    many notification entries or SAM events name the pair."""
    if bucket is None or target is None:
        return
    names = {e for e in events if isinstance(e, str)}
    if ctx.arch.graph.has_edge(bucket, target):
        old = ctx.arch.graph.edges[bucket, target].get("label")
        names |= set(old.split(", ")) if old else set()
    ctx.edge(bucket, target, label=", ".join(sorted(names)) or None, anchor=owner)
