"""Lambda wiring: event source mappings (with their on-failure destinations), invoke
configs and their destinations, dead-letter queues, provisioned concurrency on aliases,
function URLs, and permissions that name an invoking source."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.conditions import no_value
from advisor.importers.cloudformation.context import Ctx, data, kind_from_arn
from advisor.importers.cloudformation.sam import _stream_props
from advisor.importers.cloudformation.wiring.common import target_node
from advisor.importers.edge_labels import FILTERED, ON_FAILURE, ON_SUCCESS
from advisor.importers.invoke_permissions import add_unscoped, unscoped_service


def mapping_mode(ctx: Ctx, src: str | None) -> str | None:
    """How Lambda reads an event source mapping's source when its kind does not say (a
    `resource` node: a Kafka cluster, a broker, a Kinesis stream consumer): by the
    source's type, else polling. None leaves the kind pair's own mode (SQS, Kinesis,
    DynamoDB). Both SAM events and `AWS::Lambda::EventSourceMapping` use it."""
    if src is None or ctx.arch.kind(src) != "resource":
        return None
    modes = data()["event_source_modes"]
    return modes.get(str(ctx.arch.graph.nodes[src]["props"].get("type")), "poll")


def wire_event_source_mappings(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Lambda::EventSourceMapping"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("FunctionName"))
        arn = p.get("EventSourceArn")
        src = ctx.node_ref(arn) or _outside_stream(ctx, arn, p, lid) or target_node(
            ctx, arn, "event source", lid)
        if fn is None:
            continue
        if src is None and isinstance(p.get("SelfManagedEventSource"), dict):
            # a Kafka cluster outside AWS: the mapping stands for it (SAM names the
            # mapping <Function><Event>, as it names the source on the SAM side)
            src = ctx.implicit_node(lid, "resource", {"type": "SelfManagedKafka"},
                                    loc=ctx.loc_of(lid))
            ctx.consumed[ctx.rtype(lid)] -= 1
        mode = mapping_mode(ctx, src)
        props = _stream_props(ctx, p)
        label = FILTERED if p.get("FilterCriteria") else None
        dest = p.get("DestinationConfig")
        onf = dest.get("OnFailure") if isinstance(dest, dict) else None
        failure = ctx.node_ref(onf.get("Destination")) if isinstance(onf, dict) else None
        if failure is not None:
            props["on_failure"] = failure
        if src is not None:
            ctx.edge(src, fn, mode=mode, label=label, props=props, anchor=lid)
        if failure is not None:
            ctx.edge(fn, failure, mode="async", label=ON_FAILURE, anchor=lid)


_ESM_SOURCE_TYPES = {"kafka": "AWS::MSK::Cluster", "mq": "AWS::AmazonMQ::Broker",
                     "rds": "AWS::DocDB::DBCluster", "docdb": "AWS::DocDB::DBCluster"}


def _outside_stream(ctx: Ctx, value: Any, p: dict[str, Any], owner: str) -> str | None:
    """An MSK cluster, MQ broker or DocumentDB cluster from outside the template (an ARN,
    a parameter): an external `resource` node of that type, as a SAM event names it. The
    type comes from the ARN's service, else from the mapping's own settings (Kafka
    `Topics`, MQ `Queues`, `DocumentDBEventSourceConfig`)."""
    if value is None:
        return None
    text = ctx.text_of(value)
    parts = (text or "").split(":")
    rtype = _ESM_SOURCE_TYPES.get(parts[2]) if parts[0] == "arn" and len(parts) > 2 else None
    if rtype is None and kind_from_arn(text) is None:
        rtype = "AWS::DocDB::DBCluster" if p.get("DocumentDBEventSourceConfig") is not None \
            else "AWS::AmazonMQ::Broker" if p.get("Queues") is not None \
            else "AWS::MSK::Cluster" if p.get("Topics") is not None else None
    if rtype is None:
        return None
    return ctx.external_node(value, "resource", f"event source of {owner}", None, owner, rtype)


_CREATED_DESTINATIONS = {"SQS": ("Queue", "sqs"), "SNS": ("Topic", "sns")}


def apply_invoke_config(ctx: Ctx, fn: str | None, cfg: dict[str, Any], owner: str,
                        sam_function: str | None = None) -> None:
    """Retry count and destinations of an invoke config. For SAM's `EventInvokeConfig` (`sam_function`),
    a destination of `Type: SQS|SNS` with no `Destination` (or `AWS::NoValue` in a branch
    of its `Fn::If`) is a queue/topic SAM creates, named
    `<Function>EventInvokeConfig<OnSuccess|OnFailure><Queue|Topic>` (SAM's
    `_validate_and_inject_resource`)."""
    if fn is None:
        return
    retries = ctx.number(cfg.get("MaximumRetryAttempts"))
    if retries is not None and 0 <= retries <= 2 and ctx.arch.kind(fn) == "lambda":
        ctx.set_props(fn, async_retries=int(retries))
    dest = cfg.get("DestinationConfig")
    if not isinstance(dest, dict):
        return
    for key, prop, label in (("OnFailure", "on_failure", ON_FAILURE),
                             ("OnSuccess", "on_success", ON_SUCCESS)):
        item = dest.get(key)
        if not isinstance(item, dict):
            continue
        target = None
        created = _CREATED_DESTINATIONS.get(str(ctx.scalar(item.get("Type")) or "").upper())
        value = item.get("Destination")
        branches = value["Fn::If"][1:] if isinstance(value, dict) and isinstance(
            value.get("Fn::If"), list) and len(value["Fn::If"]) == 3 else []
        if sam_function and created and (value is None or any(map(no_value, branches))):
            target = ctx.implicit_node(f"{sam_function}EventInvokeConfig{key}{created[0]}",
                                       created[1], {}, loc=ctx.loc_of(sam_function))
        if target is None:
            target = target_node(ctx, value, f"{key} destination", owner)
        if target is None:
            continue
        ctx.set_props(fn, **{prop: target})
        ctx.edge(fn, target, mode="async", label=label, anchor=owner)


def wire_invoke_configs(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Lambda::EventInvokeConfig"):
        p = ctx.props_of(lid)
        apply_invoke_config(ctx, ctx.node_ref(p.get("FunctionName")), p, lid)


def wire_lambda_dlq(ctx: Ctx, lid: str) -> None:
    p = ctx.props_of(lid)
    dlc = p.get("DeadLetterConfig")
    if not isinstance(dlc, dict):
        return
    fn = ctx.names.get(lid)
    target = target_node(ctx, dlc.get("TargetArn"), "DeadLetterConfig", lid)
    if target is None:
        return
    ctx.set_props(fn, dlq=target)
    if ctx.arch.kind(target) == "sqs":
        ctx.set_props(target, is_dlq=True)
    ctx.edge(fn, target, mode="async", label=ON_FAILURE, anchor=lid)


def wire_alias_settings(ctx: Ctx) -> None:
    """Provisioned concurrency set on a function's alias or version (where SAM's
    `AutoPublishAlias` puts the function's `ProvisionedConcurrencyConfig`)."""
    for lid in ctx.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        cfg = ctx.props_of(lid).get("ProvisionedConcurrencyConfig")
        n = ctx.number(cfg.get("ProvisionedConcurrentExecutions")) if isinstance(
            cfg, dict) else None
        fn = ctx.node_for(lid) if lid in ctx.aliases else None
        if n is not None and fn is not None and ctx.arch.kind(fn) == "lambda":
            ctx.set_props(fn, provisioned_concurrency=int(n))
            ctx.set_prop_locs(fn, lid, "provisioned_concurrency")


def wire_function_urls(ctx: Ctx) -> None:
    for lid in ctx.of_type("AWS::Lambda::Url"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("TargetFunctionArn"), "lambda")
        auth = str(ctx.scalar(p.get("AuthType")) or "").upper()
        ctx.set_props(fn, url=True, url_auth="none" if auth == "NONE" else "iam")
        ctx.set_prop_locs(fn, lid, "url", "url_auth")


def wire_permissions(ctx: Ctx) -> None:
    """A Lambda permission whose SourceArn names a component is evidence of an invocation;
    used only where no other wiring already drew that edge. A permission for an AWS
    service with neither SourceArn nor SourceAccount is recorded on the function
    (`unscoped_invokers`, at the permission's line)."""
    for lid in ctx.of_type("AWS::Lambda::Permission"):
        p = ctx.props_of(lid)
        fn = ctx.node_ref(p.get("FunctionName"), "lambda")
        service = unscoped_service(ctx.scalar(p.get("Principal")),
                                   p.get("SourceArn") is not None or
                                   p.get("SourceAccount") is not None)
        if fn is not None and service is not None:
            add_unscoped(ctx.arch.graph.nodes[fn], service, ctx.loc_of(lid))
        src = ctx.node_ref(p.get("SourceArn"))
        if fn is None or src is None or ctx.arch.graph.has_edge(src, fn):
            continue
        if ctx.arch.kind(src) in ("lambda",):
            continue
        ctx.edge(src, fn, anchor=lid)
