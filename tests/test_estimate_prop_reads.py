"""The node props the traffic rules and the latency model read are the ones they declare
(`propagate.FLOW_PROPS`, `latency.LATENCY_PROPS`), and so are the props of its neighbours
a node's usage lines read (`cost.NEIGHBOUR_PROPS`): the incremental estimate of a change
to other props reuses the base design's loads, flows and latencies without working them
out, and prices the changed nodes' own lines only (advisor/estimate/incremental.py), so
a prop read and not declared would make it wrong. Every node's props are replaced by a
dict that notes what is read, the rules, the model and every node's lines are worked out
over every sample design and over designs here that take their rarer branches
(provisioned concurrency, an Express workflow called synchronously, a provisioned stream
with enhanced fan-out, a buffering Firehose, FIFO, stated requests and payloads; traced
callers, accounts, bus rules, log groups), and what was read must be declared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advisor.dsl import parse_text
from advisor.estimate import estimate
from advisor.estimate.assumptions import Assumptions
from advisor.estimate.cost import NEIGHBOUR_PROPS, Ctx, node_lines
from advisor.estimate.data import load_pricing
from advisor.estimate.latency import (
    LATENCY_EDGE_KEYS,
    LATENCY_EDGE_PROPS,
    LATENCY_PROPS,
    compute_latency,
)
from advisor.estimate.propagate import FLOW_EDGE_KEYS, FLOW_EDGE_PROPS, FLOW_PROPS, FlowRules
from advisor.importers import load_any
from advisor.model import Architecture

REPO = Path(__file__).resolve().parents[1]

RARE = """
architecture "rare branches"
workload { requests = 3M/month, payload = 2KB, peak = 3 }

client   app
apigw    api    { type = http, auth = none }
lambda   front  { memory = 512MB, duration = 80ms, runtime = nodejs20.x,
                  provisioned_concurrency = 2, concurrency = 4 }
sfn      flow   { type = express, duration = 40ms }
kinesis  stream { mode = provisioned, shards = 2, efo = true }
lambda   reader { duration = 15ms, runtime = java21 }
firehose hose   { buffer_interval = 60s, buffer_size = 1MB }
s3       lake
sqs      orders { fifo = true, requests = 2M/month, payload = 4KB }
lambda   worker { duration = 30ms }

app -> api -> front
front -> flow [invocation = sync]
front -> stream
stream -> reader [batch = 50, window = 2s]
reader -> hose -> lake
front -> orders
orders -> worker [batch = 10]
"""


NEIGHBOURS = """
architecture "neighbours"
workload { requests = 2M/month }

client      app
apigw       api    { type = rest, auth = none, access_logging = true, access_log_bytes = 1KB,
                     tracing = true }
lambda      fn     { duration = 20ms, log_bytes = 1KB, tracing = true, account = "111111111111" }
logs        trail
eventbridge bus    { account = "222222222222" }
eventbridge rule   { pattern = "orders" }
eventbridge tick   { schedule = "rate(5 minutes)" }
lambda      ticked { duration = 5ms }
firehose    hose   { buffer_interval = 60s, buffer_size = 1MB }
s3          lake

app -> api -> fn
api -> trail
fn -> trail
fn -> bus -> rule -> hose -> lake
tick -> ticked
bus -> tick
"""


class Noting(dict[str, Any]):
    """A node's props that note the name of every prop read (`*`: all of them)."""

    def __init__(self, data: dict[str, Any], seen: set[str]) -> None:
        super().__init__(data)
        self.seen = seen

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.seen.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Any:
        self.seen.add("*")
        return super().__iter__()

    def keys(self) -> Any:
        self.seen.add("*")
        return super().keys()

    def items(self) -> Any:
        self.seen.add("*")
        return super().items()

    def values(self) -> Any:
        self.seen.add("*")
        return super().values()


def designs() -> list[tuple[str, Architecture]]:
    out = [("rare branches", parse_text(RARE, "rare.arch")),
           ("neighbours", parse_text(NEIGHBOURS, "neighbours.arch"))]
    for path in sorted((REPO / "samples").glob("*.arch")):
        out.append((path.name, load_any(str(path))))
    for path in sorted((REPO / "samples" / "templates").glob("*.y*ml")):
        out.append((path.name, load_any(str(path))))
    return out


def reads(arch: Architecture) -> tuple[set[str], set[str]]:
    """(props the traffic rules read, props the latency model reads) on `arch`."""
    wl = estimate(arch).workload  # worked out with plain props
    flow: set[str] = set()
    latency: set[str] = set()
    nodes = arch.graph._node
    saved = {n: d["props"] for n, d in nodes.items()}
    try:
        for n, d in nodes.items():
            d["props"] = Noting(saved[n], flow)
        rules = FlowRules(arch, Assumptions(), 1024.0, wl.back_edges, wl.failure_edges, wl.succ)
        for n in wl.order:
            rules.out(n, rules.load(n, wl.entries.get(n), wl.edges, wl.nodes, wl.batches))
        for n, d in nodes.items():
            d["props"] = Noting(saved[n], latency)
        compute_latency(arch, wl)
    finally:
        for n, d in nodes.items():
            d["props"] = saved[n]
    return flow, latency


def neighbour_reads(arch: Architecture) -> set[str]:
    """The props of other nodes that each node's usage lines read on `arch`."""
    est = estimate(arch)
    ctx = Ctx(arch, est.workload, load_pricing(), Assumptions())
    nodes = arch.graph._node
    saved = {n: d["props"] for n, d in nodes.items()}
    out: set[str] = set()
    try:
        for m in list(nodes):
            seen: dict[str, set[str]] = {n: set() for n in nodes}
            for n, d in nodes.items():
                d["props"] = Noting(saved[n], seen[n])
            node_lines(ctx, m)
            out.update(*(names for n, names in seen.items() if n != m))
    finally:
        for n, d in nodes.items():
            d["props"] = saved[n]
    return out


@pytest.mark.parametrize(("name", "arch"), designs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_props_read_are_declared(name: str, arch: Architecture) -> None:
    flow, latency = reads(arch)
    assert flow <= FLOW_PROPS, f"{name}: traffic rules read {sorted(flow - FLOW_PROPS)}"
    assert latency <= LATENCY_PROPS, f"{name}: latency model reads {sorted(latency - LATENCY_PROPS)}"
    around = neighbour_reads(arch)
    assert around <= NEIGHBOUR_PROPS, \
        f"{name}: usage lines read {sorted(around - NEIGHBOUR_PROPS)} of a neighbour"


def edge_reads(arch: Architecture, traffic: bool = False) -> tuple[set[str], set[str]]:
    """(the keys of an edge's data, the names of its props) the latency model reads, or
    with `traffic` the traffic rules."""
    wl = estimate(arch).workload
    keys: set[str] = set()
    props: set[str] = set()
    succ, pred = arch.graph._succ, arch.graph._pred
    saved = {(a, b): d for a, nbrs in succ.items() for b, d in nbrs.items()}
    try:
        for (a, b), d in saved.items():
            noted = Noting(d, keys)
            if isinstance(d.get("props"), dict):
                dict.__setitem__(noted, "props", Noting(d["props"], props))
            succ[a][b] = pred[b][a] = noted  # (one dict per edge, as in networkx)
        if traffic:
            rules = FlowRules(arch, Assumptions(), 1024.0, wl.back_edges, wl.failure_edges,
                              wl.succ)
            for n in wl.order:
                rules.out(n, rules.load(n, wl.entries.get(n), wl.edges, wl.nodes, wl.batches))
        else:
            compute_latency(arch, wl)
    finally:
        for (a, b), d in saved.items():
            succ[a][b] = pred[b][a] = d
    return keys, props


@pytest.mark.parametrize(("name", "arch"), designs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_edge_data_read_is_declared(name: str, arch: Architecture) -> None:
    keys, props = edge_reads(arch)
    assert keys <= {*LATENCY_EDGE_KEYS, "props"}, f"{name}: latency reads {sorted(keys)} of an edge"
    assert props <= set(LATENCY_EDGE_PROPS), f"{name}: latency reads {sorted(props)} of its props"
    keys, props = edge_reads(arch, traffic=True)
    assert keys <= {*FLOW_EDGE_KEYS, "props"}, f"{name}: traffic reads {sorted(keys)} of an edge"
    assert props <= set(FLOW_EDGE_PROPS), f"{name}: traffic reads {sorted(props)} of its props"


def test_the_rare_design_reads_what_it_declares() -> None:
    """The design that takes the rarer branches reads every declared prop (so the check
    above covers them all), and a prop nothing reads for traffic or latency (a queue's
    visibility timeout) is read by neither."""
    flow, latency = reads(parse_text(RARE, "rare.arch"))
    assert flow == FLOW_PROPS
    assert latency == LATENCY_PROPS
    assert "visibility" not in flow | latency and "memory" not in flow | latency
    keys, props = edge_reads(parse_text(RARE, "rare.arch"))
    assert keys == {*LATENCY_EDGE_KEYS, "props"} and props == set(LATENCY_EDGE_PROPS)
    keys, props = edge_reads(parse_text(RARE, "rare.arch"), traffic=True)
    assert keys == {*FLOW_EDGE_KEYS, "props"} and props == set(FLOW_EDGE_PROPS)


def test_the_neighbour_design_reads_what_cost_declares() -> None:
    """The design of traced callers, accounts, bus rules, a buffering Firehose and log
    groups reads every prop `NEIGHBOUR_PROPS` declares, and no other, of a neighbour."""
    assert neighbour_reads(parse_text(NEIGHBOURS, "neighbours.arch")) == NEIGHBOUR_PROPS
