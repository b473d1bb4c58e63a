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

import io
import sys
import zipfile
from pathlib import Path

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
    return float(text.replace("$", "").replace(",", "").strip())  # "-$110.00" -> -110.0


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
    # side by side before/after plus the diff, as server-rendered SVG images
    assert len(at.get("image")) == 3
    for img in at.get("image"):
        assert img.proto.imgs[0].url.startswith("data:image/svg+xml")


def test_after_totals_follow_the_chosen_rewrites() -> None:
    at = _only(_run(), {GLUE})
    value, delta = _metric(at, "Monthly cost (after)")
    assert _money(delta) == pytest.approx(-LAMBDA_COST, abs=0.05)
    _, latency = _metric(at, "Response p50 (after)")
    assert float(latency.replace(" ms", "").replace(",", "")) <= -120  # the 120 ms hop is gone
    assert _metric(at, "Rewrites applied")[0] != "0"

    _only(at, set())
    value2, delta2 = _metric(at, "Monthly cost (after)")
    assert _money(delta2) == pytest.approx(0.0, abs=0.005)
    assert _money(value2) == pytest.approx(_money(value) + LAMBDA_COST, abs=0.05)
    assert _metric(at, "Rewrites applied")[0] == "0"


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


def test_traffic_slider_re_estimates() -> None:
    at = _only(_run(), {GLUE})
    before = _money(_metric(at, "Monthly cost (after)")[0])
    slider = at.select_slider[0]
    slider.set_value(1e9)  # 20x the design's 50M/month
    at.run()
    assert not at.exception
    after = _money(_metric(at, "Monthly cost (after)")[0])
    assert after > 5 * before
    assert any("At 1B requests/month" in c.value for c in at.caption)
    # the Lambda removed saves 20x as much at 20x the traffic (pay per request)
    delta = _money(_metric(at, "Monthly cost (after)")[1])
    assert delta == pytest.approx(-20 * LAMBDA_COST, rel=0.01)


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
    errors = [e.value for e in at.error]
    assert any(f"line {line}, column 1" in e and "lamda" in e for e in errors), errors
    assert any("lambda" in e.split("Suggestion", 1)[-1] for e in errors)  # the did-you-mean
    assert any("last design that parsed" in w.value for w in at.warning)
    # the rest of the page still shows the clickstream result
    assert any("GLUE-APIGW-FIREHOSE" in m.value for m in at.markdown)
    assert len(at.get("image")) == 3
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


def test_traffic_points_are_log_spaced_and_include_the_design() -> None:
    pts = state.traffic_points(50e6)
    assert pts[0] == 1e3 and pts[-1] == 1e10 and 50e6 in pts
    assert pts == sorted(pts)
    assert state.human_rate(2.5e6) == "2.5M"


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
