"""The Streamlit page driven through streamlit.testing.v1.AppTest, and its logic in
app/state.py tested as plain functions.

The clickstream sample is the seed case (docs/internals.md, "The seed example"): a REST
API whose Lambda only forwards to Firehose. Removing the Lambda must remove its whole cost: at 50M requests a
month, 1024 MB and 120 ms, that is 50M x 0.12 s x 1 GB x $0.0000166667/GB-s = $100 of
compute plus 50M x $0.20/M = $10 of requests (us-east-1 x86 list prices), plus its log
lines in CloudWatch Logs (Lambda's START/END/REPORT lines, about 350 bytes per
invocation, at $0.50/GB: $8.15), $118.15 in all.
"""

from __future__ import annotations

import base64
import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # app/ is a folder of the repository, not of the package
    sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from advisor.app import state  # noqa: E402

APP = REPO / "app" / "streamlit_app.py"
CLICKSTREAM = (REPO / "samples" / "clickstream.arch").read_text("utf-8")
GLUE = "GLUE-APIGW-FIREHOSE:ingest/forward/delivery"
LAMBDA_COST = (50e6 * 0.12 * 1.0 * 0.0000166667 + 50 * 0.20  # see the module docstring
               + 50e6 * 350 / 1024**3 * 0.50)
# a SAM template without the OpenAPI file it includes and without its handler code
INCLUDE_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: openapi.yaml}
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.12}
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""
OPENAPI = """\
openapi: 3.0.1
info: {title: orders, version: "1"}
paths:
  /orders:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri:
          Fn::Sub: "URI"
""".replace("URI", "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                   "${OrdersFunction.Arn}/invocations")
HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def _run(text: str = CLICKSTREAM) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.text_area(key="dsl").set_value(text)
    at.run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> tuple[str, str]:
    m = next(m for m in at.metric if m.label == label)
    return m.value, m.delta


def _money(text: str) -> float:
    """ "-$110.00" -> -110.0; "$0.00 (no change)" -> 0.0"""
    m = re.match(r"\s*([+-]?)\$?([\d,]+\.?\d*)", text)
    assert m, text
    return float(m.group(1) + m.group(2).replace(",", ""))


def _ms(text: str) -> float:
    return float(text.split(" ms")[0].replace(",", ""))


def _colour(at: AppTest, label: str) -> tuple[str, str]:
    """(colour, arrow direction) of a metric's delta, as Streamlit will draw it."""
    from streamlit.proto.Metric_pb2 import Metric

    m = next(m for m in at.metric if m.label == label)
    return (Metric.MetricColor.Name(m.proto.color), Metric.MetricDirection.Name(m.proto.direction))


def _viewer_svgs(at: AppTest) -> list[str]:
    """The SVG of each diagram viewer (app/viewer.py iframes), in page order."""
    out = []
    for frame in at.get("iframe"):
        m = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', frame.proto.srcdoc)
        assert m, frame.proto.srcdoc[:200]
        out.append(base64.b64decode(m.group(1)).decode("utf-8"))
    return out


def _only(at: AppTest, keep: set[str] | dict[str, int]) -> AppTest:
    """Choose exactly `keep` (ids: their default alternative; or {id: alternative}): on
    this page through the checkboxes and radios, on other pages of findings through the
    choice the page keeps in session state."""
    a = state.analyze("design.arch", at.text_area(key="dsl").value)
    picks = keep if isinstance(keep, dict) else {
        fid: a.default_alternative.get(fid, (a.choices.get(fid) or (0,))[0]) for fid in keep}
    at.session_state["chosen"] = {f.id: picks.get(f.id, -1) for f in a.result.findings}
    for cb in at.checkbox:
        if cb.key and cb.key.startswith("apply::"):
            cb.set_value(cb.key.removeprefix("apply::") in picks)
    for r in at.radio:
        if r.key and r.key.startswith("alt::"):
            r.set_value(picks.get(r.key.removeprefix("alt::"), -1))
    at.run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------------- the page
def test_clickstream_shows_the_glue_finding_and_its_alternatives() -> None:
    at = _run()
    text = "\n".join(m.value for m in at.markdown)
    assert "GLUE-APIGW-FIREHOSE" in text
    # two ways to rewrite it: a choice of none / alternative 1 / alternative 2
    glue = at.radio(key=f"alt::{GLUE}")
    assert glue.value == 0  # confirmed glue (glue = true): rewritten by default, first way
    assert glue.options[0] == "none" and len(glue.options) == 3
    assert "Firehose" in glue.options[1] and "Cognito" in glue.options[2]
    # the alternatives table of the glue finding: both ways out, with negative deltas
    tables = [df.value for df in at.dataframe if "alternative" in df.value.columns]
    glue_table = next(t for t in tables if t["alternative"].str.contains("PutRecord").any())
    assert len(glue_table) >= 2
    assert (glue_table["cost Δ $/month"] < 0).all()
    # full-width zoomable views: diff, before, after, and side by side: before above
    # after (the clickstream flows left to right, so they are stacked, each full width)
    diff, before, after, side_before, side_after = _viewer_svgs(at)
    assert "forward" in before and "forward" not in after
    assert "✕" in diff and "forward" in diff  # the removed Lambda, marked
    assert (side_before, side_after) == (before, after)
    # the legend entries of the diff, and what changed, beside it
    legend = next(c.value for c in at.caption if c.value.startswith("Legend:"))
    assert "removed" in legend and "added" in legend
    changed = next(df.value for df in at.dataframe if "what changed" in df.value.columns)
    removed = set(changed[changed["status"] == "removed"]["element"])
    assert "forward" in removed and "ingest -> forward" in removed
    assert "ingest -> delivery" in set(changed[changed["status"] == "added"]["element"])


def test_after_totals_follow_the_chosen_rewrites() -> None:
    at = _only(_run(), {GLUE})
    value, delta = _metric(at, "Monthly cost (after)")
    assert _money(delta) == pytest.approx(-LAMBDA_COST, abs=0.05)
    _, latency = _metric(at, "Response p50 (after)")
    assert _ms(latency) <= -120  # the 120 ms hop is gone
    assert _metric(at, "Rewrites applied")[0] != "0"
    # cheaper and faster: both green, arrows down (better, whatever the direction)
    assert _colour(at, "Monthly cost (after)") == ("GREEN", "DOWN")
    assert _colour(at, "Response p50 (after)") == ("GREEN", "DOWN")

    _only(at, set())
    value2, delta2 = _metric(at, "Monthly cost (after)")
    assert _money(delta2) == pytest.approx(0.0, abs=0.005)
    assert _money(value2) == pytest.approx(_money(value) + LAMBDA_COST, abs=0.05)
    assert _metric(at, "Rewrites applied")[0] == "0"
    # no change: grey and said so, not a red "up" arrow for +0 ms
    assert _colour(at, "Monthly cost (after)")[0] == "GRAY"
    assert _colour(at, "Response p50 (after)")[0] == "GRAY"
    assert "no change" in _metric(at, "Response p50 (after)")[1]


def test_choosing_the_second_alternative_rewrites_with_it() -> None:
    at = _run()
    first = _money(_metric(at, "Monthly cost (after)")[1])  # the default: alternative 1
    radio = at.radio(key=f"alt::{GLUE}")
    radio.set_value(1)  # "2. Let the clients write to delivery directly ..."
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["chosen"][GLUE] == 1
    assert at.radio(key=f"alt::{GLUE}").value == 1  # the choice survives the rerun
    changes = next(df.value for df in at.dataframe if "action" in df.value.columns)
    glue = changes[changes["rule"] == "GLUE-APIGW-FIREHOSE"]
    # alternative 2 removes the API as well and gives the browser an identity pool
    assert any("cognito" in d for d in glue["detail"])
    assert any("ingest" in str(n) for n in glue["nodes"])
    # so it also saves the REST API's 50M x $3.50/M = $175 a month on top of the Lambda
    second = _money(_metric(at, "Monthly cost (after)")[1])
    assert second < first - 100
    radio = at.radio(key=f"alt::{GLUE}")
    radio.set_value(-1)  # "none"
    at.run()
    assert _money(_metric(at, "Monthly cost (after)")[1]) > first  # the Lambda is back


def _workload(at: AppTest, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def test_workload_is_shown_and_editable_next_to_the_totals() -> None:
    at = _only(_run(), {GLUE})
    before = _money(_metric(at, "Monthly cost (after)")[0])
    # the design's own workload starts the editor, and the table says it is stated
    assert _workload(at, "Requests per month").value == "50M/month"
    assert _workload(at, "Payload per request").value == "2KB"
    table = next(t for t in at.table if "source" in t.value.columns).value
    assert set(table["source"][:2]) == {"stated in the design"}
    # 20x the design's 50M/month
    _workload(at, "Requests per month").set_value("1B")
    at.run()
    assert not at.exception, at.exception
    after = _money(_metric(at, "Monthly cost (after)")[0])
    assert after > 5 * before
    assert any("At 1B requests/month" in c.value for c in at.caption)
    # the Lambda removed saves 20x as much at 20x the traffic (pay per request)
    assert _money(_metric(at, "Monthly cost (after)")[1]) == pytest.approx(-20 * LAMBDA_COST,
                                                                           rel=0.01)
    table = next(t for t in at.table if "source" in t.value.columns).value
    rows = dict(zip(table["figure"], table["source"], strict=True))
    assert rows["requests / month"] == "set on this page"
    assert rows["payload / request"] == "stated in the design"
    # a value that does not parse is said so, and the design's value stays in use
    _workload(at, "Payload per request").set_value("lots")
    at.run()
    assert any("Payload" in e.value and "not a size" in e.value for e in at.error)
    assert _money(_metric(at, "Monthly cost (after)")[0]) == pytest.approx(after, abs=0.01)
    # back to the design's workload
    next(b for b in at.button if b.label.startswith("Back to the design")).click()
    at.run()
    assert _money(_metric(at, "Monthly cost (after)")[0]) == pytest.approx(before, abs=0.01)
    assert _workload(at, "Requests per month").value == "50M/month"


def test_assumed_workload_is_marked_and_listed() -> None:
    """A template with no traffic stated: 1M requests/month and 1 KB, said to be assumed,
    with every defaulted assumption beside the totals."""
    at = _run(INCLUDE_TEMPLATE)
    assert _workload(at, "Requests per month").value == "1M/month"
    assert _workload(at, "Payload per request").value == "1KB"
    table = next(t for t in at.table if "source" in t.value.columns).value
    assert list(table["source"][:2]) == ["assumed: nothing stated"] * 2
    assert any(m.value.startswith("**Assumptions behind the estimates** (") for m in at.markdown)
    text = "\n".join(m.value for m in at.markdown if "state it with" in m.value)
    assert "1M requests/month" in text and "workload { requests" in text
    # stating the traffic here replaces the assumption
    _workload(at, "Requests per month").set_value("30M/month")
    at.run()
    text = "\n".join(m.value for m in at.markdown if "state it with" in m.value)
    assert "1M requests/month at the entry" not in text and "1 KB per request" in text


def test_the_patch_is_made_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun does not write the patch (it re-reads the design once per rewrite); the
    toggle makes it, and the download and the per-rewrite reasons appear."""
    made: list[int] = []
    real = state._make_patch

    def counting(v):  # type: ignore[no-untyped-def]
        made.append(1)
        return real(v)

    monkeypatch.setattr(state, "_make_patch", counting)
    at = _run()
    assert made == [] and not any(b.label.startswith("fix.patch")
                                  for b in at.get("download_button"))
    at.toggle(key="want_patch").set_value(True).run()
    assert not at.exception, at.exception
    assert made == [1]
    assert any(b.label.startswith("fix.patch (") for b in at.get("download_button"))
    at.run()  # the same view: the patch it made is kept
    assert made == [1]


def test_download_buttons_and_payloads() -> None:
    at = _only(_run(), {GLUE})
    labels = {b.label for b in at.get("download_button")}
    assert {"report.md", "report.html", "optimized.arch", "diagrams.zip (SVG + PNG)",
            "before.svg", "after.svg", "diff.svg", "compare.svg"} <= labels

    # the same payloads the buttons produce (they are generated on click)
    a = state.analyze("design.arch", CLICKSTREAM)
    v = state.view(a, {GLUE}, None)
    md = state.report_markdown(v)
    assert "GLUE-APIGW-FIREHOSE" in md and "diff.svg" in md
    html = state.report_html(v)
    assert html.lstrip().lower().startswith("<!doctype html") and "<svg" in html
    from advisor.dsl import parse_text

    optimized = parse_text(state.optimized_dsl(v), "optimized.arch")
    assert "forward" not in optimized.graph
    assert optimized.graph.has_edge("ingest", "delivery")
    with zipfile.ZipFile(io.BytesIO(state.diagrams_zip(v))) as z:
        names = set(z.namelist())
        assert {f"{n}.{f}" for n in ("before", "after", "diff", "compare")
                for f in ("svg", "png")} == names
        assert z.read("after.png").startswith(b"\x89PNG")
        assert b"forward" in z.read("before.svg") and b"forward" not in z.read("after.svg")


def test_parse_error_is_inline_and_the_last_good_result_stays() -> None:
    at = _run()
    bad = CLICKSTREAM.replace("lambda   forward", "lamda   forward")
    at.text_area(key="dsl").set_value(bad)
    at.run()
    assert not at.exception
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if t.startswith("lamda"))
    assert any("design.arch" in e.value and "errors" in e.value for e in at.error)
    errors = [m.value for m in at.markdown if m.value.startswith("**line ")]
    assert any(f"line {line}, column 1" in e and "lamda" in e for e in errors), errors
    assert any("lambda" in e.split("Suggestion", 1)[-1] for e in errors)  # the did-you-mean
    # the source line with a caret under the column
    assert any(f"design.arch:{line}:1" in c.value and "^" in c.value for c in at.code)
    assert any("last design that parsed" in w.value for w in at.warning)
    # the rest of the page still shows the clickstream result
    assert any("GLUE-APIGW-FIREHOSE" in m.value for m in at.markdown)
    assert len(_viewer_svgs(at)) == 5
    assert any(c.label.startswith("Monthly cost") for c in at.metric)


def test_sample_picker_loads_a_sample() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    names = [p.name for p in state.sample_paths()]
    other = next(n for n in names if n != "clickstream.arch")
    at.selectbox(key="sample").set_value(other)
    at.run()
    assert not at.exception
    assert at.text_area(key="dsl").value == (REPO / "samples" / other).read_text("utf-8")


# ---------------------------------------------------------------------- plain functions
def test_selection_applies_exactly_the_chosen_rewrites() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    assert GLUE in a.default_selection
    after, changes = state.after_for(a, {GLUE})
    assert "forward" not in after.graph and "forward" in a.result.before.graph
    assert {c.rule for c in changes} == {"GLUE-APIGW-FIREHOSE"}
    after0, changes0 = state.after_for(a, set())
    assert changes0 == [] and set(after0.graph) == set(a.result.before.graph)
    # an unknown or advice-only id changes nothing
    assert state.after_for(a, {"NOPE:x"})[1] == []


def test_view_takes_an_alternative_per_finding() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    assert a.choices[GLUE] == (0, 1) and a.default_alternative[GLUE] == 0
    second = state.view(a, {GLUE: 1}, None)
    assert "ingest" not in second.after.graph and "forward" not in second.after.graph
    first = state.view(a, {GLUE: 0}, None)
    assert "ingest" in first.after.graph and "forward" not in first.after.graph
    assert state.choice_of(a, {GLUE: -1}) == ()  # "none"


def test_findings_are_grouped_by_pillar_in_lens_order() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    groups = state.grouped_findings(list(a.result.findings))
    pillars = [p for p, _ in groups]
    from advisor.vocabulary import PILLARS, severity_rank

    assert pillars == [p for p in PILLARS if p in pillars]
    assert sum(len(fs) for _, fs in groups) == len(a.result.findings)
    for _, fs in groups:
        ranks = [severity_rank(f.severity) for f in fs]
        assert ranks == sorted(ranks)


def test_cached_findings_are_not_mutated_by_traffic() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    original = next(f for f in a.result.findings if f.id == GLUE)
    cached = original.alternatives[0].cost_delta_usd_month  # the engine's judge may set it
    v1 = state.view(a, {GLUE}, None)
    v2 = state.view(a, {GLUE}, 1e9)
    d1 = state.with_deltas(v1, [GLUE])[0].alternatives[0].cost_delta_usd_month
    d2 = state.with_deltas(v2, [GLUE])[0].alternatives[0].cost_delta_usd_month
    assert d1 == pytest.approx(-LAMBDA_COST, abs=0.05)
    assert d2 == pytest.approx(-20 * LAMBDA_COST, rel=0.01)
    assert state.with_deltas(v1, [GLUE])[0].alternatives[0].cost_delta_usd_month == d1
    # the engine's own findings are not changed by another traffic level: the cache is
    # shared by sessions
    assert original.alternatives[0].cost_delta_usd_month == cached
    # the report carries every finding's deltas
    report = v1.report().to_dict()["results"][0]
    glue = next(f for f in report["findings"] if f["id"] == GLUE)
    assert glue["alternatives"][0]["cost_delta_usd_month"] == pytest.approx(d1)


def test_findings_are_paged_in_display_order() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    fs = list(a.result.findings)
    n = state.pages(len(fs), 5)
    seen = [f.id for p in range(n) for f in state.page_of(fs, p, 5)]
    assert sorted(seen) == sorted(f.id for f in fs) and len(seen) == len(set(seen))
    assert all(len(state.page_of(fs, p, 5)) <= 5 for p in range(n))


def test_upload_checks() -> None:
    big = b"#" * (state.MAX_BYTES + 1)
    files = [("../../etc/x.arch", b'architecture "x"\n'), ("big.tf", big),
             ("run.sh", b"echo hi"), ("bin.yaml", b"\xff\xfe\x00\x01"), ("empty.arch", b"  ")]
    out = {u.name: u for u in state.check_uploads(files)}
    assert out["x.arch"].text is not None and out["x.arch"].error is None  # path stripped
    assert "limit" in out["big.tf"].error
    assert "not an architecture file" in out["run.sh"].error
    assert out["bin.yaml"].error
    assert "empty" in out["empty.arch"].error
    many = [(f"f{i}.arch", b'architecture "x"\n') for i in range(state.MAX_FILES + 2)]
    refused = [u for u in state.check_uploads(many) if u.error]
    assert len(refused) == 2


def test_uploads_are_analysed_in_a_temporary_folder(tmp_path: Path) -> None:
    tf = REPO / "samples" / "terraform" / "events" / "main.tf"
    uploads = state.check_uploads([
        ("main.tf", tf.read_bytes()),
        ("click.arch", CLICKSTREAM.encode()),
        ("broken.arch", b"architecture \"b\"\nlamda f\n"),
    ])
    results = {a.name: a for a in state.analyze_uploads(uploads)}
    assert results["main.tf"].ok and results["main.tf"].result.format == "terraform"
    assert results["click.arch"].ok and results["click.arch"].result.format == "dsl"
    broken = results["broken.arch"]
    assert not broken.ok
    d = broken.result.errors[0]
    assert (d.line, d.column) == (2, 1) and d.path == "broken.arch"  # not the temp path


def test_human_figures() -> None:
    assert state.human_rate(2.5e6) == "2.5M" and state.human_size(2048) == "2 KB"
    assert state.svg_size('<svg width="72pt" height="36pt" viewBox="0 0 72 36">') == (96, 48)


def test_advisor_app_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from advisor.commands import app as app_cmd

    argv = app_cmd.streamlit_command(8600, "127.0.0.1")
    assert argv[1:4] == ["-m", "streamlit", "run"] and Path(argv[4]).resolve() == APP.resolve()
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8600"

    seen: list[list[str]] = []
    monkeypatch.setattr(app_cmd, "run_server", lambda cmd: seen.append(cmd) or 0)
    result = CliRunner().invoke(app_cmd.app_cmd, ["--port", "8611"])
    assert result.exit_code == 0 and seen and "8611" in seen[0]

    monkeypatch.setattr(app_cmd, "app_script", lambda: tmp_path / "missing.py")
    result = CliRunner().invoke(app_cmd.app_cmd, [])
    assert result.exit_code == 2 and "missing" in result.output


# ---------------------------------------------------------------------- notes and uploads
def test_import_notes_are_shown_where_the_findings_are() -> None:
    """The template's AWS::Include file and handler code are missing: the page says so
    above the findings (and in a banner by the totals), as the CLI does."""
    at = _run(INCLUDE_TEMPLATE)
    notes = next(c for c in at.main.children.values()
                 if any("Import notes" in m.value for m in getattr(c, "markdown", [])))
    text = "\n".join(m.value for m in notes.markdown)
    assert "AWS::Include file openapi.yaml of OrdersApi is not a readable file" in text
    assert "line 3, column 3" in text and "line 11, column 3" in text  # the resources
    assert "code of OrdersFunction" in text
    assert any("2 import notes" in w.value for w in at.warning)
    # the notes come after the Findings heading and before the first finding
    keys = list(at.main.children)
    place = {k: c for k, c in at.main.children.items()}
    head = next(k for k in keys if getattr(place[k], "value", "").startswith("Findings ("))
    first = next(k for k in keys if any("OPS-" in m.value or "SEC-" in m.value
                                        for m in getattr(place[k], "markdown", [])))
    note = next(k for k in keys if place[k] is notes)
    assert keys.index(head) < keys.index(note) < keys.index(first)


def test_a_template_in_the_editor_reads_nothing_beside_the_server() -> None:
    """The editor's text is analysed in an empty folder: a CodeUri naming a folder of the
    server's working directory (this repository's sample code) is not read."""
    text = (REPO / "samples" / "templates" / "sam-api-glue.yaml").read_text("utf-8")
    a = state.analyze("design.arch", text)
    assert a.ok
    assert any("code of ForwardFunction" in n for n in state.note_lines(a.result))
    assert "code" not in a.result.before.props("ForwardFunction")


def test_uploads_count_errors_notes_and_findings_apart() -> None:
    uploads = state.check_uploads([
        ("orders-api.yaml", INCLUDE_TEMPLATE.encode()),
        ("broken.arch", b'architecture "b"\nlamda f\nsqs q\nf -> q\n'),
        ("click.arch", CLICKSTREAM.encode()),
    ])
    analyses = state.analyze_uploads(uploads)
    rows = {r["file"]: r for r in state.file_rows(uploads, analyses)}
    broken = rows["broken.arch"]
    n_err = len(next(a for a in analyses if a.name == "broken.arch").result.errors)
    assert n_err >= 2 and broken["errors"] == n_err
    assert broken["findings"] is None and "not analysed" in broken["status"]  # never "0"
    assert rows["orders-api.yaml"]["notes"] == 2 and rows["orders-api.yaml"]["errors"] == 0
    assert rows["orders-api.yaml"]["findings"] > 0
    assert rows["click.arch"]["notes"] == 0
    labels = [state.file_label(a) for a in state.designs(uploads, analyses)]
    assert any(lb.startswith("broken.arch (") and "error" in lb for lb in labels)
    assert any(lb.startswith("orders-api.yaml (") and "2 notes" in lb for lb in labels)


def test_included_files_and_handler_code_uploaded_alongside_are_read() -> None:
    uploads = state.check_uploads([
        ("orders-api.yaml", INCLUDE_TEMPLATE.encode()), ("openapi.yaml", OPENAPI.encode()),
        ("app.py", HANDLER.encode()),
    ])
    analyses = state.analyze_uploads(uploads)
    assert [a.name for a in analyses] == ["orders-api.yaml", "openapi.yaml"]  # not app.py
    rows = {r["file"]: r for r in state.file_rows(uploads, analyses)}
    assert rows["openapi.yaml"]["status"] == "included file, read by orders-api.yaml"
    assert rows["openapi.yaml"]["errors"] is None
    assert rows["app.py"]["status"].startswith("handler code")
    assert [a.name for a in state.designs(uploads, analyses)] == ["orders-api.yaml"]
    a = analyses[0]
    assert a.result.notes == []  # both files were found
    assert a.result.before.graph.has_edge("OrdersApi", "OrdersFunction")  # from the include
    assert a.result.before.props("OrdersFunction")["code"] == "app.py"


# ---------------------------------------------------------------------- summary logic
def test_delta_style_is_better_or_worse_not_up_or_down() -> None:
    cheaper = state.delta_style(10.0, 7.5, "usd")
    assert cheaper == {"delta": "-$2.50", "delta_color": "inverse", "delta_arrow": "down"}
    dearer = state.delta_style(10.0, 12.0, "usd")
    assert dearer["delta"] == "+$2.00" and dearer["delta_arrow"] == "up"
    for same in (state.delta_style(120.0, 120.0, "ms"), state.delta_style(120.0, 120.4, "ms"),
                 state.delta_style(3.0, 3.004, "usd")):
        assert same["delta_color"] == "off" and same["delta_arrow"] == "off"
        assert "no change" in same["delta"]
    assert state.delta_style(120.0, 80.0, "ms")["delta"] == "-40 ms"
    assert state.delta_style(None, 1.0, "ms") == {"delta": None}
    assert [state.verdict(d, 2) for d in (-0.01, 0.004, 0.02)] == ["better", "same", "worse"]


def test_totals_say_which_change_is_better() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    rows = {r["figure"]: r for r in state.totals_rows(state.view(a, {GLUE}))}
    assert rows["monthly cost (USD)"]["change"] == "better"
    assert rows["response p50 (ms)"]["change"] == "better"
    rows = {r["figure"]: r for r in state.totals_rows(state.view(a, set()))}
    assert {r["change"] for r in rows.values()} == {"same"}


def test_savings_applied_and_available_are_apart() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    nothing = state.view(a, set())
    s = state.savings(nothing)
    assert s.applied == 0 and s.applied_usd == pytest.approx(0.0, abs=1e-9)
    # every offered rewrite is available; each counted at its cheapest alternative
    glue = next(r for r in s.available if r["rule"] == "GLUE-APIGW-FIREHOSE")
    deltas = [alt.cost_delta_usd_month for alt in state.with_deltas(nothing, [GLUE])[0].alternatives]
    assert glue["cost Δ $/month"] == pytest.approx(min(deltas), abs=0.005)
    assert glue["alternative"].startswith("2.")  # the one that also removes the API
    assert s.available_usd == pytest.approx(sum(r["cost Δ $/month"] for r in s.available),
                                            abs=0.01 * len(s.available))
    assert all(r["cost Δ $/month"] < 0 for r in s.available)
    # applying the glue rewrite moves its saving from "available" to "applied"
    applied = state.savings(state.view(a, {GLUE}))
    assert applied.applied == 1 and applied.applied_usd == pytest.approx(-LAMBDA_COST, abs=0.05)
    assert "GLUE-APIGW-FIREHOSE" not in {r["rule"] for r in applied.available}


def test_savings_available_wait_to_be_asked_on_a_large_design() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_app import design

    a = state.analyze("design.arch", design(60, "s"))
    v = state.view(a, a.default_selection)
    work = sum(len(a.choices[f.id]) for f in state.unapplied(v))
    assert work > state.AVAILABLE_AUTO_ALTERNATIVES
    lazy = state.savings(v, compute=False)
    assert lazy.available_usd is None and lazy.pending == work
    assert lazy.applied_usd is not None


def test_workload_parsing_and_sources() -> None:
    a = state.analyze("design.arch", CLICKSTREAM)
    assert state.workload_texts(a) == {"requests": "50M/month", "payload": "2KB"}
    assert state.parse_workload(a, "50M/month", "2KB") == ({}, {})  # unchanged: no edit
    edit, errors = state.parse_workload(a, "200/s", "4 KB")
    assert errors == {} and edit == {"requests": 200 * 730 * 3600, "payload": 4096.0}
    _, errors = state.parse_workload(a, "fast", "7MB")
    assert "not a rate" in errors["requests"] and "out of range" in errors["payload"]
    v = state.view(a, {GLUE}, payload=4096.0)
    rows = {r["figure"]: r for r in state.workload_rows(v)}
    assert rows["payload / request"] == {"figure": "payload / request", "value": "4 KB",
                                         "source": "set on this page"}
    assert rows["requests / month"]["source"] == "stated in the design"
    # a larger payload costs more (Firehose is priced by the GB), and the design the page
    # shows and downloads states it
    base = state.view(a, {GLUE})
    assert v.after_estimate.monthly_usd > base.after_estimate.monthly_usd
    assert "payload = 4KB" in state.optimized_dsl(v)
    assert a.result.before.workload["payload"] == 2048  # the cached design is untouched


def test_viewer_document() -> None:
    from advisor.app import viewer

    a = state.analyze("design.arch", CLICKSTREAM)
    v = state.view(a, {GLUE})
    svg = state.render(v, "diff")
    w, h = state.svg_size(svg)
    assert w > 300 and h > 100
    html, height = viewer.viewer_html(svg, "clickstream: what changed", (w, h))
    assert base64.b64encode(svg).decode() in html  # the SVG as an image, never inlined
    assert "<svg" not in html and "http" not in html.replace(
        base64.b64encode(svg).decode(), "")  # nothing fetched from elsewhere
    assert height >= viewer.MIN_VIEW_PX + viewer.TOOLBAR_PX
    assert height <= viewer.MAX_VIEW_PX + viewer.TOOLBAR_PX + 6
    assert viewer.view_height(10_000, 12_000) == viewer.MAX_VIEW_PX  # a 200-node design
    assert viewer.view_height(400, 20) == viewer.MIN_VIEW_PX
    assert "&lt;b&gt;" in viewer.viewer_html(svg, "<b>", (w, h))[0]  # the title is escaped


def test_legend_and_changes_come_from_the_two_graphs() -> None:
    text = CLICKSTREAM + "\n"
    a = state.analyze("design.arch", text)
    v = state.view(a, {GLUE})
    rows = state.change_rows(v)
    assert rows[0]["status"] == "removed"  # removed first, then added, then changed
    assert [r["status"] for r in rows] == sorted(
        (r["status"] for r in rows), key=state.STATUS_ORDER.__getitem__)
    legend = state.legend(v, "diff")
    assert legend and any("removed" in e for e in legend)
    same = state.view(a, set())
    assert state.change_rows(same) == []
    assert not any("removed" in e for e in state.legend(same, "diff"))


PATCHABLE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  # orders waiting for the worker
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Timeout: 5
      Code: {ZipFile: "def handler(event, context):\\n    return None\\n"}
  WorkerMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Orders.Arn
      FunctionName: !Ref Worker
"""


def test_the_patch_download_edits_the_uploaded_file_itself(tmp_path: Path) -> None:
    """The download is `advisor fix`'s diff of the uploaded text: it names the upload (not
    the server's temporary folder), applies with `git apply`, and keeps the comment."""
    import subprocess

    (a,) = state.analyze_uploads([state.Upload("queue.yaml", PATCHABLE)])
    v = state.view(a, a.default_selection)
    assert any(c.rule == "REL-SQS-DLQ" for c in v.changes)
    offer = state.patch_for(v)
    assert offer.patched >= 1 and not offer.errors
    assert "a/queue.yaml" in offer.diff and "advisor-app-" not in offer.diff
    (tmp_path / "queue.yaml").write_text(PATCHABLE)
    (tmp_path / "fix.patch").write_text(offer.diff)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    applied = subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, capture_output=True,
                             text=True)
    assert applied.returncode == 0, applied.stderr
    patched = (tmp_path / "queue.yaml").read_text()
    assert "# orders waiting for the worker" in patched and "RedrivePolicy" in patched
