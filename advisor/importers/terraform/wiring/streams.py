"""Kinesis Data Firehose wiring: its Kinesis/MSK source, its destinations (S3, OpenSearch,
Redshift, HTTP endpoints, Splunk; a second S3 is the backup) and the record-transformation
Lambda."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.wiring.common import http_node

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _firehose_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    src = b.first("kinesis_source_configuration")
    if src is not None:
        for stream in ctx.nodes(
            mod, src.get("kinesis_stream_arn"), b, "kinesis_source_configuration"
        ):
            ctx.edge(stream, name, block=b)
    msk = b.first("msk_source_configuration")
    if msk is not None:
        for cluster in ctx.nodes(mod, msk.get("msk_cluster_arn"), b, "msk_source_configuration"):
            ctx.edge(cluster, name, block=b)
    dests = {
        "extended_s3_configuration": "bucket_arn",
        "s3_configuration": "bucket_arn",
        "opensearch_configuration": "domain_arn",
        "elasticsearch_configuration": "domain_arn",
        "opensearchserverless_configuration": "collection_endpoint",
        "redshift_configuration": "cluster_jdbcurl",
        "http_endpoint_configuration": "url",
        "splunk_configuration": "hec_endpoint",
    }
    primary: list[str] = []
    for block_name, attr in dests.items():
        conf = b.first(block_name)
        if conf is None:
            continue
        targets = ctx.nodes(mod, conf.get(attr), b, block_name)
        if not targets and block_name in ("http_endpoint_configuration", "splunk_configuration"):
            url = conf.get(attr)
            if isinstance(url, str):
                targets = [http_node(ctx, res, url)]
        for target in targets:
            label = "backup" if primary and block_name == "s3_configuration" else None
            ctx.edge(name, target, block=b, label=label)
        primary += targets
        for proc in conf.sub("processing_configuration"):
            for p in proc.sub("processors"):
                for param in p.sub("parameters"):
                    if param.get("parameter_name") == "LambdaArn":
                        for fn in ctx.nodes(
                            mod, param.get("parameter_value"), b, "processing_configuration"
                        ):
                            ctx.edge(name, fn, block=b, label="record transformation", mode="sync")


WIRING = {
}
IMPLIED = {
    "firehose": _firehose_implied,
}
