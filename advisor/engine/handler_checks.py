"""Handler-aware checks: what the handler code does with its batch, its errors and the
results of batch APIs, against how the design invokes it.

Handler inspection leaves its facts on the function's node (`handler_facts`, in the
`glue_evidence` shape: items `kind: detail at line N` separated by "; ", or `none` when
the code was read and shows none; see advisor/importers/handlers/facts_python.py and
facts_js.py). A function without `handler_facts` had no code read: none of these
predicates then holds (a check never guesses what unread code does). Each predicate
returns the message fields and the evidence items (`{kind, detail, path, line}`, the path
the node's `code`) a finding carries in text and JSON.

Registered in advisor/engine/predicates.py's tables (imported at its end).
"""

from __future__ import annotations

import re
from typing import Any

from advisor.engine import evidence
from advisor.engine.context import Blocked, Ctx
from advisor.engine.predicates import ASYNC_SOURCES, match, node

# Lambda's default BatchSize when the event source mapping does not set one, by source
# kind: https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
# (BatchSize: "Kinesis, DynamoDB Streams: Default 100 ... Amazon SQS: Default 10").
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}
# Sources whose records a Lambda poller deletes or checkpoints when the function returns.
BATCH_SOURCES = frozenset(DEFAULT_BATCH) | {"kafka", "mq"}


def facts(ctx: Ctx, fn: str) -> list[evidence.Item] | None:
    """The handler facts of a function as evidence items; None when its code was not
    read."""
    props = ctx.props(fn)
    text = props.get("handler_facts")
    if not text:
        return None
    if str(text).strip() == "none":
        return []
    code = props.get("code")
    return [i for i in evidence.parse(str(text), str(code) if code else None)
            if i["kind"] != "sdk-call"]


def _fact(ctx: Ctx, fn: str, kind: str) -> list[evidence.Item]:
    return [i for i in facts(ctx, fn) or () if i["kind"] == kind]


def batch_size(ctx: Ctx, src: str, fn: str) -> tuple[int, str] | None:
    """(records per invocation, how it is known) of a polling event source, None for an
    edge that is no event source mapping."""
    data = ctx.edge(src, fn)
    if data.get("mode") not in ("poll", "stream"):
        return None
    stated = (data.get("props") or {}).get("batch")
    if stated is not None:
        return int(stated), f"BatchSize {int(stated)}"
    default = DEFAULT_BATCH.get(ctx.kind(src))
    if default is None:
        return None
    return default, f"BatchSize not set: Lambda's default is {default}"


def _at(items: list[evidence.Item]) -> str:
    return ", ".join(evidence.where(i) or i["detail"] for i in items)


@match
def reads_first_record_only(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """The handler of a batch event source reads only `Records[0]` while the mapping
    delivers more than one record per invocation."""
    src, fn = nodes[0], nodes[1]
    size = batch_size(ctx, src, fn)
    items = _fact(ctx, fn, "first-record-only")
    if size is None or size[0] <= 1 or not items:
        return None
    return {"batch": str(size[0]), "batch_how": size[1], "at": _at(items),
            "evidence_items": items}


@match
def handler_takes_batches(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """A larger batch is safe for the handler: not one that reads only `Records[0]`
    (it would drop every record but the first). Code not read: not known, allowed (the
    rewrite is opt-in and says the handler must process batches)."""
    items = _fact(ctx, nodes[1], "first-record-only")
    if items:
        return Blocked(f"the handler reads only the first record ({_at(items)}): a larger"
                       " batch would drop the others")
    return True


@match
def handler_forwards_every_record(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]
                                  ) -> Any:
    """A pipe in the function's place forwards every record of each batch: not the same
    as a handler that reads only `Records[0]` of batches larger than one (it forwards the
    first and drops the rest; REL-HANDLER-FIRST-RECORD reports that)."""
    src, fn = nodes[0], nodes[1]
    size = batch_size(ctx, src, fn)
    items = _fact(ctx, fn, "first-record-only")
    if items and size is not None and size[0] > 1:
        return Blocked(f"the handler forwards only the first record of each batch of up to "
                       f"{size[0]} ({_at(items)}); a pipe would forward every record")
    return True


def _how_invoked(ctx: Ctx, fn: str) -> tuple[list[str], list[str]]:
    """(batch sources, async callers) of a function: what retries or redrives its
    failures, which a caught error hides."""
    batch, push = [], []
    for p in ctx.g.predecessors(fn):
        data = ctx.edge(p, fn)
        mode = data.get("mode")
        inv = (data.get("props") or {}).get("invocation")
        if ctx.kind(p) in BATCH_SOURCES and mode in ("poll", "stream"):
            batch.append(p)
        elif inv == "async" or (inv is None and (mode == "async" or (
                ctx.kind(p) in ASYNC_SOURCES and mode not in ("sync", "poll", "stream")))):
            push.append(p)
    return sorted(batch), sorted(push)


@node
def swallows_errors(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """A catch-all around the handler's processing, in a function a queue or stream
    polls or an asynchronous source invokes: failures look like successes to Lambda."""
    items = _fact(ctx, n, "catch-all")
    if not items:
        return None
    batch, push = _how_invoked(ctx, n)
    if not batch and not push:
        return None
    parts = []
    if batch:
        done = "deletes" if all(ctx.kind(b) == "sqs" for b in batch) else "checkpoints"
        parts.append(f"{', '.join(batch)} then {done} the batch as processed, its dead-letter"
                     " queue or on-failure destination never receives a failed record, and"
                     " partial batch failures cannot be reported")
    if push:
        parts.append(f"{', '.join(push)} invoke(s) it asynchronously: Lambda never retries a"
                     " failed event and its DLQ or on-failure destination never receives one")
    clauses = sorted({m.group(1) for i in items if (m := re.search(r"`([^`]+)`", i["detail"]))})
    return {"at": _at(items), "clause": " / ".join(clauses) or "a catch-all",
            "consequence": "; ".join(parts), "evidence_items": items}


@match
def partial_batch_missing(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """A batch event source (more than one record per invocation) without
    ReportBatchItemFailures, whose handler (read) does not report batchItemFailures: one
    failed record makes the whole batch retry."""
    return _partial_batch(ctx, nodes, reported=False)


@match
def partial_batch_ignored(ctx: Ctx, nodes: tuple[str, ...], params: dict[str, Any]) -> Any:
    """The handler returns batchItemFailures, but its event source mapping lacks
    ReportBatchItemFailures: Lambda ignores the response, and the batch counts as
    processed whole."""
    return _partial_batch(ctx, nodes, reported=True)


def _partial_batch(ctx: Ctx, nodes: tuple[str, ...], reported: bool) -> Any:
    src, fn = nodes[0], nodes[1]
    if ctx.kind(src) not in DEFAULT_BATCH or ctx.eprop(src, fn, "partial_batch") is True:
        return None
    size = batch_size(ctx, src, fn)
    found = facts(ctx, fn)
    if size is None or size[0] <= 1 or found is None:
        return None  # one record per batch, or the code was not read
    marks = [i for i in found if i["kind"] == "partial-batch"]
    if bool(marks) != reported:
        return None
    fields = {"batch": str(size[0]), "batch_how": size[1]}
    if reported:
        return {**fields, "at": _at(marks), "evidence_items": marks}
    # only a handler that changes something record by record repeats work on a retry of
    # the whole batch (one that only logs, or sends the batch in one call, loses nothing)
    # (a handler that swallows every error never fails a batch: REL-HANDLER-CATCH-ALL)
    effects = [i for i in found if i["kind"] == "per-record-call"]
    if not effects or any(i["kind"] == "catch-all" for i in found):
        return None
    code = ctx.props(fn).get("code")
    where = str(code) if code else "inline code"
    items = [evidence.item("handler", f"no batchItemFailures in {where}",
                           str(code) if code else None), *effects]
    return {**fields, "at": where, "effect": effects[0]["detail"],
            "effect_at": _at(effects), "evidence_items": items}


@node
def unchecked_batch_result(ctx: Ctx, n: str, params: dict[str, Any]) -> Any:
    """The handler calls a batch API (PutEvents, PutRecords, SendMessageBatch,
    PublishBatch, PutRecordBatch) and never reads the failed-entry count of its result."""
    items = _fact(ctx, n, "unchecked-result")
    if not items:
        return None
    calls = sorted({i["detail"].split(":", 1)[0] for i in items})
    return {"calls": ", ".join(calls), "at": _at(items), "evidence_items": items}

