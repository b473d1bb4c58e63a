"""EventBridge wiring: rules on their bus (or the default bus) and their targets, the
default bus feeding its rules, Scheduler schedules and their (universal) targets, and
Pipes (source, enrichment, target)."""

from __future__ import annotations

import re
from typing import Any

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.cloudformation.sam import _stream_props, target_policies
from advisor.importers.cloudformation.wiring.common import as_list, target_node
from advisor.importers.edge_labels import ENRICHMENT, FILTERED


def attach_rule(ctx: Ctx, rule: str | None, bus: Any, has_pattern: bool, owner: str) -> None:
    """A rule listens on the bus `EventBusName` names (a bus outside the template is an
    external node), else on the account's default bus (when it matches a pattern)."""
    if bus is not None:
        bus_node = ctx.node_ref(bus, "eventbridge")
        if bus_node is None and str(ctx.scalar(bus)) != "default":
            bus_node = target_node(ctx, bus, "event bus", owner, "eventbridge")
        if bus_node is not None:
            ctx.edge(bus_node, rule, anchor=owner)
            return
    if has_pattern and rule is not None:
        ctx.default_bus_rules.add(rule)


def wire_rules(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Events::Rule"):
        rule = ctx.names.get(lid)
        p = ctx.props_of(lid)
        if str(ctx.scalar(p.get("State"))) == "DISABLED" and p.get("Description") is None:
            ctx.set_props(rule, description="disabled")
        attach_rule(ctx, rule, p.get("EventBusName"), p.get("EventPattern") is not None, lid)
        for t in as_list(p.get("Targets")):
            if not isinstance(t, dict):
                continue
            target = target_node(ctx, t.get("Arn"), "rule target", lid)
            if target is None and t.get("Arn") is not None:
                # a target from another stack (Fn::ImportValue) or of an unknown kind:
                # kept as an opaque node, so the rule's delivery settings are still checked
                target = ctx.external_node(t.get("Arn"), "resource", f"rule target of {lid}",
                                           None, lid)
            props = target_policies(ctx, t)
            if any(k in t for k in ("InputTransformer", "Input", "InputPath")):
                props["transform"] = True
            ctx.edge(rule, target, props=props, anchor=lid)
    for lid in ctx.of_type("AWS::Events::Archive"):
        bus = ctx.node_ref(ctx.props_of(lid).get("SourceArn"), "eventbridge")
        ctx.set_props(bus, archive=True)


def connect_default_bus(ctx: Ctx) -> None:
    """Rules on the default bus receive what producers in the template put there."""
    if "DefaultEventBus" not in ctx.arch.graph:
        return
    for rule in sorted(ctx.default_bus_rules):
        ctx.edge("DefaultEventBus", rule)


def wire_schedules(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Scheduler::Schedule"):
        node = ctx.names.get(lid)
        t = ctx.props_of(lid).get("Target")
        if not isinstance(t, dict):
            continue
        arn_text = ctx.text_of(t.get("Arn")) or ""
        target = None
        universal = re.match(r"arn:[^:]*:scheduler:::aws-sdk:([a-z0-9]+):(\w+)", arn_text)
        if universal:
            target = _ref_in_input(ctx, t.get("Input"))
        else:
            target = target_node(ctx, t.get("Arn"), "schedule target", lid)
        props = target_policies(ctx, t)
        if universal:
            props["integration"] = "sdk"
            props["action"] = f"{universal.group(1)}:{universal.group(2)}"
        ctx.edge(node, target, props=props, anchor=lid)


def _ref_in_input(ctx: Ctx, value: Any) -> str | None:
    nodes = ctx.node_refs(value)
    return nodes[0] if nodes else None


# a pipe target's InvocationType (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeTargetLambdaFunctionParameters.html)
PIPE_INVOCATIONS = {"FIRE_AND_FORGET": "async", "REQUEST_RESPONSE": "sync"}


def wire_pipes(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Pipes::Pipe"):
        pipe = ctx.names.get(lid)
        p = ctx.props_of(lid)
        src = target_node(ctx, p.get("Source"), "pipe source", lid)
        target = target_node(ctx, p.get("Target"), "pipe target", lid)
        enrich = target_node(ctx, p.get("Enrichment"), "pipe enrichment", lid) \
            if p.get("Enrichment") is not None else None
        sp = p.get("SourceParameters") if isinstance(p.get("SourceParameters"), dict) else {}
        props: dict[str, Any] = {}
        label = FILTERED if sp.get("FilterCriteria") else None
        for value in sp.values():
            if isinstance(value, dict):
                props.update(_stream_props(ctx, value))
                if str(ctx.scalar(value.get("OnPartialBatchItemFailure"))) == "AUTOMATIC_BISECT":
                    props["bisect"] = True
                dlc = value.get("DeadLetterConfig")
                if isinstance(dlc, dict):
                    dlq = ctx.node_ref(dlc.get("Arn"))
                    if dlq is not None:
                        props["on_failure"] = dlq
        ctx.edge(src, pipe, label=label, props=props, anchor=lid)
        if enrich is not None:
            ctx.set_props(pipe, enrichment=enrich)
            ctx.edge(pipe, enrich, mode="sync", label=ENRICHMENT, anchor=lid)
        tp = p.get("TargetParameters") if isinstance(p.get("TargetParameters"), dict) else {}
        tprops: dict[str, Any] = {}
        if tp.get("InputTemplate") is not None:
            tprops["transform"] = True
        for params in tp.values():  # Lambda and Step Functions targets say how they are called
            inv = ctx.scalar(params.get("InvocationType")) if isinstance(params, dict) else None
            if inv in PIPE_INVOCATIONS:
                tprops["invocation"] = PIPE_INVOCATIONS[inv]
        ctx.edge(pipe, target, props=tprops, anchor=lid)
