"""Application Auto Scaling: an `aws_appautoscaling_target` on a DynamoDB table's (or
index's) capacity marks the table `autoscaling` (as the CloudFormation importer's
wiring/capacity.py does); its `resource_id` names the table
(`"table/${aws_dynamodb_table.orders.name}"`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _scalable_target(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    namespace = b.get("service_namespace")
    if not isinstance(namespace, str) or namespace.lower() != "dynamodb":
        return
    for table in ctx.nodes(mod, b.get("resource_id"), b, "resource_id"):
        if ctx.arch.kind(table) == "dynamodb":
            ctx.set_props(table, autoscaling=True)


WIRING = {
    "aws_appautoscaling_target": _scalable_target,
}
IMPLIED: dict[str, object] = {}
