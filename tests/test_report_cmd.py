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
    assert names == sorted(["before.svg", "after.svg", "diff.svg", "compare.svg", "diff.mmd",
                            "report.md", "report.html", "report.json"])
    for svg in out.glob("*.svg"):
        ET.parse(svg)
        assert "<use" in svg.read_text("utf-8"), f"{svg.name}: icons by default"
    mmd = (out / "diff.mmd").read_text("utf-8")
    assert mmd.startswith("flowchart LR") and "✕ <s>forward</s>" in mmd
    md = (out / "report.md").read_text("utf-8")
    for link in ("diff.svg", "before.svg", "after.svg"):
        assert f"]({link})" in md
    assert "## Summary" in md and "## Change log" in md
    html = (out / "report.html").read_text("utf-8")
    assert html.count("<svg") == 3 and "data:image/png;base64," in html
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


def test_report_no_icons_and_dpi(cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    plain, sharp = tmp_path / "plain", tmp_path / "sharp"
    res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(plain),
                                   "--no-icons", "--png", "--dpi", "72"])
    assert res.exit_code == 0, res.output
    for name in ("before.svg", "after.svg", "diff.svg", "compare.svg", "report.html"):
        text = (plain / name).read_text("utf-8")
        assert "<use" not in text and "data:image" not in text, name
    res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(sharp),
                                   "--no-icons", "--png", "--dpi", "144"])
    assert res.exit_code == 0, res.output
    width = lambda p: int.from_bytes(p.read_bytes()[16:20], "big")  # noqa: E731
    assert 1.9 < width(sharp / "diff.png") / width(plain / "diff.png") < 2.1
    res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(plain),
                                   "--dpi", "5"])
    assert res.exit_code == 2 and "--dpi" in res.output


def test_report_without_the_icon_set_says_so_and_draws_plain(
        cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.render import icons

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(icons, "icon_root", lambda: None)
    icons.icon_for.cache_clear()
    try:
        res = CliRunner().invoke(cli, ["report", "samples/clickstream.arch", "--out", str(tmp_path)])
    finally:
        icons.icon_for.cache_clear()
    assert res.exit_code == 0, res.output
    assert "AWS icons not found" in res.output and "Traceback" not in res.output
    assert "<use" not in (tmp_path / "diff.svg").read_text("utf-8")
