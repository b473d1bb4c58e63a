"""The incremental estimate of a rewrite (advisor/estimate/incremental.py) against the full
estimate of the same design: the same monthly cost and latencies, to the last bit, on
every alternative of every sample and corpus design, with and without the free tier.

A report prints the deltas these figures give, so any difference would change bytes out;
comparing the floats themselves (not their rounded deltas) catches a last-bit drift the
rounding would hide today and show on another design."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from advisor.estimate import estimate
from advisor.estimate.estimator import estimate_rewrite
from advisor.pipeline import Options, analyze_source

REPO = Path(__file__).resolve().parents[1]
# what a partial estimate carries (no paths, no per-node breakdown: it is for deltas)
FIGURES = ("response_p50_ms", "response_p99_ms", "delivery_p50_ms", "delivery_p99_ms")
SUFFIXES = (".arch", ".yaml", ".yml", ".json", ".template")


def inputs(root: Path) -> list[Path]:
    """Every design file under `root` (templates, DSL) and every Terraform directory."""
    files = {p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES
             and p.name != "manifest.yaml" and not p.name.endswith(".asl.json")
             and "statemachine" not in p.parts}
    files |= {p.parent for p in root.rglob("*.tf")}
    return sorted(files)


def compare(paths: list[Path], free_tier: bool) -> tuple[int, int, list[str]]:
    """(alternatives compared, of them estimated incrementally, mismatches)."""
    options = Options(free_tier=free_tier)
    kwargs = {k: v for k, v in options.estimate_kwargs().items() if k != "usage"}
    compared = partial = 0
    bad: list[str] = []
    for path in paths:
        result = analyze_source(str(path), options)
        before = result.before
        if before is None or not result.findings:
            continue
        base = estimate(before, **kwargs)
        for f in result.findings:
            for alt in f.alternatives:
                after = alt.after
                if after is None:
                    continue
                full = estimate(after, **kwargs)
                inc = estimate_rewrite(before, base, after, **kwargs)
                compared += 1
                partial += inc.partial
                got = (inc.monthly_usd, *(inc.latency[k] for k in FIGURES),
                       *(getattr(inc.latency_result, k) for k in FIGURES),
                       inc.has_response, inc.latency_delta_from(base))
                want = (full.monthly_usd, *(full.latency[k] for k in FIGURES),
                        *(getattr(full.latency_result, k) for k in FIGURES),
                        full.has_response, full.latency_delta_from(base))
                if got != want:
                    bad.append(f"{path} {f.rule} {alt.title}: {got} != {want}")
    return compared, partial, bad


@pytest.mark.parametrize("free_tier", [False, True])
def test_incremental_equals_full_on_samples(free_tier: bool) -> None:
    compared, partial, bad = compare(inputs(REPO / "samples"), free_tier)
    assert not bad, "\n".join(bad[:20])
    assert compared > 50
    assert partial > compared // 2  # the incremental path is the one taken, not the fallback


@pytest.mark.parametrize("free_tier", [False, True])
def test_incremental_equals_full_on_corpus(free_tier: bool) -> None:
    corpus = shared_path("corpus")
    paths = inputs(corpus / "serverless-patterns") + inputs(corpus / "sam-translator" / "input")
    compared, partial, bad = compare(paths, free_tier)
    assert not bad, "\n".join(bad[:20])
    assert compared > 500
    assert partial > compared // 2


RING = """architecture "ring"
workload { requests = 5M/month }
sns    topic_a
sqs    queue_a { visibility = 60s }
lambda work_a  { memory = 256MB, duration = 50ms, timeout = 10s }
sns    topic_b
sqs    queue_b { visibility = 60s }
lambda work_b  { memory = 256MB, duration = 50ms, timeout = 10s }
topic_a -> queue_a -> work_a -> topic_b -> queue_b -> work_b -> topic_a
"""


@pytest.mark.parametrize("fed", [False, True])
def test_designs_with_a_cycle_are_estimated_incrementally_and_exactly(
        tmp_path: Path, fed: bool) -> None:
    """A ring of services (nothing feeds it), and the same ring fed by a client: the
    rewrites that keep the edges that close the cycle (attributes, a new dead-letter
    queue) are estimated from the base, with the full estimate's figures."""
    from advisor.estimate.incremental import changes_between
    from advisor.overlay import changed_nodes

    path = tmp_path / "ring.arch"
    path.write_text(RING + ("client c\nc -> topic_a\n" if fed else ""), encoding="utf-8")
    result = analyze_source(str(path))
    before = result.before
    base = estimate(before)
    assert base.workload.back_edges  # the design has a cycle
    _compared, partial, bad = compare([path], free_tier=False)
    assert not bad, "\n".join(bad)
    keeping = 0  # alternatives whose change keeps the edges that close the cycle
    for alt in (a for f in result.findings for a in f.alternatives if a.after is not None):
        ch = changes_between(before, alt.after, changed_nodes(alt.after, before))
        assert ch is not None
        keeping += not ch.removed and all(
            b not in before.graph and not alt.after.graph.succ[b] for _a, b in ch.added_edges)
    assert keeping >= 4
    assert partial == keeping  # the others (a function replaced by a pipe) are estimated whole


def test_an_alternative_design_is_freed_once_its_deltas_are_set() -> None:
    """No reference cycle keeps an alternative's design alive after its deltas (the
    collector is paused through a file's analysis: a cycle would be held to its end)."""
    import gc
    import weakref

    from advisor.estimate import attach_alternative_deltas
    from advisor.pipeline import Estimates, run_engine

    options = Options()
    arch = analyze_source(str(REPO / "samples" / "sns-lambda-sqs.arch")).before
    estimates = Estimates(options)
    outcome = run_engine(arch, options, estimates=estimates)
    alts = [a for f in outcome.findings for a in f.alternatives if a.after is not None]
    assert alts
    refs = [weakref.ref(a.after.graph) for a in alts]  # (the graph is what a cycle holds)
    was = gc.isenabled()
    gc.disable()
    try:
        attach_alternative_deltas(arch, outcome.findings, estimates.of(arch),
                                  estimate_of=lambda after: estimates.of_rewrite(
                                      arch, after, last=True), release=True)
        alive = [r for r in refs if r() is not None]
    finally:
        if was:
            gc.enable()
    assert not alive, f"{len(alive)} of {len(refs)} designs still alive"


def test_a_lone_entry_that_starts_no_flow_is_estimated_whole_after_a_change() -> None:
    """A queue and its dead-letter queue take the workload at the queue (propagate's
    one-node rule); a change that adds another node nothing feeds ends that rule, which
    the incremental estimate cannot see from the changed nodes: it estimates whole and
    gives the full estimate's figures."""
    from advisor.dsl import parse_text
    from advisor.overlay import overlay_copy

    before = parse_text('architecture "lone"\nsqs q { dlq = d }\nsqs d\nq -> d\n', "lone.arch")
    base = estimate(before, requests=1_000_000)
    after = overlay_copy(before)
    after.add_node("x", "lambda", {})
    full = estimate(after, requests=1_000_000)
    inc = estimate_rewrite(before, base, after, requests=1_000_000)
    assert not inc.partial
    assert inc.monthly_usd == full.monthly_usd


PROPS_ONLY = """architecture "props only"
workload { requests = 4M/month, payload = 2KB }
client   app
apigw    api    { type = rest, auth = none }
lambda   front  { memory = 512MB, duration = 80ms, runtime = python3.12 }
sqs      orders { visibility = 60s }
lambda   worker { memory = 256MB, duration = 30ms }
dynamodb table
app -> api -> front -> orders
orders -> worker [batch = 10]
worker -> table
"""


def _walked(monkeypatch: pytest.MonkeyPatch, before: Any, base: Any,
            after: Any) -> tuple[list[str], Any, Any]:
    """(the walks the incremental estimate of `after` ran, that estimate, the full one)."""
    from advisor.estimate import incremental

    made: list[str] = []
    run = incremental._Run
    for walk, method in (("traffic", "_propagate"), ("latency", "_latency")):
        def noted(self: object, *args: object, _walk: str = walk,
                  _method: object = getattr(run, method)) -> object:
            made.append(_walk)
            return _method(self, *args)  # type: ignore[operator]
        monkeypatch.setattr(run, method, noted)
    return made, estimate_rewrite(before, base, after), estimate(after)


def _figures(est: Any) -> tuple[Any, ...]:
    return (est.monthly_usd, *(est.latency[k] for k in FIGURES), est.has_response)


@pytest.mark.parametrize(("node", "props", "walks"), [
    ("orders", {"visibility": 600_000.0}, ()),  # read by neither walk: both reused
    ("front", {"memory": 1024 * 1024**2}, ()),  # cost only: its own lines
    ("worker", {"tracing": True}, ()),  # cost only, a neighbour's lines read it too
    ("api", {"tracing": True, "account": "111111111111"}, ()),
    # a failure destination named: the worker's edge carries failed records only now
    ("orders", {"dlq": "worker"}, ("traffic", "latency")),
    ("worker", {"duration": 90.0}, ("latency",)),  # the latency model reads it
    ("orders", {"requests": 1_000_000.0}, ("traffic", "latency")),  # the load changes
])
def test_a_change_of_props_only_skips_the_walks_that_do_not_read_them(
        monkeypatch: pytest.MonkeyPatch, node: str, props: dict, walks: tuple[str, ...]) -> None:
    """A change that only sets props: the traffic walk is made only when it reads one of
    them (`FLOW_PROPS`), the latency walk only when it reads one or a load changed
    (`LATENCY_PROPS`), the neighbours' lines priced again only when they read one
    (`NEIGHBOUR_PROPS`); either way the figures are the full estimate's, to the last bit."""
    from advisor.dsl import parse_text
    from advisor.overlay import overlay_copy

    before = parse_text(PROPS_ONLY, "props.arch")
    before.resolve_modes()
    base = estimate(before)
    after = overlay_copy(before)
    after.graph.nodes[node]["props"].update(props)
    made, inc, full = _walked(monkeypatch, before, base, after)
    assert inc.partial
    assert tuple(made) == walks
    assert _figures(inc) == _figures(full)


@pytest.mark.parametrize(("dead", "walks"), [
    (True, ()),  # a dead-letter queue: the data never reaches it
    (False, ("traffic", "latency")),  # a node the data reaches: its traffic and latency count
])
def test_a_dead_end_added_leaves_the_walks_out(
        monkeypatch: pytest.MonkeyPatch, dead: bool, walks: tuple[str, ...]) -> None:
    """A change that adds a node only failed records reach (a dead-letter queue, named
    by the queue it serves) leaves every input of the traffic rules and the latency model
    as they were for the other nodes: their loads, flows and latencies are the base's, the
    dead end's load is worked out alone; a node the data reaches is walked. Either way the
    figures are the full estimate's, to the last bit."""
    from advisor.dsl import parse_text
    from advisor.overlay import overlay_copy

    before = parse_text(PROPS_ONLY, "props.arch")
    before.resolve_modes()
    base = estimate(before)
    after = overlay_copy(before)
    if dead:
        after.add_node("orders_dlq", "sqs", {"is_dlq": True})
        after.graph.nodes["orders"]["props"]["dlq"] = "orders_dlq"
        after.add_edge("orders", "orders_dlq", mode="async", label="dead letters")
    else:
        after.add_node("audit", "sqs", {})
        after.add_edge("worker", "audit", mode="async")
    made, inc, full = _walked(monkeypatch, before, base, after)
    assert inc.partial
    assert tuple(made) == walks
    assert _figures(inc) == _figures(full)


SCHEDULED = """architecture "scheduled"
scheduler nightly { schedule = "rate(1 day)" }
lambda    job     { duration = 2s, memory = 1GB }
dynamodb  table
nightly -> job -> table
"""


@pytest.mark.parametrize("props", [
    {"schedule": "rate(1 hour)"},  # the entry point's rate: every load changes
    {"description": "nightly run"},  # read by nothing the estimate works out
])
def test_a_change_of_a_schedule_moves_the_entry_point(props: dict) -> None:
    """Entry points are worked out again when a prop they read changes (`schedule`), and
    kept when none does; the figures are the full estimate's either way."""
    from advisor.dsl import parse_text
    from advisor.overlay import overlay_copy

    before = parse_text(SCHEDULED, "scheduled.arch")
    before.resolve_modes()
    base = estimate(before)
    after = overlay_copy(before)
    after.graph.nodes["nightly"]["props"].update(props)
    inc = estimate_rewrite(before, base, after)
    full = estimate(after)
    assert inc.partial
    assert (inc.monthly_usd, *(inc.latency[k] for k in FIGURES)) == \
        (full.monthly_usd, *(full.latency[k] for k in FIGURES))
    assert (inc.monthly_usd != base.monthly_usd) == ("schedule" in props)


NAMED_KEY = """architecture "named key"
workload { requests = 2M/month }
client   app
apigw    api    { type = http, auth = iam }
lambda   front  { memory = 256MB, duration = 40ms }
sqs      orders { encryption = sse-kms, kms_key = key }
lambda   worker { memory = 256MB, duration = 30ms }
sns      events { encryption = sse-kms, kms_key = key }
kms      key
app -> api -> front -> orders -> worker -> events
"""


@pytest.mark.parametrize("change", ["remove", "set_kind", "add"])
def test_a_key_named_by_a_resource_far_from_it_is_priced_again(change: str) -> None:
    """A queue and a topic encrypted with the customer managed key they name (`kms_key`)
    are priced with that key and no assumed key of their own: their lines read the kind
    of a node that need not be their neighbour. A change to that key alone (gone, of
    another kind, or added under the name they give) prices them again, as the full
    estimate of the changed design does (one shared key against two assumed ones)."""
    from advisor.dsl import parse_text
    from advisor.overlay import overlay_copy

    before = parse_text(NAMED_KEY, "key.arch")
    before.resolve_modes()
    if change == "add":  # (the DSL refuses a `kms_key` that names no node)
        before.graph.remove_node("key")
    base = estimate(before)
    after = overlay_copy(before)
    if change == "remove":
        after.graph.remove_node("key")
    elif change == "set_kind":
        after.graph.nodes["key"]["kind"] = "secretsmanager"
    else:
        after.add_node("key", "kms", {})
    full = estimate(after)
    inc = estimate_rewrite(before, base, after)
    assert inc.partial
    assert full.monthly_usd != base.monthly_usd  # the change reaches their lines
    assert inc.monthly_usd == full.monthly_usd
