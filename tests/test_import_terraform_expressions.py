"""Terraform expression evaluation, one construct at a time (advisor.importers.terraform.evaluate).

Each expected value is what Terraform's documentation says the expression gives
(https://developer.hashicorp.com/terraform/language/expressions and .../functions).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.importers.terraform.evaluate import is_known
from advisor.importers.terraform.hcl import Expr, Ref, iter_refs
from advisor.importers.terraform.module import load_workspace


def local(tmp_path: Path, expr: str, extra: str = "") -> object:
    (tmp_path / "main.tf").write_text(f"{extra}\nlocals {{\n  x = {expr}\n}}\n")
    ws = load_workspace(str(tmp_path))
    return ws.root.env.local("x", 0)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("true && false || !false", True),
        ('1 + 2 * 3 == 7 && "a" != "b"', True),
        ("5 / 2", 2.5),
        ("7 % 3", 1),
        ("-(2 + 1)", -3),
        ('true == 1', False),  # no conversion in ==
        ('"1" == 1', False),
        ('"true" ? "y" : "n"', "y"),  # the string converts to bool where a bool is needed
        ('length({ a = 1, b = 2 }) > 1 ? "many" : "few"', "many"),
        ('lookup({ a = 1 }, "b", 9)', 9),
        ('merge({ a = 1 }, { b = 2 }, null)', {"a": 1, "b": 2}),
        ('coalesce("", null, "x")', "x"),
        ('format("%s-%03d-%4s", "q", 7, "x")', "q-007-   x"),
        ('join(",", ["a", "b"])', "a,b"),
        ('keys({ b = 1, a = 2 })', ["a", "b"]),
        ('values({ b = 1, a = 2 })', [2, 1]),
        ('element(["a", "b"], 3)', "b"),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ('flatten([["a"], [], ["b", ["c"]]])', ["a", "b", "c"]),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        ('distinct(["a", "b", "a"])', ["a", "b"]),
        ('contains(["a", "b"], "b")', True),
        ('one([])', None),
        ('range(3)', [0, 1, 2]),
        ('try({ a = 1 }.b, "fallback")', "fallback"),
        ('can({ a = 1 }.b)', False),
        ('[for s in ["a", "b"] : upper(s)]', ["A", "B"]),
        ('{ for k, v in { a = 1, b = 2 } : k => v * 10 if v > 1 }', {"b": 20}),
        ('{ for s in ["x", "y", "x"] : s => s... }', {"x": ["x", "x"], "y": ["y"]}),
        ('[{ n = 1 }, { n = 2 }][*].n', [1, 2]),
        ('"a-${1 + 1}-${true}"', "a-2-true"),
        ('slice(["a", "b", "c"], 0, 2)', ["a", "b"]),
        ('setsubtract(["a", "b"], ["b"])', ["a"]),
        ('replace("a.b", ".", "-")', "a-b"),
        ('substr("hello", 1, 3)', "ell"),
        ('tonumber("5") + 1', 6),
        ('terraform.workspace', "default"),
    ],
)
def test_known_expressions(tmp_path, expr, expected):
    assert local(tmp_path, expr) == expected


def test_symbolic_operands_keep_their_references(tmp_path):
    extra = 'resource "aws_sqs_queue" "q" {}\ndata "aws_region" "r" {}'
    # a resource attribute is not known before apply: the expression stays, refs inside
    value = local(tmp_path, 'data.aws_region.r.name == "eu-west-1" ? aws_sqs_queue.q.arn : ""', extra)
    assert isinstance(value, Expr) and not is_known(value)
    assert {r.path for r in iter_refs(value)} >= {"data.aws_region.r.name", "aws_sqs_queue.q.arn"}
    # false && unknown is false, and true || unknown is true, as in Terraform
    assert local(tmp_path, "false && data.aws_region.r.name == \"x\"", extra) is False
    assert local(tmp_path, "true || data.aws_region.r.name == \"x\"", extra) is True
    # the shape of a list with unknown elements is known
    assert local(tmp_path, "length([aws_sqs_queue.q.arn, aws_sqs_queue.q.url])", extra) == 2
    # try() keeps the first argument that does not fail, even when it is a reference
    found = local(tmp_path, 'try(aws_sqs_queue.q.arn, "")', extra)
    assert isinstance(found, Ref) and found.path == "aws_sqs_queue.q.arn"


def test_counted_resources_as_values(tmp_path):
    extra = """
resource "aws_sqs_queue" "q" {
  count = 2
}
resource "aws_sns_topic" "t" {
  for_each = toset(["a", "b"])
}
resource "aws_sns_topic" "none" {
  count = 0
}
"""
    assert [r.path for r in local(tmp_path, "aws_sqs_queue.q[*].arn", extra)] == [
        "aws_sqs_queue.q[0].arn", "aws_sqs_queue.q[1].arn"
    ]
    assert local(tmp_path, "length(aws_sns_topic.t)", extra) == 2
    assert local(tmp_path, 'try(aws_sns_topic.none[0].arn, "gone")', extra) == "gone"
    assert local(tmp_path, 'aws_sns_topic.t["b"].arn', extra).path == 'aws_sns_topic.t["b"].arn'


def test_variable_types_convert_and_fill_optional_attributes(tmp_path):
    extra = """
variable "flag" {
  type    = bool
  default = "true"
}
variable "items" {
  type = map(object({
    size    = optional(number, 10)
    enabled = optional(bool)
    name    = string
  }))
  default = {
    a = { name = "a" }
    b = { name = "b", size = 3, extra = "dropped" }
  }
}
"""
    assert local(tmp_path, "var.flag", extra) is True
    assert local(tmp_path, "var.items", extra) == {
        "a": {"size": 10, "enabled": None, "name": "a"},
        "b": {"size": 3, "enabled": None, "name": "b"},
    }


def test_a_variable_with_no_value_stays_a_reference(tmp_path):
    value = local(tmp_path, "var.missing ? 1 : 0", 'variable "missing" {\n  type = bool\n}')
    assert not is_known(value) and "var.missing" in {r.path for r in iter_refs(value)}


def test_dynamic_blocks_expand_with_their_iterator(tmp_path):
    (tmp_path / "main.tf").write_text("""
resource "aws_sqs_queue" "q" {
  name = "q"
}
resource "aws_sns_topic" "t" {
  name = "t"
}
resource "aws_cloudwatch_event_rule" "r" {
  name = "r"
}
resource "aws_cloudwatch_event_target" "fanout" {
  rule = aws_cloudwatch_event_rule.r.name
  arn  = aws_sqs_queue.q.arn
  dynamic "dead_letter_config" {
    for_each = { dlq = aws_sqs_queue.q.arn }
    iterator = d
    content {
      arn = d.value
    }
  }
  dynamic "retry_policy" {
    for_each = []
    content {
      maximum_retry_attempts = 1
    }
  }
}
""")
    ws = load_workspace(str(tmp_path))
    (target,) = ws.root.resources[("aws_cloudwatch_event_target", "fanout")]
    dlc = target.block.sub("dead_letter_config")
    assert len(dlc) == 1 and dlc[0].get("arn").path == "aws_sqs_queue.q.arn"
    assert target.block.sub("retry_policy") == []
