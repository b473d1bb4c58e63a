"""The terminal report's layout in narrow terminals: a location, a construct path and a
rule id are never broken; construct paths are indented under their finding; every note
is listed with its location (bounded); `advisor cost` prints every component name whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.errors import Diagnostic
from advisor.pipeline import FileResult, Options, Report, analyze_source
from advisor.report import common, text

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [ROOT / "samples" / "terraform" / "conditional",  # locations in a nested module
          ROOT / "tests" / "fixtures" / "cdk" / "cdk.out",  # CDK construct paths
          ROOT / "samples" / "systems" / "shop" / "orders" / "template.yaml"]


@pytest.fixture(scope="module")
def results() -> list[FileResult]:
    return [analyze_source(str(p), Options(estimates=False)) for p in INPUTS]


@pytest.mark.parametrize("width", [80, 60])
def test_locations_rules_and_construct_paths_are_never_broken(
        results: list[FileResult], width: int) -> None:
    out = text.write(Report(results=results), color=False, width=width)
    lines = out.splitlines()
    tokens: dict[str, int] = {}
    constructs = set()
    for r in results:
        for f in r.findings:
            for tok in (common.short_location(f.location, r.source), str(f.rule)):
                tokens[tok] = tokens.get(tok, 0) + 1
            if getattr(f, "construct_path", None):
                constructs.add(str(f.construct_path))
                tokens[str(f.construct_path)] = tokens.get(str(f.construct_path), 0) + 1
    assert constructs and any("/" in t and t.endswith(":1") for t in tokens)
    for tok, n in tokens.items():
        whole = sum(line.count(tok) for line in lines)
        assert whole >= n, f"{tok!r} is broken across lines at width {width}"
    for line in lines:
        if line.strip() in constructs:
            assert line.startswith("    "), f"construct path not indented: {line!r}"
        assert len(line.rstrip()) <= width, line


def test_every_note_with_its_location_bounded() -> None:
    notes = [Diagnostic("t.yaml", i + 2, 3, f"note number {i}") for i in range(text.NOTES_MAX + 5)]
    result = FileResult(source="t.yaml", format="cloudformation", notes=notes)
    out = text.write(Report(results=[result]), color=False, width=80)
    for i in range(text.NOTES_MAX):
        assert any(f"{i + 2}:3" in line and f"note number {i}" in line
                   for line in out.splitlines()), i
    assert f"note number {text.NOTES_MAX}" not in out
    assert "... and 5 more" in out


def test_whole_input_note_has_no_made_up_location() -> None:
    notes = [Diagnostic("mod", 1, 1, "6 wiring/support resources read as edges"),
             Diagnostic("mod/main.tf", 40, 1, "aws_sns_topic.alerts not created")]
    out = text.write(Report(results=[FileResult(source="mod", format="terraform",
                                                notes=notes)]), color=False, width=80)
    assert "1:1" not in out and "main.tf:40:1  aws_sns_topic.alerts" in out


def test_a_resource_without_a_catalog_kind_is_noted_once(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Alarm:\n"
                    "    Type: AWS::CloudWatch::Alarm\n    Properties:\n"
                    "      MetricName: x\n")
    result = analyze_source(str(path), Options(estimates=False))
    about = [n for n in result.notes if "AWS::CloudWatch::Alarm" in n.message]
    assert len(about) == 1 and about[0].line == 5, [n.message for n in result.notes]


def test_cost_table_prints_every_component_whole() -> None:
    from advisor.cli import _register_all, cli
    from advisor.estimate import estimate
    from advisor.importers import load_any

    _register_all()
    sample = ROOT / "samples" / "clickstream.arch"
    res = CliRunner().invoke(cli, ["cost", str(sample)])
    assert res.exit_code == 0, res.output
    est = estimate(load_any(str(sample)))
    names = [str(c["name"]) for c in est.components]
    assert any(len(n) > 34 for n in names)  # longer than the column used to be
    for c in est.components:
        assert any(str(c["name"]) in line and str(c["node"]) in line and str(c["unit"]) in line
                   for line in res.stdout.splitlines()), c["name"]


def test_a_note_shows_its_hint(tmp_path: Path) -> None:
    # a misspelt SAM event type: the note says what SAM does, and the hint names the type
    # meant, in the text report as in the JSON one
    path = tmp_path / "template.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n"
                    "  Jobs:\n    Type: AWS::SQS::Queue\n"
                    "  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Runtime: python3.12\n      Handler: app.handler\n"
                    "      InlineCode: x\n      Events:\n        Work:\n"
                    "          Type: SQSS\n          Properties:\n"
                    "            Queue: !GetAtt Jobs.Arn\n")
    result = analyze_source(str(path), Options(estimates=False))
    hinted = [n for n in result.notes if n.suggestion]
    assert hinted and "SQS?" in str(hinted[0].suggestion)
    out = " ".join(text.write(Report(results=[result]), color=False, width=200).split())
    assert f"(hint: {hinted[0].suggestion})" in out
