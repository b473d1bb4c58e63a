"""The built wheel works outside the source tree.

Builds the wheel, installs it with its `app` extra into a new virtual environment, and runs
`advisor check`, `advisor analyze`, `advisor patterns` and a headless start of
`advisor app` from an empty directory, on a copy of a sample: nothing may come from the
checkout (an editable install hides a missing grammar or pattern file; this does not).

Slow (a venv and an install: about a minute with pip's cache warm), so it runs once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "clickstream.arch"
TEMPLATE = REPO / "samples" / "templates" / "sam-api-glue.yaml"

pytestmark = pytest.mark.slow


def _run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a new venv with the wheel (and its app extra) installed."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                  "-q", "-w", str(dist), str(REPO)], cwd=root)
    assert build.returncode == 0, build.stderr
    wheels = sorted(dist.glob("archadvisor-*.whl"))
    assert len(wheels) == 1, wheels
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                f"{wheels[0]}[app]"], cwd=root)
    if pip.returncode != 0 and "No matching distribution" in pip.stderr + pip.stdout:
        pytest.skip(f"PyPI not reachable for the wheel's dependencies: {pip.stderr[-300:]}")
    assert pip.returncode == 0, pip.stderr
    return venv / "bin"


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """An empty working directory with copies of one design and one template."""
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    shutil.copytree(TEMPLATE.parent, tmp_path / "templates")
    return tmp_path


def test_the_wheel_carries_grammar_patterns_app_and_samples(installed: Path) -> None:
    probe = _run([str(installed / "python"), "-c",
                  "import advisor, advisor.resources as r; "
                  "print(advisor.__file__); "
                  "print(*[sorted(p.name for p in r.bundled(n).iterdir())[:1] for n in r.BUNDLED])"],
                 cwd=installed)
    assert probe.returncode == 0, probe.stderr
    package_file, listing = probe.stdout.splitlines()
    assert str(REPO) not in package_file and "site-packages" in package_file
    assert "architecture.lark" in listing and ".yaml" in listing and "__init__.py" in listing


def test_check_analyze_and_patterns_from_the_wheel(installed: Path, outside: Path) -> None:
    advisor = str(installed / "advisor")
    check = _run([advisor, "check", SAMPLE.name, "templates/sam-api-glue.yaml"], cwd=outside)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": ok") == 2, check.stdout

    analyze = _run([advisor, "analyze", SAMPLE.name, "--format", "json"], cwd=outside)
    assert analyze.returncode in (0, 1), analyze.stderr
    assert '"GLUE-APIGW-FIREHOSE"' in analyze.stdout

    patterns = _run([advisor, "patterns"], cwd=outside)
    assert patterns.returncode == 0, patterns.stderr
    rows = patterns.stdout.splitlines()[1:]
    listed = {line.split()[0] for line in rows if line.strip() and not line.endswith(" patterns")}
    shipped = {p.stem for p in (REPO / "patterns").glob("*.yaml")}
    assert listed == shipped


def test_a_rerun_from_the_wheel_is_replayed(installed: Path, outside: Path) -> None:
    """The installed entry point (advisor.launch) serves the same command again from its
    record, before click is imported, with the same bytes and exit code."""
    argv = [str(installed / "advisor"), "analyze", SAMPLE.name, "--format", "json"]
    first = _run(argv, cwd=outside)
    assert first.returncode in (0, 1), first.stderr
    assert list((outside / ".archadvisor_cache" / "replay").iterdir())
    traced = _run([str(installed / "python"), "-X", "importtime", *argv], cwd=outside)
    assert (traced.returncode, traced.stdout) == (first.returncode, first.stdout)
    imported = [line for line in traced.stderr.splitlines() if line.startswith("import time:")]
    assert imported and not any(line.endswith((" click", " networkx")) for line in imported)


def test_report_from_the_wheel_draws_the_aws_icons(installed: Path, outside: Path) -> None:
    """The icon set (a dependency's package data) is found from the installed wheel: the
    diagrams embed the icons instead of falling back to the plain shapes."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    report = _run([str(installed / "advisor"), "report", SAMPLE.name, "--out", "review"], cwd=outside)
    assert report.returncode == 0, report.stderr
    assert "icons not found" not in report.stderr, report.stderr
    svg = (outside / "review" / "diff.svg").read_text("utf-8")
    assert "<use" in svg and "data:image/png;base64," in svg


def test_the_app_starts_headless_from_the_wheel(installed: Path, outside: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen([str(installed / "advisor"), "app", "--port", str(port)], cwd=outside,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        healthy = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    healthy = r.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        assert healthy, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        # the health answer comes before the page runs: run the page's script once too
        page = _run([str(installed / "python"), "-c",
                     "from advisor.resources import bundled; "
                     "from streamlit.testing.v1 import AppTest; "
                     "at = AppTest.from_file(str(bundled('app') / 'streamlit_app.py'), "
                     "default_timeout=60).run(); "
                     "assert not at.exception, at.exception; print(len(at.markdown))"],
                    cwd=outside)
        assert page.returncode == 0, page.stdout + page.stderr
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
