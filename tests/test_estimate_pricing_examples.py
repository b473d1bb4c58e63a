"""The worked examples on the AWS pricing pages, reproduced to the cent.

Each test names the page it reproduces. Designs are one node fed by the workload, so the
figures come straight from the estimator's pricing data and metering rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.estimate import estimate
from advisor.model import Architecture

MB = 1024**2
KB = 1024


def single(kind: str, props: dict, requests: float, payload: float = 1024) -> Architecture:
    """One node fed by the workload. The Lambda pages' examples price requests and
    duration only, so their functions state that they log nothing (`log_bytes = 0`)."""
    if kind == "lambda":
        props = {"log_bytes": 0, **props}
    arch = Architecture(name=kind)
    arch.workload = {"requests": requests, "payload": payload}
    arch.add_node("n", kind, props)
    return arch


def component(est, name_part: str) -> dict:
    found = [c for c in est.components if name_part in c["name"]]
    assert len(found) == 1, [c["name"] for c in est.components]
    return found[0]


def test_lambda_example_mobile_backend():
    # https://aws.amazon.com/lambda/pricing/ Example 1 "Mobile application backend":
    # 3M requests, 120 ms, 1536 MB, x86 -> 540,000 GB-s x $0.0000166667 = $9.00,
    # 3M x $0.20/M = $0.60, total $9.60 (no free tier in the example).
    est = estimate(single("lambda", {"memory": 1536 * MB, "duration": 120}, 3e6))
    assert component(est, "Duration")["quantity"] == pytest.approx(540_000)
    assert round(component(est, "Duration")["monthly_usd"], 2) == 9.00
    assert round(component(est, "Requests")["monthly_usd"], 2) == 0.60
    assert round(est.monthly_usd, 2) == 9.60


def test_lambda_example_with_free_tier(tmp_path):
    # https://aws.amazon.com/lambda/pricing/ (earlier Example 1): 512 MB, 3M runs of 1 s:
    # 1,500,000 GB-s - 400,000 free = 1,100,000 x $0.00001667 = $18.34; 3M - 1M free
    # requests = 2M x $0.20/M = $0.40; total $18.74. That page used $0.00001667/GB-s, so
    # this test prices with the page's own rate via a pricing file.
    builtin = Path(__file__).resolve().parents[1] / "advisor/estimate/data/pricing/us-east-1.yaml"
    data = yaml.safe_load(builtin.read_text("utf-8"))
    data["prices"]["lambda.duration.x86"]["tiers"] = [{"upto": None, "price": 0.00001667}]
    path = tmp_path / "us-east-1.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    arch = single("lambda", {"memory": 512 * MB, "duration": 1000}, 3e6)
    est = estimate(arch, free_tier=True, pricing_file=str(path))
    assert round(component(est, "Duration")["monthly_usd"], 2) == 18.34
    assert round(component(est, "Requests")["monthly_usd"], 2) == 0.40
    assert round(est.monthly_usd, 2) == 18.74
    # and without the free tier (the default) the allowance is not subtracted
    assert estimate(arch, pricing_file=str(path)).monthly_usd > est.monthly_usd + 6


def test_lambda_duration_tiers():
    # https://aws.amazon.com/blogs/compute/introducing-tiered-pricing-for-aws-lambda/ :
    # x86, 2048 MB, 60 s, 75M invocations = 9B GB-s; the first 6B GB-s at $0.0000166667
    # ($100,000.20) and the next 3B at $0.000015 ($45,000.00), per the tier table on
    # https://aws.amazon.com/lambda/pricing/ ; requests 75M x $0.20/M = $15.00.
    est = estimate(single("lambda", {"memory": 2048 * MB, "duration": 60_000}, 75e6))
    assert component(est, "Duration")["quantity"] == pytest.approx(9e9)
    assert round(component(est, "Duration")["monthly_usd"], 2) == 145_000.20
    assert round(est.monthly_usd, 2) == 145_015.20


def test_lambda_arm64_is_priced_on_its_own_rate():
    # https://aws.amazon.com/lambda/pricing/ : Arm $0.0000133334 per GB-s (first 7.5B)
    est = estimate(single("lambda", {"memory": 1024 * MB, "duration": 1000, "arch": "arm64"}, 1e6))
    assert round(component(est, "Duration")["monthly_usd"], 2) == round(1e6 * 0.0000133334, 2)


def test_step_functions_standard_example():
    # https://aws.amazon.com/step-functions/pricing/ Standard example: 4 state transitions,
    # 100,000 executions = 400,000 transitions - 4,000 free = 396,000 x $0.000025 = $9.90.
    arch = single("sfn", {"type": "standard", "states": 4}, 100_000)
    assert round(estimate(arch, free_tier=True).monthly_usd, 2) == 9.90
    assert round(estimate(arch).monthly_usd, 2) == 10.00  # free tier off by default


def test_step_functions_express_example():
    # https://aws.amazon.com/step-functions/pricing/ Express example: 100M workflows of
    # 10 s at 64 MB: requests 100M x $1.00/M = $100.00; 62,500,000 GB-s = 17,361.11
    # GB-hours: 1,000 x $0.06 + 4,000 x $0.03 + 12,361.11 x $0.01642 = $382.97;
    # total $482.97.
    arch = single("sfn", {"type": "express", "duration": 10_000, "memory": 64 * MB}, 100e6)
    est = estimate(arch)
    assert component(est, "duration")["quantity"] == pytest.approx(17_361.11, abs=0.01)
    assert round(component(est, "duration")["monthly_usd"], 2) == 382.97
    assert round(component(est, "requests")["monthly_usd"], 2) == 100.00
    assert round(est.monthly_usd, 2) == 482.97


def test_step_functions_express_memory_and_duration_steps():
    # https://aws.amazon.com/step-functions/pricing/ : 50 MB + 50 KB + 32 KB x 400 =
    # 62.85 MB is billed as 64 MB; duration rounds up to the next 100 ms.
    used = 50 * MB + 50 * KB + 400 * 32 * KB
    base = single("sfn", {"type": "express", "duration": 1000, "memory": 64 * MB}, 1e6)
    same = single("sfn", {"type": "express", "duration": 1000, "memory": used}, 1e6)
    more = single("sfn", {"type": "express", "duration": 1000, "memory": 65 * MB}, 1e6)
    slower = single("sfn", {"type": "express", "duration": 1001, "memory": 64 * MB}, 1e6)
    d = lambda a: component(estimate(a), "duration")["quantity"]  # noqa: E731
    assert d(same) == pytest.approx(d(base))
    assert d(more) == pytest.approx(2 * d(base))
    assert d(slower) == pytest.approx(d(base) * 1.1)


def test_api_gateway_rest_tiers():
    # https://aws.amazon.com/api-gateway/pricing/ REST: first 333M at $3.50/M, next 667M
    # at $2.80/M, next 19B at $2.38/M: 1.5B requests = $1,165.50 + $1,867.60 + $1,190.00.
    est = estimate(single("apigw", {"type": "rest"}, 1.5e9))
    assert round(est.monthly_usd, 2) == 4_223.10


def test_api_gateway_http_tiers_and_512kb_metering():
    # https://aws.amazon.com/api-gateway/pricing/ HTTP APIs: first 300M at $1.00/M, then
    # $0.90/M: 1B requests = $300 + $630 = $930.00. Metered in 512 KB increments: a
    # 1.5 MB request counts as three.
    assert round(estimate(single("apigw", {"type": "http"}, 1e9)).monthly_usd, 2) == 930.00
    big = estimate(single("apigw", {"type": "http"}, 1e6, payload=1536 * KB))
    assert round(big.monthly_usd, 2) == 3.00


def test_api_gateway_websocket_32kb_messages():
    # https://aws.amazon.com/api-gateway/pricing/ WebSocket: $1.00 per million messages,
    # metered in 32 KB increments ("a 33 KB message is metered as two messages").
    est = estimate(single("apigw", {"type": "websocket"}, 1e6, payload=33 * KB))
    assert round(est.monthly_usd, 2) == 2.00


def test_sqs_64kb_chunks_and_fifo():
    # https://aws.amazon.com/sqs/pricing/ : each 64 KB chunk of a payload is billed as one
    # request (a 256 KB payload is four); standard $0.40/M, FIFO $0.50/M.
    std = estimate(single("sqs", {}, 1e6, payload=256 * KB))
    assert round(std.monthly_usd, 2) == 1.60
    fifo = estimate(single("sqs", {"fifo": True}, 1e6, payload=1 * KB))
    assert round(fifo.monthly_usd, 2) == 0.50


def test_firehose_example_5kb_rounding():
    # https://aws.amazon.com/firehose/pricing/ example: 100 records/s of 3 KB, each
    # rounded up to 5 KB: 100 x 5 KB / 1,048,576 x 86,400 x 30 = 1,235.96 GB x $0.029
    # = $35.84 a month.
    records = 100 * 86_400 * 30
    est = estimate(single("firehose", {}, records, payload=3 * KB))
    assert component(est, "ingested")["quantity"] == pytest.approx(1_235.96, abs=0.01)
    assert round(component(est, "ingested")["monthly_usd"], 2) == 35.84


def test_dynamodb_on_demand_after_nov_2024_cut():
    # https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.625 per million write request
    # units (1 KB each) since 2024-11-01; a 2.5 KB item takes 3 WRU.
    est = estimate(single("dynamodb", {"storage": 0}, 1e6, payload=2560))
    assert round(component(est, "Write")["monthly_usd"], 4) == round(3 * 0.625, 4)


def test_kinesis_provisioned_vs_on_demand_fixed_costs():
    # https://aws.amazon.com/kinesis/data-streams/pricing/ : on-demand $0.04 per stream
    # hour (730 h = $29.20) vs provisioned $0.015 per shard hour ($10.95 per shard).
    od = estimate(single("kinesis", {}, 0))
    pv = estimate(single("kinesis", {"mode": "provisioned", "shards": 2}, 0))
    assert round(od.monthly_usd, 2) == 29.20
    assert round(pv.monthly_usd, 2) == 21.90
