"""SEC-RESOURCE-POLICY-PUBLIC: a queue or topic policy that lets anyone (Principal `*`)
call it with no condition (what checkov's CKV_AWS_168/169 ask of Terraform queue and topic
policies), in the DSL, SAM, CloudFormation and Terraform: the open policy is reported on
the queue or topic, at the policy; one scoped to a service and a source ARN is silent, and
so is one for everyone that has a condition."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import analyse_input

RULE = "SEC-RESOURCE-POLICY-PUBLIC"


def _cfn(statement: str, sam: bool = False) -> str:
    head = "Transform: AWS::Serverless-2016-10-31\n" if sam else ""
    return head + f"""Resources:
  Inbox:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Statement:
{statement % {"action": "sqs:SendMessage", "arn": "!GetAtt Inbox.Arn"}}
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Statement:
{statement % {"action": "sns:Publish", "arn": "!Ref Alerts"}}
"""


CFN_OPEN = """          - Effect: Allow
            Principal: "*"
            Action: %(action)s
            Resource: %(arn)s"""
CFN_OPEN_AWS = """          - Effect: Allow
            Principal: {AWS: "*"}
            Action: [%(action)s]
            Resource: %(arn)s"""
CFN_CONDITIONED = """          - Effect: Allow
            Principal: "*"
            Action: %(action)s
            Resource: %(arn)s
            Condition: {StringEquals: {"aws:SourceAccount": !Ref AWS::AccountId}}"""
CFN_SERVICE = """          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: %(action)s
            Resource: %(arn)s
            Condition: {ArnEquals: {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/r"}}"""


def _tf(policy: str) -> str:
    return f"""resource "aws_sqs_queue" "inbox" {{
  name = "inbox"
}}
resource "aws_sns_topic" "alerts" {{
  name   = "alerts"
  policy = {policy % {"action": "sns:Publish", "arn": "*"}}
}}
resource "aws_sqs_queue_policy" "inbox" {{
  queue_url = aws_sqs_queue.inbox.id
  policy    = {policy % {"action": "sqs:SendMessage", "arn": "aws_sqs_queue.inbox.arn"}}
}}
"""


TF_OPEN = """jsonencode({
    Statement = [{
      Effect = "Allow", Principal = "*", Action = "%(action)s", Resource = "*"
    }]
  })"""
TF_CONDITIONED = """jsonencode({
    Statement = [{
      Effect = "Allow", Principal = { AWS = "*" }, Action = "%(action)s", Resource = "*",
      Condition = { StringEquals = { "aws:SourceAccount" = "111122223333" } }
    }]
  })"""


def _findings(folder: Path, fmt: str, text: str) -> dict[str, str]:
    result = analyse_input(folder, fmt, text)
    return {f.subject: f.message for f in result.findings if f.rule == RULE}


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
@pytest.mark.parametrize("open_statement", [CFN_OPEN, CFN_OPEN_AWS])
def test_an_open_queue_or_topic_policy_is_reported_at_the_policy(
        tmp_path: Path, fmt: str, open_statement: str) -> None:
    text = _cfn(open_statement, sam=fmt == "sam")
    result = analyse_input(tmp_path, fmt, text)
    found = {f.subject: f for f in result.findings if f.rule == RULE}
    assert set(found) == {"Inbox", "Alerts"}
    assert "lets anyone in any account sqs:SendMessage" in found["Inbox"].message
    assert "sns:Publish" in found["Alerts"].message
    inbox = found["Inbox"]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("  InboxPolicy:"))
    assert inbox.location.line == line


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
@pytest.mark.parametrize("statement", [CFN_CONDITIONED, CFN_SERVICE])
def test_a_scoped_policy_is_silent(tmp_path: Path, fmt: str, statement: str) -> None:
    assert _findings(tmp_path, fmt, _cfn(statement, sam=fmt == "sam")) == {}


def test_terraform_policies_inline_and_attached(tmp_path: Path) -> None:
    found = _findings(tmp_path / "open", "terraform", _tf(TF_OPEN))
    assert set(found) == {"inbox", "alerts"}
    assert _findings(tmp_path / "scoped", "terraform", _tf(TF_CONDITIONED)) == {}


def test_terraform_policy_document_with_a_condition_is_silent(tmp_path: Path) -> None:
    doc = """data "aws_iam_policy_document" "inbox" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
%s  }
}
resource "aws_sqs_queue" "inbox" {
  name   = "inbox"
  policy = data.aws_iam_policy_document.inbox.json
}
"""
    condition = """    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:sns:us-east-1:111122223333:t"]
    }
"""
    assert set(_findings(tmp_path / "open", "terraform", doc % "")) == {"inbox"}
    assert _findings(tmp_path / "scoped", "terraform", doc % condition) == {}


def test_the_dsl_states_it(tmp_path: Path) -> None:
    bad = 'architecture "a"\nclient c\nsqs inbox { public_policy = ["sqs:SendMessage"] }\nc -> inbox\n'
    good = 'architecture "a"\nclient c\nsqs inbox\nc -> inbox\n'
    assert set(_findings(tmp_path / "bad", "dsl", bad)) == {"inbox"}
    assert _findings(tmp_path / "good", "dsl", good) == {}


def test_a_policy_written_as_json_text_is_read(tmp_path: Path) -> None:
    # a PolicyDocument as JSON in `Fn::Sub` (its ${...} inside strings), as real templates do
    text = """Resources:
  Dlq:
    Type: AWS::SQS::Queue
  DlqPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Dlq]
      PolicyDocument: !Sub |
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                        "Resource": "arn:${AWS::Partition}:sqs:*:${AWS::AccountId}:*"}]}
"""
    assert set(_findings(tmp_path, "cloudformation", text)) == {"Dlq"}
