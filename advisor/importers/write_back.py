"""A function's calls into its own event source: the poll, or a write-back.

An event source mapping (SQS, Kinesis, DynamoDB Streams) draws the edge source ->
function. The permissions the poll needs (ReceiveMessage, DeleteMessage,
ChangeMessageVisibility; GetRecords, GetShardIterator, DescribeStream, ListStreams) are
the mapping's, so the importers draw no call edge for them. A function that also writes
to what it polls (a stream consumer updating its own table, a consumer re-queueing into
its own queue) makes calls of its own: an edge function -> source beside the poll edge
(`Architecture.writes_back`), priced on the real resource. Without it the handler's call
would be priced on a resource the design does not have
(`advisor.estimate.semantics.implicit_services`).

What shows a write-back, for both template importers:
- an explicit write action granted on the source (`dynamodb:UpdateItem`,
  `sqs:SendMessage*`, a SAM write or CRUD policy template): no poll needs one. A
  whole-service wildcard (`sqs:*`, `dynamodb:*`) grants the poll's reads too, so it is
  no evidence;
- an environment variable naming the source, unless the handler was read and makes no
  call to the source's service other than acknowledging its own input (a queue URL the
  code uses only to delete the messages it got is the poll's), or the handler was not
  read and the function's permissions, all stated on it, allow no write of that service
  (CloudFormation: `iam.cannot_write`; a `Globals` variable every function shares);
- the handler naming the source by its physical name (`handler_targets`).

Other triggers (an S3 notification, an SNS subscription, a rule) are not covered: a
grant on them still draws no edge from the function they invoke.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from advisor.catalog import event_source_kinds
from advisor.importers.iam_policies import write_kind
from advisor.model import Architecture

if TYPE_CHECKING:
    from advisor.importers.handlers.verdict import HandlerReport


def polled_sources(arch: Architecture, fn: str) -> set[str]:
    """The queues, streams and tables an event source mapping feeds `fn` from."""
    kinds = event_source_kinds()
    return {p for p in arch.graph.predecessors(fn) if arch.kind(p) in kinds}


def grants_write(actions: Iterable[object], kind: str) -> bool:
    """Whether actions granted on a function's own polled source of `kind` show that it
    writes there: one explicit write action of that service (a family such as
    `sqs:SendMessage*` counts), not a whole-service wildcard."""
    for action in actions:
        if not isinstance(action, str) or ":" not in action:
            continue
        if action.split(":", 1)[1].strip() == "*":
            continue
        if write_kind(action) == kind:
            return True
    return False


def env_names_call(report: HandlerReport | None, kind: str) -> bool:
    """Whether an environment variable naming the function's own polled source of `kind`
    stands for a call: yes when the handler was not read; else only when it calls that
    service for more than acknowledging its input (`HandlerReport.forwarding`)."""
    from advisor.importers.handlers.verdict import service_kind

    if report is None:
        return True
    return any(service_kind(c.service) == kind for c in report.forwarding)
