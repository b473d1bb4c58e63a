"""EventBridge, Pipes and Scheduler wiring: rule targets (DLQ, retry policy, input
transformer), rules on a named bus, pipe source/enrichment/target, schedule targets
including universal (`aws-sdk`) targets."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import num
from advisor.importers.terraform.wiring.common import ident, mark_dlq, services

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _event_target(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    rules = ctx.nodes(mod, b.get("rule"), b, "rule")
    rp = b.first("retry_policy")
    _target_edges(
        ctx, b, mod, rules, b.get("arn"), _target_dlq(ctx, b, b, mod),
        rp.attrs if rp is not None else None, b.first("input_transformer") is not None,
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
            "pattern": json.dumps(decoded, sort_keys=True) if decoded is not None else None,
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
    for bus in ctx.nodes(mod, b.get("event_bus_name"), b, "event_bus_name"):
        if bus != name:
            ctx.edge(bus, name, block=b)


def _pipe_stream_settings(ctx: Context, sp: Block | None, b: Block, mod: Module) -> dict[str, Any]:
    """A stream source's failure handling, as the CloudFormation importer reads
    `SourceParameters`: batch size, retry limit, record age, batching window, bisect on
    error (`AUTOMATIC_BISECT`) and the dead-letter queue (`on_failure`)."""
    out: dict[str, Any] = {}
    for sub in sp.blocks if sp is not None else []:
        out["batch"] = out.get("batch") or num(sub.get("batch_size"))
        retries = num(sub.get("maximum_retry_attempts"))
        if retries is not None:
            out["retries"] = int(retries)
        age = num(sub.get("maximum_record_age_in_seconds"))
        if age is not None and age >= 0:
            out["max_age"] = age * 1000
        window = num(sub.get("maximum_batching_window_in_seconds"))
        if window is not None:
            out["window"] = window * 1000
        if sub.get("on_partial_batch_item_failure") == "AUTOMATIC_BISECT":
            out["bisect"] = True
        dlc = sub.first("dead_letter_config")
        found = ctx.nodes(mod, dlc.get("arn"), b, "dead_letter_config") if dlc else []
        if found:
            out["on_failure"] = found[0]
            mark_dlq(ctx, found[0])
    return out


def _pipes_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    sp = b.first("source_parameters")
    settings = _pipe_stream_settings(ctx, sp, b, mod)
    for src in ctx.nodes(mod, b.get("source"), b, "source"):
        ctx.edge(
            src,
            name,
            block=b,
            label="filtered"
            if sp is not None and sp.first("filter_criteria") is not None
            else None,
            **settings,
        )
    enrichment = ctx.nodes(mod, b.get("enrichment"), b, "enrichment")
    for e in enrichment:
        ctx.edge(name, e, block=b, label="enrichment", mode="sync")
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
            m = re.match(r"arn:aws:scheduler:::aws-sdk:([a-z0-9-]+):(\w+)", arn)
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
            )


WIRING = {
    "aws_cloudwatch_event_target": _event_target,
}
IMPLIED = {
    "pipes": _pipes_implied,
    "scheduler": _scheduler_implied,
    "eventbridge": _rule_implied,
}
