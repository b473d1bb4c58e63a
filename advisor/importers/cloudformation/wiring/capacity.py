"""Application Auto Scaling: a scalable target on a DynamoDB table's (or index's) read or
write capacity marks the table `autoscaling` (PERF-DYNAMODB-AUTOSCALING asks it of every
provisioned table). The target names the table in `ResourceId` (`table/${Table}`, or
`table/${Table}/index/Name`); a global table scales inside its own
`WriteProvisionedThroughputSettings` (read in props.py)."""

from __future__ import annotations

from advisor.importers.cloudformation.context import Ctx

SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


def wire_autoscaling(ctx: Ctx) -> None:
    for lid in ctx.of_type(SCALABLE_TARGET):
        p = ctx.props_of(lid)
        if str(ctx.scalar(p.get("ServiceNamespace")) or "").lower() != "dynamodb":
            continue
        for table in ctx.node_refs(p.get("ResourceId")):
            if ctx.arch.kind(table) == "dynamodb":
                ctx.set_props(table, autoscaling=True)
