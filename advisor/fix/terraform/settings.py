"""Settings rewrites in Terraform: one argument of one resource, plus the IAM the setting
needs (the same choices as advisor/fix/cfn/settings.py and apigw.py): tracing, arm64, log
retention, encryption at rest with the AWS managed key, batch size, function URL auth,
Express workflows, API stage tracing and access logs, request validators.

A new log group is written as `terraform fmt` would, named after its function or API,
with a retention; the Terraform importer shows log groups as nodes of their own, so the
patch records them as support resources (the engine models them as the function's or the
API's prop).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.context import FixContext
from advisor.fix.data import (
    access_log_format,
    access_log_rest_note,
    access_log_retention,
    note,
    xray_actions,
)
from advisor.fix.registry import register
from advisor.fix.terraform.families import FMT, _addr, _module_files, _names, _refs
from advisor.fix.terraform.hcl import Call, HclFile, Nested, Raw, resource_text
from advisor.fix.terraform.target import TerraformTarget


def _resource(ctx: FixContext, t: TerraformTarget, node: str, *types: str) -> tuple[HclFile,
                                                                                    Any]:
    f, block, _ = t.block_of(ctx, node)
    if types and block.labels[0] not in types:
        raise Unpatchable(f"{node} is a {block.labels[0]}, not one of {', '.join(types)}")
    return f, block


def _set_nested(f: HclFile, block: Any, name: str, entries: list[tuple[str, Any]]) -> None:
    """Set attributes inside the nested block `name` (added when missing)."""
    nested = f.nested(block, name)
    if nested is None:
        f.insert(block, [(name, Nested(entries))])
        return
    for key, value in entries:
        f.set_value(nested, key, value)


def _role_of(value: Any) -> str | None:
    roles = [p for p in _refs(value) if p.startswith("aws_iam_role.")]
    return ".".join(roles[0].split(".")[:2]) if len(roles) == 1 else None


def _grant_xray(ctx: FixContext, t: TerraformTarget, f: HclFile, role_value: Any,
                base: str, what: str) -> None:
    ctx.granted.update(xray_actions())
    role = _role_of(role_value)
    if role is None:
        ctx.note(f"the role of {what} is not an aws_iam_role of this module: allow it "
                 f"{', '.join(xray_actions())} (or attach AWSXRayDaemonWriteAccess)")
        return
    if _role_mentions(t, f, role, ("xray:", "AWSXRay", "AWSXray")):
        return
    name = t.unique_name(f, "aws_iam_role_policy", base)
    f.append(resource_text("aws_iam_role_policy", name, [
        ("name", name.replace("_", "-")),
        ("role", Raw(f"{role}.id")),
        ("policy", Call("jsonencode", {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": xray_actions(), "Resource": "*"}],
        })),
    ]))


def _role_mentions(t: TerraformTarget, f: HclFile, role: str, needles: tuple[str, ...]) -> bool:
    """A block of the module that names `role` (its policies, attachments) mentions one of
    `needles` (an action, a managed policy name)."""
    for other in _module_files(t, f):
        for b in other.resources():
            text = other.text[other.open_brace(b.line):other.close_brace(other.open_brace(
                b.line)) + 1]
            if (role in text or _addr(b) == role) and any(n in text for n in needles):
                return True
    return False


# ------------------------------------------------------------------ functions
@register(FMT, "OPS-LAMBDA-TRACING")
def lambda_tracing(ctx: FixContext, t: TerraformTarget) -> None:
    f, fn = _resource(ctx, t, ctx.match[0], "aws_lambda_function")
    _set_nested(f, fn, "tracing_config", [("mode", "Active")])
    _grant_xray(ctx, t, f, fn.attrs.get("role"), f"{fn.labels[1]}_tracing", _addr(fn))


@register(FMT, "COST-LAMBDA-ARM64")
def lambda_arm64(ctx: FixContext, t: TerraformTarget) -> None:
    f, fn = _resource(ctx, t, ctx.match[0], "aws_lambda_function")
    if fn.attrs.get("package_type") == "Image":
        raise Unpatchable(f"{_addr(fn)} is a container image: the image must be built for "
                          "arm64 first, then set architectures")
    f.set_value(fn, "architectures", ["arm64"])
    ctx.note(note("arm64"))


@register(FMT, "SEC-LAMBDA-URL-AUTH")
def url_auth(ctx: FixContext, t: TerraformTarget) -> None:
    f, fn = _resource(ctx, t, ctx.match[0], "aws_lambda_function")
    urls = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
        "aws_lambda_function_url") if _names(b.attrs.get("function_name"), _addr(fn))]
    if len(urls) != 1:
        raise Unpatchable(f"no single aws_lambda_function_url of {_addr(fn)} found")
    uf, url = urls[0]
    uf.set_value(url, "authorization_type", "AWS_IAM")
    ctx.note(note("url_iam"))


@register(FMT, "OPS-LOG-RETENTION")
def log_retention(ctx: FixContext, t: TerraformTarget) -> None:
    node = ctx.match[0]
    after = ctx.after_props(node)
    if ctx.before.kind(node) == "logs":
        f, group = _resource(ctx, t, node, "aws_cloudwatch_log_group")
        _set_retention(f, group, int(after["retention"]))
        return
    days = after.get("log_retention")
    if days is None:
        raise Unpatchable("the rewrite set no retention on the function")
    f, fn = _resource(ctx, t, node, "aws_lambda_function")
    groups = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
        "aws_cloudwatch_log_group") if "/aws/lambda/" in (f2.raw_value(b, "name") or "")
        and _names(b.attrs.get("name"), _addr(fn))]
    if groups:
        _set_retention(groups[0][0], groups[0][1], int(days))
        return
    name = t.unique_name(f, "aws_cloudwatch_log_group", f"{fn.labels[1]}_logs")
    f.append(resource_text("aws_cloudwatch_log_group", name, [
        ("name", Raw(f'"/aws/lambda/${{{_addr(fn)}.function_name}}"')),
        ("retention_in_days", int(days)),
    ]))
    ctx.support.add(f"{f.module_prefix}aws_cloudwatch_log_group.{name}")
    ctx.note(note("log_group_exists"))


def _set_retention(f: HclFile, block: Any, days: int) -> None:
    if "retention_in_days" in block.attrs:
        raise Unpatchable(f"{_addr(block)} already sets retention_in_days; the finding comes "
                          "from a value the importer could not read")
    f.set_value(block, "retention_in_days", days)


# ------------------------------------------------------------------ state machines
@register(FMT, "OPS-SFN-TRACING")
def sfn_tracing(ctx: FixContext, t: TerraformTarget) -> None:
    f, sm = _resource(ctx, t, ctx.match[0], "aws_sfn_state_machine")
    _set_nested(f, sm, "tracing_configuration", [("enabled", True)])
    _grant_xray(ctx, t, f, sm.attrs.get("role_arn"), f"{sm.labels[1]}_tracing", _addr(sm))


@register(FMT, "SEC-KMS-ROTATION")
def key_rotation(ctx: FixContext, t: TerraformTarget) -> None:
    f, key = _resource(ctx, t, ctx.match[0], "aws_kms_key")
    f.set_value(key, "enable_key_rotation", True)


@register(FMT, "COST-SFN-EXPRESS")
def sfn_express(ctx: FixContext, t: TerraformTarget) -> None:
    f, sm = _resource(ctx, t, ctx.match[0], "aws_sfn_state_machine")
    f.set_value(sm, "type", "EXPRESS")
    ctx.note(note("express"))


# ------------------------------------------------------------------ encryption
MANAGED_KEY: dict[str, list[tuple[str, Any]]] = {
    "aws_sqs_queue": [("sqs_managed_sse_enabled", True)],
    "aws_sns_topic": [("kms_master_key_id", "alias/aws/sns")],
    "aws_kinesis_stream": [("encryption_type", "KMS"), ("kms_key_id", "alias/aws/kinesis")],
}
MANAGED_KEY_BLOCKS: dict[str, tuple[str, list[tuple[str, Any]]]] = {
    "aws_kinesis_firehose_delivery_stream": ("server_side_encryption", [
        ("enabled", True), ("key_type", "AWS_OWNED_CMK")]),
    "aws_opensearch_domain": ("encrypt_at_rest", [("enabled", True)]),
    "aws_elasticsearch_domain": ("encrypt_at_rest", [("enabled", True)]),
}


@register(FMT, "SEC-ENCRYPTION-AT-REST")
def encryption_at_rest(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.encryption import refuse_service_publishers, refuse_unmanaged

    node = ctx.match[0]
    refuse_unmanaged(ctx, node)
    f, block = _resource(ctx, t, node)
    rtype = block.labels[0]
    if rtype == "aws_sns_topic":
        refuse_service_publishers(ctx, node)
    if rtype in MANAGED_KEY:
        for key, value in MANAGED_KEY[rtype]:
            f.set_value(block, key, value)
    elif rtype in MANAGED_KEY_BLOCKS:
        if rtype == "aws_kinesis_firehose_delivery_stream" and \
                block.first("kinesis_source_configuration") is not None:
            raise Unpatchable("a delivery stream reading a Kinesis stream is encrypted by its "
                              "source: encrypt the source stream")
        name, entries = MANAGED_KEY_BLOCKS[rtype]
        _set_nested(f, block, name, entries)
    else:
        raise Unpatchable(f"no encryption setting known for {rtype}")
    ctx.note(note("encryption_default"))


# ------------------------------------------------------------------ event sources
@register(FMT, "COST-SQS-BATCH")
def batch_size(ctx: FixContext, t: TerraformTarget) -> None:
    src, consumer = ctx.match[0], ctx.match[1]
    size = ctx.after_edge(src, consumer).get("batch")
    if size is None:
        raise Unpatchable("the rewrite set no batch size")
    f, block = t.edge_block(ctx, src, consumer)
    if block.labels[0] == "aws_lambda_event_source_mapping":
        f.set_value(block, "batch_size", int(size))
    elif block.labels[0] == "aws_pipes_pipe":
        sp = f.nested(block, "source_parameters")
        subs = [b for b in (sp.blocks if sp is not None else [])
                if b.type.endswith("_parameters")]
        if len(subs) != 1:
            raise Unpatchable(f"pipe {_addr(block)} has no single source parameters block")
        f.set_value(subs[0], "batch_size", int(size))
    else:
        raise Unpatchable(f"{src} -> {consumer} is wired by a {block.labels[0]}")
    ctx.note(note("batch"))


# ------------------------------------------------------------------ API stages
def stage_of(ctx: FixContext, t: TerraformTarget, api_node: str) -> tuple[HclFile, Any, Any]:
    """(file, API block, its one stage block) of an API node."""
    f, api, addr = t.block_of(ctx, api_node)
    rtype = api.labels[0]
    if rtype == "aws_api_gateway_rest_api":
        stype, key = "aws_api_gateway_stage", "rest_api_id"
    elif rtype == "aws_apigatewayv2_api":
        stype, key = "aws_apigatewayv2_stage", "api_id"
    else:
        raise Unpatchable(f"{rtype} has no stage settings")
    stages = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(stype)
              if _names(b.attrs.get(key), _addr(api))]
    if len(stages) != 1:
        quick = " (a quick-create API's $default stage cannot be configured in Terraform)" \
            if not stages and api.attrs.get("target") is not None else ""
        raise Unpatchable(f"{addr} has {len(stages)} {stype} resources; which one to "
                          f"configure is not clear{quick}")
    return stages[0][0], api, stages[0][1]


@register(FMT, "OPS-APIGW-TRACING")
def api_tracing(ctx: FixContext, t: TerraformTarget) -> None:
    node = ctx.match[0]
    if ctx.before.kind(node) == "appsync":
        f, api = _resource(ctx, t, node, "aws_appsync_graphql_api")
        f.set_value(api, "xray_enabled", True)
        return
    sf, api, stage = stage_of(ctx, t, node)
    if api.labels[0] != "aws_api_gateway_rest_api":
        raise Unpatchable("HTTP APIs do not support X-Ray tracing")
    sf.set_value(stage, "xray_tracing_enabled", True)


@register(FMT, "OPS-APIGW-ACCESS-LOGGING")
def api_access_logging(ctx: FixContext, t: TerraformTarget) -> None:
    sf, api, stage = stage_of(ctx, t, ctx.match[0])
    rest = api.labels[0] == "aws_api_gateway_rest_api"
    name = t.unique_name(sf, "aws_cloudwatch_log_group", f"{api.labels[1]}_access_logs")
    sf.append(resource_text("aws_cloudwatch_log_group", name, [
        ("name", f"/aws/apigateway/{api.labels[1]}-access-logs"),
        ("retention_in_days", access_log_retention()),
    ]))
    ctx.support.add(f"{sf.module_prefix}aws_cloudwatch_log_group.{name}")
    import json

    websocket = api.attrs.get("protocol_type") == "WEBSOCKET"
    fmt = json.loads(access_log_format("rest" if rest else "websocket" if websocket else
                                       "http"))
    sf.insert(stage, [("access_log_settings", Nested([
        ("destination_arn", Raw(f"aws_cloudwatch_log_group.{name}.arn")),
        ("format", Call("jsonencode", fmt)),
    ]))])
    if rest:
        ctx.note(access_log_rest_note())


@register(FMT, "SEC-APIGW-VALIDATION")
def api_validation(ctx: FixContext, t: TerraformTarget) -> None:
    f, api, addr = t.block_of(ctx, ctx.match[0])
    if api.labels[0] != "aws_api_gateway_rest_api":
        raise Unpatchable(f"{api.labels[0]} has no request validators")
    methods = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
        "aws_api_gateway_method") if _names(b.attrs.get("rest_api_id"), _addr(api))
        and str(b.attrs.get("http_method", "")).upper() != "OPTIONS"]
    if not methods or any("request_validator_id" in b.attrs for _, b in methods):
        raise Unpatchable(f"{addr} has no methods without a validator to attach one to")
    name = t.unique_name(f, "aws_api_gateway_request_validator", f"{api.labels[1]}_validator")
    f.append(resource_text("aws_api_gateway_request_validator", name, [
        ("name", name.replace("_", "-")),
        ("rest_api_id", Raw(f"{_addr(api)}.id")),
        ("validate_request_body", True),
        ("validate_request_parameters", True),
    ]))
    for mf, m in methods:
        if Path(mf.path).parent != Path(f.path).parent:
            raise Unpatchable("a method is in another module than its API")
        mf.insert(m, [("request_validator_id",
                       Raw(f"aws_api_gateway_request_validator.{name}.id"))])
    ctx.note("the validator checks the parameters a method marks required and the body "
             "against its request_models: declare those models for the bodies to be checked")


@register(FMT, "PERF-SFN-POLLING", "SEC-ENV-SECRETS", "COST-API-DIRECT-INGEST")
def needs_code(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.cfn.settings import needs_code as cfn_needs_code

    cfn_needs_code(ctx, t)


@register(FMT, "SEC-APIGW-AUTH")
def api_auth(ctx: FixContext, t: TerraformTarget) -> None:
    f, api, addr = t.block_of(ctx, ctx.match[0])
    if ctx.after_props(ctx.match[0]).get("auth") != "iam" or \
            api.labels[0] != "aws_api_gateway_rest_api":
        raise Unpatchable("only IAM authorization on a REST API's methods is generated for "
                          "Terraform")
    methods = [(mf, b) for mf in _module_files(t, f) for b in mf.resources(
        "aws_api_gateway_method") if _names(b.attrs.get("rest_api_id"), _addr(api))
        and str(b.attrs.get("http_method", "")).upper() != "OPTIONS"
        and str(b.attrs.get("authorization", "NONE")).upper() == "NONE"]
    if not methods:
        raise Unpatchable(f"{addr} has no open methods in this module")
    for mf, m in methods:
        mf.set_value(m, "authorization", "AWS_IAM")
    ctx.note(note("auth_iam"))


@register(FMT, "COST-APIGW-REST-TO-HTTP")
def api_type_change(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.cfn.settings import api_type_change as cfn

    cfn(ctx, t)


@register(FMT, "SEC-ENCRYPTION-ALWAYS-ON")
def customer_key(ctx: FixContext, t: TerraformTarget) -> None:
    from advisor.fix.cfn.settings import customer_key as cfn

    cfn(ctx, t)
