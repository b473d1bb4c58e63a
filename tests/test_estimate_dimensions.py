"""The dimensions every serverless bill has (issue 14, part 3): log ingestion, data
transfer out, KMS keys and requests, DynamoDB PITR and backups, Lambda ephemeral storage,
API Gateway cache hours, Synthetics canary runs, X-Ray traces; free dimensions said free
with their source; each default stated as an assumption; every figure with its source.
"""

from __future__ import annotations

import math

import pytest
import yaml

from advisor.dsl import parse_text
from advisor.estimate import estimate
from advisor.estimate.data import load_pricing
from advisor.model import Architecture
from advisor.units import SECONDS_PER_MONTH

GIB = 1024**3


def lines(est, node: str, prefix: str = "") -> list[dict]:
    return [c for c in est.components if c["node"] == node and c["name"].startswith(prefix)]


def usd(est, node: str, prefix: str = "") -> float:
    return sum(c["monthly_usd"] for c in lines(est, node, prefix))


def ids(est) -> set[str]:
    return {a.id for a in est.assumptions}


def test_every_price_and_free_allowance_has_unit_region_source_and_date():
    import importlib.resources as r

    raw = yaml.safe_load(r.files("advisor.estimate").joinpath("data/pricing/us-east-1.yaml").read_text())
    for key, price in raw["prices"].items():
        assert price["unit"] and price["region"] == "us-east-1", key
        assert price["source"].startswith("https://"), key
        assert price["read"], key
    for key, free in raw["free_tier"].items():
        assert free["term"] in ("always", "12-month") and free["source"].startswith("https://"), key
    defaults = yaml.safe_load(r.files("advisor.estimate").joinpath("data/defaults.yaml").read_text())
    for section, items in defaults.items():
        for name, spec in items.items():
            assert {"value", "unit", "source", "read"} <= set(spec), (section, name)
            assert spec["source"].startswith("https://") or spec.get("weak") is True, (section, name)


def test_every_function_logs_its_invocations():
    text = """
workload { requests = 10M/month }
client c
lambda f { memory = 128MB, duration = 10ms }
lambda g { memory = 128MB, duration = 10ms, log_bytes = 2KB }
c -> f -> g
"""
    est = estimate(parse_text(text))
    # 10M x 350 bytes (START/END/REPORT) / 2^30 x $0.50; the second states 2 KB
    assert usd(est, "f", "Log ingestion") == pytest.approx(10e6 * 350 / GIB * 0.50)
    assert usd(est, "g", "Log ingestion") == pytest.approx(10e6 * 2048 / GIB * 0.50)
    assert "lambda.platform_log_bytes" in ids(est)


def test_a_drawn_log_group_is_not_counted_twice():
    text = """
workload { requests = 10M/month }
client c
lambda f { memory = 128MB, duration = 10ms }
logs f_logs
c -> f -> f_logs
"""
    est = estimate(parse_text(text))
    assert not lines(est, "f", "Log ingestion")
    assert usd(est, "f_logs", "Log ingestion") == pytest.approx(10e6 * 350 / GIB * 0.50)


def test_access_logging_apis_log_every_request():
    text = """
workload { requests = 10M/month }
client c
apigw api { type = http, access_logging = true }
c -> api
"""
    est = estimate(parse_text(text))
    assert usd(est, "api", "Access log ingestion") == pytest.approx(10e6 * 400 / GIB * 0.50)
    assert "apigw.access_log_bytes" in ids(est)
    off = estimate(parse_text(text.replace(", access_logging = true", "")))
    assert not lines(off, "api", "Access log")


def test_responses_to_clients_are_data_transfer_out():
    text = """
workload { requests = 10M/month, payload = 10KB }
client c
apigw api { type = http }
lambda f { memory = 128MB, duration = 10ms }
c -> api -> f
"""
    est = estimate(parse_text(text))
    gb = 10e6 * 10 * 1024 / GIB  # 95.37 GB of responses, first tier $0.09/GB
    assert usd(est, "api", "Data transfer out") == pytest.approx(gb * 0.09)
    assert "workload.response" in ids(est)
    small = estimate(parse_text(text.replace("payload = 10KB", "payload = 10KB, response = 1KB")))
    assert usd(small, "api", "Data transfer out") == pytest.approx(gb / 10 * 0.09)
    assert "workload.response" not in ids(small)
    assert "workload.response_share_out" in ids(est)
    half = estimate(parse_text(text.replace("payload = 10KB", "payload = 10KB, internet_share = 0.5")))
    assert usd(half, "api", "Data transfer out") == pytest.approx(gb / 2 * 0.09)
    # the always-free 100 GB a month covers it
    assert usd(estimate(parse_text(text), free_tier=True), "api", "Data transfer out") == 0.0


def test_requests_to_external_endpoints_leave_aws():
    text = """
workload { requests = 1M/month, payload = 4KB }
eventbridge bus
http partner
bus -> partner
"""
    est = estimate(parse_text(text))
    assert usd(est, "bus", "Data transfer out") == pytest.approx(1e6 * 4096 / GIB * 0.09)
    # an API destination invocation is $0.20 per million
    assert usd(est, "bus", "API destination") == pytest.approx(0.20)


def test_sqs_sse_kms_requests_follow_data_key_reuse():
    text = """
workload { requests = 10M/month }
client c
sqs q { encryption = sse-kms }
lambda f { memory = 128MB, duration = 10ms }
c -> q -> f
"""
    est = estimate(parse_text(text))
    # the SQS guide's formula: month / 300 s x (2 x 1 producer + 1 consumer) requests
    requests = SECONDS_PER_MONTH / 300 * 3
    assert lines(est, "q", "KMS requests")[0]["quantity"] == pytest.approx(requests / 1e4)
    assert usd(est, "q", "KMS requests") == pytest.approx(requests / 1e4 * 0.03)
    assert usd(est, "q", "KMS key") == pytest.approx(1.00)  # one customer managed key, assumed
    assert {"kms.sqs_data_key_reuse_s", "kms.keys_per_resource"} <= ids(est)
    longer = estimate(parse_text(text.replace("sse-kms }", "sse-kms, data_key_reuse = 1h }")))
    assert lines(longer, "q", "KMS requests")[0]["quantity"] == pytest.approx(requests / 12 / 1e4)


def test_s3_bucket_keys_cut_kms_requests():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
lambda f { memory = 128MB, duration = 10ms }
s3 b { encryption = sse-kms }
kms key
c -> f
f -> b [action = "PutObject"]
b -> key
"""
    est = estimate(parse_text(text))
    assert usd(est, "b", "KMS requests") == pytest.approx(1e6 / 1e4 * 0.03)  # one per PUT
    assert not lines(est, "b", "KMS key")  # the design's key, $1.00 on its own node
    assert est.by_node["key"] == pytest.approx(1.00)
    keyed = estimate(parse_text(text.replace("sse-kms }", "sse-kms, bucket_key = true }")))
    assert usd(keyed, "b", "KMS requests") == pytest.approx(1e6 / 1e4 * 0.03 * 0.01)


def test_dynamodb_pitr_backups_and_free_stream_reads_by_lambda():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
dynamodb t { storage = 10GB, pitr = true, backup_storage = 20GB, stream = true }
lambda f { memory = 128MB, duration = 10ms }
c -> t -> f
"""
    est = estimate(parse_text(text))
    assert usd(est, "t", "Point-in-time recovery") == pytest.approx(10 * 0.20)
    assert usd(est, "t", "On-demand backup") == pytest.approx(20 * 0.10)
    free = lines(est, "t", "Streams reads by the Lambda trigger")
    assert free and free[0]["monthly_usd"] == 0.0
    assert free[0]["free_source"] == "https://aws.amazon.com/dynamodb/pricing/on-demand/"


def test_lambda_ephemeral_storage_above_512_mb():
    text = """
workload { requests = 1M/month }
client c
lambda f { memory = 1GB, duration = 1s, ephemeral_storage = 10GB }
c -> f
"""
    est = estimate(parse_text(text))
    # 1M x 1 s x 9.5 GB = 9.5M GB-s x $0.0000000309
    assert usd(est, "f", "Ephemeral storage") == pytest.approx(9.5e6 * 0.0000000309)
    default = estimate(parse_text(text.replace(", ephemeral_storage = 10GB", "")))
    assert not lines(default, "f", "Ephemeral storage")


def test_synthetics_canary_runs():
    arch = Architecture()
    arch.add_node("canary", "resource", {"type": "AWS::Synthetics::Canary"})
    est = estimate(arch)
    runs = 730 * 60 / 5  # every 5 minutes (assumed): 8,760 runs x $0.0012
    assert usd(est, "canary", "Canary runs") == pytest.approx(runs * 0.0012)
    assert "synthetics.schedule" in ids(est)
    arch.graph.nodes["canary"]["props"]["schedule"] = "rate(1 hour)"
    assert usd(estimate(arch), "canary") == pytest.approx(730 * 0.0012)


def test_xray_traces_where_tracing_is_on():
    text = """
workload { requests = 10M/month }
client c
apigw api { type = http, tracing = true }
lambda f { memory = 128MB, duration = 10ms, tracing = true }
c -> api -> f
"""
    est = estimate(parse_text(text))
    reserve = SECONDS_PER_MONTH  # one per second, then 5% of the rest
    traces = reserve + 0.05 * (10e6 - reserve)
    assert usd(est, "api", "X-Ray traces") == pytest.approx(traces / 1e6 * 5.00)
    assert not lines(est, "f", "X-Ray")  # the same trace as the API's
    assert "xray.rate" in ids(est)
    off = estimate(parse_text(text.replace("tracing = true", "tracing = false")))
    assert not any("X-Ray" in c["name"] for c in off.components)


def test_a_pricing_file_without_a_cross_cutting_price_omits_it_with_a_note(tmp_path):
    import importlib.resources as r

    raw = yaml.safe_load(r.files("advisor.estimate").joinpath("data/pricing/us-east-1.yaml").read_text())
    del raw["prices"]["logs.ingest"]
    path = tmp_path / "us-east-1.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    text = "workload { requests = 1M/month }\nclient c\nlambda f\nc -> f\n"
    est = estimate(parse_text(text), pricing_file=str(path))
    assert not lines(est, "f", "Log ingestion")
    assert any("logs.ingest" in n for n in est.notes)
    assert load_pricing("us-east-1").has("logs.ingest")


def test_the_cache_size_rounds_up_to_a_size_aws_sells():
    text = "client c\napigw api { type = rest, caching = true, cache_size = 2 }\nc -> api\n"
    est = estimate(parse_text(text))
    assert lines(est, "api", "Cache memory")[0]["name"] == "Cache memory (6.1 GB)"
    assert usd(est, "api", "Cache memory") == pytest.approx(730 * 0.200)


def test_assumptions_are_in_the_json_and_deterministic():
    text = "client c\nlambda f\ns3 b\nc -> f -> b\n"
    a = estimate(parse_text(text)).to_dict()
    b = estimate(parse_text(text)).to_dict()
    assert a == b
    got = {x["id"] for x in a["assumptions"]}
    assert {"workload.requests", "workload.payload", "lambda.platform_log_bytes",
            "s3.retention_months", "storage.unstated_operation"} <= got
    assert a["workload"]["requests_source"] == "default"
    for x in a["assumptions"]:
        assert x["text"] and (x.get("source") or x["id"].startswith("design."))
    assert math.isfinite(a["cost"]["monthly_usd"])
