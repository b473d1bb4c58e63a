"""On the real serverless-patterns templates: every glue finding is on a function the
hand labels call glue (no false positive where a template already wires services
natively, and none on functions with real logic)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from advisor.engine import Engine
from advisor.errors import AdvisorError
from advisor.importers import load_any

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "serverless-patterns"


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not (CORPUS / "manifest.yaml").exists():
        if os.environ.get("CI"):
            pytest.fail(f"corpus missing at {CORPUS}")
        pytest.skip(f"corpus not present at {CORPUS}")
    return yaml.safe_load((CORPUS / "manifest.yaml").read_text())


def test_no_glue_false_positives(manifest: dict) -> None:
    engine = Engine.default(select=("GLUE",))
    checked = flagged = 0
    wrong = []
    for entry in manifest["entries"]:
        labelled = {g["function"] for g in entry.get("lambda_glue") or []}
        for template in entry.get("templates") or []:
            try:
                arch = load_any(str(CORPUS / entry["folder"] / template))
            except AdvisorError:
                continue
            checked += 1
            for f in engine.run(arch, apply="none").findings:
                flagged += 1
                src = arch.graph.nodes[f.subject].get("source_id") or f.subject
                if not any(src == lab or src.startswith(lab + ".") or lab.endswith(src)
                           for lab in labelled):
                    wrong.append((entry["folder"], f.rule, src, sorted(labelled)))
    assert checked > 50
    assert flagged > 0  # the labelled glue is found at all
    assert wrong == []
