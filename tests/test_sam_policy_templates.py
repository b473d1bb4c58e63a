"""SAM policy templates read as the statements SAM deploys for them
(advisor/importers/cloudformation/sam_policy_templates.yaml, generated from SAM's own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from advisor.importers.cloudformation.sam_policy_templates import statements

ROOT = Path(__file__).resolve().parents[1]


def test_a_template_parameter_is_replaced_where_the_template_refs_it() -> None:
    [stmt] = statements("SQSSendMessagePolicy", {"QueueName": {"Fn::GetAtt": ["Jobs", "QueueName"]},
                                                 "Unused": "x"})
    assert stmt["Effect"] == "Allow"
    assert "sqs:SendMessage*" in stmt["Action"]
    # SAM's processor replaces `{"Ref": "QueueName"}` with the value, inside its Fn::Sub
    assert stmt["Resource"]["Fn::Sub"][1] == {"queueName": {"Fn::GetAtt": ["Jobs", "QueueName"]}}


def test_a_template_without_parameters_and_an_unknown_name() -> None:
    assert statements("CloudWatchDescribeAlarmHistoryPolicy", {}) == [
        {"Action": ["cloudwatch:DescribeAlarmHistory"], "Effect": "Allow", "Resource": "*"}]
    assert statements("NoSuchPolicy", {"X": 1}) == []


def test_the_generated_templates_match_the_installed_translator() -> None:
    pytest.importorskip("samtranslator", reason="aws-sam-translator is in the dev extra")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_sam_policy_templates as gen
    finally:
        sys.path.pop(0)
    assert gen.OUT.read_text("utf-8") == gen.render(), \
        "stale: run python tools/gen_sam_policy_templates.py"
