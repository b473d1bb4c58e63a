"""REL-SQS-DLQ: when the dead-letter queue is applied by default, and which queues it skips.

A queue nothing in the design reads keeps its finding, but its DLQ is not applied by
default (whoever consumes it decides how a failing message is handled); a queue that is
itself a dead-letter target of anything (a redrive policy, a function's DLQ, an event
source mapping's, a subscription's, a rule's or a pipe's failure destination, a redrive
allow policy) is never told to get its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.dsl import parse_text
from advisor.engine import Engine
from advisor.importers import load_any

RULE = "REL-SQS-DLQ"
ENGINE = Engine.default()


def dlq_findings(arch):  # type: ignore[no-untyped-def]
    return [f for f in ENGINE.run(arch, apply="default").findings if f.rule == RULE]


def test_a_queue_with_a_consumer_gets_its_dlq_by_default() -> None:
    arch = parse_text("sqs jobs\nlambda worker { timeout = 5s }\njobs -> worker\n", "<t>")
    (f,) = dlq_findings(arch)
    assert f.auto == "default" and f.alternatives[0].applies_by_default
    assert "not applied by default" not in f.message
    assert ENGINE.run(arch, apply="default").after.props("jobs").get("dlq") == "jobs_dlq"


def test_a_queue_nothing_reads_is_reported_but_not_rewritten_by_default() -> None:
    arch = parse_text("lambda producer { timeout = 5s }\nsqs outbox\nproducer -> outbox\n", "<t>")
    (f,) = dlq_findings(arch)
    assert f.auto == "all" and not f.alternatives[0].applies_by_default
    assert f.note.startswith("not applied by default: nothing in the design consumes outbox")
    assert f.note in f.message
    assert ENGINE.run(arch, apply="default").after.props("outbox").get("dlq") is None
    # still the finding's rewrite: `--apply all` (or a choice) adds it
    assert ENGINE.run(arch, apply="all").after.props("outbox").get("dlq") == "outbox_dlq"


def test_a_queue_whose_only_edge_is_a_failure_path_has_no_consumer() -> None:
    """A queue feeding only another queue's dead letters is still read by nothing."""
    text = ("lambda producer { timeout = 5s }\nsqs outbox\nproducer -> outbox\n"
            "lambda worker { timeout = 5s, dlq = outbox }\n")
    (f,) = dlq_findings(parse_text(text + "sqs other\nother -> worker\n", "<t>"))
    assert f.nodes == ["other"] and f.auto == "default"  # outbox is worker's DLQ: exempt


CFN = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {{deadLetterTargetArn: !GetAtt Other.Arn, maxReceiveCount: 3}}
  Other: {{Type: AWS::SQS::Queue}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c):\\n    return None\\n"
      Events:
        Work: {{Type: SQS, Properties: {{Queue: !GetAtt Jobs.Arn}}}}
  Dead:
    Type: AWS::SQS::Queue
{dead}
{extra}
"""
SOURCES = {
    "queue redrive": ("", """
  Source:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 5}
"""),
    "function DLQ": ("", """
  Async:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c):\\n    return None\\n"
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dead.Arn}
"""),
    "invoke config": ("", """
  Config:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt Dead.Arn}}
"""),
    "event source mapping": ("", """
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Table.StreamArn
      FunctionName: !Ref Fn
      StartingPosition: LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt Dead.Arn}}
"""),
    "subscription redrive": ("", """
  Topic: {Type: AWS::SNS::Topic}
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: lambda
      Endpoint: !GetAtt Fn.Arn
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn}
"""),
    "rule target": ("", """
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop.orders]}
      Targets:
        - Id: fn
          Arn: !GetAtt Fn.Arn
          DeadLetterConfig: {Arn: !GetAtt Dead.Arn}
"""),
    "pipe": ("", """
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/pipe
      Source: !GetAtt Table2.StreamArn
      SourceParameters:
        DynamoDBStreamParameters:
          StartingPosition: LATEST
          DeadLetterConfig: {Arn: !GetAtt Dead.Arn}
      Target: !GetAtt Fn.Arn
  Table2:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
"""),
    "redrive allow policy": ("    Properties: {RedriveAllowPolicy: {redrivePermission: allowAll}}", ""),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_a_dead_letter_target_is_never_told_to_get_its_own(tmp_path: Path, source: str) -> None:
    dead, extra = SOURCES[source]
    path = tmp_path / "template.yaml"
    path.write_text(CFN.format(dead=dead, extra=extra), encoding="utf-8")
    arch = load_any(str(path))
    assert "Dead" in arch.graph
    assert not [f for f in dlq_findings(arch) if "Dead" in f.nodes]


def test_a_redrive_allow_policy_that_denies_all_is_no_dlq(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(CFN.format(dead="    Properties: {RedriveAllowPolicy: {redrivePermission: denyAll}}",
                               extra=""), encoding="utf-8")
    (f,) = [f for f in dlq_findings(load_any(str(path))) if "Dead" in f.nodes]
    assert f.auto == "all"  # (and nothing reads it)


TF = """
resource "aws_sqs_queue" "jobs" {{
  name = "jobs"
}}

resource "aws_sqs_queue" "dead" {{
  name = "dead"
}}
{extra}
"""
TF_SOURCES = {
    "redrive policy": """
resource "aws_sqs_queue" "source" {
  name           = "source"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dead.arn, maxReceiveCount = 4 })
}
""",
    "redrive allow policy": """
resource "aws_sqs_queue_redrive_allow_policy" "dead" {
  queue_url = aws_sqs_queue.dead.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue",
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}
""",
    "function DLQ": """
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
  dead_letter_config {
    target_arn = aws_sqs_queue.dead.arn
  }
}
""",
}


@pytest.mark.parametrize("source", sorted(TF_SOURCES))
def test_terraform_dead_letter_targets_are_exempt(tmp_path: Path, source: str) -> None:
    (tmp_path / "main.tf").write_text(TF.format(extra=TF_SOURCES[source]), encoding="utf-8")
    arch = load_any(str(tmp_path))
    assert "dead" in arch.graph
    found = dlq_findings(arch)
    assert not [f for f in found if "dead" in f.nodes]
    assert [f for f in found if f.nodes == ["jobs"]]  # the other queue is still reported
