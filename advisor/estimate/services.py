"""Usage lines per kind: what each service's load is billed as.

One function per kind, `fn(ctx, node) -> [Usage]`, registered in `USAGE`. Quantities are
in the unit of the price key (advisor/estimate/data/pricing/<region>.yaml); metering
rules (chunk sizes, rounding) come from the pricing file's `rules`; every default a
function falls back on is recorded with `ctx.default(...)` or `ctx.notes.add(...)` so the
output states it.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.catalog import is_event_rule
from advisor.estimate.cost import GIB, HOURS_PER_MONTH, Ctx, Usage, chunks, round_up
from advisor.estimate.propagate import firehose_flushes as _flushes
from advisor.estimate.propagate import schedule_rate, stream_shards
from advisor.estimate.semantics import (
    is_cross_account,
    operation,
    publisher_event_type,
    rule_event_type,
)
from advisor.units import SECONDS_PER_MONTH

MB = 1024.0**2
CANARY_TYPES = frozenset({"AWS::Synthetics::Canary", "aws_synthetics_canary"})


# ----------------------------------------------------------------------------- compute
def lambda_arch(ctx: Ctx, n: str) -> str:
    value = str(ctx.prop(n, "arch") or "x86")
    return "arm64" if value in ("arm64", "arm", "graviton") else "x86"


def _lambda(c: Ctx, n: str) -> list[Usage]:
    inv = c.load(n).invocations
    arch = lambda_arch(c, n)
    memory = float(c.prop(n, "memory") or 128 * MB)
    duration = round_up(float(c.prop(n, "duration") or 0), c.rule("lambda.duration_rounding_ms", 1))
    gbs = inv * duration / 1000.0 * memory / GIB
    lines = [Usage(n, "Requests", "lambda.requests", inv)]
    pc = int(c.stated(n, "provisioned_concurrency") or 0)
    on_demand_gbs = gbs
    if pc > 0:
        hours = c.stated(n, "provisioned_hours")
        if hours is None:
            hours = c.default("lambda", "provisioned_hours",
                              "provisioned concurrency is enabled all month (730 hours)", n,
                              state="`provisioned_hours`, Infracost `monthly_duration_hrs`")
        hours = min(float(hours), HOURS_PER_MONTH)
        lines.append(Usage(n, f"Provisioned concurrency ({pc}, {arch})", f"lambda.provisioned.{arch}",
                           pc * memory / GIB * hours * 3600.0))
        # invocations served by the provisioned environments bill at the lower
        # provisioned duration rate; beyond their capacity, on-demand rates apply
        busy = inv * duration / 1000.0 / SECONDS_PER_MONTH  # average concurrent executions
        served = (hours / HOURS_PER_MONTH) * (min(1.0, pc / busy) if busy > 0 else 1.0)
        lines.append(Usage(n, f"Duration on provisioned concurrency ({arch})",
                           f"lambda.provisioned_duration.{arch}", gbs * served))
        on_demand_gbs = gbs * (1.0 - served)
    lines.append(Usage(n, f"Duration ({arch})", f"lambda.duration.{arch}", on_demand_gbs))
    storage = c.stated(n, "ephemeral_storage")
    included = 512 * MB
    if storage and float(storage) > included:
        lines.append(Usage(n, f"Ephemeral storage above 512 MB ({float(storage) / MB:g} MB)",
                           "lambda.ephemeral_storage",
                           inv * duration / 1000.0 * (float(storage) - included) / GIB))
    return lines


# ----------------------------------------------------------------------------- edge
CACHE_SIZES_GB = (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118.0, 237.0)


def _cache_key(size_gb: float) -> tuple[str, float]:
    """The price key of the smallest cache size that holds `size_gb`."""
    for s in CACHE_SIZES_GB:
        if size_gb <= s + 1e-9:
            return f"apigw.cache.{s:g}gb", s
    return "apigw.cache.237gb", 237.0


def _apigw(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    kind = str(c.prop(n, "type") or "rest")
    if kind == "http":
        units = chunks(load.payload, c.rule("apigw.http.metering_bytes", 512 * 1024))
        return [Usage(n, "HTTP API requests", "apigw.http.requests", load.records * units)]
    if kind == "websocket":
        units = chunks(load.payload, c.rule("apigw.websocket.metering_bytes", 32 * 1024))
        lines = [Usage(n, "WebSocket messages", "apigw.websocket.messages", load.records * units)]
        minutes = c.stated(n, "connection_minutes")
        if minutes is None:
            c.notes.add("apigw.connection_minutes",
                        "WebSocket connection-minutes not stated: the $0.25 per million "
                        "connection-minutes is not included", nodes=(n,),
                        source="https://aws.amazon.com/api-gateway/pricing/",
                        state="`connection_minutes`, Infracost `monthly_connection_mins`")
        else:
            lines.append(Usage(n, "WebSocket connection minutes", "apigw.websocket.connection_minutes",
                               float(minutes)))
        return lines
    lines = [Usage(n, "REST API requests", "apigw.rest.requests", load.records)]
    if c.prop(n, "caching") is True:
        size = c.stated(n, "cache_size")
        if size is None:
            size = c.default("apigw", "cache_size_gb", "API cache size not stated: 0.5 GB", n,
                             state="`cache_size` (GB)")
        key, gb = _cache_key(float(size))
        lines.append(Usage(n, f"Cache memory ({gb:g} GB)", key, HOURS_PER_MONTH))
    return lines


def _appsync(c: Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Query and mutation operations", "appsync.requests", c.load(n).records)]


# ----------------------------------------------------------------------------- messaging
def _batch_of(c: Ctx, a: str, b: str, eprops: dict[str, Any]) -> float:
    per = c.wl.batches.get((a, b))
    if per:
        return per
    return max(1.0, float(eprops.get("batch") or 1))


def _sqs(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    chunk = c.rule("sqs.chunk_bytes", 65536)
    per = chunks(load.payload, chunk)
    key = "sqs.fifo.requests" if c.prop(n, "fifo") else "sqs.standard.requests"
    stated = c.stated(n, "api_requests")
    if stated is not None:  # Infracost `monthly_requests`: every API request together
        return [Usage(n, "Requests (stated)", key, float(stated) * per)]
    lines = [Usage(n, "Send requests", key, (load.records + c.written_back(n)) * per)]
    polls = 0.0
    for s, flow, eprops in c.out_flows(n):
        # a consumer receives a batch (billed per 64 KB of the batch) and deletes it
        batch = _batch_of(c, n, s, eprops)
        receive = chunks(load.payload * batch, chunk)
        polls += flow / batch * (receive + 1)
    if polls:
        lines.append(Usage(n, "Receive + delete requests", key, polls))
    return lines


SNS_DELIVERY_KEYS = {
    "http": "sns.delivery.http",
    "firehose": "sns.delivery.firehose",
    "sqs": "sns.delivery.sqs",
    "lambda": "sns.delivery.lambda",
}


def _sns(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    if c.prop(n, "fifo"):
        per = chunks(load.payload, c.rule("sns.fifo.chunk_bytes", 65536))
        lines = [Usage(n, "FIFO publish requests", "sns.fifo.publish", load.records * per),
                 Usage(n, "FIFO payload published", "sns.fifo.publish_payload", load.bytes / GIB)]
        for s, flow, _e in c.out_flows(n):
            lines.append(Usage(n, f"FIFO subscription messages to {s}", "sns.fifo.delivery", flow))
            lines.append(Usage(n, f"FIFO payload delivered to {s}", "sns.fifo.delivery_payload",
                               flow * load.payload / GIB))
        return lines
    per = chunks(load.payload, c.rule("sns.chunk_bytes", 65536))
    lines = [Usage(n, "Publish requests", "sns.publish", load.records * per)]
    for s, flow, _e in c.out_flows(n):
        key = SNS_DELIVERY_KEYS.get(c.kind(s))
        if key:
            lines.append(Usage(n, f"Deliveries to {s}", key, flow))
    return lines


def _eventbridge(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    per = chunks(load.payload, c.rule("eventbridge.chunk_bytes", 65536))
    props = c.nodes[n]["props"]
    if not c.g._pred[n] and "schedule" in props:
        return []  # a scheduled rule: no event charge
    billed = free = 0.0
    flows = c.in_flows(n)
    if not flows or "requests" in props:
        # a rule (or bus) the design shows no publisher for: its pattern says what it gets
        kind = rule_event_type(props.get("pattern"))
        billed, free = (0.0, load.records) if kind == "management" else (load.records, 0.0)
    else:
        for p, flow, _e in flows:
            kind = publisher_event_type(c.arch, p)
            if c.kind(p) == "eventbridge":
                continue  # sent by another bus: billed there, as a delivery
            if kind == "management":
                free += flow
            else:
                billed += flow
    extra = c.stated(n, "third_party_events")
    lines = [
        Usage(n, "Custom and opt-in data events", "eventbridge.events", billed * per),
        Usage(n, "AWS management events (free)", "eventbridge.management_events", free * per),
    ]
    if extra:
        lines.append(Usage(n, "Third-party and cross-account events (stated)", "eventbridge.events",
                           float(extra)))
    for s, flow, _e in c.out_flows(n):
        if is_event_rule(c.kind(s), c.nodes[s]["props"]):
            continue  # a rule on this bus: matching is part of the bus, no delivery is billed
        if c.kind(s) == "eventbridge" or is_cross_account(c.arch, n, s):
            lines.append(Usage(n, f"Events delivered to {s}" + (
                " (another account)" if is_cross_account(c.arch, n, s) else " (another bus)"),
                "eventbridge.cross_account", flow * per))
        elif c.kind(s) == "http":
            lines.append(Usage(n, f"API destination invocations ({s})", "eventbridge.api_destinations",
                               flow))
    return lines


def _pipes(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    per = chunks(load.payload, c.rule("pipes.chunk_bytes", 65536))
    return [Usage(n, "Requests (after filtering)", "pipes.requests", load.records * per)]


def _scheduler(c: Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Invocations", "scheduler.invocations", c.load(n).records)]


def _sfn(c: Ctx, n: str) -> list[Usage]:
    execs = c.load(n).invocations
    if str(c.prop(n, "type") or "standard") == "express":
        step_ms = c.rule("sfn.express.duration_step_ms", 100)
        step_mem = c.rule("sfn.express.memory_step_bytes", 64 * 1024**2)
        duration = round_up(max(float(c.prop(n, "duration") or 0), 1.0), step_ms)
        memory = round_up(max(float(c.prop(n, "memory") or 0), 1.0), step_mem)
        gb_hours = execs * duration / 3_600_000.0 * memory / GIB
        return [
            Usage(n, "Express requests", "sfn.express.requests", execs),
            Usage(n, "Express duration", "sfn.express.duration", gb_hours),
        ]
    transitions = c.stated(n, "transitions")
    if transitions is not None:  # Infracost `monthly_transitions`
        return [Usage(n, "State transitions (stated)", "sfn.standard.transitions", float(transitions))]
    states = float(c.prop(n, "states") or 1)
    # how many a run makes: the design's `states`, or what an importer read from the
    # definition (its longest successful path: advisor.importers.asl)
    return [Usage(n, f"State transitions ({states:g} per execution)", "sfn.standard.transitions",
                  execs * states)]


# ----------------------------------------------------------------------------- streams
def _consumer_bytes(c: Ctx, n: str) -> tuple[float, float, int]:
    """Bytes per month read by standard (shared-throughput) and enhanced fan-out
    consumers of a stream, and the number of EFO consumers."""
    load = c.load(n)
    efo = bool(c.prop(n, "efo"))
    shared = fanout = 0.0
    consumers = 0
    for _s, flow, _e in c.out_flows(n):
        if flow <= 0 and not efo:
            continue
        consumers += 1
        if efo:
            fanout += flow * load.payload
        else:
            shared += flow * load.payload
    return shared, fanout, consumers if efo else 0


def kinesis_shards(c: Ctx, n: str) -> int:
    """Provisioned shards: the stated count, else what the peak write rate needs and what
    the standard consumers' reads need (2 MB/s per shard, shared by all of them)."""
    load = c.load(n)
    stated = c.stated(n, "shards")
    if stated:
        return int(stated)
    peak = c.peak(n)
    write = stream_shards(c.arch, n, load.records, load.payload, peak)
    shared, _fan, _k = _consumer_bytes(c, n)
    read_limit = float(c.rule("kinesis.shard_read_bytes_per_s", 2 * 1024**2))
    read = math.ceil(shared / SECONDS_PER_MONTH * peak / read_limit) if shared else 0
    return max(write, read, 1)


def _kinesis(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    shared, fanout, efo_consumers = _consumer_bytes(c, n)

    def stated(prop: str, computed: float) -> float:
        value = c.stated(n, prop)  # an Infracost usage key (GB, units or hours)
        return float(value) if value is not None else computed

    written = load.records + c.written_back(n)  # (a consumer's puts into its own stream)
    if str(c.prop(n, "mode") or "on-demand") == "provisioned":
        shards = kinesis_shards(c, n)
        units = chunks(load.payload, c.rule("kinesis.provisioned.put_unit_bytes", 25600))
        lines = [
            Usage(n, f"Shard hours ({shards} shards)", "kinesis.provisioned.shard_hours",
                  shards * HOURS_PER_MONTH),
            Usage(n, "PUT payload units", "kinesis.provisioned.put_units",
                  stated("put_units", written * units)),
        ]
        if efo_consumers or c.stated(n, "efo_consumer_hours") is not None:
            lines += [
                Usage(n, f"Enhanced fan-out ({efo_consumers} consumers x {shards} shards)",
                      "kinesis.provisioned.efo_consumer_shard_hours",
                      stated("efo_consumer_hours", efo_consumers * shards * HOURS_PER_MONTH)),
                Usage(n, "Enhanced fan-out data retrieval", "kinesis.provisioned.efo_retrieval",
                      stated("efo_data_out_gb", fanout / GIB)),
            ]
        return lines
    size = round_up(load.payload, c.rule("kinesis.ondemand.record_rounding_bytes", 1024))
    lines = [
        Usage(n, "Stream hours", "kinesis.ondemand.stream_hours", HOURS_PER_MONTH),
        Usage(n, "Data in", "kinesis.ondemand.ingest", stated("data_in_gb", written * size / GIB)),
        Usage(n, "Data out", "kinesis.ondemand.retrieval", stated("data_out_gb", shared / GIB)),
        Usage(n, "Enhanced fan-out data out", "kinesis.ondemand.efo_retrieval",
              stated("efo_data_out_gb", fanout / GIB)),
    ]
    return lines


def _firehose(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    stated = c.stated(n, "ingested_gb")
    if stated is not None:  # Infracost `monthly_data_ingested_gb`
        return [Usage(n, "Data ingested (stated)", "firehose.ingest", float(stated))]
    size = round_up(load.payload, c.rule("firehose.record_rounding_bytes", 5120))
    return [Usage(n, "Data ingested (5 KB steps)", "firehose.ingest", load.records * size / GIB)]


def firehose_flushes(c: Ctx, n: str) -> float:
    """Objects a delivery stream writes per month (propagate.firehose_flushes)."""
    load = c.load(n)
    return _flushes(load.records, load.bytes, c.nodes[n]["props"])


# ----------------------------------------------------------------------------- storage
def _reads_and_writes(c: Ctx, n: str) -> tuple[list[tuple[str, float, Any]], list[tuple[str, float, Any]]]:
    """Incoming flows split into reads and writes by what each edge's action or label
    says; an edge that says neither is a write (stated as an assumption)."""
    reads, writes = [], []
    unstated: list[str] = []
    for p, flow, edge in c.in_flows(n):
        op = operation(edge)
        if op.kind == "read":
            reads.append((p, flow, op))
        else:
            writes.append((p, flow, op))
            if op.kind is None and flow > 0 and c.kind(p) not in ("firehose",):
                unstated.append(f"{p} -> {n}")
    if unstated:
        c.notes.add("storage.unstated_operation",
                    "calls that state no action or verb are priced as writes", nodes=(n,),
                    source="engineering estimate", weak=True,
                    state="`action` on the edge (e.g. GetItem, dynamodb:PutItem, s3:GetObject)")
    return reads, writes


def _dynamodb(c: Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    props = c.nodes[n]["props"]
    write_unit = c.rule("dynamodb.write_unit_bytes", 1024)
    read_unit = c.rule("dynamodb.read_unit_bytes", 4096)
    eventual = c.rule("dynamodb.eventual_read_units", 0.5)
    tx = c.rule("dynamodb.transaction_factor", 2)
    strong = str(c.stated(n, "consistency") or "eventual") == "strong"
    # the item written and read: its stated size, else the size of what is written
    item = float(c.stated(n, "item_size") or load.payload)
    wru = rru = 0.0
    reads, writes = _reads_and_writes(c, n)
    fed = set(c.g._pred[n]).difference(c.looped_in(n))
    if "requests" in props:
        writes = [("", load.records, operation({}))]
    elif not fed:  # written from outside the design (and, maybe, by its stream consumer)
        writes = [("", load.records, operation({})), *writes]
    write_count = 0.0
    for _p, flow, op in writes:
        write_count += flow
        wru += flow * chunks(item, write_unit) * (tx if op.transactional else 1)
    query_items = None
    for _p, flow, op in reads:
        size = item
        if op.multi_item:
            query_items = query_items or c.default(
                "dynamodb", "query_items", "a Query or Scan reads one item", n,
                state="`item_size` as the bytes one query reads")
            size = item * float(query_items)
        units = chunks(size, read_unit)
        factor = tx if op.transactional else (1.0 if (strong or op.consistent) else eventual)
        rru += flow * units * factor
    per_write = float(c.prop(n, "reads") or 0)
    if per_write:
        rru += write_count * per_write * chunks(item, read_unit) * (1.0 if strong else eventual)
    if c.stated(n, "wru") is not None:  # Infracost monthly_write_request_units
        wru = float(c.stated(n, "wru"))
    if c.stated(n, "rru") is not None:
        rru = float(c.stated(n, "rru"))
    storage = c.stated(n, "storage")
    if storage is None:
        storage = c.default("dynamodb", "storage_bytes", "table size not stated: 1 GB", n,
                            state="`storage`, Infracost `storage_gb`")
    storage_gb = float(storage) / GIB
    lines: list[Usage] = []
    if str(c.prop(n, "billing") or "on-demand") == "provisioned":
        lines += _provisioned_capacity(c, n, wru, rru)
    else:
        lines += [
            Usage(n, "Write request units", "dynamodb.ondemand.write", wru),
            Usage(n, "Read request units", "dynamodb.ondemand.read", rru),
        ]
    lines.append(Usage(n, "Storage", "dynamodb.storage", storage_gb))
    if c.prop(n, "pitr") is True:
        pitr = c.stated(n, "pitr_storage")
        lines.append(Usage(n, "Point-in-time recovery (continuous backups)", "dynamodb.pitr",
                           float(pitr) / GIB if pitr is not None else storage_gb))
    backup = c.stated(n, "backup_storage")
    if backup:
        lines.append(Usage(n, "On-demand backup storage", "dynamodb.backup", float(backup) / GIB))
    lines += _dynamodb_stream_reads(c, n)
    return lines


def _provisioned_capacity(c: Ctx, n: str, wru: float, rru: float) -> list[Usage]:
    """WCU/RCU: stated, else the average rate of request units at the peak."""
    peak = None
    caps = {}
    for name, units in (("wcu", wru), ("rcu", rru)):
        stated = c.stated(n, name)
        if stated:
            caps[name] = int(stated)
            continue
        peak = peak or c.peak(n)
        caps[name] = max(1, math.ceil(units / SECONDS_PER_MONTH * peak))
    return [
        Usage(n, f"Write capacity ({caps['wcu']} WCU)", "dynamodb.provisioned.wcu_hours",
              float(caps["wcu"]) * HOURS_PER_MONTH),
        Usage(n, f"Read capacity ({caps['rcu']} RCU)", "dynamodb.provisioned.rcu_hours",
              float(caps["rcu"]) * HOURS_PER_MONTH),
    ]


def _dynamodb_stream_reads(c: Ctx, n: str) -> list[Usage]:
    """Stream GetRecords calls: free when a Lambda trigger makes them, billed per read
    request unit for other consumers (a pipe, a Kinesis adapter)."""
    stated = c.stated(n, "stream_reads")
    if stated is not None:
        return [Usage(n, "Streams read request units (stated)", "dynamodb.streams.reads", float(stated))]
    lines = []
    for s, flow, eprops in c.out_flows(n):
        if flow <= 0:
            continue
        calls = flow / _batch_of(c, n, s, eprops)
        if c.kind(s) == "lambda":
            lines.append(Usage(n, f"Streams reads by the Lambda trigger {s} (free)",
                               "dynamodb.streams.lambda_reads", calls))
        elif c.kind(s) in ("pipes", "kinesis"):
            lines.append(Usage(n, f"Streams read request units ({s})", "dynamodb.streams.reads", calls))
    return lines


def s3_requests(c: Ctx, n: str) -> tuple[float, float]:
    """PUT and GET requests a bucket receives per month."""
    if c.stated(n, "put_requests") is not None or c.stated(n, "get_requests") is not None:
        return float(c.stated(n, "put_requests") or 0), float(c.stated(n, "get_requests") or 0)
    puts = gets = 0.0
    flows = c.in_flows(n)
    if not flows or "requests" in c.nodes[n]["props"]:
        return c.load(n).records, 0.0
    reads, writes = _reads_and_writes(c, n)
    for p, flow, _op in writes:
        if c.kind(p) == "firehose":
            records = c.load(p).records
            puts += firehose_flushes(c, p) * (flow / records if records else 0)
        else:
            puts += flow
    gets = sum(flow for _p, flow, _op in reads)
    return puts, gets


def s3_bytes_written(c: Ctx, n: str) -> float:
    """Bytes written to the bucket per month (reads excluded)."""
    if not c.in_flows(n) or "requests" in c.nodes[n]["props"]:
        return c.load(n).bytes
    _reads, writes = _reads_and_writes(c, n)
    total = 0.0
    for p, flow, _op in writes:
        total += flow * c.load(p).payload
    return total


def _s3(c: Ctx, n: str) -> list[Usage]:
    puts, gets = s3_requests(c, n)
    storage = c.stated(n, "storage")
    if storage is not None:
        storage_gb = float(storage) / GIB
    else:
        months = float(c.default("s3", "retention_months",
                                 "bucket storage not stated: the objects written in one month are kept",
                                 n, state="`storage`, Infracost `standard.storage_gb`"))
        storage_gb = s3_bytes_written(c, n) * months / GIB
    return [
        Usage(n, "PUT requests", "s3.put", puts),
        Usage(n, "GET requests", "s3.get", gets),
        Usage(n, "Storage (Standard)", "s3.storage", storage_gb),
    ]


# ----------------------------------------------------------------------------- others
def _logs(c: Ctx, n: str) -> list[Usage]:
    from advisor.estimate.dimensions import log_bytes_into

    stated = c.stated(n, "ingested_gb")
    if stated is not None:  # Infracost `monthly_data_ingested_gb`
        lines = [Usage(n, "Log ingestion (stated)", "logs.ingest", float(stated))]
    else:
        lines = [Usage(n, "Log ingestion", "logs.ingest", log_bytes_into(c, n) / GIB)]
    storage = c.stated(n, "storage_gb")
    if storage is not None:
        lines.append(Usage(n, "Log storage (stated)", "logs.storage", float(storage)))
    return lines


def _cognito(c: Ctx, n: str) -> list[Usage]:
    if str(c.prop(n, "pool") or "user") == "identity":
        return [Usage(n, "Identity pool identities (free)", "cognito.identity_pool", 1.0)]
    mau = c.stated(n, "mau")
    if mau is None:
        mau = (c.arch.workload or {}).get("users")
    if mau is None:
        # No page gives a typical user count and it does not follow from the request
        # rate: an invented figure would dominate small designs ($150 a pool at 10,000
        # users). Like WebSocket connection-minutes, it is left out and said so.
        c.notes.add("cognito.mau",
                    "user-pool monthly active users not stated: the per-MAU charge "
                    "is not included", nodes=(n,),
                    source="https://aws.amazon.com/cognito/pricing/",
                    state="`mau` on the pool, `workload { users = ... }`, Infracost "
                          "`monthly_active_users`")
        return []
    return [Usage(n, "Monthly active users", "cognito.mau", float(mau))]


def _kms(c: Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Customer managed key", "kms.keys", 1.0)]


def _resource(c: Ctx, n: str) -> list[Usage]:
    """A resource the catalog has no kind for: priced when its type is known
    (a CloudWatch Synthetics canary: runs per month from its schedule)."""
    if str(c.prop(n, "type") or "") not in CANARY_TYPES:
        return []
    runs = c.stated(n, "runs")
    if runs is None:
        expr = c.stated(n, "schedule")
        if expr is None:
            expr = c.default("synthetics", "schedule", "canary schedule not stated: every 5 minutes", n,
                             state="`schedule` on the canary")
        runs = schedule_rate(str(expr)) or 0.0
    return [Usage(n, "Canary runs", "synthetics.runs", float(runs))]


USAGE: dict[str, Any] = {
    "lambda": _lambda,
    "apigw": _apigw,
    "appsync": _appsync,
    "sqs": _sqs,
    "sns": _sns,
    "eventbridge": _eventbridge,
    "pipes": _pipes,
    "scheduler": _scheduler,
    "sfn": _sfn,
    "kinesis": _kinesis,
    "firehose": _firehose,
    "dynamodb": _dynamodb,
    "s3": _s3,
    "logs": _logs,
    "cognito": _cognito,
    "kms": _kms,
    "resource": _resource,
}
