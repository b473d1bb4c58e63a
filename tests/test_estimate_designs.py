"""Estimates of whole designs: the seed case, Standard vs Express, propagation, latency."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from advisor.dsl import parse_text
from advisor.errors import AdvisorError
from advisor.estimate import attach_alternative_deltas, estimate
from advisor.estimate.propagate import propagate
from advisor.estimate.sweep import sweep

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

SEED = """
architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
apigw    ingest    { type = rest, auth = none }
lambda   forward   { memory = 1024MB, duration = 120ms, runtime = python3.12 }
firehose delivery
s3       lake
browser -> ingest -> forward -> delivery -> lake
"""

SEED_DIRECT = """
architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
firehose delivery
s3       lake
browser -> delivery -> lake
"""

SEED_SERVICE_INTEGRATION = """
architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
apigw    ingest    { type = rest, auth = none }
firehose delivery
s3       lake
browser -> ingest -> delivery -> lake
"""


def line(est, node: str, name: str) -> float:
    """Monthly USD of the one component of `node` whose name starts with `name`."""
    found = [c["monthly_usd"] for c in est.components if c["node"] == node and c["name"].startswith(name)]
    assert len(found) == 1, [c["name"] for c in est.components if c["node"] == node]
    return found[0]


def test_seed_optimized_drops_api_gateway_and_lambda_cost_and_hop():
    before = estimate(parse_text(SEED))
    after = estimate(parse_text(SEED_DIRECT))
    # REST: 50M x $3.50/M; Lambda: 50M x $0.20/M + 50M x 0.12 s x 1 GB x $0.0000166667,
    # plus its log lines: 50M x 350 B / 2^30 x $0.50/GB
    assert line(before, "ingest", "REST API requests") == pytest.approx(175.00)
    assert line(before, "forward", "Requests") + line(before, "forward", "Duration (x86)") == \
        pytest.approx(10.00 + 6e6 * 0.0000166667)
    assert line(before, "forward", "Log ingestion") == pytest.approx(50e6 * 350 / 1024**3 * 0.50)
    assert "ingest" not in after.by_node and "forward" not in after.by_node
    # what stays (Firehose, S3) costs the same; the saving is exactly the removed nodes
    saving = before.monthly_usd - after.monthly_usd
    assert saving == pytest.approx(before.by_node["ingest"] + before.by_node["forward"])
    # the Lambda hop (and the API) are gone from the response path
    assert "forward" in before.latency["response_path"]
    assert after.latency["response_path"] == ["browser", "delivery"]
    drop = before.latency["response_p50_ms"] - after.latency["response_p50_ms"]
    assert drop >= 120  # at least the function's own 120 ms


def test_seed_service_integration_keeps_api_cost_drops_lambda():
    before = estimate(parse_text(SEED))
    after = estimate(parse_text(SEED_SERVICE_INTEGRATION))
    assert after.by_node["ingest"] == pytest.approx(before.by_node["ingest"])
    assert after.monthly_usd == pytest.approx(before.monthly_usd - before.by_node["forward"])
    assert "forward" not in after.latency["response_path"]


def test_seed_delivery_includes_firehose_buffering():
    est = estimate(parse_text(SEED))
    # 50M x 2 KB a month fills the 5 MiB buffer in ~135 s, before the 300 s interval:
    rate = 50e6 * 2048 / (730 * 3600 * 1000)  # bytes per ms
    period = 5 * 1024**2 / rate
    assert period < 300_000
    assert est.latency["delivery_p50_ms"] >= period / 2
    assert est.latency["delivery_p99_ms"] >= period * 0.99
    assert est.latency["delivery_path"][-1] == "lake"


def test_every_node_in_by_node_sorted():
    est = estimate(parse_text(SEED))
    assert list(est.by_node) == sorted(["browser", "ingest", "forward", "delivery", "lake"])
    assert est.by_node["browser"] == 0.0
    assert any("client" in n for n in est.notes)


def test_requests_override_scales_request_costs():
    arch = parse_text(SEED)
    low = estimate(arch, requests=5e6)
    assert line(low, "ingest", "REST API requests") == pytest.approx(17.50)
    assert low.entry_requests == 5e6


def test_standard_workflow_200m_express_cheaper_with_break_even():
    arch = parse_text(
        """
architecture "wf"
workload { requests = 200M/month, payload = 1KB }
client c
sfn flow { type = standard, states = 6, duration = 2s }
c -> flow
"""
    )
    result = sweep(arch, requests=200e6)
    comp = next(c for c in result.comparisons if c.title.startswith("Step Functions"))
    std = estimate(arch).by_node["flow"]
    assert std == pytest.approx(200e6 * 6 * 0.000025)  # $30,000
    express = arch.copy()
    express.graph.nodes["flow"]["props"]["type"] = "express"
    exp = estimate(express).by_node["flow"]
    assert exp < std / 10
    assert comp.cheaper_at(1e9) == "express"
    # the break-even: with Standard's 4,000 free transitions it is cheaper below some
    # traffic; check the curves really cross there
    (be,) = comp.extra["break_even_requests_month_free_tier"]
    assert 100 < be < 200e6

    def cost(a, r):
        return estimate(a, requests=r, free_tier=True).by_node["flow"]

    assert cost(arch, be * 0.8) < cost(express, be * 0.8)
    assert cost(arch, be * 1.25) > cost(express, be * 1.25)


def test_express_break_even_duration_is_where_costs_meet():
    arch = parse_text(
        """
architecture "wf"
workload { requests = 1M/month }
client c
sfn flow { type = standard, states = 2, duration = 1s }
c -> flow
"""
    )
    comp = next(c for c in sweep(arch, requests=1e6).comparisons if c.node == "flow")
    d = comp.extra["break_even_duration_ms"]
    assert d is not None
    std = estimate(arch).by_node["flow"]

    def express(ms):
        a = arch.copy()
        a.graph.nodes["flow"]["props"].update(type="express", duration=ms)
        return estimate(a).by_node["flow"]

    assert express(d) <= std < express(d + 100)


def test_kinesis_break_even_between_on_demand_and_provisioned():
    arch = parse_text(
        """
architecture "k"
workload { requests = 1M/month, payload = 1KB }
client c
kinesis s { mode = provisioned, shards = 40 }
c -> s
"""
    )
    comp = next(c for c in sweep(arch).comparisons if c.node == "s")
    # 40 shards cost $438/month fixed; on-demand ($29.20 + per GB) wins at low traffic,
    # provisioned at high traffic: the curves cross once
    assert (comp.a_label, comp.b_label) == ("on-demand", "provisioned")
    assert comp.rows[0][1] < comp.rows[0][2]  # on-demand cheaper at 1K
    assert comp.rows[-1][2] < comp.rows[-1][1]  # provisioned cheaper at 10B
    assert len(comp.break_even_requests) == 1


def test_propagation_fanout_filter_batch_override():
    arch = parse_text(
        """
architecture "p"
workload { requests = 1M/month }
client c
sns t
sqs q
lambda f
lambda g { requests = 5K/month }
dynamodb d
c -> t
t -> q [filter = 0.5]
q -> f [batch = 10]
f -> d [fanout = 3]
t -> g
"""
    )
    wl = propagate(arch)
    assert wl.nodes["q"].records == pytest.approx(0.5e6)
    assert wl.nodes["f"].records == pytest.approx(0.5e6)
    assert wl.nodes["f"].invocations == pytest.approx(0.05e6)
    assert wl.nodes["d"].records == pytest.approx(1.5e6)
    assert wl.nodes["g"].invocations == 5000


def test_cycles_terminate_and_count_once():
    arch = parse_text(
        """
architecture "loop"
workload { requests = 1M/month }
client c
lambda a
lambda b
c -> a -> b -> a
"""
    )
    wl = propagate(arch)
    assert ("b", "a") in wl.back_edges
    assert wl.nodes["b"].records == pytest.approx(1e6)
    est = estimate(arch)
    assert est.monthly_usd > 0


def test_scheduler_rate():
    arch = parse_text(
        """
architecture "cron"
scheduler tick { schedule = "rate(5 minutes)" }
lambda job
tick -> job
"""
    )
    wl = propagate(arch)
    assert wl.nodes["job"].records == pytest.approx(730 * 12)


def test_cold_start_share_at_low_traffic_reaches_the_median():
    text = """
architecture "cold"
workload { requests = %s }
client c
apigw api { type = http }
lambda f { duration = 50ms, runtime = java21 }
c -> api -> f
"""
    rare = estimate(parse_text(text % "100/month"))
    busy = estimate(parse_text(text % "100M/month"))
    assert rare.latency["cold_start_share"] == 1.0
    assert busy.latency["cold_start_share"] < 0.01
    # Java's init (~240 ms) is in the rare design's median, not in the busy one's
    assert rare.latency["response_p50_ms"] - busy.latency["response_p50_ms"] > 200


def test_unknown_region_is_an_error():
    with pytest.raises(AdvisorError, match="no pricing data"):
        estimate(parse_text(SEED), region="xx-nowhere-1")


def test_attach_alternative_deltas_duck_typed():
    before_arch = parse_text(SEED)
    before = estimate(before_arch)
    alt = SimpleNamespace(title="direct", after=parse_text(SEED_DIRECT))
    finding = SimpleNamespace(alternatives=[alt])
    attach_alternative_deltas(before_arch, [finding], before, region="us-east-1")
    after = estimate(alt.after)
    assert alt.cost_delta_usd_month == round(after.monthly_usd - before.monthly_usd, 2)
    assert alt.cost_delta_usd_month < -280
    assert alt.latency_delta_ms < -120


def test_to_dict_is_deterministic_and_has_contract_keys():
    a = estimate(parse_text(SEED)).to_dict()
    b = estimate(parse_text(SEED)).to_dict()
    assert a == b
    assert set(a) == {"cost", "latency", "workload", "assumptions"}
    assert {"monthly_usd", "by_node", "components"} <= set(a["cost"])
    assert {"response_p50_ms", "response_p99_ms", "delivery_p50_ms"} <= set(a["latency"])
    for c in a["cost"]["components"]:
        assert set(c) >= {"node", "name", "quantity", "unit", "price_usd", "monthly_usd"}


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.arch")), ids=lambda p: p.name)
def test_samples_estimate(path):
    from advisor.dsl import parse_file

    est = estimate(parse_file(path))
    assert est.monthly_usd >= 0
    assert set(est.by_node) == set(parse_file(path).graph.nodes)


BUCKET_NOTIFIES = """
architecture "lake"
workload { requests = 1M/month, payload = 1KB }
client   devices
firehose delivery {buffer}
s3       lake
lambda   index     { memory = 512MB, duration = 100ms }
devices -> delivery -> lake -> index
"""


@pytest.mark.parametrize(("buffer", "interval_s"), [("", 300),
                                                    ("{ buffer_interval = 60s }", 60)])
def test_a_bucket_a_delivery_stream_writes_notifies_once_per_object(buffer: str,
                                                                    interval_s: int) -> None:
    # Firehose writes one object per buffer flush; S3 sends one event notification per
    # object created, so the function runs once per object, not once per record
    design = parse_text(BUCKET_NOTIFIES.replace("{buffer}", buffer))
    loads = propagate(design).nodes
    month_s = 730 * 3600
    objects = month_s / interval_s  # 1 GB a month never fills a 5 MB buffer first
    assert loads["lake"].records == pytest.approx(objects)  # the objects written
    assert loads["lake"].bytes == pytest.approx(1e6 * 1024)  # holding every record
    assert loads["index"].records == pytest.approx(objects)
    assert loads["index"].invocations == pytest.approx(objects)
    assert loads["index"].bytes == pytest.approx(1e6 * 1024)  # each event names one object
    est = estimate(design)
    assert line(est, "index", "Requests") == pytest.approx(objects * 0.20 / 1e6)
    # the bucket's PUTs are the same objects (as they were)
    assert line(est, "lake", "PUT") == pytest.approx(objects * 0.005 / 1000)


TRANSFORMED = """
architecture "lake"
workload { requests = 1M/month, payload = 1KB }
client   devices
firehose delivery
lambda   enrich    { memory = 256MB, duration = 100ms }
s3       lake
devices -> delivery -> lake
delivery -> enrich [label = "transform"]
"""


def test_a_delivery_stream_invokes_its_transform_once_per_buffered_batch() -> None:
    # Firehose buffers records for its transform function (1 MB or 60 s by default) and
    # invokes it once per buffered batch: 1 GB a month never fills 1 MB within a minute
    design = parse_text(TRANSFORMED)
    loads = propagate(design).nodes
    batches = 730 * 60  # one a minute
    assert loads["enrich"].records == pytest.approx(1e6)
    assert loads["enrich"].invocations == pytest.approx(batches)
    est = estimate(design)
    assert line(est, "enrich", "Requests") == pytest.approx(batches * 0.20 / 1e6)
    said = [a for a in est.assumptions if a.id.startswith("firehose.transform_buffer")]
    assert {a.id for a in said} == {"firehose.transform_buffer_bytes",
                                    "firehose.transform_buffer_interval_ms"}
    assert all(a.nodes == ("enrich",) and "data-transformation" in a.source for a in said)
    # at 100 MB a minute the 1 MB buffer fills first: one batch per MB
    busy = parse_text(TRANSFORMED.replace("payload = 1KB", "payload = 100KB").replace(
        "1M/month", "43.8M/month"))
    per_mb = 43.8e6 * 100 * 1024 / 1048576
    assert propagate(busy).nodes["enrich"].invocations == pytest.approx(per_mb)
