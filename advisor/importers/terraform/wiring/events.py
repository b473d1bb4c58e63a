"""EventBridge, Pipes and Scheduler wiring: rule targets (DLQ, retry policy, input
transformer), rules on a named bus, pipe source/enrichment/target, schedule targets
including universal (`aws-sdk`) targets."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from advisor.importers.edge_labels import ENRICHMENT, FILTERED
from advisor.importers.event_patterns import pattern_text
from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import num
from advisor.importers.terraform.wiring.common import ident, mark_dlq, services

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _event_target(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    rules = ctx.nodes(mod, b.get("rule"), b, "rule")
    rp = b.first("retry_policy")
    # an input transformer, a constant `input` or an `input_path` reshape what is sent
    transform = b.first("input_transformer") is not None or b.get("input") is not None \
        or b.get("input_path") is not None
    _target_edges(
        ctx, b, mod, rules, b.get("arn"), _target_dlq(ctx, b, b, mod),
        rp.attrs if rp is not None else None, transform,
    )


def _target_edges(
    ctx: Context, b: Block, mod: Module, rules: list[str], arn: Any, dlq: str | None,
    retry: dict[str, Any] | None, transform: bool,
) -> None:
    """Rule -> target edges of one target (a resource, or a registry module's entry)."""
    targets = ctx.nodes(mod, arn, b, "arn")
    retries = num(retry.get("maximum_retry_attempts")) if isinstance(retry, dict) else None
    max_age = num(retry.get("maximum_event_age_in_seconds")) if isinstance(retry, dict) else None
    for rule in rules:
        for target in targets:
            ctx.edge(
                rule,
                target,
                block=b,
                dlq=dlq,
                retries=retries,
                max_age=int(max_age * 1000) if max_age else None,
                transform=True if transform else None,
            )


def _registry_rules(ctx: Context, bus: str, res: Resource, b: Block, mod: Module) -> None:
    """terraform-aws-modules/eventbridge: `rules` (key -> {event_pattern,
    schedule_expression}) become rule nodes on the module's bus, `targets` (rule key ->
    [{arn, dead_letter_arn, retry_policy, input_transformer}]) their edges."""
    from advisor.importers.terraform.props import as_json

    rules, targets = b.get("rules"), b.get("targets")
    if not isinstance(rules, dict):
        return
    node = ctx.arch.graph.nodes[bus]
    for key in sorted(rules):
        rule = rules[key] if isinstance(rules[key], dict) else {}
        name, i = f"{bus}_{ident(key)}", 2
        while name in ctx.arch.graph:
            name, i = f"{bus}_{ident(key)}_{i}", i + 1
        pattern = rule.get("event_pattern")
        decoded = as_json(pattern)
        props = {
            "pattern": pattern_text(decoded),
            "schedule": rule.get("schedule_expression")
            if isinstance(rule.get("schedule_expression"), str) else None,
        }
        ctx.arch.add_node(
            name, "eventbridge", {k: v for k, v in props.items() if v is not None},
            loc=node.get("loc"), group=node.get("group", ()),
            source_id=f"{res.address}.aws_cloudwatch_event_rule.this[{json.dumps(key)}]",
        )
        ctx.edge(bus, name, block=b)
        entries = targets.get(key) if isinstance(targets, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            dlq = None
            found = ctx.nodes(mod, entry.get("dead_letter_arn"), b, "targets")
            if found:
                dlq = found[0]
                mark_dlq(ctx, dlq)
            _target_edges(
                ctx, b, mod, [name], entry.get("arn"), dlq, entry.get("retry_policy"),
                entry.get("input_transformer") is not None,
            )


def _target_dlq(ctx: Context, holder: Block, b: Block, mod: Module) -> str | None:
    """The queue a rule or schedule target's `dead_letter_config` names (marked as a
    DLQ), or None."""
    dc = holder.first("dead_letter_config")
    if dc is None:
        return None
    found = ctx.nodes(mod, dc.get("arn"), b, "dead_letter_config")
    if found:
        mark_dlq(ctx, found[0])
    return found[0] if found else None


def _rule_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    if res.registry:
        _registry_rules(ctx, name, res, b, mod)
    if res.type != "aws_cloudwatch_event_rule":
        return
    bus_name = b.get("event_bus_name")
    for bus in ctx.nodes(mod, bus_name, b, "event_bus_name"):
        if bus != name:
            ctx.edge(bus, name, block=b)
    if (bus_name is None or bus_name == "default") and b.get("event_pattern") is not None:
        ctx.arch.graph.nodes[name]["_default_bus_rule"] = True


def connect_default_bus(ctx: Context) -> None:
    """Rules on the account's default bus (no `event_bus_name`, or "default") with an
    event pattern receive what the configuration puts there (S3 EventBridge
    notifications, an API or workflow calling PutEvents without a bus): default bus ->
    rule, as the CloudFormation importer draws it. The marks are removed."""
    from advisor.importers.terraform.wiring.common import DEFAULT_BUS

    rules = sorted(n for n, d in ctx.arch.graph.nodes(data=True) if d.pop("_default_bus_rule", None))
    if DEFAULT_BUS in ctx.arch.graph:
        for rule in rules:
            ctx.edge(DEFAULT_BUS, rule)


def _pipes_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    sp = b.first("source_parameters")
    props: dict[str, Any] = {}
    for sub in sp.blocks if sp is not None else []:  # sqs_queue_parameters, kinesis_..., ...
        if sub.type == "filter_criteria":
            continue
        props.setdefault("batch", num(sub.get("batch_size")))
        props.setdefault("window", _ms(sub.get("maximum_batching_window_in_seconds")))
        props.setdefault("retries", num(sub.get("maximum_retry_attempts")))
        age = num(sub.get("maximum_record_age_in_seconds"))
        props.setdefault("max_age", int(age * 1000) if age and age > 0 else None)
        if sub.get("on_partial_batch_item_failure") == "AUTOMATIC_BISECT":
            props["bisect"] = True
        dlc = sub.first("dead_letter_config")
        found = ctx.nodes(mod, dlc.get("arn"), b, "dead_letter_config") if dlc else []
        props.setdefault("on_failure", found[0] if found else None)
        if found:
            mark_dlq(ctx, found[0])
    for src in ctx.nodes(mod, b.get("source"), b, "source"):
        ctx.edge(
            src,
            name,
            block=b,
            label=FILTERED
            if sp is not None and sp.first("filter_criteria") is not None
            else None,
            **{k: v for k, v in props.items() if v is not None},
        )
    enrichment = ctx.nodes(mod, b.get("enrichment"), b, "enrichment")
    for e in enrichment:
        ctx.edge(name, e, block=b, label=ENRICHMENT, mode="sync")
        ctx.set_props(name, enrichment=e)
    invocation = None
    tp = b.first("target_parameters")
    if tp is not None:
        for sub in tp.blocks:
            inv = sub.get("invocation_type")
            if isinstance(inv, str):
                invocation = "async" if inv == "FIRE_AND_FORGET" else "sync"
    transform = True if tp is not None and tp.get("input_template") is not None else None
    for target in ctx.nodes(mod, b.get("target"), b, "target"):
        ctx.edge(name, target, block=b, invocation=invocation, transform=transform)


def _scheduler_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    for target_block in b.sub("target"):
        arn = target_block.get("arn")
        targets = [n for n in ctx.nodes(mod, arn, b, "target") if n != name]
        action = None
        if isinstance(arn, str):
            m = re.match(r"arn:[^:]*:scheduler:::aws-sdk:([a-z0-9-]+):(\w+)", arn)
            if m:
                action = f"{m.group(1)}:{m.group(2)}"
                kind = services().get(m.group(1))
                targets = [
                    n
                    for n in ctx.nodes(mod, target_block.get("input"), b, "target")
                    if ctx.arch.kind(n) == kind
                ]
                if not targets and kind:
                    targets = ctx.only_of(kind)
                    if targets:
                        ctx.note(
                            b, f"universal target {action}: target taken as the only {kind} here"
                        )
        dlq = _target_dlq(ctx, target_block, b, mod)
        rp = target_block.first("retry_policy")
        for target in targets:
            ctx.edge(
                name,
                target,
                block=b,
                action=action,
                dlq=dlq,
                integration="sdk" if action else None,
                retries=num(rp.get("maximum_retry_attempts")) if rp is not None else None,
                max_age=_ms(rp.get("maximum_event_age_in_seconds")) if rp is not None else None,
            )


def _ms(seconds: Any) -> int | None:
    value = num(seconds)
    return int(value * 1000) if value else None


WIRING = {
    "aws_cloudwatch_event_target": _event_target,
}
IMPLIED = {
    "pipes": _pipes_implied,
    "scheduler": _scheduler_implied,
    "eventbridge": _rule_implied,
}
