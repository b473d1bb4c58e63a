"""A role shared by several functions holds each one's failure-delivery permission.

Lambda sends a function's failed events to its DLQ or on-failure destination with the
function's execution role, so a role shared by two stream consumers grants
`sqs:SendMessage` on both failure queues. That grant is the deliveries', not a call the
code makes: no function gets a call edge to the other's failure queue (the importers drew
one, and `advisor fix` could not verify its own patch of such a template: the re-import
had 12 edges its "after" design did not). A grant to a queue that no function delivers
failures to is still a write edge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advisor.importers import load_any

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: deliveries
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: [!GetAtt FailA.Arn, !GetAtt FailB.Arn, !GetAtt Outbox.Arn]
  FailA: {Type: AWS::SQS::Queue}
  FailB: {Type: AWS::SQS::Queue}
  Outbox: {Type: AWS::SQS::Queue}
"""
STREAMS_CFN = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
""" + ROLE + """
  FnA:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c):\\n    return None\\n"}
  FnB:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c):\\n    return None\\n"}
  MapA:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Table.StreamArn
      FunctionName: !Ref FnA
      StartingPosition: LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt FailA.Arn}}
  MapB:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Table.StreamArn
      FunctionName: !Ref FnB
      StartingPosition: LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt FailB.Arn}}
"""
# async failures: one function's on-failure destination (an invoke config declared after
# both functions), the other's DLQ
ASYNC_SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
""" + ROLE + """
  FnA:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c):\\n    return None\\n"
      Role: !GetAtt Role.Arn
      Events:
        Tick: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
  FnB:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c):\\n    return None\\n"
      Role: !GetAtt Role.Arn
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt FailB.Arn}
      Events:
        Tick: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
  ConfigA:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref FnA
      Qualifier: $LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt FailA.Arn}}
"""
STREAMS_TF = """
resource "aws_dynamodb_table" "table" {
  name             = "t"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "pk"
  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"
  attribute {
    name = "pk"
    type = "S"
  }
}

resource "aws_sqs_queue" "fail_a" {}
resource "aws_sqs_queue" "fail_b" {}
resource "aws_sqs_queue" "outbox" {}

resource "aws_iam_role" "role" {
  name               = "shared"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "deliveries" {
  role = aws_iam_role.role.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "sqs:SendMessage"
      Resource = [aws_sqs_queue.fail_a.arn, aws_sqs_queue.fail_b.arn, aws_sqs_queue.outbox.arn]
    }]
  })
}

resource "aws_lambda_function" "fn_a" {
  function_name = "a"
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "a.zip"
  role          = aws_iam_role.role.arn
}

resource "aws_lambda_function" "fn_b" {
  function_name = "b"
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "b.zip"
  role          = aws_iam_role.role.arn
}

resource "aws_lambda_event_source_mapping" "map_a" {
  event_source_arn  = aws_dynamodb_table.table.stream_arn
  function_name     = aws_lambda_function.fn_a.arn
  starting_position = "LATEST"
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.fail_a.arn
    }
  }
}

resource "aws_lambda_event_source_mapping" "map_b" {
  event_source_arn  = aws_dynamodb_table.table.stream_arn
  function_name     = aws_lambda_function.fn_b.arn
  starting_position = "LATEST"
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.fail_b.arn
    }
  }
}
"""


def _import(tmp_path: Path, name: str, text: str) -> Any:
    path = tmp_path / name
    if name.endswith(".tf"):  # a Terraform module is its folder
        path = tmp_path / "mod" / name
        path.parent.mkdir()
    path.write_text(text)
    return load_any(str(path.parent if name.endswith(".tf") else path))


@pytest.mark.parametrize(("name", "text", "names"), [
    ("streams.yaml", STREAMS_CFN, ("FnA", "FnB", "FailA", "FailB", "Outbox")),
    ("async.yaml", ASYNC_SAM, ("FnA", "FnB", "FailA", "FailB", "Outbox")),
    ("main.tf", STREAMS_TF, ("fn_a", "fn_b", "fail_a", "fail_b", "outbox")),
])
def test_no_call_edge_to_another_functions_failure_queue(tmp_path: Path, name: str, text: str,
                                                         names: tuple[str, ...]) -> None:
    fn_a, fn_b, fail_a, fail_b, outbox = names
    graph = _import(tmp_path, name, text).graph
    from_a, from_b = set(graph.successors(fn_a)), set(graph.successors(fn_b))
    assert fail_b not in from_a and fail_a not in from_b
    # a queue no function delivers failures to: the grant is a write the code may make
    assert outbox in from_a and outbox in from_b
