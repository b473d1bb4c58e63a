"""CloudWatch Logs wiring: subscription filters (log group -> destination).

CloudWatch Logs invokes a Lambda destination asynchronously
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html), as
the CloudFormation importer reads `AWS::Logs::SubscriptionFilter`; a filter pattern makes
the delivery `filtered`. A function's own log group is folded into the function
(`importer._function_log_groups`) unless a subscription filter reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.importers.edge_labels import FILTERED
from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _subscription_filter(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    groups = [n for n in ctx.nodes(mod, b.get("log_group_name"), b, "log_group_name")
              if ctx.arch.kind(n) == "logs"]
    pattern = b.get("filter_pattern")
    for group in groups:
        for dest in ctx.nodes(mod, b.get("destination_arn"), b, "destination_arn"):
            ctx.edge(group, dest, block=b,
                     mode="async" if ctx.arch.kind(dest) == "lambda" else None,
                     label=FILTERED if pattern not in (None, "") else None)


WIRING = {
    "aws_cloudwatch_log_subscription_filter": _subscription_filter,
}
IMPLIED: dict[str, object] = {}
