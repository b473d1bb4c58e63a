"""Glue from a queue or stream to a target, replaced by an EventBridge Pipe in
CloudFormation/SAM (GLUE-STREAM-PIPES).

The pipe takes over the function's event source mapping (an
`AWS::Lambda::EventSourceMapping` or a SAM `SQS`/`Kinesis`/`DynamoDB` event): batch size,
batching window, starting position, filter criteria, retry limit, bisect on error and the
on-failure queue (stream sources). What the pipe sends for each record is what the
function sent: its SDK call's payload member (handler inspection's `payload` fact, the
template the engine's obligation states) becomes the pipe's input template, its other
members target parameters (a FIFO queue's message group, a stream's partition key, an
event's source and detail type), read from the handler (advisor.fix.mapping); a handler
that was not read forwards each record's body (stated). A handler that sends the whole
batch at once, or computes what it sends, keeps its function: the reason says which.

The pipe's role may read the one source and write the one target (and the on-failure
queue): the actions of the Pipes documentation, on those resources only.
"""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.glue import remove_function
from advisor.fix.cfn.locate import edge_anchor, find_events, names, resource_of
from advisor.fix.cfn.reliability import FUNCTION_TYPES, logical_base
from advisor.fix.cfn.template import Template, Unpatchable
from advisor.fix.context import FixContext
from advisor.fix.data import pipe_source, pipe_target
from advisor.fix.emit import GetAtt, Ref
from advisor.fix.handler import template_handler
from advisor.fix.mapping import Event
from advisor.fix.requests import pipe_template
from advisor.importers.handlers import payload
from advisor.importers.handlers.sends import Untraced

ESM = "AWS::Lambda::EventSourceMapping"
SAM_EVENTS = {"sqs": ("SQS", "Queue"), "kinesis": ("Kinesis", "Stream"),
              "dynamodb": ("DynamoDB", "Stream")}
# event source mapping property -> pipe source parameter (stream sources)
STREAM_KEYS = {"StartingPosition": "StartingPosition", "BatchSize": "BatchSize",
               "MaximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
               "MaximumRetryAttempts": "MaximumRetryAttempts",
               "MaximumRecordAgeInSeconds": "MaximumRecordAgeInSeconds",
               "ParallelizationFactor": "ParallelizationFactor",
               "StartingPositionTimestamp": "StartingPositionTimestamp"}
QUEUE_KEYS = {"BatchSize": "BatchSize",
              "MaximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds"}


def _arn(lid: str, how: str) -> Any:
    return Ref(lid) if how == "Ref" else GetAtt(lid, how)


def _mapping(ctx: FixContext, tpl: Template, src_node: str, fn_node: str,
             fn: str, kind: str) -> tuple[dict[str, Any], str | None]:
    """(the event source mapping's properties, the ESM resource id or None for a SAM
    event)."""
    anchor = edge_anchor(ctx, tpl, src_node, fn_node)
    if anchor and tpl.rtype(anchor) == ESM:
        return dict(tpl.props(anchor)), anchor
    if tpl.rtype(fn) != "AWS::Serverless::Function":
        raise Unpatchable(f"no event source mapping of {fn} on {src_node} found")
    etype, key = SAM_EVENTS[kind]
    events = find_events(tpl, fn, (etype,), names(ctx, tpl, src_node), key)
    if len(events) != 1:
        raise Unpatchable(f"{fn} has {len(events)} {etype} events on {src_node}")
    props = dict(tpl.props(fn)["Events"][events[0]].get("Properties") or {})
    if props.get("Enabled") is False:
        raise Unpatchable(f"the {etype} event of {fn} is disabled")
    return props, None


def _source_parameters(ctx: FixContext, esm: dict[str, Any], kind: str,
                       edge: dict[str, Any], dlq: str | None) -> dict[str, Any]:
    spec = pipe_source(kind) or {}
    keys = STREAM_KEYS if spec.get("stream") else QUEUE_KEYS
    params = {dst: esm[src] for src, dst in keys.items() if esm.get(src) is not None}
    if spec.get("stream"):
        params.setdefault("StartingPosition", "LATEST")
        if esm.get("BisectBatchOnFunctionError") in (True, "true") or edge.get("bisect"):
            params["OnPartialBatchItemFailure"] = "AUTOMATIC_BISECT"
        if dlq is not None:
            params["DeadLetterConfig"] = {"Arn": GetAtt(dlq, "Arn")}
    elif dlq is not None:
        raise Unpatchable("a pipe reading a queue has no on-failure destination of its own "
                          "(the queue's redrive policy is its DLQ)")
    if esm.get("FunctionResponseTypes"):
        ctx.note("the function reported partial batch failures; a pipe retries the whole "
                 "batch of a failed target call")
    out: dict[str, Any] = {spec["block"]: params}
    if esm.get("FilterCriteria") is not None:
        out["FilterCriteria"] = esm["FilterCriteria"]
    return out


def _dlq(ctx: FixContext, esm: dict[str, Any], edge: dict[str, Any]) -> str | None:
    failure = edge.get("on_failure")
    if failure:
        return ctx.names.get(str(failure)) or ctx.source_id(str(failure))
    dest = (esm.get("DestinationConfig") or {}).get("OnFailure") or {}
    from advisor.fix.cfn.template import ref_target

    return ref_target(dest.get("Destination")) if dest else None


def _what_it_sends(ctx: FixContext, tpl: Template, fn_node: str, fn: str, src_kind: str,
                   tgt_kind: str) -> tuple[str | None, dict[str, Any]]:
    """(input template, target parameters) that send what the function sent."""
    from advisor.fix.cfn.integrations import function_env
    spec = pipe_target(tgt_kind) or {}
    params: dict[str, Any] = {k: dict(v) for k, v in (spec.get("fixed") or {}).items()}
    found = template_handler(ctx, tpl, fn_node, fn, first_record=True)
    if found is None:
        ctx.note(f"the handler of {fn} was not read: the pipe sends each record's body, as "
                 "a function that only forwards does")
        return "<$.body>" if src_kind == "sqs" else None, params
    sdk = found.call
    if not _per_record(sdk.args):
        raise Unpatchable(f"{fn} sends the whole batch in one call; a pipe sends each record "
                          "(the target would receive other messages)")
    env = function_env(tpl, fn)
    from advisor.fix.data import service_target

    name = str(payload.member(tgt_kind))
    known = {name, service_target(tgt_kind)["param"].replace("*", "0"),
             *(spec.get("params") or {})}
    for extra in sorted(_leaves(sdk.args) - known):
        raise Unpatchable(f"the handler also sets {extra}, which a pipe to {tgt_kind} "
                          "cannot send")
    template = pipe_template(_member(sdk.args, name), src_kind, env)
    for member, (block, key) in (spec.get("params") or {}).items():
        value = _member(sdk.args, member, required=False)
        if value is not None:
            from advisor.fix.requests import _pipe_text

            params.setdefault(block, {})[key] = _pipe_text(value, src_kind, env, quoted=False)
    return template, params


def _per_record(args: dict[str, Any]) -> bool:
    """No argument reads the event as a whole (only records, their bodies, constants)."""
    stack: list[Any] = list(args.values())
    while stack:
        e = stack.pop()
        if isinstance(e, Event) and e.where == "event":
            return False
        if isinstance(e, dict):
            stack.extend(e.values())
        elif isinstance(e, list):
            stack.extend(e)
        elif hasattr(e, "inner"):
            stack.append(e.inner)
        elif hasattr(e, "parts"):
            stack.extend(e.parts)
    return True


def _leaves(args: dict[str, Any]) -> set[str]:
    """Dotted paths of the call's members (`Record.Data`, `Entries.0.Source`)."""
    out: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and (prefix == "" or prefix.count(".") < 2):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else k)
        elif isinstance(node, list) and prefix and len(node) == 1:
            walk(node[0], f"{prefix}.0")
        else:
            out.add(prefix)

    walk(args, "")
    return out


def _member(args: dict[str, Any], path: str, required: bool = True) -> Any:
    try:
        return payload.value_at(args, path)
    except Untraced as exc:
        if required:
            raise Unpatchable(f"the handler's call has no {path}") from exc
        return None


def stream_to_pipe(ctx: FixContext, tpl: Template) -> None:
    src_node, fn_node, target_node = ctx.match[:3]
    fn = resource_of(ctx, tpl, fn_node, *FUNCTION_TYPES)
    pipes = ctx.added("pipes")
    if len(pipes) != 1:
        raise Unpatchable("the rewrite added no single pipe")
    pipe_node = pipes[0]
    src_kind, tgt_kind = ctx.before.kind(src_node), ctx.before.kind(target_node)
    ssrc, stgt = pipe_source(src_kind), pipe_target(tgt_kind)
    if ssrc is None or stgt is None:
        raise Unpatchable(f"no pipe is written from {src_kind} to {tgt_kind}")
    source = resource_of(ctx, tpl, src_node)
    target = resource_of(ctx, tpl, target_node)
    esm, _esm_lid = _mapping(ctx, tpl, src_node, fn_node, fn, src_kind)
    edge = ctx.after_edge(src_node, pipe_node)
    dlq = _dlq(ctx, esm, edge)
    template, target_params = _what_it_sends(ctx, tpl, fn_node, fn, src_kind, tgt_kind)
    if tgt_kind == "sqs" and tpl.props(target).get("FifoQueue") in (True, "true") and \
            "MessageGroupId" not in (target_params.get("SqsQueueParameters") or {}):
        raise Unpatchable(f"{target} is a FIFO queue and the function's message group is not "
                          "known")
    if template is not None:
        target_params["InputTemplate"] = template
    pipe_lid = tpl.unique_id(logical_base(pipe_node))
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": list(ssrc["read"]),
         "Resource": _arn(source, str(ssrc["arn"]))},
        {"Effect": "Allow", "Action": list(stgt["write"]),
         "Resource": _arn(target, str(stgt["arn"]))},
    ]
    if dlq is not None:
        statements.append({"Effect": "Allow", "Action": "sqs:SendMessage",
                           "Resource": GetAtt(dlq, "Arn")})
    role = tpl.add_resource(f"{pipe_lid}Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "pipes.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}}]},
        "Policies": [{"PolicyName": "pipe", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}],
    })
    body: dict[str, Any] = {
        "RoleArn": GetAtt(role, "Arn"),
        "Source": _arn(source, str(ssrc["arn"])),
        "SourceParameters": _source_parameters(ctx, esm, src_kind, edge, dlq),
        "Target": _arn(target, str(stgt["arn"])),
    }
    if target_params:
        body["TargetParameters"] = target_params
    added = tpl.add_resource(pipe_lid, "AWS::Pipes::Pipe", body)
    ctx.names[pipe_node] = added
    remove_function(ctx, tpl, fn, set())  # its event source mapping goes with it
