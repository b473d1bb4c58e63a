"""The incremental estimate of a rewrite (advisor/estimate/incremental.py) against the full
estimate of the same design: the same monthly cost and latencies, to the last bit, on
every alternative of every sample and corpus design, with and without the free tier.

A report prints the deltas these figures give, so any difference would change bytes out;
comparing the floats themselves (not their rounded deltas) catches a last-bit drift the
rounding would hide today and show on another design."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_path

from advisor.estimate import estimate
from advisor.estimate.estimator import estimate_rewrite
from advisor.pipeline import Options, analyze_source

REPO = Path(__file__).resolve().parents[1]
# what a partial estimate carries (no paths, no per-node breakdown: it is for deltas)
FIGURES = ("response_p50_ms", "response_p99_ms", "delivery_p50_ms", "delivery_p99_ms")
SUFFIXES = (".arch", ".yaml", ".yml", ".json", ".template")


def inputs(root: Path) -> list[Path]:
    """Every design file under `root` (templates, DSL) and every Terraform directory."""
    files = {p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES
             and p.name != "manifest.yaml" and not p.name.endswith(".asl.json")
             and "statemachine" not in p.parts}
    files |= {p.parent for p in root.rglob("*.tf")}
    return sorted(files)


def compare(paths: list[Path], free_tier: bool) -> tuple[int, int, list[str]]:
    """(alternatives compared, of them estimated incrementally, mismatches)."""
    options = Options(free_tier=free_tier)
    kwargs = {k: v for k, v in options.estimate_kwargs().items() if k != "usage"}
    compared = partial = 0
    bad: list[str] = []
    for path in paths:
        result = analyze_source(str(path), options)
        before = result.before
        if before is None or not result.findings:
            continue
        base = estimate(before, **kwargs)
        for f in result.findings:
            for alt in f.alternatives:
                after = alt.after
                if after is None:
                    continue
                full = estimate(after, **kwargs)
                inc = estimate_rewrite(before, base, after, **kwargs)
                compared += 1
                partial += inc.partial
                got = (inc.monthly_usd, *(inc.latency[k] for k in FIGURES),
                       *(getattr(inc.latency_result, k) for k in FIGURES),
                       inc.has_response, inc.latency_delta_from(base))
                want = (full.monthly_usd, *(full.latency[k] for k in FIGURES),
                        *(getattr(full.latency_result, k) for k in FIGURES),
                        full.has_response, full.latency_delta_from(base))
                if got != want:
                    bad.append(f"{path} {f.rule} {alt.title}: {got} != {want}")
    return compared, partial, bad


@pytest.mark.parametrize("free_tier", [False, True])
def test_incremental_equals_full_on_samples(free_tier: bool) -> None:
    compared, partial, bad = compare(inputs(REPO / "samples"), free_tier)
    assert not bad, "\n".join(bad[:20])
    assert compared > 50
    assert partial > compared // 2  # the incremental path is the one taken, not the fallback


@pytest.mark.parametrize("free_tier", [False, True])
def test_incremental_equals_full_on_corpus(free_tier: bool) -> None:
    corpus = shared_path("corpus")
    paths = inputs(corpus / "serverless-patterns") + inputs(corpus / "sam-translator" / "input")
    compared, partial, bad = compare(paths, free_tier)
    assert not bad, "\n".join(bad[:20])
    assert compared > 500
    assert partial > compared // 2
