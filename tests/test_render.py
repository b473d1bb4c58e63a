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
    """The text of an element, non-breaking spaces as spaces."""
    return " ".join((t.text or "") for t in g.iter(f"{SVG}text")).replace("\xa0", " ")



# ----------------------------------------------------------------------------- seed diff
RED = style()["status"]["removed"]["color"].lower()
GREEN = style()["status"]["added"]["color"].lower()
AMBER = style()["status"]["changed"]["color"].lower()


def struck(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text") if t.get("text-decoration") == "line-through"]


@pytest.mark.parametrize("icons", [True, False], ids=["icons", "plain"])
def test_seed_diff_marks_the_removed_lambda_red_crossed_and_struck(icons: bool) -> None:
    before, after = seed_pair()
    root = svg_of(diff_diagram(before, after, icons=icons))
    node = groups(root, "node")["forward"]
    outline = shape_of(node)
    assert outline.get("stroke").lower() == RED
    assert outline.get("stroke-dasharray") is None, "dashed is for async edges, not for status"
    assert texts(node).startswith("✕"), "greyscale mark in front of the name"
    assert struck(node) == ["forward"], "the removed name is struck through"
    # the edges into and out of the removed Lambda: red, worded, and still sync (solid)
    for title in ("ingest->forward", "forward->delivery"):
        edge = groups(root, "edge")[title]
        path = edge.find(f"{SVG}path")
        assert path.get("stroke").lower() == RED
        assert path.get("stroke-dasharray") is None, "a removed sync edge stays solid"
        assert texts(edge).startswith("✕ removed")


def test_removed_edges_keep_their_mode_line_style() -> None:
    """Status is colour + mark; the line style is the mode on every edge, removed or not."""
    before = Architecture(name="modes")
    for n, k in (("api", "apigw"), ("fn", "lambda"), ("topic", "sns"), ("q", "sqs"),
                 ("worker", "lambda"), ("s", "kinesis"), ("c", "lambda")):
        before.add_node(n, k)
    before.add_edge("api", "fn", mode="sync")
    before.add_edge("fn", "topic", mode="async")
    before.add_edge("q", "worker", mode="poll")
    before.add_edge("s", "c", mode="stream")
    after = before.copy()
    for a, b in (("api", "fn"), ("fn", "topic"), ("q", "worker"), ("s", "c")):
        after.graph.remove_edge(a, b)
    edges = groups(svg_of(diff_diagram(before, after)), "edge")
    dash = {t: edges[t].find(f"{SVG}path").get("stroke-dasharray") for t in edges}
    assert dash == {"api->fn": None, "fn->topic": "5,2", "q->worker": "1,5", "s->c": None}
    for title, edge in edges.items():
        assert edge.find(f"{SVG}path").get("stroke").lower() == RED, title
        assert "✕ removed" in texts(edge), title
    stream = edges["s->c"].find(f"{SVG}path")
    assert float(stream.get("stroke-width")) > float(edges["api->fn"].find(f"{SVG}path").get("stroke-width"))


def test_seed_diff_marks_the_new_direct_integration_green() -> None:
    before, after = seed_pair()
    root = svg_of(diff_diagram(before, after))
    edge = groups(root, "edge")["ingest->delivery"]
    assert edge.find(f"{SVG}path").get("stroke").lower() == GREEN
    assert texts(edge).startswith("+ added")
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


def test_changed_node_is_amber_with_tilde_and_lists_what_changed() -> None:
    before, after = seed_pair()
    after.graph.nodes["ingest"]["props"]["type"] = "http"
    after.graph.nodes["ingest"]["props"]["throttling"] = True
    status = diff(before, after)
    assert status.nodes["ingest"] == "changed"
    assert status.nodes["browser"] == "same"
    assert status.node_changes["ingest"] == ["throttling: off -> on", "type: rest -> http"]
    node = groups(svg_of(diff_diagram(before, after)), "node")["ingest"]
    assert shape_of(node).get("stroke").lower() == AMBER
    assert texts(node).startswith("~ ingest")
    assert "throttling: off -> on" in texts(node) and "type: rest -> http" in texts(node)
    assert "type=http" in texts(node), "a changed node is drawn as it is after the rewrite"


def test_changed_edge_lists_what_changed() -> None:
    before, after = seed_pair()
    after.add_edge("browser", "ingest", mode="async", props={"batch": 10})
    edge = groups(svg_of(diff_diagram(before, after)), "edge")["browser->ingest"]
    assert edge.find(f"{SVG}path").get("stroke").lower() == AMBER
    assert edge.find(f"{SVG}path").get("stroke-dasharray") == "5,2", "now async: dashed"
    assert "~ mode: sync -> async" in texts(edge) and "batch: unset -> 10" in texts(edge)


def test_many_changes_are_cut_with_a_count() -> None:
    before, after = seed_pair()
    for i in range(7):
        after.graph.nodes["lake"]["props"][f"extra{i}"] = i + 1
    lines = diff(before, after).node_changes["lake"]
    assert len(lines) == 7
    text = texts(groups(svg_of(diff_diagram(before, after)), "node")["lake"])
    limit = style()["changed_lines"]
    assert f"+{7 - limit} more" in text and "extra6" not in text


def legend_texts(root: ET.Element) -> str:
    """Text of the graph's own label (title, totals, legend), not of nodes or edges."""
    return " ".join(t.text or "" for t in root.find(f"{SVG}g").findall(f"{SVG}text"))


def test_diff_totals_and_legend_under_the_graph() -> None:
    before, after = seed_pair()
    b = FakeEstimate(292.03, {"response_p50_ms": 165, "response_p99_ms": 250, "delivery_p50_ms": 68500})
    a = FakeEstimate(182.03, {"response_p50_ms": 40, "response_p99_ms": 110, "delivery_p50_ms": 68375})
    joined = legend_texts(svg_of(diff_diagram(before, after, before_estimate=b, after_estimate=a)))
    for expected in ("$292.03", "$182.03", "-$110.00", "-125 ms", "-140 ms", "removed (red",
                     "added (green", "sync (solid)", "async (dashed)", "line style = mode"):
        assert expected in joined, expected


def entries(graph: Any) -> set[str]:
    return set(graph.drawn.entries())


def test_the_legend_lists_exactly_what_is_drawn() -> None:
    words = {k: v["legend"] for k, v in style()["status"].items()}
    modes = {k: v["word"] for k, v in style()["modes"].items()}
    before, after = seed_pair()
    # seed: one Lambda removed, one edge added, sync and async edges; nothing changed
    graph = diff_diagram(before, after)
    assert entries(graph) == {words["removed"], words["added"], modes["sync"], modes["async"]}
    joined = legend_texts(svg_of(graph))
    assert words["removed"] in joined and words["added"] in joined
    for absent in (words["changed"], modes["stream"], modes["poll"], style()["badge"]["legend"]):
        assert absent not in joined, absent
    # nothing removed: no "removed" entry; a stream edge: its entry; errors: the badge
    after2 = before.copy()
    after2.add_node("archive", "kinesis")
    after2.add_edge("lake", "archive", mode="stream")
    graph = diff_diagram(before, after2, errors={"ingest": 2})
    assert words["removed"] not in entries(graph) and words["added"] in entries(graph)
    assert modes["stream"] in entries(graph) and style()["badge"]["legend"] in entries(graph)
    assert modes["poll"] not in legend_texts(svg_of(graph))
    # a single diagram: modes only, no status entries
    assert entries(diagram(before)) == {modes["sync"], modes["async"]}


def test_error_badge_from_findings_counts_or_names() -> None:
    @dataclass
    class F:
        rule: str
        severity: str
        nodes: list[str]
        subject: str | None = None

    before, after = seed_pair()
    findings = [F("SEC-APIGW-AUTH", "error", ["ingest"]), F("X", "error", ["ingest"]),
                F("Y", "warning", ["lake"])]
    for errors, words in ((findings, "2 errors"), ({"ingest": 1}, "1 error"), (["ingest"], "error")):
        nodes = groups(svg_of(diagram(before, errors=errors)), "node")
        badge = style()["badge"]["mark"]
        assert f"{badge} {words}" in texts(nodes["ingest"]), errors
        assert badge not in texts(nodes["lake"]), "a warning gets no badge"
    # the diff: no badge on a removed node (it is gone), badges on what is left
    graph = diff_diagram(before, after, errors=["forward", "ingest"])
    nodes = groups(svg_of(graph), "node")
    assert style()["badge"]["mark"] not in texts(nodes["forward"])
    assert style()["badge"]["mark"] in texts(nodes["ingest"])


def test_remaining_errors_leave_out_what_a_rewrite_resolved() -> None:
    from advisor.render import badges

    @dataclass
    class F:
        rule: str
        severity: str
        nodes: list[str]
        subject: str | None = None

    @dataclass
    class C:
        rule: str
        nodes: list[str]

    _, after = seed_pair()
    findings = [F("AUTH", "error", ["ingest"]), F("DLQ", "error", ["ingest", "forward"]),
                F("THROTTLE", "error", ["ingest"]), F("INFO", "info", ["lake"])]
    changes = [C("THROTTLE", ["ingest"]), C("GLUE", ["forward"])]
    assert badges.found(findings) == {"ingest": 3}
    # AUTH stays; DLQ's node `forward` is gone; THROTTLE was rewritten on its node
    assert badges.remaining(findings, changes, after) == {"ingest": 1}


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
@pytest.mark.parametrize("icons", [True, False], ids=["icons", "plain"])
def test_output_is_deterministic_and_self_contained(icons: bool) -> None:
    before, after = seed_pair()
    svg1 = render_bytes(diff_diagram(before, after, icons=icons), "svg")
    svg2 = render_bytes(diff_diagram(before.copy(), after.copy(), icons=icons), "svg")
    assert svg1 == svg2
    png = render_bytes(diagram(before, icons=icons), "png")
    assert png == render_bytes(diagram(before.copy(), icons=icons), "png")
    assert png.startswith(b"\x89PNG")
    dot = render_bytes(diagram(before, icons=icons), "dot")
    assert dot == render_bytes(diagram(before.copy(), icons=icons), "dot")
    text = svg1.decode()
    assert "<!--" not in text and "DOCTYPE" not in text
    assert "url(" not in text and "@import" not in text
    assert re.findall(r"https?://[^\"']+", text) == ["http://www.w3.org/2000/svg",
                                                    "http://www.w3.org/1999/xlink"]
    assert 'font-family="Helvetica,Arial,sans-serif"' in text
    # every reference is inside the file: a data URI or a fragment of this document
    refs = re.findall(r'href="([^"]*)"', text)
    assert all(r.startswith(("data:image/png;base64,", "#")) for r in refs), refs
    assert bool(refs) == icons


def test_icons_are_embedded_once_each_as_data_uris() -> None:
    import base64

    from advisor.render import icons

    before, _ = seed_pair()
    root = svg_of(diagram(before))
    symbols = {s.get("id"): s for s in root.iter(f"{SVG}symbol")}
    kinds = {before.kind(n) for n in before.graph}
    assert len(symbols) == len({icons.icon_for(k) for k in kinds}) == 5
    for sym in symbols.values():
        image = sym.find(f"{SVG}image")
        href = image.get("{http://www.w3.org/1999/xlink}href")
        assert base64.b64decode(href.split(",", 1)[1]).startswith(b"\x89PNG")
    nodes = groups(root, "node")
    for name, node in nodes.items():
        uses = node.findall(f"{SVG}use")
        assert len(uses) == 1, name
        ref = uses[0].get("{http://www.w3.org/1999/xlink}href")
        assert ref == "#" + icons.symbol_id(icons.icon_for(before.kind(name)))
        assert ref[1:] in symbols
        assert float(uses[0].get("width")) > 20
    # the name and the kind stay as the label, beside the icon
    assert "forward" in texts(nodes["forward"]) and "Lambda" in texts(nodes["forward"])
    # the icon is a rounded card; --no-icons keeps the category shape (S3: a cylinder)
    plain = groups(svg_of(diagram(before, icons=False)), "node")
    assert not list(plain["lake"].iter(f"{SVG}use"))
    assert len(plain["lake"].findall(f"{SVG}path")) == 2, "cylinder: body and cap"


def test_missing_icon_set_falls_back_to_plain_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.render import icons

    before, after = seed_pair()
    monkeypatch.setattr(icons, "icon_root", lambda: None)
    icons.icon_for.cache_clear()
    try:
        assert not icons.available() and "not installed" in icons.unavailable_note()
        for graph in (diagram(before), diff_diagram(before, after), compare_diagram(before, after)):
            text = render_bytes(graph, "svg").decode()
            assert "<use" not in text and "<image" not in text and "href=" not in text
            assert "imagepath" not in render_bytes(graph, "dot").decode()
        nodes = groups(svg_of(diagram(before)), "node")
        assert len(nodes["lake"].findall(f"{SVG}path")) == 2, "the plain cylinder"
    finally:
        icons.icon_for.cache_clear()


def test_png_resolution_follows_dpi() -> None:
    from advisor.render.output import png_args

    before, _ = seed_pair()
    low = render_bytes(diagram(before), "png", dpi=72)
    high = render_bytes(diagram(before), "png", dpi=144)
    width = lambda data: int.from_bytes(data[16:20], "big")  # noqa: E731
    assert 1.9 < width(high) / width(low) < 2.1
    default = render_bytes(diagram(before), "png")
    assert width(default) == width(render_bytes(diagram(before), "png", dpi=style()["png_dpi"]))
    assert png_args(100) == ["-Gdpi=100", f"-Gsize={style()['png_max_pixels'] / 100:.2f},"
                                          f"{style()['png_max_pixels'] / 100:.2f}"]
    with pytest.raises(ValueError):
        png_args(5000)


def test_scalable_svg_fills_its_container() -> None:
    from advisor.render import scalable_svg

    before, _ = seed_pair()
    svg = scalable_svg(render_bytes(diagram(before), "svg").decode())
    root = ET.fromstring(svg)
    assert root.get("width") == "100%" and root.get("height") is None and root.get("viewBox")


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
    assert shape_of(node).get("stroke").lower() == RED
    assert struck(node) == ["forward"]
    assert "forward" not in groups(svg_of(graphs["after"]), "node")
    # SEC-APIGW-AUTH (an error no rewrite applies by default) stays: its badge is on the
    # API in before, after and diff
    mark = style()["badge"]["mark"]
    for key in ("before", "after", "diff"):
        assert mark in texts(groups(svg_of(graphs[key]), "node")["ingest"]), key




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
    # plain category shapes (the icon cards are checked below); no edges: one column
    root = svg_of(diff_diagram(before, after, icons=False))
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


def test_icon_cards_hold_icon_label_changes_and_badge() -> None:
    """With icons, every text line (as wide as Graphviz measured it) sits right of the
    icon and inside the card, for long names, diff marks, change lines and badges."""
    import json

    from advisor import catalog

    before, after = Architecture(name="cards"), Architecture(name="cards")
    errors = {}
    for i, kind in enumerate(sorted(catalog.kind_names())):
        name = f"{kind}_with_a_really_long_name_{i:02d}"[:34].ljust(34, "x")
        status = i % 3
        if status != 1:
            before.add_node(name, kind, {})
        if status != 2:
            after.add_node(name, kind, {"note": 1, "other_prop": 2} if status == 0 else {})
        errors[name] = i % 4 or None
    layout = json.loads(diff_diagram(before, after, errors=errors).create(prog="dot", format="json"))
    size = style()["icons"]["size"]
    checked = 0
    for obj in layout["objects"]:
        if "_ldraw_" not in obj or "_draw_" not in obj or obj.get("name") in (None, "cards"):
            continue
        points = [p for op in obj["_draw_"] if "points" in op for p in op["points"]]
        x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        for op in obj["_ldraw_"]:
            if op.get("op") != "T":
                continue
            x, y = op["pt"]
            left = x if op["align"] == "l" else x - op["width"] / 2
            right = left + op["width"]
            assert left >= x0 + size, (obj["name"], op["text"], "overlaps the icon")
            assert right <= x1 - 1 and y0 < y < y1, (obj["name"], op["text"], "outside the card")
            checked += 1
    assert checked >= 3 * len(catalog.kind_names())  # name, kind, changes, badges


# ----------------------------------------------------------------------------- clusters
def _cluster_boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    return {" ".join(texts(g).split()): _bbox(shape_of(g)) for g in groups(root, "cluster").values()}


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_stacks_accounts_and_regions_are_nested_clusters() -> None:
    a = Architecture(name="multi")
    a.add_node("web", "client")
    a.add_node("api", "apigw", stack="orders", group=("edge",))
    a.add_node("fn", "lambda", stack="orders")
    a.add_node("table", "dynamodb", stack="data")
    a.add_edge("web", "api")
    a.add_edge("api", "fn")
    a.add_edge("fn", "table")
    for n in ("api", "fn", "table"):  # as an importer would set them, when it knows them
        a.graph.nodes[n]["account"] = "prod"
        a.graph.nodes[n]["region"] = "eu-west-1"
    root = svg_of(diagram(a))
    boxes = _cluster_boxes(root)
    assert set(boxes) == {"prod account", "eu-west-1 region", "orders stack", "data stack", "edge"}
    assert _inside(boxes["eu-west-1 region"], boxes["prod account"])
    assert _inside(boxes["orders stack"], boxes["eu-west-1 region"])
    assert _inside(boxes["edge"], boxes["orders stack"])
    nodes = {n: _bbox(shape_of(g)) for n, g in groups(root, "node").items()}
    assert _inside(nodes["api"], boxes["edge"]) and _inside(nodes["fn"], boxes["orders stack"])
    assert not _inside(nodes["fn"], boxes["edge"]) and _inside(nodes["table"], boxes["data stack"])
    assert not _inside(nodes["web"], boxes["prod account"]), "a client is in no stack"
    # left to right: the client, then the API, the function, the table
    assert nodes["web"][2] < nodes["api"][0] < nodes["fn"][0] < nodes["table"][0]
    # a single-stack design has no stack cluster
    plain = Architecture(name="one")
    plain.add_node("fn", "lambda")
    assert not groups(svg_of(diagram(plain)), "cluster")


def test_a_node_a_rewrite_added_joins_its_owners_stack() -> None:
    before = Architecture(name="dlq")
    before.add_node("orders", "sns", stack="orders")
    before.add_node("fn", "lambda", stack="orders")
    before.add_node("other", "lambda", stack="billing")
    before.add_edge("orders", "fn")
    before.add_edge("orders", "other")
    after = before.copy()
    after.add_node("orders_dlq", "sqs", {"is_dlq": True})  # no stack: the engine's add_node
    after.graph.edges["orders", "fn"]["props"]["dlq"] = "orders_dlq"
    after.add_node("loose", "sqs")  # neighbours in two stacks: left outside, not guessed
    after.add_edge("fn", "loose")
    after.add_edge("other", "loose")
    root = svg_of(diff_diagram(before, after))
    boxes = _cluster_boxes(root)
    nodes = {n: _bbox(shape_of(g)) for n, g in groups(root, "node").items()}
    assert _inside(nodes["orders_dlq"], boxes["orders stack"])
    assert not any(_inside(nodes["loose"], box) for box in boxes.values())


def test_two_hundred_node_design_lays_out_in_stack_clusters() -> None:
    """The benchmark's 203-node, 14-stack platform (benchmarks/bench_diagrams.py): every
    stack is a cluster holding its nodes, no two nodes overlap, and each service reads
    left to right (API, then its handlers, then its table)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_diagrams", REPO / "benchmarks" / "bench_diagrams.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    arch = bench.platform()
    assert arch.graph.number_of_nodes() >= 200
    root = svg_of(diagram(arch))
    boxes = _cluster_boxes(root)
    nodes = {n: _bbox(shape_of(g)) for n, g in groups(root, "node").items()}
    assert len(nodes) == arch.graph.number_of_nodes()
    for name, data in arch.graph.nodes(data=True):
        if data.get("stack"):
            assert _inside(nodes[name], boxes[f"{data['stack']} stack"]), name
    names = sorted(nodes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not _overlap(nodes[a], nodes[b]), f"{a} overlaps {b}"
    for s in bench.SERVICES:
        assert nodes[f"{s}_api"][2] < nodes[f"{s}_read"][0] < nodes[f"{s}_table"][0], s


# ----------------------------------------------------------------------------- mermaid
def test_mermaid_diff_has_the_same_marks() -> None:
    from advisor.report.mermaid import diff_diagram as mermaid_diff

    before, after = seed_pair()
    after.graph.nodes["ingest"]["props"]["throttling"] = True
    out = mermaid_diff(before, after, errors={"ingest": 1})
    assert 'n_forward("✕ <s>forward</s><br/>Lambda · removed")' in out
    assert "~ ingest<br/>API Gateway · changed<br/>throttling: off -#gt; on<br/>⚠ 1 error" in out
    assert 'n_ingest -->|"+ added"| n_delivery' in out
    # removed edges keep their mode's arrow (sync -->), coloured by linkStyle
    lines = [line.strip() for line in out.splitlines()]
    links = [line for line in lines if re.match(r"n_\w+ (-->|-\.->|==>|-\.-o)", line)]
    red = style()["status"]["removed"]["color"]
    removed = [i for i, line in enumerate(links) if "✕ removed" in line]
    assert removed and all(links[i].split()[1].startswith("-->") for i in removed)
    assert f"linkStyle {','.join(map(str, removed))} stroke:{red}" in out
    assert "classDef st_removed" in out and "class n_forward st_removed" in out
    assert "classDef st_added" not in out, "no added node: no class for it"


def test_mermaid_draws_dlq_references_and_badges() -> None:
    from advisor.report.mermaid import diagram as mermaid

    a = Architecture(name="dlq")
    a.add_node("orders", "sns")
    a.add_node("fn", "lambda")
    a.add_node("orders_dlq", "sqs")
    a.add_edge("orders", "fn", props={"dlq": "orders_dlq"})
    a.resolve_modes()
    out = mermaid(a, errors=["fn"])
    assert 'n_orders -.-o|"dlq"| n_orders_dlq' in out
    assert "linkStyle 1 stroke:#8D99A6" in out
    assert "Lambda<br/>⚠ error" in out
