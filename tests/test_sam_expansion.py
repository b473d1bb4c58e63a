"""Our own SAM samples (tests/sam_samples: every kind of event, auth, stage setting,
connector, Globals rule and SAM-created resource the importer reads) import as the same
architecture as SAM's own expansion of them, made here by the AWS SAM translator
(`aws-sam-translator`, in the dev extra). Unlike tests/test_sam_equivalence.py this needs
nothing beside the repository."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "tests" / "sam_samples").glob("*.yaml"))
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import sam_equivalence
finally:
    sys.path.pop(0)


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 10


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_agrees_with_sams_expansion(sample: Path, tmp_path: Path) -> None:
    pytest.importorskip("samtranslator", reason="aws-sam-translator is in the dev extra")
    out = tmp_path / f"{sample.stem}.json"
    assert sam_equivalence.expand_with_sam(sample, out) is None  # SAM accepts the sample
    result = sam_equivalence.compare_files(sample.stem, sample, out)
    assert result is not None
    assert [f"{d.category}: {d.detail}" for d in result.differences] == []
