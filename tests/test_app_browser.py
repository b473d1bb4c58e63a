"""The app in a real headless Chromium: start `streamlit run` on a free localhost port,
drive the page as a user would and save screenshots.

- paste a design: the diagrams appear full width in the zoomable viewer (the zoom
  buttons change the drawn size), every tab shows its diagram, the metrics are coloured
  by better/worse (a latency that does not change is grey, a cheaper design green);
- edit the workload next to the totals: the cost follows and the workload table says
  where the figure comes from;
- upload a SAM template whose `AWS::Include` file and handler code are missing, with a
  broken file beside it: the importer's notes are on the page above the findings, and
  the file table counts errors and findings apart.

Needs Debian's chromium at /usr/bin/chromium (`make test` installs it; browsers cannot be
downloaded here). Screenshots go to a temporary folder, or to $APP_SCREENSHOT_DIR when set
(to look at them).
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app" / "streamlit_app.py"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 90_000

DESIGN = """\
architecture "orders"

workload { requests = 20M/month, payload = 1KB }

client   shop
apigw    api      { type = rest, auth = none }
lambda   enqueue  { memory = 512MB, duration = 40ms, glue = true }
sqs      orders
lambda   worker   { memory = 1024MB, duration = 300ms }
dynamodb table

shop -> api -> enqueue -> orders
orders -> worker [mode = poll, batch = 10]
worker -> table
"""

# its default rewrites (a DLQ, a visibility timeout) cost nothing while idle and add no
# latency: every delta is zero
NEUTRAL = """\
architecture "jobs"

workload { requests = 5M/month, payload = 1KB }

client   app
apigw    api     { type = http, auth = jwt, throttling = true }
lambda   handler { memory = 512MB, duration = 80ms, timeout = 3s, tracing = true, log_retention = 14 }
sqs      jobs
lambda   worker  { memory = 512MB, duration = 200ms, timeout = 10s, tracing = true, log_retention = 14 }

app -> api -> handler -> jobs
jobs -> worker [mode = poll, batch = 10]
"""

# a SAM template uploaded without the OpenAPI file it includes and without its handler
INCLUDE_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: openapi.yaml
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""
BROKEN = 'architecture "b"\nlamda f\nsqs q\nf -> q\nfoo -> bar\n'

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--client.toolbarMode", "minimal"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                              timeout=PAGE_TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("APP_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _page(browser: Any, server: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(server, wait_until="domcontentloaded")
    page.locator("textarea").first.wait_for()
    return page


def _settled(page: Any) -> None:
    """Wait until the script run is over (the status widget stops saying Running)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')")
    page.wait_for_timeout(300)


def _viewer_svgs(page: Any) -> list[str]:
    """The SVG text of every diagram viewer on the page (iframes of app/viewer.py)."""
    out = []
    for frame in page.frames:
        if frame == page.main_frame:
            continue
        try:
            src = frame.locator("#img").get_attribute("src", timeout=2000) or ""
        except Exception:
            continue
        if src.startswith("data:image/svg+xml;base64,"):
            out.append(base64.b64decode(src.split(",", 1)[1]).decode("utf-8"))
    return out


def _viewer_showing(page: Any, text: str, timeout_s: float = 150.0) -> list[str]:
    """The viewers' SVGs once the first shows `text` (the new design's diagram: the
    iframe is redrawn after the script run, later on a loaded machine), else as they are
    when the time is up (the caller's assertion then says what is shown)."""
    deadline = time.monotonic() + timeout_s
    svgs = _viewer_svgs(page)
    while not (svgs and text in svgs[0]) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        svgs = _viewer_svgs(page)
    return svgs


def _shot(page: Any, out: Path, name: str, heading: str | None = None) -> Path:
    """Streamlit scrolls its main block, not the page: scroll the heading (h1-h3) to the
    top first."""
    if heading:
        page.get_by_role("heading", name=heading).first.evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
    path = out / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def _delta_colour(page: Any, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricDelta"]').evaluate(
        "e => getComputedStyle(e).color")


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return r, g, b


def _paste(page: Any, text: str, marker: str | None = None) -> None:
    """Paste a design and wait for its page: `marker` in the page's text, or (without
    one) the Findings heading changed."""
    heading = page.get_by_role("heading", name="Findings (").first.inner_text()
    editor = page.locator("textarea").first
    editor.fill(text)
    editor.press("Control+Enter")  # a Streamlit text area commits on Ctrl+Enter
    if marker:
        page.wait_for_function("m => document.body.innerText.includes(m)", arg=marker)
    else:
        page.wait_for_function(
            """h => [...document.querySelectorAll('h2')].some(
                   e => e.innerText.startsWith('Findings (') && e.innerText !== h)""",
            arg=heading)
    _settled(page)


def test_paste_a_design_read_the_diagrams_and_edit_the_workload(
        server: str, browser: Any, shots: Path) -> None:
    page = _page(browser, server)
    try:
        page.get_by_text("Findings (").first.wait_for()  # the clickstream sample first
        _paste(page, DESIGN, "enqueue")
        page.wait_for_function(
            "[...document.querySelectorAll('iframe')].length >= 1")
        svgs = _viewer_showing(page, "enqueue")
        assert svgs, "no diagram viewer on the page"
        diff = svgs[0]  # the first tab: what changed
        assert "enqueue" in diff and "orders" in diff
        # the viewer fills the width of the page (not a thumbnail)
        frame = page.locator("iframe").first
        box = frame.bounding_box()
        assert box is not None and box["width"] > 900 and box["height"] > 250
        inner = page.frame_locator("iframe").first
        img = inner.locator("#img")
        w0 = img.bounding_box()["width"]
        assert w0 > 800  # drawn at the width of the view
        inner.locator('button[data-act="in"]').click()
        inner.locator('button[data-act="in"]').click()
        page.wait_for_timeout(200)
        assert img.bounding_box()["width"] > 1.4 * w0  # zoomed in
        zoom = inner.locator("#pct").inner_text()
        _shot(page, shots, "app-diff-zoomed.png", "Diagrams")
        inner.locator('button[data-act="width"]').click()
        assert inner.locator("#pct").inner_text() != zoom
        # the legend and the changed elements are listed under the tab
        assert page.get_by_text("Legend:").first.is_visible()
        _shot(page, shots, "app-diff.png", "Diagrams")
        for tab in ("Before", "After", "Side by side"):
            page.get_by_role("tab", name=tab, exact=True).click()
            page.wait_for_timeout(700)
            _shot(page, shots, f"app-{tab.lower().replace(' ', '-')}.png", "Diagrams")
        svgs = _viewer_svgs(page)
        assert any("enqueue" in s for s in svgs)  # before: the glue Lambda is drawn
        assert any("enqueue" not in s and "orders" in s for s in svgs)  # after: gone

        # metrics coloured by better/worse: the removed glue Lambda makes it cheaper
        # and faster, both green
        green = _rgb(_delta_colour(page, "Monthly cost (after)"))
        assert green[1] > green[0], green
        _shot(page, shots, "app.png")
        _shot(page, shots, "app-summary.png", "Summary")

        # edit the workload next to the totals: 10x the traffic, about 10x the cost
        def cost() -> float:
            value = page.locator('[data-testid="stMetric"]').filter(
                has_text="Monthly cost (after)").locator('[data-testid="stMetricValue"]')
            return float(value.inner_text().replace("$", "").replace(",", ""))

        before_edit = cost()
        field = page.get_by_role("textbox", name="Requests per month")
        field.fill("200M/month")
        field.press("Enter")
        page.wait_for_function(
            "document.body.innerText.includes('set on this page')")
        _settled(page)
        assert cost() > 5 * before_edit
        _shot(page, shots, "app-workload.png", "Summary")
        _shot(page, shots, "app-findings.png", "Findings (")
        _shot(page, shots, "app-costs.png", "Cost and latency")

        # a design whose default rewrites change neither cost nor latency (an idle DLQ,
        # a visibility timeout): both deltas grey and "no change", not a red "up" arrow
        _paste(page, NEUTRAL, "visibility")
        for label in ("Monthly cost (after)", "Response p50 (after)"):
            grey = _rgb(_delta_colour(page, label))
            assert max(grey) - min(grey) < 40, (label, grey)
            metric = page.locator('[data-testid="stMetric"]').filter(has_text=label)
            assert "no change" in metric.inner_text()
        _shot(page, shots, "app-no-change.png", "Summary")
    finally:
        page.close()


def test_upload_without_its_included_file_shows_the_notes(
        server: str, browser: Any, shots: Path, tmp_path: Path) -> None:
    sam = tmp_path / "orders-api.yaml"
    sam.write_text(INCLUDE_TEMPLATE)
    broken = tmp_path / "broken.arch"
    broken.write_text(BROKEN)
    page = _page(browser, server)
    try:
        page.get_by_text("Upload files", exact=True).click()
        page.locator('input[type="file"]').first.set_input_files([str(sam), str(broken)])
        page.wait_for_function("document.body.innerText.includes('Import notes')")
        _settled(page)
        body = page.locator("body").inner_text()
        # the importer's notes, where the findings are
        assert "AWS::Include file openapi.yaml of OrdersApi is not a readable file" in body
        assert "code of OrdersFunction" in body
        notes_at = body.index("Import notes")
        assert body.index("Findings (") < notes_at < body.index("Operational excellence")
        # per-file counts: errors, notes and findings apart; the broken file has its
        # errors and no findings count (a dash), not "0 findings"
        cells = page.locator('[data-testid="stTable"] table').first.evaluate(
            "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))")
        head = cells[0]
        rows = {r[0]: dict(zip(head, r, strict=True)) for r in cells[1:]}
        broken_row, sam_row = rows["broken.arch"], rows["orders-api.yaml"]
        assert int(broken_row["errors"]) >= 2 and broken_row["findings"] == "—"
        assert "not analysed" in broken_row["status"]
        assert sam_row["errors"] == "0" and int(sam_row["notes"]) >= 2
        assert int(sam_row["findings"]) > 0
        _shot(page, shots, "app-upload.png")
        _shot(page, shots, "app-upload-notes.png", "Findings (")
        # the broken file, chosen: its errors where the findings would be
        picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Show").first
        picker.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        picker.click()
        page.get_by_role("option", name=re.compile(r"broken\.arch \(\d+ errors?\)")).click()
        page.wait_for_function("document.body.innerText.includes('Findings: broken.arch')")
        _settled(page)
        body = page.locator("body").inner_text()
        assert "not analysed" in body and "did you mean" in body.lower()
        _shot(page, shots, "app-upload-errors.png")
    finally:
        page.close()


def test_a_200_node_design_is_readable_in_the_viewer(
        server: str, browser: Any, shots: Path) -> None:
    """The viewer shows a large design at the width of the page, in a bounded view that
    scrolls, and zooms to natural size where the labels read as in the SVG."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_app import design

    page = _page(browser, server)
    try:
        page.get_by_text("Findings (").first.wait_for()
        _paste(page, design(200, "big"))
        page.wait_for_timeout(1500)
        frame = page.locator("iframe").first
        box = frame.bounding_box()
        assert box is not None and box["width"] > 900
        assert 500 < box["height"] < 900  # bounded: the view scrolls, the page does not grow
        inner = page.frame_locator("iframe").first
        inner.locator('button[data-act="one"]').click()
        assert inner.locator("#pct").inner_text() == "100%"
        _shot(page, shots, "app-200-nodes-100pct.png", "Diagrams")
        inner.locator('button[data-act="width"]').click()
        _shot(page, shots, "app-200-nodes.png", "Diagrams")
        _shot(page, shots, "app-200-nodes-summary.png", "Summary")
    finally:
        page.close()
