"""A SAM template and SAM's own expansion of it import as the same architecture
(benchmarks/sam_equivalence.py compares them; see its docstring for what is compared).

The pairs live beside the repository (../shared/corpus/sam-translator): without them the
test skips, except in CI where that fails. Importing the ~280 pairs takes a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import sam_equivalence
finally:
    sys.path.pop(0)


@pytest.fixture(scope="module")
def report() -> sam_equivalence.Report:
    corpus = shared_path("corpus", "sam-translator", marker="README.md")
    return sam_equivalence.run(corpus)


def test_sam_and_its_expansion_agree(report, record_figure) -> None:
    record_figure("SAM translator pairs agreeing (SAM input vs SAM's expansion)",
                  sam_equivalence.figure(report))
    assert report.compared > 200  # the comparison really ran over the pairs
    assert report.share >= 0.98, [
        (r.name, [d.category for d in r.differences]) for r in report.unexplained()]


def test_every_disagreement_is_a_documented_limit(report) -> None:
    unexplained = {r.name: [f"{d.category}: {d.detail}" for d in r.differences]
                   for r in report.unexplained()}
    assert unexplained == {}


def test_documented_limits_still_apply(report) -> None:
    """A limit whose pair now agrees (or is gone) must leave the file."""
    assert report.stale_limits() == []
    for name, limit in report.limits.items():
        assert str(limit.get("reason") or "").strip(), f"{name}: a limit needs its reason"


def test_the_comparison_sees_a_real_difference(tmp_path) -> None:
    """The comparison is not blind: a pair whose expansion lost an edge disagrees."""
    corpus = tmp_path / "pairs"
    (corpus / "input").mkdir(parents=True)
    (corpus / "output").mkdir()
    (corpus / "input" / "p.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Q:\n    Type: AWS::SQS::Queue\n"
        "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: a.h\n      InlineCode: x\n"
        "      Events:\n        E:\n          Type: SQS\n          Properties:\n"
        "            Queue: !GetAtt Q.Arn\n", "utf-8")
    (corpus / "output" / "p.json").write_text(
        '{"Resources": {"Q": {"Type": "AWS::SQS::Queue"},'
        ' "F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12",'
        ' "Handler": "a.h", "Code": {"ZipFile": "x"}}}}}', "utf-8")
    got = sam_equivalence.compare_pair(corpus, "p")
    assert got is not None and not got.agrees
    assert [d.category for d in got.differences] == ["edge only on the SAM side (sqs -> lambda)"]


def test_every_sam_input_imports_without_a_crash() -> None:
    """SAM rejects about a third of the inputs (their expansion is an error message); the
    importer still reads each one, or reports it as bad input, never crashes."""
    from advisor.errors import AdvisorError
    from advisor.importers import load_any

    corpus = shared_path("corpus", "sam-translator", marker="README.md")
    inputs = sorted((corpus / "input").glob("*.yaml"))
    assert len(inputs) > 300
    refused = []
    for path in inputs:
        try:
            load_any(str(path))
        except AdvisorError:
            refused.append(path.name)
    assert len(refused) < len(inputs) // 20, refused
