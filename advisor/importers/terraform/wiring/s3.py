"""S3 wiring: bucket notifications (to queues, topics, functions, EventBridge) and the
side resources that set a bucket's encryption, versioning and public exposure. Public
exposure is settled in `finish_buckets` once the policy, website and access block are
all read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import as_json, flag, sse_algorithm
from advisor.importers.terraform.wiring.common import default_bus
from advisor.importers.terraform.wiring.iam import policy_document, statements

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _bucket_notification(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    buckets = ctx.nodes(mod, b.get("bucket"), b, "bucket")
    for kind_block, attr in (
        ("queue", "queue_arn"),
        ("topic", "topic_arn"),
        ("lambda_function", "lambda_function_arn"),
    ):
        for sub in b.sub(kind_block):
            for target in ctx.nodes(mod, sub.get(attr), b, kind_block):
                for bucket in buckets:
                    ctx.edge(bucket, target, block=b, label=_events_label(sub.get("events")))
    if flag(b.get("eventbridge")):  # to the default bus, which feeds its rules
        for bucket in buckets:
            ctx.edge(bucket, default_bus(ctx, b), block=b)


def _events_label(events: Any) -> str | None:
    if isinstance(events, list) and events and all(isinstance(e, str) for e in events):
        return ", ".join(sorted(events))
    return None


def _bucket_encryption(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    algo = sse_algorithm(b)
    for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
        if algo:
            ctx.set_props(bucket, encryption=algo)


def _bucket_public_block(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    keys = (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
    # the provider's default for an omitted setting is false: stated, it is off
    if any(k not in b.attrs or flag(b.get(k)) is False for k in keys):
        for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
            ctx.arch.graph.nodes[bucket]["_public_block_off"] = True
            ctx.set_props(bucket, block_public_access=False)
            ctx.arch.graph.nodes[bucket].setdefault("prop_locs", {})[
                "block_public_access"] = ctx.loc(b)


def _bucket_policy(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    doc = as_json(b.get("policy"))
    if doc is None:
        doc = policy_document(ctx, mod, b.get("policy"))
    for stmt in statements(doc):
        principal = stmt.get("Principal")
        if (
            stmt.get("Effect", "Allow") == "Allow"
            and (principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*"))
            and not stmt.get("Condition")
        ):
            for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
                ctx.arch.graph.nodes[bucket]["_public_policy"] = True


def _bucket_versioning(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    conf = b.first("versioning_configuration")
    if conf is not None and isinstance(conf.get("status"), str):
        for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
            ctx.set_props(bucket, versioning=conf.get("status") == "Enabled")


def _bucket_website(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    for bucket in ctx.nodes(mod, b.get("bucket"), b, "bucket"):
        ctx.arch.graph.nodes[bucket]["_website"] = True


def finish_buckets(ctx: Context) -> None:
    for bucket in list(ctx.arch.nodes_of_kind("s3")):
        data = ctx.arch.graph.nodes[bucket]
        off = data.pop("_public_block_off", False)
        policy = data.pop("_public_policy", False)
        website = data.pop("_website", False)
        if policy or website or (off and data["props"].get("public")):
            ctx.set_props(bucket, public=True)


WIRING = {
    "aws_s3_bucket_notification": _bucket_notification,
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_encryption,
    "aws_s3_bucket_public_access_block": _bucket_public_block,
    "aws_s3_bucket_policy": _bucket_policy,
    "aws_s3_bucket_versioning": _bucket_versioning,
    "aws_s3_bucket_website_configuration": _bucket_website,
}
IMPLIED = {
}
