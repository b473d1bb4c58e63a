"""Node props from a Terraform component's own arguments (only what the config states).

One reader per kind. Units follow advisor.units: sizes in bytes, durations in ms.
Edges that a component's own arguments imply (a Lambda's environment naming a queue,
Firehose's destination, a pipe's source and target, a state machine's tasks) are added
by `wiring/`, which also reads these blocks; props stay here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from advisor.importers.api_auth import APPSYNC_AUTH
from advisor.importers.event_patterns import pattern_text
from advisor.importers.terraform.hcl import Block, Expr, Ref

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context

MB = 1024 * 1024


def num(value: Any) -> float | int | None:
    """A literal number (ints stay ints); None for references and expressions."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return None
        return int(f) if f.is_integer() else f
    return None


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and "${" not in value else None


def as_json(value: Any) -> Any:
    """A policy/definition given as a string (heredoc, file()) or as a decoded object."""
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    if isinstance(value, Expr) and value.func == "string":
        try:
            return json.loads(value.text)
        except ValueError:
            return None
    return None


def read_node(ctx: Context, name: str) -> None:
    res = ctx.res_of[name]
    kind = ctx.arch.kind(name)
    reader = _READERS.get(kind)
    if reader is not None:
        reader(ctx, name, res.block)


# ----------------------------------------------------------------- per kind
def _lambda(ctx: Context, name: str, b: Block) -> None:
    memory = num(b.get("memory_size"))
    timeout = num(b.get("timeout"))
    archs = b.get("architectures")
    arch = None
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        arch = "arm64" if archs[0] == "arm64" else "x86"
    tracing = None
    tc = b.first("tracing_config")
    if tc is not None and isinstance(tc.get("mode"), str):
        tracing = tc.get("mode") == "Active"
    if flag(b.get("tracing_mode") == "Active"):
        tracing = True
    layers = b.get("layers")
    ctx.set_props(
        name,
        memory=int(memory * MB) if memory else None,
        timeout=int(timeout * 1000) if timeout is not None else None,
        runtime=text(b.get("runtime")),
        arch=arch,
        tracing=tracing,
        reserved_concurrency=_reserved(b.get("reserved_concurrent_executions")),
        layers=len(layers) if isinstance(layers, list) and layers else None,
        vpc=True if b.first("vpc_config") is not None or b.get("vpc_subnet_ids") else None,
        description=text(b.get("description")) or None,
    )
    retention = num(b.get("cloudwatch_logs_retention_in_days"))  # registry lambda module
    if retention is not None:
        ctx.set_props(name, log_retention=int(retention))


def _reserved(value: Any) -> float | int | None:
    """`reserved_concurrent_executions`: -1 (the provider's default) means none reserved."""
    n = num(value)
    return None if n is None or n < 0 else n


def _sqs(ctx: Context, name: str, b: Block) -> None:
    visibility = num(b.get("visibility_timeout_seconds"))
    retention = num(b.get("message_retention_seconds"))
    encryption = None
    if b.get("kms_master_key_id") is not None:
        encryption = "sse-kms"
    elif flag(b.get("sqs_managed_sse_enabled")) is True:
        encryption = "sse-sqs"
    elif flag(b.get("sqs_managed_sse_enabled")) is False:
        encryption = "none"
    ctx.set_props(
        name,
        fifo=flag(b.get("fifo_queue")),
        visibility=int(visibility * 1000) if visibility is not None else None,
        retention=int(retention * 1000) if retention is not None else None,
        encryption=encryption,
    )


def _sns(ctx: Context, name: str, b: Block) -> None:
    ctx.set_props(
        name,
        fifo=flag(b.get("fifo_topic")),
        encryption="sse-kms" if b.get("kms_master_key_id") is not None else None,
    )


def _kinesis(ctx: Context, name: str, b: Block) -> None:
    mode = None
    smd = b.first("stream_mode_details")
    if smd is not None and isinstance(smd.get("stream_mode"), str):
        mode = "on-demand" if smd.get("stream_mode") == "ON_DEMAND" else "provisioned"
    elif num(b.get("shard_count")) is not None:
        mode = "provisioned"
    enc = b.get("encryption_type")
    encryption = {"KMS": "sse-kms", "NONE": "none"}.get(enc) if isinstance(enc, str) else None
    ctx.set_props(name, mode=mode, shards=num(b.get("shard_count")), encryption=encryption)


def _firehose(ctx: Context, name: str, b: Block) -> None:
    size = interval = None
    for dest in (
        "extended_s3_configuration",
        "s3_configuration",
        "opensearch_configuration",
        "elasticsearch_configuration",
        "http_endpoint_configuration",
        "redshift_configuration",
        "splunk_configuration",
        "opensearchserverless_configuration",
    ):
        conf = b.first(dest)
        if conf is None:
            continue
        size = size or num(conf.get("buffering_size", conf.get("buffer_size")))
        interval = interval or num(conf.get("buffering_interval", conf.get("buffer_interval")))
    encryption = None
    sse = b.first("server_side_encryption")
    if sse is not None and flag(sse.get("enabled")) is not None:
        if flag(sse.get("enabled")):
            encryption = "sse-kms" if sse.get("key_type") == "CUSTOMER_MANAGED_CMK" else "default"
        else:
            encryption = "none"
    ctx.set_props(
        name,
        buffer_size=int(size * MB) if size else None,
        buffer_interval=int(interval * 1000) if interval else None,
        encryption=encryption,
    )


def _dynamodb(ctx: Context, name: str, b: Block) -> None:
    billing = b.get("billing_mode")
    billing_kind = (
        {"PAY_PER_REQUEST": "on-demand", "PROVISIONED": "provisioned"}.get(billing)
        if isinstance(billing, str)
        else None
    )
    if billing_kind is None and num(b.get("read_capacity")) is not None:
        billing_kind = "provisioned"
    encryption = None
    sse = b.first("server_side_encryption")
    if sse is not None and flag(sse.get("enabled")) is not None:
        encryption = "sse-kms" if flag(sse.get("enabled")) else "default"
    pitr = None
    pb = b.first("point_in_time_recovery")
    if pb is not None:
        pitr = flag(pb.get("enabled"))
    tb = b.first("ttl")
    ttl = flag(tb.get("enabled")) if tb is not None else None
    ctx.set_props(
        name,
        billing=billing_kind,
        rcu=num(b.get("read_capacity")),
        wcu=num(b.get("write_capacity")),
        encryption=encryption,
        pitr=pitr,
        ttl=ttl,
        stream=flag(b.get("stream_enabled")),
    )


def _s3(ctx: Context, name: str, b: Block) -> None:
    acl = b.get("acl")
    public = True if isinstance(acl, str) and acl.startswith("public-") else None
    if b.first("website") is not None:
        public = True
    versioning = None
    vb = b.first("versioning")
    if vb is not None:
        versioning = flag(vb.get("enabled"))
    encryption = None
    conf = b.first("server_side_encryption_configuration")  # provider v3 inline form
    if conf is not None:
        encryption = sse_algorithm(conf)
    ctx.set_props(name, public=public, versioning=versioning, encryption=encryption)


def sse_algorithm(conf: Block) -> str | None:
    """`rule { apply_server_side_encryption_by_default { sse_algorithm } }` -> encryption."""
    for rule in conf.sub("rule"):
        for default in rule.sub("apply_server_side_encryption_by_default"):
            algo = default.get("sse_algorithm")
            if isinstance(algo, str):
                return "sse-kms" if algo.startswith("aws:kms") else "sse-s3"
    return None


def _sfn(ctx: Context, name: str, b: Block) -> None:
    sf_type = b.get("type")
    logging = b.first("logging_configuration")
    tracing = b.first("tracing_configuration")
    ctx.set_props(
        name,
        type={"EXPRESS": "express", "STANDARD": "standard"}.get(sf_type.upper())
        if isinstance(sf_type, str)
        else None,
        logging=True if logging is not None and logging.get("level") not in ("OFF", None) else None,
        tracing=flag(tracing.get("enabled")) if tracing is not None else None,
    )


def _apigw(ctx: Context, name: str, b: Block) -> None:
    res = ctx.res_of[name]
    api_type = "rest"
    if res.type == "aws_apigatewayv2_api":
        proto = b.get("protocol_type")
        api_type = "websocket" if proto == "WEBSOCKET" else "http"
    endpoint = None
    ec = b.first("endpoint_configuration")
    if ec is not None and isinstance(ec.get("types"), list) and ec.get("types"):
        first = ec.get("types")[0]
        endpoint = (
            first.lower()
            if isinstance(first, str) and first.lower() in ("edge", "regional", "private")
            else None
        )
    ctx.set_props(
        name, type=api_type, endpoint=endpoint, description=text(b.get("description")) or None
    )


def _appsync(ctx: Context, name: str, b: Block) -> None:
    auth = b.get("authentication_type")
    log_config = b.first("log_config")
    ctx.set_props(
        name,
        auth=APPSYNC_AUTH.get(auth.upper()) if isinstance(auth, str) else None,
        tracing=flag(b.get("xray_enabled")),
        logging=True if log_config is not None
        and log_config.get("cloudwatch_logs_role_arn") is not None else None,
    )


def _kms(ctx: Context, name: str, b: Block) -> None:
    spec = b.get("customer_master_key_spec")
    asymmetric = isinstance(spec, str) and spec.upper() != "SYMMETRIC_DEFAULT"
    ctx.set_props(
        name,
        rotation=flag(b.get("enable_key_rotation")),
        # a custom key store (CloudHSM, external) cannot rotate automatically either
        rotatable=False if asymmetric or b.get("custom_key_store_id") is not None else None,
    )


def _eventbridge(ctx: Context, name: str, b: Block) -> None:
    pattern = b.get("event_pattern")
    pattern = pattern_text(_plain(pattern)) if isinstance(pattern, dict | list | str) else None
    ctx.set_props(
        name,
        pattern=pattern,
        schedule=text(b.get("schedule_expression")),
        encryption="sse-kms" if b.get("kms_key_identifier") is not None else None,
    )


def _scheduler(ctx: Context, name: str, b: Block) -> None:
    ctx.set_props(name, schedule=text(b.get("schedule_expression")))


def _logs(ctx: Context, name: str, b: Block) -> None:
    retention = num(b.get("retention_in_days"))
    ctx.set_props(name, retention=int(retention) if retention is not None else None)


def _cognito(ctx: Context, name: str, b: Block) -> None:
    res = ctx.res_of[name]
    ctx.set_props(name, pool="identity" if res.type == "aws_cognito_identity_pool" else None)


def _http(ctx: Context, name: str, b: Block) -> None:
    ctx.set_props(name, url=text(b.get("invocation_endpoint")))


def _alb(ctx: Context, name: str, b: Block) -> None:
    internal = flag(b.get("internal"))
    ctx.set_props(
        name, scheme="internal" if internal else ("internet-facing" if internal is False else None)
    )


def _ecs(ctx: Context, name: str, b: Block) -> None:
    launch = b.get("launch_type")
    ctx.set_props(
        name,
        launch={"FARGATE": "fargate", "EC2": "ec2"}.get(launch)
        if isinstance(launch, str)
        else None,
        tasks=num(b.get("desired_count")),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Ref | Expr):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_READERS = {
    "lambda": _lambda,
    "sqs": _sqs,
    "sns": _sns,
    "kinesis": _kinesis,
    "firehose": _firehose,
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sfn": _sfn,
    "apigw": _apigw,
    "appsync": _appsync,
    "kms": _kms,
    "eventbridge": _eventbridge,
    "scheduler": _scheduler,
    "logs": _logs,
    "cognito": _cognito,
    "http": _http,
    "alb": _alb,
    "ecs": _ecs,
}
