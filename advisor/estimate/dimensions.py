"""Dimensions a serverless bill has whatever the service: log ingestion, data transfer
out, KMS keys and requests, X-Ray traces.

They are often as large as the request charges and are easy to forget:

- every Lambda function writes START/END/REPORT lines for each invocation (plus its own
  lines) to CloudWatch Logs, and an API with access logging one line per request;
- responses to clients outside AWS, and requests to external endpoints, are data
  transfer out to the internet;
- a resource encrypted with SSE-KMS pays for its customer managed key and for the KMS
  requests its service makes (SQS reuses a data key for a period, S3 Bucket Keys cut
  requests to KMS by up to 99%);
- X-Ray records the traces the default sampling rule keeps on traced services.

Each function returns usage lines marked `optional`: a pricing file without the price
(an imported region file covering only some services) leaves the line out with a note,
rather than failing the whole estimate. Every default used is stated as an assumption.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.catalog import category_of
from advisor.estimate.cost import GIB, Ctx, Usage
from advisor.estimate.semantics import operation
from advisor.estimate.services import s3_requests
from advisor.units import SECONDS_PER_MONTH

REQUEST_RESPONSE_KINDS = frozenset({"apigw", "appsync", "alb", "lambda", "ecs", "s3", "dynamodb"})
READ_ONLY_RESPONSES = frozenset({"s3", "dynamodb"})  # a write is answered with a few headers
TRACED_KINDS = frozenset({"lambda", "apigw", "sfn", "appsync"})
KEY_REUSE_KINDS = frozenset({"sns", "kinesis", "firehose", "dynamodb"})


# ----------------------------------------------------------------------------- logs
def function_log_bytes(c: Ctx, fn: str) -> float:
    """Bytes a function logs per invocation: its stated `log_bytes`, else Lambda's
    platform lines (an assumption)."""
    stated = c.stated(fn, "log_bytes")
    if stated is not None:
        return float(stated)
    return float(c.default("lambda", "platform_log_bytes",
                           "functions log only Lambda's START, END and REPORT lines "
                           "(about 350 bytes per invocation)", fn,
                           state="`log_bytes` on the function (bytes logged per invocation)"))


def access_log_bytes(c: Ctx, api: str) -> float:
    stated = c.stated(api, "access_log_bytes")
    if stated is not None:
        return float(stated)
    return float(c.default("apigw", "access_log_bytes",
                           "an API access-log line is about 400 bytes", api,
                           state="`access_log_bytes` on the API"))


def _writes_logs_to_group(c: Ctx, n: str) -> bool:
    return any(c.kind(s) == "logs" for s in c.g._succ[n])


def log_bytes_into(c: Ctx, group: str) -> float:
    """Bytes a `logs` node (a log group) ingests per month: a function's or an API's log
    lines when it writes there, else the records that flow in (a rule or pipe target)."""
    total = 0.0
    for p, flow, _e in c.in_flows(group):
        kind = c.kind(p)
        if kind == "lambda":
            total += c.load(p).invocations * function_log_bytes(c, p)
        elif kind == "apigw":
            total += c.load(p).records * access_log_bytes(c, p) if c.prop(p, "access_logging") else 0.0
        else:
            total += flow * c.load(p).payload
    return total


def function_logs(c: Ctx) -> list[Usage]:
    """CloudWatch Logs ingestion of every function's and every access-logging API's log
    lines (to their own log group when the design draws none)."""
    return [u for kind in ("lambda", "apigw") for n in c.arch.nodes_of_kind(kind)
            for u in function_logs_of(c, n)]


def function_logs_of(c: Ctx, n: str) -> list[Usage]:
    """The log ingestion line of one function or access-logging API (else none)."""
    kind = c.kind(n)
    if kind == "lambda":
        inv = c.load(n).invocations
        if inv <= 0 or _writes_logs_to_group(c, n):
            return []
        return [Usage(n, "Log ingestion (CloudWatch Logs)", "logs.ingest",
                      inv * function_log_bytes(c, n) / GIB, optional=True)]
    if kind == "apigw":
        requests = c.load(n).records
        if requests <= 0 or c.prop(n, "access_logging") is not True or _writes_logs_to_group(c, n):
            return []
        return [Usage(n, "Access log ingestion (CloudWatch Logs)", "logs.ingest",
                      requests * access_log_bytes(c, n) / GIB, optional=True)]
    return []


# ----------------------------------------------------------------------------- data transfer
def data_transfer_out(c: Ctx) -> list[Usage]:
    """Responses to clients (callers outside AWS) and requests to external endpoints,
    billed as data transfer out to the internet on the AWS node that sends them. Writes
    into ingestion services (a queue, stream or bus) and writes to S3 or DynamoDB answer
    with a small acknowledgement and are not counted; CloudFront bills its own transfer
    (not priced here)."""
    lines = [u for client in c.arch.nodes_of_kind("client")
             for s, flow, _e in c.out_flows(client)
             for u in _response_transfer(c, client, s, flow)]
    lines += [u for endpoint in c.arch.nodes_of_kind("http")
              for n in sorted(c.g.predecessors(endpoint))
              for u in _request_transfer(c, n, endpoint)]
    return sorted(lines, key=lambda u: (u.node, u.name))


def data_transfer_of(c: Ctx, n: str) -> list[Usage]:
    """The data transfer lines `data_transfer_out` gives node `n` (responses to the
    clients that call it, requests it sends to external endpoints), in its order."""
    lines = [u for client in c.g._pred[n] if c.kind(client) == "client"
             for u in _response_transfer(c, client, n, c.wl.edges.get((client, n), 0.0))]
    lines += [u for endpoint in c.g._succ[n] if c.kind(endpoint) == "http"
              for u in _request_transfer(c, n, endpoint)]
    return sorted(lines, key=lambda u: u.name) if len(lines) > 1 else lines


def _response_transfer(c: Ctx, client: str, s: str, flow: float) -> list[Usage]:
    """Data transfer out of `s` for its responses to `client` (none for writes into
    ingestion services, S3 or DynamoDB, nor for asynchronous calls)."""
    if flow <= 0 or c.kind(s) not in REQUEST_RESPONSE_KINDS:
        return []
    if c.g._succ[client][s].get("mode") not in (None, "sync"):
        return []
    if c.kind(s) in READ_ONLY_RESPONSES and operation(c.g._succ[client][s]).kind != "read":
        return []
    workload = c.arch.workload or {}
    stated_response = workload.get("response")
    share = workload.get("internet_share")
    if c.stated(s, "requests") is not None:
        # the node states its own requests: this client's share of them
        into = sum(f for _p, f, _e in c.in_flows(s)) or flow
        flow = c.load(s).records * flow / into
    size = float(stated_response) if stated_response else c.load(s).payload
    if not stated_response:
        c.notes.add("workload.response",
                    "responses to clients are the size of the request payload",
                    nodes=(s,), source="engineering estimate", weak=True,
                    state="`workload { response = ... }` (response size)")
    out = float(share) if share is not None else float(c.default(
        "workload", "response_share_out",
        "every response to a client leaves AWS (data transfer out to the internet)", s,
        state="`workload { internet_share = ... }` (0-1)"))
    return [Usage(s, f"Data transfer out (responses to {client})", "data_transfer.out",
                  flow * size * out / GIB, optional=True)]


def _request_transfer(c: Ctx, n: str, endpoint: str) -> list[Usage]:
    """Data transfer out of `n` for the requests it sends to an external endpoint."""
    flow = c.wl.edges.get((n, endpoint), 0.0)
    if flow > 0 and category_of(c.kind(n)) not in ("client", "external"):
        return [Usage(n, f"Data transfer out (requests to {endpoint})", "data_transfer.out",
                      flow * c.load(n).payload / GIB, optional=True)]
    return []


# ----------------------------------------------------------------------------- KMS
def _producers_consumers(c: Ctx, n: str) -> tuple[int, int]:
    producers = sum(1 for p in c.g._pred[n] if c.kind(p) != "kms") or 1
    consumers = sum(1 for s in c.g._succ[n]
                    if c.kind(s) != "kms" and (n, s) not in c.wl.failure_edges)
    return producers, consumers


def kms_requests(c: Ctx, n: str) -> float:
    """KMS requests per month that SSE-KMS on `n` makes (none while nothing flows: an idle
    dead-letter queue asks KMS for no data key)."""
    kind = c.kind(n)
    if c.load(n).records <= 0 and kind != "s3":
        return 0.0
    if kind == "sqs":
        reuse_ms = c.stated(n, "data_key_reuse")
        reuse = float(reuse_ms) / 1000.0 if reuse_ms else float(c.default(
            "kms", "sqs_data_key_reuse_s",
            "SQS reuses a KMS data key for 5 minutes (the default reuse period)", n,
            state="`data_key_reuse` on the queue"))
        producers, consumers = _producers_consumers(c, n)
        return SECONDS_PER_MONTH / max(reuse, 60.0) * (2 * producers + consumers)
    if kind in KEY_REUSE_KINDS:
        reuse = float(c.default("kms", "service_key_cache_s",
                                "SNS, Kinesis, Firehose and DynamoDB call KMS about once per "
                                "caller every 5 minutes", n))
        producers, consumers = _producers_consumers(c, n)
        return SECONDS_PER_MONTH / reuse * (producers + consumers)
    if kind == "s3":
        puts, gets = s3_requests(c, n)
        share = 1.0
        if c.prop(n, "bucket_key") is True:
            share = float(c.default("s3", "bucket_key_kms_share",
                                    "an S3 Bucket Key cuts the bucket's KMS requests by 99%", n))
        return (puts + gets) * share
    return 0.0


def kms_encryption(c: Ctx) -> list[Usage]:
    """SSE-KMS: the resource's KMS requests, and its customer managed key when the design
    draws or names (`kms_key`) no `kms` node for it and it does not use an AWS managed key
    (`kms_managed`): one key per resource, an assumption."""
    return [u for n in c.arch.node_names() for u in kms_encryption_of(c, n)]


def kms_encryption_of(c: Ctx, n: str) -> list[Usage]:
    """The KMS lines of one resource encrypted with SSE-KMS (else none)."""
    if c.stated(n, "encryption") != "sse-kms":
        return []
    lines = []
    keys = [m for m in (*c.g._pred[n], *c.g._succ[n]) if c.kind(m) == "kms"]
    named = c.nodes[n]["props"].get("kms_key")
    if isinstance(named, str) and named in c.g and c.kind(named) == "kms":
        keys.append(named)  # the key it names (`kms_key`): priced as that node
    if not keys and c.nodes[n]["props"].get("kms_managed") is not True:
        # (an AWS managed key, `alias/aws/...`, has no monthly charge; its requests do)
        count = float(c.default("kms", "keys_per_resource",
                                "each resource encrypted with SSE-KMS and no `kms` node has "
                                "its own customer managed key", n,
                                state="a `kms` node connected to the resource or named by its `kms_key`; "
                                "`kms_managed = true` for an AWS managed key"))
        lines.append(Usage(n, "KMS key (customer managed, assumed)", "kms.keys", count, optional=True))
    lines.append(Usage(n, "KMS requests (SSE-KMS)", "kms.requests", kms_requests(c, n), optional=True))
    return lines


# ----------------------------------------------------------------------------- X-Ray
def sampled_traces(c: Ctx, node: str, requests: float) -> float:
    """Traces the default sampling rule records: the first request each second and 5% of
    the rest."""
    reservoir = float(c.default("xray", "reservoir_per_second",
                                "X-Ray uses its default sampling rule: the first request each "
                                "second and 5% of the rest", node,
                                state="`xray_traces` on the node (traces recorded per month)"))
    rate = float(c.default("xray", "rate", "X-Ray samples 5% of requests beyond the reservoir", node))
    reserve = reservoir * SECONDS_PER_MONTH
    return min(requests, reserve) + rate * max(0.0, requests - reserve)


def xray_traces(c: Ctx) -> list[Usage]:
    """Traces recorded where tracing is on: one trace per sampled request, counted where
    the traced call chain starts (a traced API in front of a traced function is one trace)."""
    return [u for n in c.arch.node_names() for u in xray_traces_of(c, n)]


def _traced(c: Ctx, n: str) -> bool:
    return c.kind(n) in TRACED_KINDS and c.prop(n, "tracing") is True


def xray_traces_of(c: Ctx, n: str) -> list[Usage]:
    """The traces line of one traced node where a traced call chain starts (else none)."""
    if not _traced(c, n) or any(_traced(c, p) for p in c.g._pred[n]):
        return []
    stated = c.stated(n, "xray_traces")
    load = c.load(n)
    requests = load.invocations if c.kind(n) in ("lambda", "sfn") else load.records
    count = float(stated) if stated is not None else sampled_traces(c, n, requests)
    return [Usage(n, "X-Ray traces recorded", "xray.traces", count, optional=True)]


def dimension_lines_of(c: Ctx, n: str) -> list[Usage]:
    """Every cross-cutting line `n` is charged (what DIMENSIONS give it): a node's lines
    depend only on it, its neighbours and the edges between them."""
    return [*function_logs_of(c, n), *data_transfer_of(c, n), *kms_encryption_of(c, n),
            *xray_traces_of(c, n)]


DIMENSIONS: tuple[Callable[[Ctx], list[Usage]], ...] = (
    function_logs, data_transfer_out, kms_encryption, xray_traces,
)
