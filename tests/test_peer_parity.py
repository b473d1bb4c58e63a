"""What cfn-lint + serverless-rules rightly flag on the real corpus, archadvisor flags too,
on the same resource (benchmarks/peer_parity.py does the comparison; see its docstring).

Slow (cfn-lint lints ~110 templates: about a minute on two cores), so it runs once.
The corpus is outside the repository: skipped without it, except in CI where that fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_peer_findings_are_ours_too(record_figure) -> None:
    corpus = shared_path("corpus", "serverless-patterns", marker="manifest.yaml")
    pytest.importorskip("cfn_lint_serverless", reason="cfn-lint-serverless is in the dev extra")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import peer_parity
    finally:
        sys.path.pop(0)
    parity = peer_parity.compare(corpus)
    total = sum(parity.peer.values())
    matched = sum(parity.matched.values())
    record_figure("peer parity (cfn-lint + serverless-rules findings we also flag)",
                  f"{matched}/{total} = {parity.coverage:.3f}; "
                  f"{len(parity.peer_false_positives)} peer false positives left out")
    assert total > 100  # the comparison really ran
    assert parity.coverage >= 0.95, parity.misses
    # every peer rule with findings is covered at least partly
    assert all(parity.matched[rule] > 0 for rule in parity.peer), parity.misses
