"""The app in a real headless Chromium: start `streamlit run` on a free localhost port,
paste a design, wait for the server-rendered diagrams, save a screenshot.

Needs Debian's chromium at /usr/bin/chromium (`make test` installs it; browsers cannot be
downloaded here). The screenshot goes to a temporary folder, or to $APP_SCREENSHOT_DIR
when set (to look at it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app" / "streamlit_app.py"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 60_000

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
def server() -> object:
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


def test_paste_a_design_and_see_the_diagrams(server: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    out_dir = Path(os.environ.get("APP_SCREENSHOT_DIR") or tmp_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    timeout=PAGE_TIMEOUT_MS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(server, wait_until="domcontentloaded")
            editor = page.locator("textarea").first
            editor.wait_for()
            # the page opens on the clickstream sample: wait for its diagrams first
            page.wait_for_selector('img[src^="data:image/svg+xml"]')
            editor.fill(DESIGN)
            editor.press("Control+Enter")  # a Streamlit text area commits on Ctrl+Enter
            # the new design's before/after/diff diagrams replace the sample's
            page.wait_for_function(
                "[...document.querySelectorAll('img[src^=\"data:image/svg+xml\"]')]"
                ".filter(i => atob(i.src.split(',')[1]).includes('enqueue')).length >= 2")
            page.wait_for_function(
                "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
                " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
                ".includes('Running')")
            imgs = page.locator('img[src^="data:image/svg+xml"]')
            assert imgs.count() >= 3
            assert page.get_by_text("Findings (").first.is_visible()
            srcs = [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]
            import base64

            svgs = [base64.b64decode(s.split(",", 1)[1]).decode("utf-8") for s in srcs]
            assert any("enqueue" in s for s in svgs)  # before: the glue Lambda is drawn
            assert any("enqueue" not in s and "orders" in s for s in svgs)  # after: gone
            box = imgs.first.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 20
            # Streamlit scrolls its main block, not the page: one shot per section
            shots = {"app.png": None, "app-diagrams.png": "Diagrams",
                     "app-findings.png": "Findings (", "app-costs.png": "Cost over traffic"}
            for name, heading in shots.items():
                if heading:
                    page.get_by_text(heading).first.evaluate(
                        "e => e.scrollIntoView({block: 'start'})")
                    page.wait_for_timeout(300)
                page.screenshot(path=str(out_dir / name))
            page.get_by_role("tab", name="What changed (diff)").click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(out_dir / "app-diff.png"))
            for name in (*shots, "app-diff.png"):
                assert (out_dir / name).stat().st_size > 10_000
        finally:
            browser.close()
