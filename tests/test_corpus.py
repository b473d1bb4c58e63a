"""Every template of the labelled corpus imports without a crash; glue labels agree.

The corpus lives outside the repository (../shared/corpus). Without it the test skips,
except in CI (env CI set), where a missing corpus is a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("corpus", "serverless-patterns", marker="manifest.yaml")


@pytest.fixture(scope="module")
def report(corpus: Path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import corpus_report
    finally:
        sys.path.pop(0)
    return corpus_report, corpus_report.run(corpus)


def test_every_template_imports_without_crash(report, record_figure):
    _, res = report
    record_figure("corpus templates imported", f"{res['imported']}/{res['templates']}")
    assert res["crashes"] == []
    assert res["input_errors"] == []
    assert res["imported"] == res["templates"] > 0


def test_glue_agreement_on_high_and_medium_labels(report, record_figure):
    mod, res = report
    scores = mod.glue_scores(res["glue"])
    record_figure("corpus glue labels (importer, high+medium): precision",
                  f"{scores['precision']:.2f}")
    record_figure("corpus glue labels (importer, high+medium): recall", f"{scores['recall']:.2f}")
    assert scores["precision"] >= 0.9, scores["false_positives"]
    assert scores["recall"] >= 0.9, scores["false_negatives"]
    assert scores["false_glue_with_native"] == 0


def test_native_integration_edges_are_found(report, record_figure):
    _, res = report
    record_figure("corpus native-integration edges found",
                  f"{res['edges_found']}/{res['edges_expected']}")
    assert res["edges_found"] >= 0.9 * res["edges_expected"], res["edges_missing"]


def test_no_cloudformation_resource_is_silently_dropped(report, corpus):
    """Each resource is a node or counted in the 'wiring' note of its template."""
    from advisor.importers import load_any
    from advisor.importers.cloudformation.template import load_template

    mod, _ = report
    import yaml

    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    for entry in manifest["entries"]:
        if entry["format"] == "terraform":
            continue
        for path in mod.inputs_of(corpus, entry):
            template = load_template(path.read_text("utf-8"), str(path))
            resources = template.get("Resources") or {}
            arch = load_any(str(path))
            as_nodes = {arch.graph.nodes[n].get("source_id") for n in arch.graph.nodes}
            consumed = 0
            for note in arch.notes:
                if "wiring resource(s)" in note.message:
                    consumed = int(note.message.split()[0])
            assert len(set(resources) & as_nodes) + consumed == len(resources), path
