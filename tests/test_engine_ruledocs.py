"""Rule docs: every built-in rule says when it is wrong ("Known problems") and what
`--apply default` may change ("Fix safety"), like ruff's rule pages; both reach
docs/patterns.md and `advisor explain`."""

from __future__ import annotations

import pytest

from advisor.engine.loader import builtin_patterns
from advisor.ruledocs import fix_safety, render_markdown, render_text

PATTERNS = builtin_patterns()


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_every_rule_documents_its_problems_and_fix_safety(pattern) -> None:  # type: ignore[no-untyped-def]
    assert pattern.known_problems, f"{pattern.id}: no known_problems"
    assert all(len(k) > 30 for k in pattern.known_problems)
    assert pattern.fix_safety, f"{pattern.id}: no fix_safety"
    text = render_text(pattern)
    assert "Known problems" in text and "Fix safety" in text
    assert pattern.known_problems[0][:40] in text


def test_fix_safety_states_the_level_first() -> None:
    by_id = {p.id: p for p in PATTERNS}
    assert fix_safety(by_id["PERF-LAMBDA-MEMORY"]).startswith("Advice only")
    assert fix_safety(by_id["COST-LAMBDA-ARM64"]).startswith("Not applied by `--apply default`")
    glue = fix_safety(by_id["GLUE-APIGW-SQS"])
    assert glue.startswith("Applied by `--apply default` when the glue is confirmed")
    assert "safety invariants" in glue
    assert "confirmed" not in fix_safety(by_id["REL-SQS-DLQ"])


def test_the_catalog_page_has_both_sections_for_every_rule() -> None:
    page = render_markdown(PATTERNS)
    assert page.count("**Known problems.**") == len(PATTERNS)
    assert page.count("**Fix safety.**") == len(PATTERNS)


def test_the_page_shows_what_the_user_must_add_on_the_example() -> None:
    page = render_markdown([p for p in PATTERNS if p.id == "GLUE-APIGW-DYNAMODB"])
    assert "**What you must add** (on the example):" in page
    assert "mapping template" in page and "IAM role" in page
