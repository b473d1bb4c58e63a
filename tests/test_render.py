"""Diagrams through the real Graphviz `dot`: parse the SVG and check what a reader sees.

The seed case (client -> apigw -> lambda(glue) -> firehose -> s3) is built twice: by hand
(so these tests do not depend on the engine) and through the real pipeline.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from advisor.model import Architecture
from advisor.render import (
    compare_diagram,
    diagram,
    diff,
    diff_diagram,
    render_bytes,
)
from advisor.render.style import style

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[1]
SEED = """
architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
apigw    ingest    { type = rest, auth = none }
lambda   forward   { memory = 1024MB, duration = 120ms, runtime = python3.12, glue = true }
firehose delivery
s3       lake      { encryption = sse-kms }
browser -> ingest -> forward -> delivery -> lake
"""


@dataclass
class FakeEstimate:
    monthly_usd: float
    latency: dict[str, float] = field(default_factory=dict)
    by_node: dict[str, float] = field(default_factory=dict)


def seed_pair() -> tuple[Architecture, Architecture]:
    from advisor.dsl import parse_text

    before = parse_text(SEED, "seed.arch")
    after = before.copy()
    after.graph.remove_node("forward")
    after.add_edge("ingest", "delivery", props={"integration": "service"}, mode="sync")
    return before, after


def svg_of(graph) -> ET.Element:
    return ET.fromstring(render_bytes(graph, "svg"))


def groups(root: ET.Element, cls: str) -> dict[str, ET.Element]:
    """SVG <g class=node|edge|cluster> by their <title> text (dot escapes -> as &#45;&gt;)."""
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == cls:
            title = g.find(f"{SVG}title")
            out[title.text] = g
    return out


def shape_of(g: ET.Element) -> ET.Element:
    for tag in ("path", "polygon", "ellipse"):
        el = g.find(f"{SVG}{tag}")
        if el is not None:
            return el
    raise AssertionError("no shape")


def texts(g: ET.Element) -> str:
    return " ".join((t.text or "") for t in g.iter(f"{SVG}text"))



# ----------------------------------------------------------------------------- seed diff
def test_seed_diff_marks_the_removed_lambda_red_and_dashed() -> None:
    before, after = seed_pair()
    root = svg_of(diff_diagram(before, after))
    node = groups(root, "node")["forward"]
    outline = shape_of(node)
    assert outline.get("stroke").lower() == style()["status"]["removed"]["color"].lower()
    assert outline.get("stroke-dasharray"), "removed node must be dashed"
    assert texts(node).startswith("- forward"), "greyscale mark '-' in front of the name"
    # the edges into and out of the removed Lambda are removed too: red, dashed, marked
    for title in ("ingest->forward", "forward->delivery"):
        edge = groups(root, "edge")[title]
        path = edge.find(f"{SVG}path")
        assert path.get("stroke").lower() == style()["status"]["removed"]["color"].lower()
        assert path.get("stroke-dasharray")
        assert "-" in texts(edge)


def test_seed_diff_marks_the_new_direct_integration_green() -> None:
    before, after = seed_pair()
    root = svg_of(diff_diagram(before, after))
    edge = groups(root, "edge")["ingest->delivery"]
    assert edge.find(f"{SVG}path").get("stroke").lower() == style()["status"]["added"]["color"].lower()
    assert texts(edge).startswith("+")
    # unchanged nodes keep their category colour, not a status colour
    lake = shape_of(groups(root, "node")["lake"])
    assert lake.get("stroke").lower() == style()["categories"]["storage"]["color"].lower()


def test_after_diagram_has_no_lambda() -> None:
    before, after = seed_pair()
    nodes = groups(svg_of(diagram(after)), "node")
    assert "forward" not in nodes
    assert set(nodes) == {"browser", "ingest", "delivery", "lake"}
    before_nodes = groups(svg_of(diagram(before)), "node")
    assert "forward" in before_nodes


def test_changed_props_are_orange_with_tilde() -> None:
    before, after = seed_pair()
    after.graph.nodes["ingest"]["props"]["type"] = "http"
    status = diff(before, after)
    assert status.nodes["ingest"] == "changed"
    assert status.nodes["browser"] == "same"
    node = groups(svg_of(diff_diagram(before, after)), "node")["ingest"]
    assert shape_of(node).get("stroke").lower() == style()["status"]["changed"]["color"].lower()
    assert texts(node).startswith("~ ingest")
    assert "type=http" in texts(node), "a changed node is drawn as it is after the rewrite"


def test_diff_totals_and_legend_under_the_graph() -> None:
    before, after = seed_pair()
    b = FakeEstimate(292.03, {"response_p50_ms": 165, "response_p99_ms": 250, "delivery_p50_ms": 68500})
    a = FakeEstimate(182.03, {"response_p50_ms": 40, "response_p99_ms": 110, "delivery_p50_ms": 68375})
    root = svg_of(diff_diagram(before, after, before_estimate=b, after_estimate=a))
    graph_texts = [t.text for t in root.find(f"{SVG}g").findall(f"{SVG}text")]
    joined = " ".join(t or "" for t in graph_texts)
    for expected in ("$292.03", "$182.03", "-$110.00", "-125 ms", "-140 ms", "removed", "added",
                     "changed", "async (dashed)"):
        assert expected in joined, expected


def test_compare_has_both_sides_with_totals() -> None:
    before, after = seed_pair()
    b, a = FakeEstimate(300.0, {"response_p50_ms": 165}), FakeEstimate(180.0, {"response_p50_ms": 40})
    root = svg_of(compare_diagram(before, after, before_estimate=b, after_estimate=a))
    nodes = groups(root, "node")
    assert "before:forward" in nodes and "after:forward" not in nodes
    assert shape_of(nodes["before:forward"]).get("stroke-dasharray")
    clusters = groups(root, "cluster")
    assert "$300.00/month" in texts(clusters["cluster_before"])
    assert "$180.00/month" in texts(clusters["cluster_after"])


# ----------------------------------------------------------------------------- language
def test_each_category_has_its_own_shape_and_colour() -> None:
    cats = style()["categories"]
    pairs = [(c["shape"], c["color"].lower()) for c in cats.values()]
    assert len(set(pairs)) == len(pairs)
    assert len({c["color"].lower() for c in cats.values()}) == len(cats)
    from advisor.catalog import kinds

    assert {k["category"] for k in kinds().values()} <= set(cats)


def test_edge_style_follows_mode() -> None:
    a = Architecture(name="modes")
    for n, k in (("api", "apigw"), ("fn", "lambda"), ("q", "sqs"), ("w", "lambda"),
                 ("s", "kinesis"), ("c", "lambda"), ("t", "sns")):
        a.add_node(n, k)
    a.add_edge("api", "fn", mode="sync")
    a.add_edge("fn", "t", mode="async")
    a.add_edge("q", "w", mode="poll")
    a.add_edge("s", "c", mode="stream")
    edges = groups(svg_of(diagram(a)), "edge")
    sync, asyn = edges["api->fn"].find(f"{SVG}path"), edges["fn->t"].find(f"{SVG}path")
    poll, stream = edges["q->w"].find(f"{SVG}path"), edges["s->c"].find(f"{SVG}path")
    assert sync.get("stroke-dasharray") is None
    assert asyn.get("stroke-dasharray") == "5,2"  # dot's dashed
    assert poll.get("stroke-dasharray") == "1,5"  # dot's dotted
    assert stream.get("stroke-dasharray") is None
    assert float(stream.get("stroke-width")) > float(sync.get("stroke-width") or 1)


def test_node_label_has_name_kind_and_key_props() -> None:
    before, _ = seed_pair()
    node = groups(svg_of(diagram(before)), "node")["forward"]
    text = texts(node)
    assert "forward" in text and "Lambda" in text and "memory=1024MB" in text
    assert shape_of(node).get("stroke").lower() == style()["categories"]["compute"]["color"].lower()


def _bbox(el: ET.Element) -> tuple[float, float, float, float]:
    if el.tag == f"{SVG}ellipse":
        cx, cy, rx, ry = (float(el.get(k)) for k in ("cx", "cy", "rx", "ry"))
        return cx - rx, cy - ry, cx + rx, cy + ry
    nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", el.get("points") or el.get("d"))]
    xs, ys = nums[0::2], nums[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_groups_are_nested_clusters() -> None:
    a = Architecture(name="nested")
    a.add_node("web", "client")
    a.add_node("api", "apigw", group=("prod", "orders"))
    a.add_node("fn", "lambda", group=("prod", "orders"))
    a.add_node("bus", "eventbridge", group=("prod",))
    a.add_edge("web", "api")
    a.add_edge("api", "fn")
    a.add_edge("fn", "bus")
    root = svg_of(diagram(a))
    clusters = {texts(g).strip(): _bbox(shape_of(g)) for g in groups(root, "cluster").values()}
    outer, inner = clusters["prod"], clusters["orders"]
    assert outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]
    fn_box = _bbox(shape_of(groups(root, "node")["fn"]))
    assert inner[0] <= fn_box[0] and fn_box[2] <= inner[2]
    web_box = _bbox(shape_of(groups(root, "node")["web"]))
    assert not (outer[0] <= web_box[0] and web_box[2] <= outer[2] and outer[1] <= web_box[1]
                and web_box[3] <= outer[3]), "an ungrouped node is outside every cluster"


# ----------------------------------------------------------------------------- 60 nodes
def big_architecture(n_services: int = 10) -> Architecture:
    """A 66-node platform: per bounded context API -> fn -> table, fn -> queue -> worker ->
    bucket, plus a shared bus, logs and key; three kinds of entry point."""
    a = Architecture(name="platform")
    a.add_node("web", "client")
    a.add_node("mobile", "client")
    a.add_node("nightly", "scheduler")
    a.add_node("bus", "eventbridge", group=("shared",))
    a.add_node("audit_logs", "logs", group=("shared",))
    a.add_node("key", "kms", group=("shared",))
    for i in range(n_services):
        g = ("prod account", f"svc{i:02d}")
        api, fn, table, q, worker, bucket = (f"api{i:02d}", f"fn{i:02d}", f"table{i:02d}",
                                             f"queue{i:02d}", f"worker{i:02d}", f"bucket{i:02d}")
        a.add_node(api, "apigw", {"type": "http", "auth": "jwt"}, group=g)
        a.add_node(fn, "lambda", {"memory": 512 * 1024 * 1024, "runtime": "nodejs20.x"}, group=g)
        a.add_node(table, "dynamodb", {"billing": "on-demand"}, group=g)
        a.add_node(q, "sqs", group=g)
        a.add_node(worker, "lambda", {"memory": 1024 * 1024 * 1024}, group=g)
        a.add_node(bucket, "s3", group=g)
        a.add_edge("web" if i % 2 else "mobile", api)
        a.add_edge(api, fn, label="proxy")
        a.add_edge(fn, table)
        a.add_edge(fn, q, mode="async")
        a.add_edge(q, worker, props={"batch": 10})
        a.add_edge(worker, bucket)
        a.add_edge(worker, "bus", mode="async")
        if i % 3 == 0:
            a.add_edge("nightly", worker, mode="async")
        if i % 4 == 0:
            a.add_edge(table, worker, mode="stream")
    a.resolve_modes()
    return a


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_sixty_node_design_is_laid_out_left_to_right_without_overlaps() -> None:
    before = big_architecture()
    after = before.copy()
    for i in (1, 4, 7):
        after.graph.remove_node(f"fn{i:02d}")
        after.add_edge(f"api{i:02d}", f"queue{i:02d}", props={"integration": "service"})
    after.resolve_modes()
    assert before.graph.number_of_nodes() >= 60
    root = svg_of(diff_diagram(before, after))
    nodes = groups(root, "node")
    assert set(nodes) == set(before.graph.nodes)
    boxes = {n: _bbox(shape_of(g)) for n, g in nodes.items()}
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not _overlap(boxes[a], boxes[b]), f"{a} overlaps {b}"
    # entry points first: every client is left of every API, every API left of its function
    for client in ("web", "mobile"):
        assert all(boxes[client][2] < boxes[f"api{i:02d}"][0] for i in range(10))
    for i in range(10):
        assert boxes[f"api{i:02d}"][2] < boxes[f"queue{i:02d}"][0]
    # edge labels never sit on a node
    for title, edge in groups(root, "edge").items():
        for t in edge.iter(f"{SVG}text"):
            x, y = float(t.get("x")), float(t.get("y"))
            for n, box in boxes.items():
                assert not (box[0] < x < box[2] and box[1] < y < box[3]), f"label of {title} on {n}"


# ----------------------------------------------------------------------------- output
def test_output_is_deterministic_and_self_contained() -> None:
    before, after = seed_pair()
    svg1 = render_bytes(diff_diagram(before, after), "svg")
    svg2 = render_bytes(diff_diagram(before.copy(), after.copy()), "svg")
    assert svg1 == svg2
    assert render_bytes(diagram(before), "png") == render_bytes(diagram(before.copy()), "png")
    assert render_bytes(diagram(before), "dot") == render_bytes(diagram(before.copy()), "dot")
    text = svg1.decode()
    assert "<!--" not in text and "DOCTYPE" not in text
    assert "<image" not in text and "href" not in text
    assert "url(" not in text and "@import" not in text
    assert re.findall(r"https?://[^\"']+", text) == ["http://www.w3.org/2000/svg",
                                                    "http://www.w3.org/1999/xlink"]
    assert 'font-family="Helvetica,Arial,sans-serif"' in text
    assert render_bytes(diagram(before), "png").startswith(b"\x89PNG")


def test_odd_names_survive_quoting() -> None:
    a = Architecture(name='we"ird')
    for n in ("node", "a:b", "has space", 'q"uote', "edge"):
        a.add_node(n, "lambda")
    a.add_edge("node", "a:b")
    a.add_edge("has space", 'q"uote', label='say "hi"')
    a.add_edge("edge", "node")
    names = set(groups(svg_of(diagram(a)), "node"))
    assert names == {"node", "a:b", "has space", 'q"uote', "edge"}


# ----------------------------------------------------------------------------- samples
SAMPLES = sorted((REPO / "samples").glob("*.arch"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_renders_through_the_pipeline(path: Path) -> None:
    from advisor.pipeline import Options, analyze_source
    from advisor.render import result_diagrams

    result = analyze_source(str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path),
                            Options())
    assert not result.errors, result.errors
    graphs = result_diagrams(result)
    after_nodes = set(groups(svg_of(graphs["after"]), "node"))
    assert after_nodes == set(result.after.graph.nodes)
    diff_nodes = set(groups(svg_of(graphs["diff"]), "node"))
    assert diff_nodes == set(result.before.graph.nodes) | set(result.after.graph.nodes)
    root = svg_of(graphs["compare"])
    assert len(groups(root, "node")) == len(result.before.graph) + len(result.after.graph)


def test_seed_case_through_the_real_pipeline() -> None:
    from advisor.pipeline import Options, analyze_source
    from advisor.render import result_diagrams

    result = analyze_source("seed.arch", Options(), text=SEED)
    assert not result.errors
    if "forward" in result.after.graph:
        pytest.fail("the engine must remove the glue Lambda of the seed case")
    graphs = result_diagrams(result)
    node = groups(svg_of(graphs["diff"]), "node")["forward"]
    assert shape_of(node).get("stroke").lower() == style()["status"]["removed"]["color"].lower()
    assert shape_of(node).get("stroke-dasharray")
    assert "forward" not in groups(svg_of(graphs["after"]), "node")




def test_every_corpus_template_renders() -> None:
    """One loop over the corpus (not parametrized, to stay fast): import, then lay out the
    diagram with the real dot (-Tdot: layout without drawing)."""
    from advisor.importers import load_any

    root = shared_path("corpus", "serverless-patterns")
    import yaml

    from advisor.errors import AdvisorError

    manifest = yaml.safe_load((root / "manifest.yaml").read_text("utf-8"))
    entries = manifest.get("entries") or []
    rendered = 0
    for entry in entries:
        folder = root / str(entry["folder"])
        if entry.get("format") == "terraform":
            candidates = [folder]  # a Terraform module is its directory
        else:
            candidates = [folder / rel for rel in entry.get("templates") or []]
        for path in candidates:
            try:
                arch = load_any(str(path))
            except (AdvisorError, OSError):
                continue
            arch.resolve_modes()
            out = diagram(arch).create(prog="dot", format="dot")
            assert b"digraph" in out
            rendered += 1
    assert rendered >= 20, f"only {rendered} corpus templates could be rendered"


def test_a_dlq_named_by_a_prop_is_drawn_connected_not_as_an_entry_point() -> None:
    a = Architecture(name="dlq")
    a.add_node("shop", "client")
    a.add_node("orders", "sns")
    a.add_node("fn", "lambda")
    a.add_node("orders_dlq", "sqs")
    a.add_edge("shop", "orders")
    a.add_edge("orders", "fn", props={"dlq": "orders_dlq"})
    a.resolve_modes()
    root = svg_of(diagram(a))
    edges = groups(root, "edge")
    assert "orders->orders_dlq" in edges and "dlq" in texts(edges["orders->orders_dlq"])
    boxes = {n: _bbox(shape_of(g)) for n, g in groups(root, "node").items()}
    assert boxes["orders_dlq"][0] > boxes["orders"][2], "the DLQ sits after its owner"
    # added by a rewrite: the reference is green in the diff
    before = a.copy()
    before.graph.edges["orders", "fn"]["props"].clear()
    before.graph.remove_node("orders_dlq")
    ref = groups(svg_of(diff_diagram(before, a)), "edge")["orders->orders_dlq"]
    assert ref.find(f"{SVG}path").get("stroke").lower() == style()["status"]["added"]["color"].lower()


# ----------------------------------------------------------------------------- labels fit
def _inside_polygon(x: float, y: float, pts: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _interior(node: ET.Element) -> Any:
    """A predicate (x, y, pad) -> bool: is the point at least `pad` inside the shape's
    outline (all outlines holding the label, so a double octagon's inner one counts)?"""
    ellipse = node.find(f"{SVG}ellipse")
    if ellipse is not None:
        cx, cy, rx, ry = (float(ellipse.get(k)) for k in ("cx", "cy", "rx", "ry"))
        return lambda x, y, pad: ((x - cx) / (rx - pad)) ** 2 + ((y - cy) / (ry - pad)) ** 2 <= 1
    paths = node.findall(f"{SVG}path")
    if len(paths) == 1:  # a rounded box
        nums = _numbers(paths[0].get("d"))
        xs, ys = nums[0::2], nums[1::2]
        return lambda x, y, pad: min(xs) + pad <= x <= max(xs) - pad and min(ys) + pad <= y <= max(ys) - pad
    if paths:  # a cylinder: body outline, then the front arc of its top cap
        body, arc = _numbers(paths[0].get("d")), _numbers(paths[1].get("d"))
        xs, ys = body[0::2], body[1::2]
        side_top = body[1]  # where the cap meets the sides
        top = max(arc[1::2])  # lowest point of the cap's front arc
        bottom = max(ys) - (top - side_top)  # the bottom cap's mirror
        return lambda x, y, pad: min(xs) + pad <= x <= max(xs) - pad and top + pad <= y <= bottom - pad
    polys = []
    for p in node.findall(f"{SVG}polygon"):
        nums = _numbers(p.get("points"))
        polys.append(list(zip(nums[0::2], nums[1::2], strict=True))[:-1])
    xs_all = [x for pts in polys for x, _ in pts]
    ys_text = [float(t.get("y")) for t in node.findall(f"{SVG}text")]
    x0, y0 = (min(xs_all) + max(xs_all)) / 2, sum(ys_text) / len(ys_text)
    # the label's centre picks the outlines that hold it (not a component's notch)
    holding = [pts for pts in polys if _inside_polygon(x0, y0, pts)]

    def inside(x: float, y: float, pad: float) -> bool:
        return bool(holding) and all(
            _inside_polygon(x + dx, y + dy, pts)
            for pts in holding
            for dx, dy in ((pad, 0), (-pad, 0), (0, pad), (0, -pad))
        )

    return inside


def test_every_category_shape_holds_its_label_with_long_names_and_diff_marks() -> None:
    """A 34-character name in every kind, with the diff marks (thick outline, mark in
    front): every text line, as wide as Graphviz measured it, sits inside its outline
    with room for the stroke. (The SQS arrow box used to put the name on its border.)"""
    from advisor import catalog

    before, after = Architecture(name="long"), Architecture(name="long")
    kinds = sorted(catalog.kind_names())
    for i, kind in enumerate(kinds):
        long_name = f"{kind}_with_a_really_long_name_{i:02d}"[:34].ljust(34, "x")
        for j, name in enumerate((long_name, f"{kind}_q")):  # and a short one ("~ fifo_queue")
            props = {"fifo": True} if kind in ("sqs", "sns") else {}
            status = (i + j) % 3  # changed, added, removed in turn
            if status != 1:
                before.add_node(name, kind, props)
            if status != 2:
                after.add_node(name, kind, dict(props, note=1) if status == 0 else props)
    root = svg_of(diff_diagram(before, after))  # no edges: one column, one shared centre
    nodes = groups(root, "node")
    assert len(nodes) == 2 * len(kinds)
    centres = []
    for g in nodes.values():
        shape = shape_of(g)
        box = _bbox(shape) if shape.tag != f"{SVG}path" else (
            min(_numbers(shape.get("d"))[0::2]), 0, max(_numbers(shape.get("d"))[0::2]), 0)
        centres.append((box[0] + box[2]) / 2)
    cx = sorted(centres)[len(centres) // 2]
    crossing = []
    for name, g in nodes.items():
        inside = _interior(g)
        stroke = max(float(e.get("stroke-width") or 1) for e in g if e.get("stroke-width"))
        pad = stroke / 2 + 0.5
        lines = g.findall(f"{SVG}text")
        assert lines, name
        for t in lines:
            x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
            width = 2 * (cx - x) if t.get("text-anchor") == "start" else 0.0
            left, right = (x, x + width) if width else (x, x)
            top, bottom = y - 0.75 * size, y + 0.22 * size
            if not all(inside(px, py, pad) for px in (left, right) for py in (top, bottom)):
                crossing.append(f"{name}: {t.text!r}")
    assert not crossing, "labels crossing their outline:\n" + "\n".join(crossing)
