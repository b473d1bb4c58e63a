"""Report writers: text, json, markdown, junit, html, mermaid, and the dispatcher.

Most tests build a FileResult by hand (a seed case with one finding and one change, and
estimates whose figures are chosen here), so each expected string follows from the
inputs, not from the writer's own output. One test runs the real pipeline.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pytest

from advisor.engine.findings import Alternative, Change, Finding
from advisor.errors import Diagnostic
from advisor.model import Location
from advisor.pipeline import FileResult, Report
from advisor.report import FORMATS, write

SEED = """architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
apigw    ingest    { type = rest, auth = none }
lambda   forward   { memory = 1024MB, duration = 120ms, glue = true }
firehose delivery
s3       lake
browser -> ingest -> forward -> delivery -> lake
"""


@dataclass
class FakeEstimate:
    monthly_usd: float
    by_node: dict[str, float]
    latency: dict[str, float]
    components: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"cost": {"monthly_usd": self.monthly_usd, "by_node": self.by_node},
                "latency": self.latency}


def seed_result(source: str = "samples/seed.arch") -> FileResult:
    from advisor.dsl import parse_text

    before = parse_text(SEED, source)
    after = before.copy()
    after.graph.remove_node("forward")
    after.add_edge("ingest", "delivery", mode="sync")
    glue = Finding(
        id="f1", rule="GLUE-APIGW-FIREHOSE", title="Lambda only forwards API requests to Firehose",
        pillar="cost-optimization", severity="warning", nodes=["forward"],
        message="forward only forwards from ingest to delivery",
        location=Location(source, 5, 10),
        alternatives=[Alternative(title="API Gateway service integration", cost_delta_usd_month=-110.0,
                                  latency_delta_ms=-125.0)],
        references=["https://docs.aws.amazon.com/apigateway/latest/developerguide/integration.html"],
    )
    auth = Finding(
        id="f2", rule="SEC-APIGW-AUTH", title="API without authorization", pillar="security",
        severity="error", nodes=["ingest"], message="ingest | accepts anonymous calls",
        location=Location(source, 4, 1),
    )
    note = Finding(
        id="f3", rule="OPS-TRACING", title="No tracing", pillar="operational-excellence",
        severity="info", nodes=["forward"], message="no X-Ray tracing", location=None,
    )
    lat_b = {"response_p50_ms": 165.0, "response_p99_ms": 250.0, "delivery_p50_ms": 68500.0}
    lat_a = {"response_p50_ms": 40.0, "response_p99_ms": 110.0, "delivery_p50_ms": 68375.0}
    return FileResult(
        source=source, format="dsl", findings=[glue, auth, note], before=before, after=after,
        before_estimate=FakeEstimate(292.0, {"ingest": 175.0, "forward": 110.0, "delivery": 7.0,
                                             "lake": 0.0, "browser": 0.0}, lat_b),
        after_estimate=FakeEstimate(182.0, {"ingest": 175.0, "delivery": 7.0, "lake": 0.0,
                                            "browser": 0.0}, lat_a),
        changes=[Change(rule="GLUE-APIGW-FIREHOSE", action="bypass", nodes=["forward"],
                        detail="removed forward; ingest -> delivery")],
    )


def broken_result() -> FileResult:
    return FileResult(source="bad.arch", format="dsl", errors=[
        Diagnostic("bad.arch", 3, 7, "unknown kind 'lamda'", suggestion="did you mean 'lambda'?")])


# ----------------------------------------------------------------------------- dispatcher
def test_dispatcher_knows_every_format_and_rejects_others() -> None:
    assert set(FORMATS) == {"text", "json", "markdown", "sarif", "junit", "html", "mermaid",
                            "github"}
    report = Report([seed_result()])
    for fmt in FORMATS:
        out = write(report, fmt, diagrams=False) if fmt == "html" else write(report, fmt)
        assert isinstance(out, str) and out.endswith("\n"), fmt
    assert write(report, "md") == write(report, "markdown")
    with pytest.raises(ValueError, match="unknown report format"):
        write(report, "pdf")


# ----------------------------------------------------------------------------- json
def test_json_is_the_report_dict_with_sorted_keys_and_stable_bytes() -> None:
    report = Report([seed_result(), broken_result()])
    out = write(report, "json")
    assert out.endswith("}\n")
    assert json.loads(out) == json.loads(json.dumps(report.to_dict()))
    assert out == write(Report([seed_result(), broken_result()]), "json")
    data = json.loads(out)
    assert list(data) == sorted(data)
    first = data["results"][0]
    assert list(first) == sorted(first)
    assert data["summary"]["by_severity"] == {"error": 1, "warning": 1, "info": 1}
    assert data["results"][1]["errors"][0]["line"] == 3


def test_json_encoder_writes_floats_as_the_standard_library_does() -> None:
    """orjson writes small floats unlike `json` (`1e-7`, `0.00001`); the writer rewrites
    those tokens, but only where they are numbers, not text inside strings or keys."""
    from advisor.report.jsonout import encode

    data = {
        "prices": [1e-7, 0.00001, 2.5e-10, 1.66667e-05, 0.5, -3e-9, 123.25, 0.0001],
        "nested": {"price_usd": 1.5e-5, "n": 3, "list": [[4e-6], {"x": 0.00002}]},
        "text": "1e-5 and 0.00001 and e-7 stay as written", "e-": "9e-",
        "1e-5": 0.00003, "k0.00001": 0.5, "re-run": 1e-8,
    }
    expected = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    assert encode(data).decode() == expected


# ----------------------------------------------------------------------------- text
def test_text_groups_by_pillar_and_has_before_after_table() -> None:
    out = write(Report([seed_result()]), "text", color=False, width=120)
    assert "\x1b[" not in out
    # pillar order is the Well-Architected order: operational excellence, security, ...
    positions = [out.index(t) for t in ("Operational excellence", "Security", "Cost optimization")]
    assert positions == sorted(positions)
    assert "GLUE-APIGW-FIREHOSE" in out and "SEC-APIGW-AUTH" in out
    row = next(line for line in out.splitlines() if "Monthly cost" in line)
    assert re.search(r"\$292\.00\s+\$182\.00\s+-\$110\.00\s+-38%", row), row
    assert "-125 ms" in out and "-$110.00/month" in out
    assert "1 error, 1 warning, 1 info" in out


def test_text_colours_only_when_asked_or_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    report = Report([seed_result()])
    assert "\x1b[" in write(report, "text", color=True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" not in write(report, "text")  # pytest's stdout is not a TTY
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in write(report, "text")


def test_text_shows_input_errors() -> None:
    out = write(Report([broken_result()]), "text", color=False)
    assert "bad.arch:3:7" in out and "unknown kind 'lamda'" in out
    assert "1 file(s) with input errors" in out


# ----------------------------------------------------------------------------- markdown
def test_markdown_has_summary_findings_changes_and_diagram_links() -> None:
    links = {"diff": "diff.svg", "before": "before.svg", "after": "after.svg"}
    out = write(Report([seed_result()]), "markdown", diagrams=links)
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert headings[0] == "# Architecture review: clickstream"
    for h in ("## Summary", "## Diagrams", "## Findings", "### Security", "### Cost optimization",
              "### Operational excellence", "## Change log"):
        assert h in headings, h
    assert headings.index("### Security") < headings.index("### Cost optimization")
    assert "| Monthly cost | $292.00 | $182.00 | **-$110.00** | -38% |" in out
    assert "| Response p50 | 165 ms | 40.0 ms | **-125 ms** | -76% |" in out
    assert "| - | forward | $110.00 | n/a | -$110.00 |" in out  # infracost-style resource row
    assert "![What changed](diff.svg)" in out and "![Before](before.svg)" in out
    assert "- **error** `SEC-APIGW-AUTH`" in out
    assert "Alternative: API Gateway service integration: cost -$110.00/month · latency -125 ms" in out
    assert "| `GLUE-APIGW-FIREHOSE` | bypass | forward | removed forward; ingest -> delivery |" in out
    assert "at `samples/seed.arch:5:10`" in out


def test_markdown_for_several_files_and_errors() -> None:
    out = write(Report([seed_result("a.arch"), broken_result()]), "markdown")
    assert "## Summary" in out and "## `a.arch`" in out and "## `bad.arch`" in out
    assert "### Input errors" in out and "did you mean 'lambda'?" in out
    assert "| bad.arch | input errors |" in out
    assert "Diagrams" not in out  # no links were given


# ----------------------------------------------------------------------------- junit
def test_junit_one_case_per_rule_failures_at_or_above_threshold() -> None:
    report = Report([seed_result(), broken_result()])
    root = ET.fromstring(write(report, "junit"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    seed = suites["samples/seed.arch"]
    cases = {c.get("name").split(":")[0]: c for c in seed.findall("testcase")}
    assert {"parse", "GLUE-APIGW-FIREHOSE", "SEC-APIGW-AUTH", "OPS-TRACING"} <= set(cases)
    assert cases["SEC-APIGW-AUTH"].find("failure").get("type") == "error"
    assert cases["GLUE-APIGW-FIREHOSE"].find("failure") is not None
    assert cases["OPS-TRACING"].find("failure") is None  # info is below the default threshold
    assert "no X-Ray tracing" in cases["OPS-TRACING"].find("system-out").text
    assert cases["parse"].find("failure") is None and cases["parse"].find("error") is None
    assert seed.get("failures") == "2"
    assert int(seed.get("tests")) == len(seed.findall("testcase"))
    bad = suites["bad.arch"]
    assert bad.get("errors") == "1" and bad.find("testcase/error") is not None
    strict = ET.fromstring(write(Report([seed_result()]), "junit", fail_on="error"))
    assert strict.find("testsuite").get("failures") == "1"


# ----------------------------------------------------------------------------- html
def test_html_is_self_contained_with_inline_svg() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    out = write(Report([seed_result()]), "html")
    assert out.startswith("<!DOCTYPE html>")
    assert out.count("<svg") == 3
    assert "<script" not in out and "<link" not in out and "<img" not in out
    assert not re.search(r"\bsrc\s*=", out) and "@import" not in out and "url(" not in out
    without_links = re.sub(r'<a href="https?://[^"]*">', "", out)
    assert not re.search(r"https?://", without_links), re.findall(r".{30}https?://.{30}", without_links)
    assert 'href="https://docs.aws.amazon.com/apigateway/' in out  # references stay links
    assert "@media print" in out
    assert "-$110.00" in out and "Security" in out and "Change log" in out
    ET.fromstring(re.search(r"<svg.*?</svg>", out, re.S).group(0))  # well-formed inline SVG


def test_html_escapes_user_text() -> None:
    r = seed_result()
    r.findings[1].message = "<script>alert(1)</script>"
    out = write(Report([r]), "html", diagrams=False)
    assert "<script>" not in out and "&lt;script&gt;" in out


# ----------------------------------------------------------------------------- mermaid
def test_mermaid_draws_the_after_graph() -> None:
    out = write(Report([seed_result()]), "mermaid")
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    assert "forward" not in out
    assert "n_ingest --> n_delivery" in out
    assert "n_delivery -.-> n_lake" in out  # firehose -> s3 is async by default
    assert re.search(r'n_lake\[\("lake<br/>S3"\)\]', out)  # storage is a cylinder
    assert "classDef cat_storage" in out and "class n_lake cat_storage" in out
    before = write(Report([seed_result()]), "mermaid", side="before")
    assert "n_ingest --> n_forward" in before


def test_mermaid_ids_are_safe_and_unique() -> None:
    from advisor.model import Architecture
    from advisor.report.mermaid import diagram

    a = Architecture(name="x")
    a.add_node("a-b", "sqs")
    a.add_node("a_b", "sqs")
    a.add_node('say "hi"', "lambda", group=("g<1>",))
    a.add_edge("a-b", "a_b", mode="poll")
    out = diagram(a)
    assert 'n_a_b -.->|"poll"| n_a_b_2' in out  # a-b and a_b both sanitise to a_b
    assert 'n_say__hi_("say #quot;hi#quot;<br/>Lambda")' in out
    assert 'subgraph g0["g#lt;1#gt;"]' in out


# ----------------------------------------------------------------------------- pipeline
def test_writers_on_the_real_pipeline() -> None:
    from advisor.pipeline import Options, analyze_source

    result = analyze_source("seed.arch", Options(), text=SEED)
    assert not result.errors
    report = Report([result])
    md = write(report, "markdown")
    assert "## Findings" in md and "## Change log" in md
    for f in result.findings:
        assert f.rule in md
    text = write(report, "text", color=False)
    assert all(f.rule in text for f in result.findings)
    json.loads(write(report, "json"))


# ----------------------------------------------------------------------------- review fixes
LONG_DIR = "/work/shared/corpus/serverless-patterns/a-rather-long-pattern-folder-name-terraform"


def folder_result() -> FileResult:
    """A Terraform module: the source is a folder, findings point at files inside it."""
    r = seed_result()
    r.source, r.format = LONG_DIR, "terraform"
    r.findings[0].location = Location(f"{LONG_DIR}/main.tf", 12, 3)
    r.findings[1].location = Location(f"{LONG_DIR}/modules/api/api.tf", 4, 1)
    r.findings[2].location = Location("/elsewhere/entirely/shared.tf", 7, 5)
    return r


def test_text_shows_short_locations_and_readable_columns_for_a_folder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = write(Report([folder_result()]), "text", color=False)
    assert "main.tf:12:3" in out and "modules/api/api.tf:4:1" in out and "shared.tf:7:5" in out
    rows = [line for line in out.splitlines() if "main.tf" in line or "api.tf" in line]
    assert rows and all(LONG_DIR not in line for line in rows), rows  # not the full path
    # severity, rule and the finding itself are readable, not squeezed to an ellipsis
    assert "…" not in out
    for word in ("warning", "GLUE-APIGW-FIREHOSE", "SEC-APIGW-AUTH", "error",
                 "forward only forwards from", "ingest | accepts anonymous calls"):
        assert word in out, word
    assert max(len(line) for line in out.splitlines()) <= 100  # the default width


def test_text_location_is_line_col_when_the_finding_is_in_the_source_file() -> None:
    out = write(Report([seed_result("samples/seed.arch")]), "text", color=False, width=100)
    row = next(line for line in out.splitlines() if "SEC-APIGW-AUTH" in line)
    assert re.search(r"SEC-APIGW-AUTH\s+4:1\s", row), row
    assert "samples/seed.arch:4:1" not in out


@pytest.mark.parametrize("columns", [60, 80, 150])
def test_text_honours_columns_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                  columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = write(Report([folder_result()]), "text", color=False)
    widest = max(len(line) for line in out.splitlines())
    assert widest <= columns
    assert widest > min(columns, 100) - 20  # it does use the room it has
    assert "…" not in out
    for word in ("GLUE-APIGW-FIREHOSE", "SEC-APIGW-AUTH", "main.tf:12:3"):
        assert word in out, (columns, word)


def test_likely_marker_is_shown_once_in_every_writer() -> None:
    r = seed_result()
    glue = r.findings[0]
    glue.likely = True
    glue.message += (" (likely: inferred from the structure alone; state `glue = true` or"
                     " `glue = false` on forward to confirm)")
    report = Report([r])
    for fmt in ("text", "markdown", "html"):
        opts: dict[str, Any] = {"color": False, "width": 200} if fmt == "text" else {}
        if fmt == "html":
            opts["diagrams"] = False
        out = write(report, fmt, **opts)
        assert out.count("likely") == 1, (fmt, [s for s in out.splitlines() if "likely" in s])
    # a likely finding whose message does not say so still gets the marker, once
    glue.message = "forward only forwards from ingest to delivery"
    for fmt in ("text", "markdown"):
        out = write(report, fmt, **({"color": False} if fmt == "text" else {}))
        assert out.count("(likely)") == 1, fmt


@dataclass
class NoResponseEstimate(FakeEstimate):
    """An estimate of a design no client waits on (queue -> function -> topic)."""

    has_response: bool = False


def no_response_result() -> FileResult:
    r = seed_result()
    lat = {"response_p50_ms": 0.0, "response_p99_ms": 0.0, "delivery_p50_ms": 156.0,
           "response_path": [], "delivery_path": ["q", "f", "t"]}
    r.before_estimate = NoResponseEstimate(2.11, {"f": 2.11}, dict(lat))
    r.after_estimate = NoResponseEstimate(2.0, {"f": 2.0}, dict(lat, delivery_p50_ms=120.0))
    return r


def test_no_response_path_is_not_shown_as_zero_ms() -> None:
    report = Report([no_response_result()])
    text = write(report, "text", color=False, width=120)
    md = write(report, "markdown")
    html = write(report, "html", diagrams=False)
    for out in (text, md, html):
        rows = [line for line in out.splitlines() if "Response p" in line]
        assert rows and all("0.0 ms" not in line and "n/a" in line for line in rows), rows
        assert re.search(r"Delivery p50.*156 ms.*120 ms", out)
    # the latency dict alone says so too (an estimate read back without has_response)
    r = no_response_result()
    for est in (r.before_estimate, r.after_estimate):
        est.__class__ = FakeEstimate
    md = write(Report([r]), "markdown")
    assert "| Response p50 | n/a | n/a |" in md


def test_diagram_totals_say_no_response_path() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    from advisor.render import figures, render_bytes, result_diagrams

    r = no_response_result()
    assert "response p50 0.0 ms" not in figures.one_line(r.before_estimate)
    assert "delivery p50 156 ms" in figures.one_line(r.before_estimate)
    graphs = result_diagrams(r)
    for key in ("before", "diff", "compare"):
        svg = render_bytes(graphs[key], "svg").decode()
        assert "0.0 ms" not in svg, key


def _check_mermaid_document(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """A structural check of one Mermaid flowchart document: one header, first; balanced
    subgraph/end; every id declared once; every edge between declared ids."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    headers = [i for i, line in enumerate(lines) if re.match(r"(flowchart|graph)\b", line)]
    assert headers == [0], f"one flowchart header, first: {headers}"
    depth, declared, edges = 0, set(), []
    for line in lines[1:]:
        if line.startswith("%%") or line.startswith(("classDef ", "class ", "direction ")):
            continue
        if line.startswith("subgraph "):
            ident = line.split()[1].split("[")[0]
            assert ident not in declared, ident
            declared.add(ident)
            depth += 1
            continue
        if line == "end":
            depth -= 1
            assert depth >= 0
            continue
        edge = re.match(r"(\w+) (-->|-\.->|==>|~~~)(\|\"[^\"]*\"\|)? (\w+)$", line)
        if edge:
            edges.append((edge.group(1), edge.group(4)))
            continue
        node = re.match(r"(\w+)[\[\(\{>]", line)
        assert node, f"unexpected line {line!r}"
        assert node.group(1) not in declared, f"{node.group(1)} declared twice"
        declared.add(node.group(1))
    assert depth == 0, "unbalanced subgraph/end"
    for a, b in edges:
        assert a in declared and b in declared, (a, b)
    return declared, edges


def test_mermaid_several_files_make_one_valid_document() -> None:
    report = Report([seed_result("a.arch"), broken_result(), seed_result("b.arch")])
    out = write(report, "mermaid")
    declared, edges = _check_mermaid_document(out)
    # the two files share node names but not ids: each keeps its own graph
    assert {"f1_n_ingest", "f3_n_ingest"} <= declared
    assert ("f1_n_ingest", "f1_n_delivery") in edges and ("f3_n_ingest", "f3_n_delivery") in edges
    assert 'subgraph f1["a.arch"]' in out and 'subgraph f3["b.arch"]' in out
    assert "%% bad.arch: not parsed" in out
    assert ("f1", "f3") in edges  # an invisible link keeps the files in input order
    assert out.count("classDef cat_storage") == 1
    # one file: the plain flowchart, still one document
    _check_mermaid_document(write(Report([seed_result()]), "mermaid"))
    _check_mermaid_document(write(Report([broken_result()]), "mermaid"))


def _headings(html: str) -> list[tuple[int, str]]:
    return [(int(level), re.sub(r"<[^>]+>", "", text))
            for level, text in re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html)]


def test_html_sections_nest_under_their_file_when_there_are_several() -> None:
    out = write(Report([seed_result("a.arch"), broken_result()]), "html", diagrams=False)
    heads = _headings(out)
    files = [i for i, (level, _) in enumerate(heads) if level == 2]
    assert [heads[i][1] for i in files] == ["a.arch", "bad.arch"], heads
    for level, text in heads[files[0] + 1 : files[1]]:
        assert level >= 3, (level, text)  # Summary, Findings, ... belong to a.arch
    assert (3, "Input errors") in heads[files[1]:]
    # one file: its sections are the page's h2s
    single = _headings(write(Report([seed_result()]), "html", diagrams=False))
    assert (2, "Summary") in single and (3, "Security") in single


def test_html_reference_links_read_as_titles() -> None:
    from advisor.report.htmlout import _short

    url = ("https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/"
           "Working-with-log-groups-and-streams.html#SettingLogRetention")
    assert _short(url) == "Working with log groups and streams"
    assert _short("https://docs.aws.amazon.com/lambda/latest/dg/foo_bar.html?x=1") == "foo bar"
    assert _short("https://aws.amazon.com/") == "aws.amazon.com"


def test_html_component_table_says_what_it_is() -> None:
    out = write(Report([seed_result()]), "html", diagrams=False)
    assert "Cost by component" in out
    row = re.search(r"<tr><td[^>]*>([^<]*)</td><td>forward</td>", out)
    assert row and row.group(1) == "removed", row  # a word, not a bare "-"


def test_html_figures_scroll_on_screen_and_fit_the_page_in_print() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    out = write(Report([seed_result()]), "html")
    assert re.search(r"figure\s*\{[^}]*overflow-x:\s*auto", out)
    print_css = out[out.index("@media print"):]
    assert "max-height" in print_css and "min-width: 0" in print_css
    # each inline diagram keeps a legible minimum width on screen (scrolls instead)
    assert len(re.findall(r'<svg[^>]*style="min-width:\s*\d+pt', out)) == 3
