"""`overlay_copy` behaves as the engine's full copy (`fast_copy`) under the same changes:
the same nodes, edges, attributes and iteration orders, and the original never changes."""

from __future__ import annotations

import copy
import random

import pytest

from advisor.engine.edit import fast_copy
from advisor.model import Architecture
from advisor.overlay import changed_nodes, overlay_copy


def design(rng: random.Random, size: int) -> Architecture:
    arch = Architecture(name="random")
    for i in range(size):
        arch.add_node(f"n{i}", rng.choice(["lambda", "sqs", "sns", "dynamodb"]),
                      {"memory": rng.randint(1, 9)})
    for _ in range(size * 2):
        a, b = rng.sample(range(size), 2)
        arch.graph.add_edge(f"n{a}", f"n{b}", mode="async", label="", props={"batch": a})
    return arch


def mutate(arch: Architecture, rng: random.Random, size: int) -> None:
    """The same random edits (by seed) the ops make: props replaced, nodes and edges
    added and removed, a removed node added again."""
    g = arch.graph
    for step in range(12):
        pick = f"n{rng.randrange(size)}"
        what = rng.randrange(6)
        if what == 0 and pick in g:
            g.nodes[pick]["props"]["memory"] = step
        elif what == 1 and pick in g:
            g.remove_node(pick)
        elif what == 2:
            g.add_node(pick, kind="sqs", props={}, loc=None, group=(), ignore=frozenset())
        elif what == 3:
            b = f"n{rng.randrange(size)}"
            if pick in g and b in g and pick != b:
                g.add_edge(pick, b, mode="sync", props={"fanout": step})
        elif what == 4 and pick in g and g._succ[pick]:
            g.remove_edge(pick, sorted(g._succ[pick])[0])
        elif what == 5 and pick in g and g._succ[pick]:
            b = sorted(g._succ[pick])[0]
            g.edges[pick, b]["props"]["batch"] = -step


def shape(arch: Architecture) -> tuple:
    g = arch.graph
    return (list(g.nodes(data=True)), list(g.edges(data=True)),
            {n: list(g._pred[n].items()) for n in g}, len(g), g.number_of_edges())


@pytest.mark.parametrize("seed", range(40))
def test_overlay_matches_full_copy(seed: int) -> None:
    size = 12
    base = design(random.Random(seed), size)
    original = copy.deepcopy(shape(base))
    full, over = fast_copy(base), overlay_copy(base)
    mutate(full, random.Random(seed + 1000), size)
    mutate(over, random.Random(seed + 1000), size)
    assert shape(over) == shape(full)
    assert shape(base) == original  # the original is untouched
    # every node whose attributes or edges differ is among those the overlay reports
    seen = changed_nodes(over, base)
    assert seen is not None
    for n in set(base.graph) | set(over.graph):
        b = (base.graph._node.get(n), dict(base.graph._succ.get(n, {})),
             dict(base.graph._pred.get(n, {})))
        o = (over.graph._node.get(n), dict(over.graph._succ.get(n, {})),
             dict(over.graph._pred.get(n, {})))
        if b != o:
            assert n in seen


def test_changed_nodes_only_of_its_own_base() -> None:
    base = design(random.Random(1), 5)
    assert changed_nodes(overlay_copy(base), fast_copy(base)) is None
    assert changed_nodes(fast_copy(base), base) is None
    assert changed_nodes(overlay_copy(base), base) == set()


def test_an_overlay_graph_is_made_as_networkx_makes_one() -> None:
    """The overlay's graph, made without networkx's dispatching constructor, has what a
    constructed DiGraph has, in the same kinds of attributes, and works as one."""
    import networkx as nx

    from advisor.overlay import _graph_over

    node, succ, pred = {"a": {}}, {"a": {}}, {"a": {}}
    made = _graph_over(node, succ, pred)
    plain = nx.DiGraph()
    assert type(made) is nx.DiGraph
    assert set(made.__dict__) == set(plain.__dict__)
    assert made._node is node and made._adj is succ and made._succ is succ and made._pred is pred
    made.add_edge("a", "b", mode="sync")
    assert list(made.edges(data=True)) == [("a", "b", {"mode": "sync"})]
    assert dict(made.in_degree()) == {"a": 0, "b": 1} and made.graph == {}


@pytest.mark.parametrize("seed", range(10))
def test_a_snapshot_of_an_untouched_overlay_reads_its_original_alike(seed: int) -> None:
    """A rewrite's snapshot of an alternative's untouched overlay, taken from the original
    graph without copying, holds what the snapshot through the overlay holds, in the same
    order (the predecessors as the overlay orders them)."""
    from advisor.engine.edit import Editor

    rng = random.Random(seed)
    base = design(rng, 10)
    region = {f"n{i}" for i in rng.sample(range(10), 4)} | {"absent"}
    slow = Editor(overlay_copy(base)).snapshot(region)
    fast = Editor(overlay_copy(base)).snapshot(region, base.graph)
    assert fast == slow
    assert [list(fast["nodes"]), list(fast["edges"])] == [list(slow["nodes"]), list(slow["edges"])]


@pytest.mark.parametrize("seed", range(10))
def test_linked_reads_an_overlays_edges_as_a_look_up_does_without_copying(seed: int) -> None:
    """`linked` says what `b in adjacency[a]` says, on an overlay after changes as on a
    plain graph, and copies nothing into the overlay (it reports no key more as seen)."""
    from advisor.overlay import linked

    size = 12
    base = design(random.Random(seed), size)
    over = overlay_copy(base)
    mutate(over, random.Random(seed + 1000), size)
    full = fast_copy(base)
    mutate(full, random.Random(seed + 1000), size)
    g = over.graph
    seen = changed_nodes(over, base)
    names = [f"n{i}" for i in range(size)] + ["absent"]
    for a in names:
        for b in names:
            for adjacency, plain in ((g._succ, full.graph._succ), (g._pred, full.graph._pred)):
                assert linked(adjacency, a, b) == (a in plain and b in plain[a])
                assert linked(plain, a, b) == (a in plain and b in plain[a])
    assert changed_nodes(over, base) == seen
