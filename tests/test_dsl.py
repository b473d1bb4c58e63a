"""The DSL contract (README "The DSL", docs/internals.md "The DSL contract"): syntax,
units, groups, suppression, validation, errors."""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text, to_text
from advisor.errors import AdvisorError

SEED = """
# Clickstream ingestion, as first designed
architecture "clickstream"

workload { requests = 50M/month, payload = 2KB }

client   browser
apigw    ingest    { type = rest, auth = none }
lambda   forward   { memory = 1024MB, duration = 120ms, runtime = python3.12 }
firehose delivery
s3       lake      { encryption = sse-kms }

browser -> ingest -> forward -> delivery -> lake
forward -> delivery [label = "PutRecord"]

group "analytics account" {
  sqs      audit     { fifo = true }   # advisor: ignore REL-SQS-DLQ
}
forward -> audit [mode = async]
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "t.arch")
    return [d.message for d in info.value.diagnostics]


def test_design_example_parses_into_typed_graph() -> None:
    arch = parse_text(SEED, "seed.arch")
    g = arch.graph
    assert arch.name == "clickstream"
    assert arch.workload == {"requests": 50_000_000, "payload": 2048}
    assert g.nodes["forward"]["kind"] == "lambda"
    assert g.nodes["forward"]["props"]["memory"] == 1024 * 1024 * 1024
    assert g.nodes["forward"]["props"]["duration"] == 120
    assert g.nodes["forward"]["props"]["runtime"] == "python3.12"
    assert g.nodes["lake"]["props"]["encryption"] == "sse-kms"
    assert list(g.successors("ingest")) == ["forward"]
    # the chain plus the repeated edge merged: one edge forward->delivery with its label
    assert g.number_of_edges() == 5
    assert g.edges["forward", "delivery"]["label"] == "PutRecord"
    # modes: stated one kept, others from the catalog
    assert g.edges["forward", "audit"]["mode"] == "async"
    assert g.edges["browser", "ingest"]["mode"] == "sync"
    assert g.edges["delivery", "lake"]["mode"] == "async"
    # group and suppression comment
    assert g.nodes["audit"]["group"] == ("analytics account",)
    assert g.nodes["audit"]["ignore"] == frozenset({"REL-SQS-DLQ"})
    assert g.nodes["forward"]["ignore"] == frozenset()
    # source locations point at the declaration
    loc = g.nodes["forward"]["loc"]
    assert (loc.path, loc.line, loc.column) == ("seed.arch", 9, 10)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("workload { requests = 10/s }", "requests", 10 * 2_628_000),
        ("workload { requests = 1.5K/month }", "requests", 1500),
        ("workload { requests = 2B }", "requests", 2_000_000_000),
        ("workload { payload = 1.5KB }", "payload", 1536),
        ("workload { payload = 1GB }", "payload", 1024**3),
    ],
)
def test_units_normalise_to_one_internal_unit(text: str, key: str, value: float) -> None:
    arch = parse_text(text + "\nlambda f\n")
    assert arch.workload[key] == value


def test_durations_and_kind_aliases() -> None:
    arch = parse_text("stepfunctions wf { type = express, duration = 2min }\nddb t\nwf -> t")
    assert arch.kind("wf") == "sfn"
    assert arch.kind("t") == "dynamodb"
    assert arch.graph.nodes["wf"]["props"]["duration"] == 120_000


def test_edge_attributes_and_lists() -> None:
    text = """
    kinesis s
    lambda f { permissions = ["sqs:SendMessage", "s3:*"] }
    sqs fail
    s -> f [batch = 100, bisect = true, retries = 2, on_failure = fail, filter = 0.25]
    """
    arch = parse_text(text)
    props = arch.graph.edges["s", "f"]["props"]
    assert props == {"batch": 100, "bisect": True, "retries": 2, "on_failure": "fail", "filter": 0.25}
    assert arch.graph.edges["s", "f"]["mode"] == "stream"
    assert arch.graph.nodes["f"]["props"]["permissions"] == ["sqs:SendMessage", "s3:*"]


def test_nested_groups_and_multiline_blocks() -> None:
    text = """
    group "prod" {
      group "vpc" {
        lambda f {
          memory = 512MB,
          timeout = 10s
        }
      }
      sqs q
    }
    f -> q
    """
    arch = parse_text(text)
    assert arch.graph.nodes["f"]["group"] == ("prod", "vpc")
    assert arch.graph.nodes["q"]["group"] == ("prod",)
    assert [g.path for g in arch.groups] == [("prod",), ("prod", "vpc")]


def test_unknown_kind_suggests_the_closest() -> None:
    with pytest.raises(AdvisorError) as info:
        parse_text("lamda f", "t.arch")
    d = info.value.diagnostics[0]
    assert (d.line, d.column) == (1, 1)
    assert "unknown kind 'lamda'" in d.message
    assert d.suggestion and "lambda" in d.suggestion


def test_typo_in_edge_suggests_the_declared_node() -> None:
    with pytest.raises(AdvisorError) as info:
        parse_text("lambda forward\nsqs queue\nforwrd -> queue", "t.arch")
    d = info.value.diagnostics[0]
    assert d.line == 3 and d.column == 1
    assert d.suggestion == "did you mean 'forward'?"
    rendered = info.value.render()
    assert rendered.startswith("t.arch:3:1: error: undefined node 'forwrd'")
    assert "forwrd -> queue" in rendered and "\n    ^" in rendered


def test_all_semantic_problems_reported_in_one_pass() -> None:
    text = """lambda f { memroy = 1GB, timeout = fast }
lambda f
sqs q { fifo = maybe }
q -> q
apigw a { type = restt }
sqs r { visibility = 30 }
lambda g { memory = 12XB }
"""
    messages = errors_of(text)
    assert len(messages) == 8
    assert any("no prop 'memroy'" in m for m in messages)
    assert any("'timeout' takes a duration" in m for m in messages)
    assert any("duplicate name 'f'" in m for m in messages)
    assert any("'fifo' takes true or false" in m for m in messages)
    assert any("points at itself" in m for m in messages)
    assert any("'restt' is not a valid type" in m for m in messages)
    assert any("needs a unit" in m for m in messages)
    assert any("unknown unit 'XB'" in m for m in messages)


def test_several_syntax_errors_at_once() -> None:
    text = "lambda f { memory = }\nsqs q\nsns t { fifo true }\nq -> \n"
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "t.arch")
    lines = sorted({d.line for d in info.value.diagnostics})
    assert lines[0] == 1 and 3 in lines


def test_missing_brace_points_at_the_opening() -> None:
    with pytest.raises(AdvisorError) as info:
        parse_text("lambda f {\n memory = 1GB\nsqs q\n", "t.arch")
    d = info.value.diagnostics[0]
    assert d.suggestion and "opened at line 1" in d.suggestion


def test_errors_never_mention_anonymous_terminals() -> None:
    for text in ("lambda f {", "a -> ", "lambda f [x=1]", "{", "workload", "lambda f { x = }"):
        with pytest.raises(AdvisorError) as info:
            parse_text(text)
        assert "__ANON" not in info.value.render()


def test_dangling_reference_in_a_prop() -> None:
    messages = errors_of("sqs q { dlq = q_dlqq }\nsqs q_dlq")
    assert messages == ["'q_dlqq' (dlq of sqs 'q') is not a node"]


def test_empty_file_and_comment_only_file() -> None:
    assert "empty design" in errors_of("")[0]
    assert "empty design" in errors_of("# nothing here\n\n")[0]


def test_binary_junk_is_an_error_with_a_location() -> None:
    with pytest.raises(AdvisorError) as info:
        parse_text("lambda f\n\x00\x01\x02binary", "junk.arch")
    assert info.value.diagnostics[0].line == 2


def test_deep_nesting_is_refused_quickly() -> None:
    # 10,000 nested groups: the pre-scan stops at depth 64, before lark or recursion
    text = 'group "g" {\n' * 10_000 + "lambda f\n" + "}\n" * 10_000
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "deep.arch")
    assert "nesting deeper than" in info.value.diagnostics[0].message


def test_oversized_input_is_refused_before_parsing() -> None:
    # 50 MB: refused on length alone, no tokenising (bounded time and memory)
    text = "lambda f\n" + "#" * (50 * 1024 * 1024)
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "big.arch")
    assert "too large" in info.value.diagnostics[0].message


def test_keywords_cannot_be_names_but_prefixes_can() -> None:
    arch = parse_text("lambda groups\nsqs workloads\ngroups -> workloads")
    assert set(arch.graph.nodes) == {"groups", "workloads"}
    assert errors_of("lambda group")


def test_canonical_print_round_trips_the_seed() -> None:
    arch = parse_text(SEED, "seed.arch")
    text = to_text(arch)
    again = parse_text(text, "seed.arch")
    assert again.signature() == arch.signature()
    assert to_text(again) == text  # canonical form is a fixpoint
    assert "memory = 1024MB" in text
    assert "auth = none" in text  # enum values stay bare words
    assert "# advisor: ignore REL-SQS-DLQ" in text


def test_resource_kind_accepts_any_prop() -> None:
    arch = parse_text('resource thing { type = "AWS::IoT::TopicRule", retries = 3, size = 2KB }')
    assert arch.graph.nodes["thing"]["props"] == {
        "type": "AWS::IoT::TopicRule", "retries": 3, "size": 2048}


def test_edge_chain_split_over_lines_is_fine_and_errors_keep_their_lines() -> None:
    text = 'architecture "d"\nlambda g\nsqs q\ng ->\n  q\nsqs r\nlambda k { memory = }\n'
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "t.arch")
    assert [d.line for d in info.value.diagnostics] == [7]


def test_dangling_arrow_is_named_in_the_hint() -> None:
    text = 'lambda g\nsqs q\ng -> q ->\nsqs z\nlambda y { memory = 1GB }\n'
    with pytest.raises(AdvisorError) as info:
        parse_text(text, "t.arch")
    assert "line 3 ends with '->'" in (info.value.diagnostics[0].suggestion or "")


def test_aws_limits_are_checked() -> None:
    messages = errors_of("lambda h { memory = 99999GB, timeout = 20min }\nsqs q\nh -> q [batch = 0]")
    assert messages == [
        "'memory' = 99999GB is above the maximum 10240MB",
        "'timeout' = 20min is above the maximum 15min",
        "'batch' = 0 is below the minimum 1",
    ]


def test_a_reference_prop_does_not_take_a_boolean() -> None:
    messages = errors_of("sqs q { dlq = true }")
    assert messages == ["'dlq' takes the name of another node, not true"]
