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


def test_api_routes_share_traffic_and_latency_is_the_slowest_route() -> None:
    text = """
    workload { requests = 3M/month }
    client u
    apigw a { type = http }
    lambda get_order { memory = 256MB, duration = 50ms, timeout = 5s }
    lambda put_order { memory = 256MB, duration = 80ms, timeout = 5s }
    dynamodb t
    u -> a
    a -> get_order -> t
    a -> put_order -> t
    """
    arch = parse_text(text)
    est = estimate(arch)
    one_route = parse_text(text.replace("a -> get_order -> t", ""))
    slowest = estimate(one_route).latency["response_p50_ms"]
    assert est.latency["response_p50_ms"] == slowest  # not the sum of both routes
    from advisor.estimate.propagate import propagate

    wl = propagate(arch)
    assert wl.nodes["get_order"].invocations == wl.nodes["put_order"].invocations == 1_500_000
    assert wl.nodes["t"].records == 3_000_000


def test_a_dlq_on_a_queue_nothing_feeds_does_not_make_it_an_entry_point() -> None:
    """Without clients, the nodes nothing feeds share the workload. A queue no producer or
    consumer of the design uses starts no flow; giving it a dead-letter queue (a failure
    path only) must not make it one, taking a share from the real entry point."""
    design = """
workload { requests = 10M/month, payload = 1KB }
apigw api { type = http, auth = jwt }
lambda work { memory = 512MB, duration = 200ms, timeout = 10s }
dynamodb table
sqs idle {visibility = 60s}
api -> work -> table
"""
    before = estimate(parse_text(design))
    after = estimate(parse_text(
        design.replace("{visibility = 60s}", "{visibility = 60s, dlq = idle_dlq}")
        + "sqs idle_dlq { is_dlq = true }\nidle -> idle_dlq\n"))
    assert after.by_node["work"] == before.by_node["work"] > 0
    assert after.by_node["idle"] == before.by_node["idle"] == 0
    assert after.monthly_usd == before.monthly_usd
