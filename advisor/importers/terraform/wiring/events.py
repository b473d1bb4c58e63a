"""EventBridge, Pipes and Scheduler wiring: rule targets (DLQ, retry policy, input
transformer), rules on a named bus, pipe source/enrichment/target, schedule targets
including universal (`aws-sdk`) targets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.props import num
from advisor.importers.terraform.wiring.common import mark_dlq, services

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _event_target(ctx: Context, res: Resource, b: Block, mod: Module) -> None:
    rules = ctx.nodes(mod, b.get("rule"), b, "rule")
    targets = ctx.nodes(mod, b.get("arn"), b, "arn")
    dlq = _target_dlq(ctx, b, b, mod)
    rp = b.first("retry_policy")
    retries = num(rp.get("maximum_retry_attempts")) if rp is not None else None
    max_age = num(rp.get("maximum_event_age_in_seconds")) if rp is not None else None
    transform = True if b.first("input_transformer") is not None else None
    for rule in rules:
        for target in targets:
            ctx.edge(
                rule,
                target,
                block=b,
                dlq=dlq,
                retries=retries,
                max_age=int(max_age * 1000) if max_age else None,
                transform=transform,
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
    if res.type != "aws_cloudwatch_event_rule":
        return
    for bus in ctx.nodes(mod, b.get("event_bus_name"), b, "event_bus_name"):
        if bus != name:
            ctx.edge(bus, name, block=b)


def _pipes_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    for src in ctx.nodes(mod, b.get("source"), b, "source"):
        batch = None
        sp = b.first("source_parameters")
        if sp is not None:
            for sub in sp.blocks:
                batch = batch or num(sub.get("batch_size"))
        ctx.edge(
            src,
            name,
            block=b,
            batch=batch,
            label="filtered"
            if sp is not None and sp.first("filter_criteria") is not None
            else None,
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
    for target in ctx.nodes(mod, b.get("target"), b, "target"):
        ctx.edge(name, target, block=b, invocation=invocation)


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
