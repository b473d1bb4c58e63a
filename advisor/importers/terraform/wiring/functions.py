"""Lambda wiring: event source mappings, permissions, async destinations, function URLs,
environment variables and DLQs, the registry lambda module's maps, and log retention
from a `/aws/lambda/<name>` log group."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from advisor.importers.edge_labels import FILTERED, ON_FAILURE, ON_SUCCESS
from advisor.importers.invoke_permissions import add_unscoped, unscoped_service
from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import flag, num
from advisor.importers.terraform.wiring.common import mark_dlq
from advisor.importers.write_back import env_names_call, polled_sources

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _esm(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    sources = ctx.nodes(mod, b.get("event_source_arn"), b, "event_source_arn")
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    if not sources:
        for sub in ("self_managed_event_source", "amazon_managed_kafka_event_source_config"):
            if b.first(sub) is not None:
                ctx.note(
                    b,
                    f"event source of {res.address} is outside AWS-managed "
                    "queues/streams; not modelled",
                )
    on_failure = None
    dc = b.first("destination_config")
    if dc is not None and dc.first("on_failure") is not None:
        dest = ctx.nodes(
            mod, dc.first("on_failure").get("destination_arn"), b, "destination_config"
        )
        on_failure = dest[0] if dest else None
    window = num(b.get("maximum_batching_window_in_seconds"))
    max_age = num(b.get("maximum_record_age_in_seconds"))
    for src in sources:
        for fn in functions:
            ctx.edge(
                src,
                fn,
                block=b,
                batch=num(b.get("batch_size")),
                bisect=flag(b.get("bisect_batch_on_function_error")),
                retries=num(b.get("maximum_retry_attempts")),
                partial_batch=_reports_item_failures(b.get("function_response_types")),
                on_failure=on_failure,
                window=int(window * 1000) if window else None,
                max_age=int(max_age * 1000) if max_age and max_age > 0 else None,
                label=FILTERED if b.first("filter_criteria") is not None else None,
            )
    for fn in functions if on_failure else []:  # Lambda sends the failed batch's record
        ctx.edge(fn, on_failure, block=b, mode="async", label=ON_FAILURE)


def _reports_item_failures(types: Any) -> bool | None:
    """`function_response_types = ["ReportBatchItemFailures"]`: True; unset or other: None."""
    return True if isinstance(types, list) and "ReportBatchItemFailures" in types else None


def _permission(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    """`aws_lambda_permission` with a source ARN: the named service invokes the function."""
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    source = b.get("source_arn")
    principal = b.get("principal")
    service = unscoped_service(principal,
                               source is not None or b.get("source_account") is not None)
    for fn in functions if service is not None else ():
        add_unscoped(ctx.arch.graph.nodes[fn], service, ctx.loc(b))
    if source is None:
        return
    for src in ctx.nodes(mod, source, b, "source_arn"):
        for fn in functions:
            if not ctx.arch.graph.has_edge(src, fn) and ctx.arch.kind(src) in (
                "apigw",
                "s3",
                "sns",
                "eventbridge",
                "scheduler",
                "sqs",
                "cognito",
                "logs",
                "iot",
                "resource",
                "alb",
            ):
                ctx.edge(src, fn, block=b)


def _invoke_config(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    functions = ctx.nodes(mod, b.get("function_name"), b, "function_name")
    dc = b.first("destination_config")
    retries = num(b.get("maximum_retry_attempts"))
    for fn in functions:
        if retries is not None and 0 <= retries <= 2 and ctx.arch.kind(fn) == "lambda":
            ctx.set_props(fn, async_retries=int(retries))
        if dc is None:
            continue
        for which in ("on_failure", "on_success"):
            sub = dc.first(which)
            if sub is None:
                continue
            dest = ctx.nodes(mod, sub.get("destination"), b, "destination_config")
            if not dest:
                continue
            ctx.set_props(fn, **{which: dest[0]})
            ctx.edge(fn, dest[0], block=b, mode="async",
                     label=ON_FAILURE if which == "on_failure" else ON_SUCCESS)


def _provisioned_concurrency(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    """`aws_lambda_provisioned_concurrency_config` on an alias or version of a function."""
    count = num(b.get("provisioned_concurrent_executions"))
    for fn in ctx.nodes(mod, b.get("function_name"), b, "function_name"):
        if count is not None and ctx.arch.kind(fn) == "lambda":
            ctx.set_props(fn, provisioned_concurrency=int(count))
            ctx.arch.graph.nodes[fn].setdefault("prop_locs", {})["provisioned_concurrency"] = \
                ctx.loc(b)


def _function_url(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    auth = b.get("authorization_type")
    for fn in ctx.nodes(mod, b.get("function_name"), b, "function_name"):
        ctx.set_props(
            fn,
            url=True,
            url_auth="none" if auth == "NONE" else ("iam" if auth == "AWS_IAM" else None),
        )


def _lambda_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    from advisor.importers.terraform.importer import mapping

    dlc = b.first("dead_letter_config")
    if dlc is not None:
        _dead_letter(ctx, name, ctx.nodes(mod, dlc.get("target_arn"), b, "dead_letter_config"), b)
    if res.registry:  # (first: its event source mappings are the function's sources)
        _registry_lambda(ctx, name, res, b, mod)
    env = b.first("environment")
    variables = env.get("variables") if env is not None else b.get("environment_variables")
    if isinstance(variables, dict):
        secrets = []
        polled = polled_sources(ctx.arch, name)
        for key in sorted(variables):
            value = variables[key]
            for target in ctx.nodes(mod, value, b, "environment"):
                if target in polled:  # a write-back once the handler is read (write_back.py)
                    ctx.memo.setdefault("env write-backs", {}).setdefault(
                        name, {}).setdefault(target, f"env {key}")
                elif target != name:
                    ctx.edge(name, target, block=b, label=f"env {key}")
            if (
                isinstance(value, str)
                and value
                and "${" not in value
                and re.search(mapping()["secret_env_pattern"], key)
            ):
                secrets.append(key)
        if secrets:
            ctx.set_props(name, env_secrets=secrets)


def env_write_backs(ctx: Context) -> None:
    """Edges from functions to the polled sources their environment names, unless the
    handler, read, only acknowledges its input there (advisor/importers/write_back.py);
    after code inspection (`handler reports`)."""
    reports = ctx.memo.get("handler reports", {})
    for fn, targets in sorted(ctx.memo.get("env write-backs", {}).items()):
        block = ctx.res_of[fn].block
        for target, label in sorted(targets.items()):
            if env_names_call(reports.get(fn), ctx.arch.kind(target)) and \
                    not ctx.arch.graph.has_edge(fn, target):
                ctx.edge(fn, target, block=block, label=label)


def _registry_lambda(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    """terraform-aws-modules/lambda: `event_source_mapping` and `allowed_triggers` maps,
    and the function URL it creates with `create_lambda_function_url = true`."""
    from advisor.importers.terraform.importer import registry_default

    if flag(registry_default(res, "create_lambda_function_url")):
        auth = registry_default(res, "authorization_type")
        ctx.set_props(
            name, url=True,
            url_auth="none" if auth == "NONE" else ("iam" if auth == "AWS_IAM" else None),
        )
    esm = b.get("event_source_mapping")
    if isinstance(esm, dict):
        for conf in esm.values():
            if not isinstance(conf, dict):
                continue
            for src in ctx.nodes(mod, conf.get("event_source_arn"), b, "event_source_mapping"):
                ctx.edge(
                    src,
                    name,
                    block=b,
                    batch=num(conf.get("batch_size")),
                    bisect=flag(conf.get("bisect_batch_on_function_error")),
                    retries=num(conf.get("maximum_retry_attempts")),
                    partial_batch=_reports_item_failures(conf.get("function_response_types")),
                )
    triggers = b.get("allowed_triggers")
    if isinstance(triggers, dict):
        for conf in triggers.values():
            if isinstance(conf, dict):
                for src in ctx.nodes(mod, conf.get("source_arn"), b, "allowed_triggers"):
                    if not ctx.arch.graph.has_edge(src, name):
                        ctx.edge(src, name, block=b)
    dlq = b.get("dead_letter_target_arn")
    if dlq is not None:
        _dead_letter(ctx, name, ctx.nodes(mod, dlq, b, "dead_letter_target_arn"), b)


def _dead_letter(ctx: Context, fn: str, found: list[str], b: Block) -> None:
    """The function's DLQ (`dead_letter_config`): prop `dlq` and the async edge Lambda
    sends failed events on, as the CloudFormation importer draws `DeadLetterConfig`."""
    if found:
        ctx.set_props(fn, dlq=found[0])
        mark_dlq(ctx, found[0])
        ctx.edge(fn, found[0], block=b, mode="async", label=ON_FAILURE)


def log_retention(ctx: Context) -> None:
    """A log group named `/aws/lambda/<function>` gives that function its retention."""
    for group in list(ctx.arch.nodes_of_kind("logs")):
        res = ctx.res_of.get(group)
        if res is None:
            continue
        name_value = res.block.get("name")
        retention = ctx.arch.props(group).get("retention")
        targets = []
        if "/aws/lambda/" in str(name_value):
            targets = [
                n for n in ctx.nodes(res.module, name_value, None) if ctx.arch.kind(n) == "lambda"
            ]
            if not targets and isinstance(name_value, str):
                targets = [
                    n
                    for n in ctx.by_literal(name_value.split("/aws/lambda/")[-1])
                    if ctx.arch.kind(n) == "lambda"
                ]
        for fn in targets:
            if retention is not None:
                ctx.set_props(fn, log_retention=retention)


WIRING = {
    "aws_lambda_event_source_mapping": _esm,
    "aws_lambda_permission": _permission,
    "aws_lambda_function_event_invoke_config": _invoke_config,
    "aws_lambda_function_url": _function_url,
    "aws_lambda_provisioned_concurrency_config": _provisioned_concurrency,
}
IMPLIED = {
    "lambda": _lambda_implied,
}
