"""The Terraform generators (aws provider resources), registered by rule id.

Same choices as the CloudFormation ones (advisor/fix/cfn/reliability.py): a new queue is
named after what it protects, keeps 14 days of messages, is FIFO and encrypted like its
source; permissions go to the one principal on the one queue (`aws_sqs_queue_policy`
with the source ARN, or `aws_iam_role_policy` with `sqs:SendMessage` on the queue).
New blocks go after the existing ones of the file the protected resource is in, so a
local module is patched in its own file with its own references.
"""

from __future__ import annotations

import math
import re
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.context import FixContext
from advisor.fix.data import throttling_limits
from advisor.fix.registry import register
from advisor.fix.terraform.hcl import Call, HclFile, Nested, Raw, resource_text
from advisor.fix.terraform.target import TerraformTarget

FMT = "terraform"
RETENTION_S = 1_209_600
SQS_MAX_VISIBILITY_S = 43_200


def _refs(value: Any) -> list[str]:
    from advisor.importers.terraform.hcl import iter_refs

    return [r.path for r in iter_refs(value)]


def _addr(block: Any) -> str:
    return f"{block.labels[0]}.{block.labels[1]}"


def _names(value: Any, addr: str) -> bool:
    return any(p == addr or p.startswith(addr + ".") or p.startswith(addr + "[")
               for p in _refs(value))


def _one_added(ctx: FixContext) -> str:
    added = ctx.added("sqs")
    if len(added) != 1:
        raise Unpatchable("the rewrite added no single queue")
    return added[0]


def _tf_name(engine_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", engine_name).lower()


def new_queue(ctx: FixContext, t: TerraformTarget, f: HclFile, engine_name: str,
              like: Any = None, base: str | None = None) -> str:
    """Add the queue the engine added; returns its address (`aws_sqs_queue.x`)."""
    name = t.unique_name(f, "aws_sqs_queue", base or _tf_name(engine_name))
    entries: list[tuple[str, Any]] = []
    fifo = bool(ctx.after_props(engine_name).get("fifo")) or (
        like is not None and like.attrs.get("fifo_queue") is True)
    raw_name = f.raw_value(like, "name") if like is not None else None
    if raw_name and raw_name.startswith('"') and raw_name.endswith('"'):
        inner = raw_name[1:-1]
        if inner.endswith(".fifo"):
            entries.append(("name", Raw(f'"{inner[:-5]}-dlq.fifo"')))
        else:
            entries.append(("name", Raw(f'"{inner}-dlq"')))
    entries.append(("message_retention_seconds", RETENTION_S))
    if fifo:
        entries.append(("fifo_queue", True))
    if like is not None:
        for key in ("kms_master_key_id", "kms_data_key_reuse_period_seconds",
                    "sqs_managed_sse_enabled"):
            raw = f.raw_value(like, key)
            if raw is not None:
                entries.append((key, Raw(raw)))
    f.append(resource_text("aws_sqs_queue", name, entries))
    ctx.names[engine_name] = f"{f.module_prefix}aws_sqs_queue.{name}"
    return f"aws_sqs_queue.{name}"


def queue_policy(t: TerraformTarget, f: HclFile, queue: str, service: str,
                 source_arn: str) -> None:
    name = t.unique_name(f, "aws_sqs_queue_policy", f"{queue.split('.', 1)[1]}_policy")
    f.append(resource_text("aws_sqs_queue_policy", name, [
        ("queue_url", Raw(f"{queue}.id")),
        ("policy", Call("jsonencode", {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": Raw(f"{queue}.arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": Raw(source_arn)}},
            }],
        })),
    ]))


def role_policy(t: TerraformTarget, f: HclFile, role_value: Any, base: str,
                queue: str, what: str) -> None:
    roles = [p for p in _refs(role_value) if p.startswith("aws_iam_role.")]
    if len(roles) != 1:
        raise Unpatchable(f"the role of {what} is not an aws_iam_role of this module, so it "
                          "cannot be given sqs:SendMessage on the new queue")
    role = ".".join(roles[0].split(".")[:2])
    name = t.unique_name(f, "aws_iam_role_policy", base)
    f.append(resource_text("aws_iam_role_policy", name, [
        ("name", f"{name.replace('_', '-')}"),
        ("role", Raw(f"{role}.id")),
        ("policy", Call("jsonencode", {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                           "Resource": Raw(f"{queue}.arn")}],
        })),
    ]))


def _target(ctx: FixContext) -> TerraformTarget:
    t = ctx.target
    assert isinstance(t, TerraformTarget)
    return t


# ------------------------------------------------------------------ REL-SQS-DLQ
@register(FMT, "REL-SQS-DLQ")
def sqs_dlq(ctx: FixContext, t: TerraformTarget) -> None:
    f, block, _ = t.block_of(ctx, ctx.match[0])
    if block.labels[0] != "aws_sqs_queue":
        raise Unpatchable(f"{ctx.match[0]} is a {block.labels[0]}, not an aws_sqs_queue")
    dlq = new_queue(ctx, t, f, _one_added(ctx), like=block, base=f"{block.labels[1]}_dlq")
    receives = int(ctx.after_props(ctx.match[0]).get("max_receives") or 5)
    f.insert(block, [("redrive_policy", Call("jsonencode", {
        "deadLetterTargetArn": Raw(f"{dlq}.arn"), "maxReceiveCount": receives}))])


# ------------------------------------------------------------------ REL-SQS-VISIBILITY
@register(FMT, "REL-SQS-VISIBILITY")
def sqs_visibility(ctx: FixContext, t: TerraformTarget) -> None:
    f, block, _ = t.block_of(ctx, ctx.match[0])
    ms = ctx.after_props(ctx.match[0]).get("visibility")
    if ms is None:
        raise Unpatchable("the rewrite set no visibility timeout")
    seconds = math.ceil(float(ms) / 1000)
    if seconds > SQS_MAX_VISIBILITY_S:
        raise Unpatchable(f"{seconds} s is above the SQS maximum visibility timeout")
    f.set_value(block, "visibility_timeout_seconds", seconds)


# ------------------------------------------------------------------ REL-LAMBDA-ASYNC-DLQ
@register(FMT, "REL-LAMBDA-ASYNC-DLQ")
def lambda_on_failure(ctx: FixContext, t: TerraformTarget) -> None:
    f, block, addr = t.block_of(ctx, ctx.match[0])
    if block.labels[0] != "aws_lambda_function":
        raise Unpatchable(f"{ctx.match[0]} is a {block.labels[0]}, not an aws_lambda_function")
    fn = _addr(block)
    existing = [b for b in f.resources("aws_lambda_function_event_invoke_config")
                if _names(b.attrs.get("function_name"), fn)]
    role = block.attrs.get("role")
    dlq = new_queue(ctx, t, f, _one_added(ctx), base=f"{block.labels[1]}_dlq")
    on_failure = Nested([("destination", Raw(f"{dlq}.arn"))])
    if existing:
        cfg = existing[0]
        dc = f.nested(cfg, "destination_config")
        if dc is None:
            f.insert(cfg, [("destination_config", Nested([("on_failure", on_failure)]))])
        else:
            f.insert(dc, [("on_failure", on_failure)])
    else:
        name = t.unique_name(f, "aws_lambda_function_event_invoke_config", block.labels[1])
        f.append(resource_text("aws_lambda_function_event_invoke_config", name, [
            ("function_name", Raw(f"{fn}.function_name")),
            ("destination_config", Nested([("on_failure", on_failure)])),
        ]))
    role_policy(t, f, role, f"{block.labels[1]}_on_failure", dlq, addr)


# ------------------------------------------------------------------ REL-EB-TARGET-DLQ
@register(FMT, "REL-EB-TARGET-DLQ")
def rule_target_dlq(ctx: FixContext, t: TerraformTarget) -> None:
    rule_node, target_node = ctx.match[0], ctx.match[1]
    rf, rule_block, _ = t.block_of(ctx, rule_node)
    if rule_block.labels[0] == "aws_scheduler_schedule":
        tgt = rf.nested(rule_block, "target")
        if tgt is None:
            raise Unpatchable("the schedule has no target block")
        dlq = new_queue(ctx, t, rf, _one_added(ctx))
        rf.insert(tgt, [("dead_letter_config", Nested([("arn", Raw(f"{dlq}.arn"))]))])
        role_policy(t, rf, tgt.attrs.get("role_arn"), f"{rule_block.labels[1]}_dlq", dlq,
                    _addr(rule_block))
        return
    f, block = t.edge_block(ctx, rule_node, target_node)
    if block.labels[0] != "aws_cloudwatch_event_target":
        raise Unpatchable(f"{rule_node} -> {target_node} is wired by a {block.labels[0]}")
    if f.nested(block, "dead_letter_config") is not None:
        raise Unpatchable("the target already has a dead_letter_config block")
    dlq = new_queue(ctx, t, f, _one_added(ctx))
    f.insert(block, [("dead_letter_config", Nested([("arn", Raw(f"{dlq}.arn"))]))])
    queue_policy(t, f, dlq, "events.amazonaws.com", f"{_addr(rule_block)}.arn")


# ------------------------------------------------------------------ REL-SNS-SUB-DLQ
@register(FMT, "REL-SNS-SUB-DLQ")
def subscription_dlq(ctx: FixContext, t: TerraformTarget) -> None:
    f, block = t.edge_block(ctx, ctx.match[0], ctx.match[1])
    if block.labels[0] != "aws_sns_topic_subscription":
        # the edge was first drawn from another resource (a permission): find the
        # subscription naming both ends
        topic = t.block_of(ctx, ctx.match[0])[2].split(".")[-2:]
        endpoint = t.block_of(ctx, ctx.match[1])[2].split(".")[-2:]
        subs = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
            "aws_sns_topic_subscription") if _names(b.attrs.get("topic_arn"), ".".join(topic))
            and _names(b.attrs.get("endpoint"), ".".join(endpoint))]
        if len(subs) != 1:
            raise Unpatchable(f"no single aws_sns_topic_subscription of {ctx.match[0]} to "
                              f"{ctx.match[1]} found")
        f, block = subs[0]
    topic_arn = f.raw_value(block, "topic_arn")
    if not topic_arn:
        raise Unpatchable("the subscription's topic_arn is not a one-line expression")
    dlq = new_queue(ctx, t, f, _one_added(ctx))
    f.insert(block, [("redrive_policy", Call("jsonencode", {
        "deadLetterTargetArn": Raw(f"{dlq}.arn")}))])
    queue_policy(t, f, dlq, "sns.amazonaws.com", topic_arn)


# ------------------------------------------------------------------ REL-STREAM-POISON
@register(FMT, "REL-STREAM-POISON")
def stream_on_failure(ctx: FixContext, t: TerraformTarget) -> None:
    src, fn = ctx.match[0], ctx.match[1]
    f, block = t.edge_block(ctx, src, fn)
    before, after = ctx.before_edge(src, fn), ctx.after_edge(src, fn)
    if block.labels[0] == "aws_pipes_pipe":
        _pipe_on_failure(ctx, t, f, block, before, after)
        return
    if block.labels[0] != "aws_lambda_event_source_mapping":
        raise Unpatchable(f"{src} -> {fn} is wired by a {block.labels[0]}; only event source "
                          "mappings and pipes are patched")
    entries: list[tuple[str, Any]] = []
    if after.get("bisect") and not before.get("bisect"):
        _set_or_add(f, block, "bisect_batch_on_function_error", True, entries)
    if after.get("retries") is not None and after.get("retries") != before.get("retries"):
        _set_or_add(f, block, "maximum_retry_attempts", int(after["retries"]), entries)
    failure = after.get("on_failure") if after.get("on_failure") != before.get(
        "on_failure") else None
    dlq = None
    if failure:
        if f.nested(block, "destination_config") is not None:
            raise Unpatchable("the mapping has a destination_config without on_failure")
        dlq = new_queue(ctx, t, f, str(failure))
        entries.append(("destination_config", Nested([(
            "on_failure", Nested([("destination_arn", Raw(f"{dlq}.arn"))]))])))
    if entries:
        f.insert(block, entries)
    if dlq:
        fn_file, fn_block, addr = t.block_of(ctx, fn)
        if fn_file is not f:
            raise Unpatchable(f"{addr} is in another file than its event source mapping")
        role_policy(t, f, fn_block.attrs.get("role"), f"{fn_block.labels[1]}_stream_failures",
                    dlq, addr)


def _set_or_add(f: HclFile, block: Any, key: str, value: Any,
                entries: list[tuple[str, Any]]) -> None:
    """`key = value` in place when the block has the attribute, else queued in `entries`
    (inserted together, after the block's own attributes)."""
    if key in block.attrs:
        f.set_value(block, key, value)
    else:
        entries.append((key, value))


PIPE_STREAM_BLOCKS = ("kinesis_stream_parameters", "dynamodb_stream_parameters")


def _pipe_on_failure(ctx: FixContext, t: TerraformTarget, f: HclFile, pipe: Any,
                     before: dict[str, Any], after: dict[str, Any]) -> None:
    """A pipe reading a stream: bisect on error (`AUTOMATIC_BISECT`), a retry limit and a
    `dead_letter_config` on its stream source parameters; the pipe's role may send to the
    new queue."""
    blocks = [b for name in PIPE_STREAM_BLOCKS
              if (b := f.nested(pipe, "source_parameters", name)) is not None]
    if len(blocks) != 1:
        raise Unpatchable(f"pipe {_addr(pipe)} has no stream source parameters block")
    params = blocks[0]
    entries: list[tuple[str, Any]] = []
    if after.get("bisect") and not before.get("bisect"):
        entries.append(("on_partial_batch_item_failure", "AUTOMATIC_BISECT"))
    if after.get("retries") is not None and after.get("retries") != before.get("retries"):
        _set_or_add(f, params, "maximum_retry_attempts", int(after["retries"]), entries)
    failure = after.get("on_failure") if after.get("on_failure") != before.get(
        "on_failure") else None
    dlq = None
    if failure:
        if params.first("dead_letter_config") is not None:
            raise Unpatchable(f"pipe {_addr(pipe)} already has a dead_letter_config")
        dlq = new_queue(ctx, t, f, str(failure), base=f"{pipe.labels[1]}_failures")
        entries.append(("dead_letter_config", Nested([("arn", Raw(f"{dlq}.arn"))])))
    if entries:
        f.insert(params, entries)
    if dlq:
        role_policy(t, f, pipe.attrs.get("role_arn"), f"{pipe.labels[1]}_failures", dlq,
                    _addr(pipe))


# ------------------------------------------------------------------ OPS-APIGW-THROTTLING
@register(FMT, "OPS-APIGW-THROTTLING")
def api_throttling(ctx: FixContext, t: TerraformTarget) -> None:
    f, block, addr = t.block_of(ctx, ctx.match[0])
    rate, burst, note = throttling_limits()
    if note not in ctx.notes:
        ctx.notes.append(note)
    api = _addr(block)
    limits = [("throttling_burst_limit", burst), ("throttling_rate_limit", rate)]
    if block.labels[0] == "aws_api_gateway_rest_api":
        stages = [(p, b) for p in t.files_open.values() for b in p.resources(
            "aws_api_gateway_stage") if _names(b.attrs.get("rest_api_id"), api)]
        stages += [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
            "aws_api_gateway_stage") if _names(b.attrs.get("rest_api_id"), api)
            and (f2, b) not in stages]
        if len(stages) != 1:
            raise Unpatchable(f"{addr} has {len(stages)} aws_api_gateway_stage resources; "
                              "which one to throttle is not clear")
        sf, stage = stages[0]
        name = t.unique_name(sf, "aws_api_gateway_method_settings", f"{block.labels[1]}_all")
        sf.append(resource_text("aws_api_gateway_method_settings", name, [
            ("rest_api_id", Raw(f"{api}.id")),
            ("stage_name", Raw(f"{_addr(stage)}.stage_name")),
            ("method_path", "*/*"),
            ("settings", Nested(limits)),
        ]))
        return
    if block.labels[0] == "aws_apigatewayv2_api":
        stages = [(f2, b) for f2 in _module_files(t, f) for b in f2.resources(
            "aws_apigatewayv2_stage") if _names(b.attrs.get("api_id"), api)]
        if len(stages) != 1:
            raise Unpatchable(f"{addr} has {len(stages)} aws_apigatewayv2_stage resources")
        sf, stage = stages[0]
        drs = sf.nested(stage, "default_route_settings")
        if drs is None:
            sf.insert(stage, [("default_route_settings", Nested(limits))])
        else:
            sf.insert(drs, limits)
        return
    raise Unpatchable(f"{block.labels[0]} has no stage throttling setting")


def _module_files(t: TerraformTarget, f: HclFile) -> list[HclFile]:
    """Every .tf file of the module `f` belongs to (opened for editing as needed)."""
    from pathlib import Path

    folder = Path(f.path).parent
    return [t.file(str(p)) if str(p) != f.path else f
            for p in sorted(folder.glob("*.tf")) if p.is_file()]
