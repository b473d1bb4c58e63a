"""Every built-in pattern's own examples: the bad snippet triggers it, the good one does
not, and (for rewriting patterns) the optimized bad snippet no longer triggers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.dsl import parse_text, to_text
from advisor.engine import Engine, load_all
from advisor.pipeline import node_traffic

PATTERNS = load_all()
ENGINE = Engine(PATTERNS, traffic=node_traffic)  # traffic as the pipeline hands it in
ROOT = Path(__file__).resolve().parents[1]
PILLARS = {"operational-excellence", "security", "reliability", "performance-efficiency",
           "cost-optimization", "sustainability"}


def _hits(text: str, rule: str, name: str, apply: str = "none") -> list:
    arch = parse_text(text, name)
    return [f for f in ENGINE.run(arch, apply=apply).findings if f.rule == rule]


def test_catalog_has_at_least_35_patterns_with_docs_fields() -> None:
    assert len(PATTERNS) >= 35
    for p in PATTERNS:
        assert p.pillar in PILLARS
        assert p.references and all(r.startswith("https://") for r in p.references)
        assert Path(p.path).name == f"{p.id}.yaml"  # one file per pattern id


def test_catalog_covers_every_lens_area() -> None:
    ids = {p.id for p in PATTERNS}
    for family in ("GLUE-APIGW-", "GLUE-SNS-", "GLUE-S3-", "GLUE-EVENTBRIDGE-", "GLUE-SFN-",
                   "REL-", "SEC-", "COST-", "PERF-", "OPS-"):
        assert any(i.startswith(family) for i in ids), family
    assert "REL-SQS-DLQ" in ids  # named in the DSL contract


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_bad_example_triggers(pattern) -> None:  # type: ignore[no-untyped-def]
    found = _hits(pattern.examples["bad"], pattern.id, f"{pattern.id}/bad.arch")
    assert found, f"{pattern.id}: its bad example does not trigger it"
    f = found[0]
    assert all(n in f.message for n in [f.subject]), f.message  # the message names the node
    assert f.location is not None and f.location.path == f"{pattern.id}/bad.arch"


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_good_example_is_clean(pattern) -> None:  # type: ignore[no-untyped-def]
    found = _hits(pattern.examples["good"], pattern.id, f"{pattern.id}/good.arch")
    assert not found, [f.message for f in found]


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p.rewrites and p.apply != "manual"],
                         ids=lambda p: p.id)
def test_rewrite_removes_the_problem_and_is_idempotent(pattern) -> None:  # type: ignore[no-untyped-def]
    arch = parse_text(pattern.examples["bad"], "bad.arch")
    out = Engine([pattern], traffic=node_traffic).run(arch, apply="all")
    assert out.changes, f"{pattern.id} made no change"
    printed = to_text(out.after)
    again = parse_text(printed, "after.arch")  # the rewrite prints as valid DSL
    second = Engine([pattern], traffic=node_traffic).run(again, apply="all")
    assert not [f for f in second.findings if f.rule == pattern.id]
    assert second.changes == []
    assert to_text(second.after) == printed


def test_committed_docs_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_pattern_docs.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
