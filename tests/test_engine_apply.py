"""The chosen-set API: `Engine.run(arch, apply={finding_id: alternative_index})`, and the
public flags that tell a caller what it may choose (`Alternative.applicable`,
`Finding.auto` / `default_applied`)."""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text, to_text
from advisor.engine import Engine

SEED = """
client browser
apigw ingest { type = rest, auth = none }
lambda forward { glue = true }
firehose delivery
s3 lake
browser -> ingest -> forward -> delivery -> lake
"""
GLUE = "GLUE-APIGW-FIREHOSE:ingest/forward/delivery"
AUTH = "SEC-APIGW-AUTH:ingest"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def by_id(outcome):  # type: ignore[no-untyped-def]
    return {f.id: f for f in outcome.findings}


def test_flags_say_what_each_level_applies(engine: Engine) -> None:
    fs = by_id(engine.run(parse_text(SEED), apply="none"))
    glue, auth = fs[GLUE], fs[AUTH]
    assert glue.auto == "default" and glue.default_applied
    assert all(a.applicable for a in glue.alternatives) and len(glue.alternatives) == 2
    assert auth.auto == "chosen" and not auth.default_applied  # a manual pattern
    assert auth.alternatives[1].applicable
    # advice-only alternatives are not applicable
    advice = [f for f in fs.values() if f.auto == "never"]
    assert all(not a.applicable for f in advice for a in f.alternatives)
    d = glue.to_dict()
    assert d["default_applied"] is True and d["alternatives"][1]["applicable"] is True


def test_chosen_first_alternative_equals_default_for_that_finding(engine: Engine) -> None:
    arch = parse_text(SEED)
    chosen = engine.run(arch, apply={GLUE: 0})
    assert [c.rule for c in chosen.changes if c.action == "bypass"] == ["GLUE-APIGW-FIREHOSE"]
    assert {c.rule for c in chosen.changes} == {"GLUE-APIGW-FIREHOSE"}  # nothing else
    assert "forward" not in chosen.after.graph and "ingest" in chosen.after.graph
    assert chosen.after.graph.has_edge("ingest", "delivery")


def test_a_non_first_alternative_is_applied(engine: Engine) -> None:
    out = engine.run(parse_text(SEED), apply={GLUE: 1})
    g = out.after.graph
    # the second alternative: clients write to Firehose with identity-pool credentials
    assert "forward" not in g and "ingest" not in g
    assert g.has_edge("browser", "delivery")
    assert any(d["kind"] == "cognito" for _, d in g.nodes(data=True))
    assert {c.rule for c in out.changes} == {"GLUE-APIGW-FIREHOSE"}


def test_manual_pattern_applies_only_when_chosen(engine: Engine) -> None:
    arch = parse_text(SEED)
    assert engine.run(arch, apply="all").after.graph.nodes["ingest"]["props"].get("auth") \
        in (None, "none")
    out = engine.run(arch, apply={AUTH: 1})
    assert out.after.graph.nodes["ingest"]["props"]["auth"] == "iam"
    assert "forward" in out.after.graph  # the glue was not chosen


def test_later_findings_follow_none_unless_chosen(engine: Engine) -> None:
    # replacing the function by a pipe exposes the stream's poison-pill finding on the
    # pipe edge only after the rewrite; unchosen, it is left alone
    text = """
    kinesis clicks
    lambda relay { glue = true }
    sns notify
    clicks -> relay -> notify
    """
    arch = parse_text(text)
    first = [f.id for f in engine.run(arch, apply="none").findings
             if f.rule == "GLUE-STREAM-PIPES"]
    assert len(first) == 1
    out = engine.run(arch, apply={first[0]: 0})
    assert {c.rule for c in out.changes} == {"GLUE-STREAM-PIPES"}
    pipe = next(n for n, d in out.after.graph.nodes(data=True) if d["kind"] == "pipes")
    assert not out.after.graph.edges["clicks", pipe]["props"].get("bisect")
    # the default level does fix the stream source the rewrite created
    default = engine.run(arch, apply="default")
    assert any(c.rule == "REL-STREAM-POISON" and pipe in c.nodes for c in default.changes)


def test_empty_mapping_and_unknown_ids_change_nothing(engine: Engine) -> None:
    arch = parse_text(SEED)
    base = to_text(engine.run(arch, apply="none").after)
    assert to_text(engine.run(arch, apply={}).after) == base
    assert engine.run(arch, apply={"NOPE-RULE:x": 0}).changes == []


def test_bad_choices_are_rejected(engine: Engine) -> None:
    arch = parse_text(SEED)
    with pytest.raises(ValueError):
        engine.run(arch, apply={GLUE: 5})
    with pytest.raises(ValueError):
        engine.run(arch, apply={GLUE: -1})
    with pytest.raises(ValueError):
        engine.run(arch, apply="some")
    advised = parse_text(SEED + "\nlambda jvm { runtime = java21, timeout = 10s }\n")
    advice = next(f for f in engine.run(advised, apply="none").findings if f.auto == "never")
    with pytest.raises(ValueError):
        engine.run(advised, apply={advice.id: 0})


def test_chosen_run_is_deterministic(engine: Engine) -> None:
    arch = parse_text(SEED)
    a = to_text(engine.run(arch, apply={GLUE: 1, AUTH: 0}).after)
    b = to_text(engine.run(parse_text(SEED), apply={AUTH: 0, GLUE: 1}).after)
    assert a == b
