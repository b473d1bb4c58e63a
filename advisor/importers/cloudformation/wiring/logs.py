"""CloudWatch Logs wiring: a function's own log group (its retention), the other log groups
as nodes, and subscription filters (log group -> destination)."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.wiring.common import target_node
from advisor.importers.edge_labels import FILTERED

LAMBDA_PREFIX = "/aws/lambda/"  # the group Lambda writes a function's logs to


def wire_log_groups(ctx: Ctx) -> None:
    """A function's own log group (`/aws/lambda/<fn>`, or its LoggingConfig's) is part of
    the function: it sets `log_retention` and is not a node. Every other log group (an
    API's access logs, a workflow's execution logs, one nothing names) is a `logs` node
    with its `retention`, as in the Terraform importer, so a log group kept forever is
    seen whatever the format."""
    owned: set[str] = set()
    for lid in ctx.of_type("AWS::Logs::LogGroup"):  # a node already if a subscription reads it
        p = ctx.props_of(lid)
        days = ctx.number(p.get("RetentionInDays"))
        for fn in ctx.node_refs(p.get("LogGroupName")) or _named_function(ctx, p):
            if ctx.arch.kind(fn) == "lambda":
                owned.add(lid)
                ctx.set_prop_locs(fn, lid, "log_retention")  # where retention is (or goes)
                if days is not None:
                    ctx.set_props(fn, log_retention=int(days))
    for fn_lid, fn in list(ctx.names.items()):
        if ctx.arch.kind(fn) != "lambda":
            continue
        cfg = ctx.props_of(fn_lid).get("LoggingConfig")
        if isinstance(cfg, dict):
            for lg in ctx.resource_refs(cfg.get("LogGroup")):
                owned.add(lg)
                ctx.set_prop_locs(fn, lg, "log_retention")
                days = ctx.number(ctx.props_of(lg).get("RetentionInDays"))
                if days is not None:
                    ctx.set_props(fn, log_retention=int(days))
    for lid in sorted(ctx.deferred - owned):
        if ctx.deferred_kind.get(lid) == "logs":
            ctx.materialise(lid)


def _named_function(ctx: Ctx, props: dict[str, Any]) -> list[str]:
    """The declared function whose physical name the group's `/aws/lambda/<name>` spells
    (a literal, or the same `${Param}` text as its `FunctionName`): Lambda writes there."""
    text = ctx.text_of(props.get("LogGroupName"))
    if not isinstance(text, str) or not text.startswith(LAMBDA_PREFIX):
        return []
    fn = ctx.by_physical_name(text[len(LAMBDA_PREFIX):], "lambda")
    return [fn] if fn else []


def wire_log_subscriptions(ctx: Ctx) -> None:
    """`AWS::Logs::SubscriptionFilter`: log group -> destination. CloudWatch Logs invokes
    a Lambda destination asynchronously (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html)."""
    for lid in ctx.of_type("AWS::Logs::SubscriptionFilter"):
        p = ctx.props_of(lid)
        group = target_node(ctx, p.get("LogGroupName"), "log group", lid, "logs")
        dest = target_node(ctx, p.get("DestinationArn"), "subscription destination", lid)
        if group is None or dest is None:
            continue
        mode = "async" if ctx.arch.kind(dest) == "lambda" else None
        label = FILTERED if ctx.scalar(p.get("FilterPattern")) not in (None, "") else None
        ctx.edge(group, dest, mode=mode, label=label, anchor=lid)
