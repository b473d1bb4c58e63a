"""`advisor report FILE --out DIR`: the files a design doc embeds, and exit codes."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from advisor.commands.report import register

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def cli() -> click.Group:
    group = click.Group("advisor")
    register(group)
    return group


def test_report_writes_diagrams_and_reports(cli: click.Group, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["before.svg", "after.svg", "diff.svg", "compare.svg", "report.md",
                            "report.html", "report.json"])
    for svg in out.glob("*.svg"):
        ET.parse(svg)
    md = (out / "report.md").read_text("utf-8")
    for link in ("diff.svg", "before.svg", "after.svg"):
        assert f"]({link})" in md
    assert "## Summary" in md and "## Change log" in md
    html = (out / "report.html").read_text("utf-8")
    assert html.count("<svg") == 3
    assert not re.search(r"https?://", re.sub(r'<a href="https?://[^"]*">', "", html))


def test_report_png_and_dot_on_request(cli: click.Group, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(tmp_path),
                                   "--png", "--dot"])
    assert res.exit_code == 0, res.output
    for name in ("before", "after", "diff", "compare"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert (tmp_path / f"{name}.dot").read_text("utf-8").startswith("digraph")


def test_report_bad_input_exits_2_without_traceback(cli: click.Group, tmp_path: Path) -> None:
    bad = tmp_path / "bad.arch"
    bad.write_text('architecture "x"\nlamda fn\n', "utf-8")
    res = CliRunner().invoke(cli, ["report", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "bad.arch:2" in res.output
    assert not (tmp_path / "o").exists()
