"""Streams wiring: Firehose sources, destinations and record transformation, and
DynamoDB's Kinesis streaming destination."""

from __future__ import annotations

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.wiring.common import as_list, target_node


def wire_firehose(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::KinesisFirehose::DeliveryStream"):
        node = ctx.names.get(lid)
        p = ctx.props_of(lid)
        src = p.get("KinesisStreamSourceConfiguration")
        if isinstance(src, dict):
            ctx.edge(target_node(ctx, src.get("KinesisStreamARN"), "source stream", lid, "kinesis"),
                     node, anchor=lid)
        for key, value in p.items():
            if not (isinstance(key, str) and key.endswith("DestinationConfiguration")):
                continue
            if not isinstance(value, dict):
                continue
            for field in ("BucketARN", "DomainARN", "CollectionEndpoint", "ClusterEndpoint"):
                if value.get(field) is not None:
                    ctx.edge(node, ctx.node_ref(value.get(field)), anchor=lid)
            if key.startswith("Http"):
                ep = value.get("EndpointConfiguration")
                url = ctx.scalar(ep.get("Url")) if isinstance(ep, dict) else None
                http = ctx.implicit_node(f"{lid}Endpoint", "http",
                                         {"url": url} if isinstance(url, str) else {})
                ctx.edge(node, http, anchor=lid)
            proc = value.get("ProcessingConfiguration")
            for pr in as_list(proc.get("Processors") if isinstance(proc, dict) else None):
                if not isinstance(pr, dict):
                    continue
                for param in as_list(pr.get("Parameters")):
                    if isinstance(param, dict) and ctx.scalar(param.get("ParameterName")) \
                            == "LambdaArn":
                        fn = ctx.node_ref(param.get("ParameterValue"), "lambda")
                        ctx.edge(node, fn, mode="sync", label="transform", anchor=lid)


def wire_dynamodb_kinesis(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        spec = ctx.props_of(lid).get("KinesisStreamSpecification")
        if isinstance(spec, dict):
            ctx.edge(ctx.names.get(lid), ctx.node_ref(spec.get("StreamArn"), "kinesis"),
                     mode="stream", anchor=lid)
