"""Dead-letter queues and on-failure destinations carry failed records only: adding one
must not add steady-state traffic (cost) nor become the delivery path (latency)."""

from __future__ import annotations

from advisor.dsl import parse_text
from advisor.estimate import estimate

BASE = """
workload { requests = 10M/month, payload = 1KB }
client shop
sns orders
sqs jobs {visibility = 60s}
lambda work { memory = 512MB, duration = 200ms, timeout = 10s }
dynamodb table
shop -> orders -> jobs -> work -> table
"""


def test_dlq_adds_no_traffic_and_is_not_the_delivery_path() -> None:
    before = estimate(parse_text(BASE))
    with_dlq = parse_text(BASE.replace("{visibility = 60s}", "{visibility = 60s, dlq = jobs_dlq}")
                          + "sqs jobs_dlq\njobs -> jobs_dlq [label = \"redrive\"]\n")
    after = estimate(with_dlq)
    assert after.by_node["jobs_dlq"] == 0
    assert after.by_node["jobs"] == before.by_node["jobs"]
    assert after.monthly_usd == before.monthly_usd
    assert after.latency["delivery_path"][-1] == "table"
    assert after.latency["delivery_p50_ms"] == before.latency["delivery_p50_ms"]


def test_stream_on_failure_destination_is_a_failure_path() -> None:
    text = """
    workload { requests = 10M/month }
    client devices
    kinesis s
    lambda f { memory = 256MB, timeout = 10s }
    sqs failed
    dynamodb t
    devices -> s -> f -> t
    s -> f [on_failure = failed, bisect = true]
    f -> failed [mode = async]
    """
    est = estimate(parse_text(text))
    assert est.by_node["failed"] == 0
    assert est.latency["delivery_path"][-1] == "t"
