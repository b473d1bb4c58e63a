"""Findings that must say what is really at stake, and glue that needs its evidence to be
about the rewrite's target (own SAM / CloudFormation / Terraform fixtures):

- REL-STREAM-POISON judged from the mapping's retry limit and maximum record age;
- REL-LAMBDA-ASYNC-DLQ quoting the function's EventInvokeConfig retry count;
- a handler whose only SDK call goes to another service is not glue to the target;
- a function reached only by GET routes is not "forwarding" to a write-only integration."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

STREAM_SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Failed:
    Type: AWS::SQS::Queue
  OnChange:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      InlineCode: "def handler(e, c): pass"
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Items.StreamArn
            StartingPosition: LATEST
{settings}
"""


def _poison(tmp_path: Path, settings: str) -> list:
    lines = "\n".join(f"            {s}" for s in settings.strip().splitlines())
    result = analyse_input(tmp_path, "sam", STREAM_SAM.replace("{settings}", lines))
    return [f for f in result.findings if f.rule == "REL-STREAM-POISON"]


def test_unbounded_retries_block_the_shard(tmp_path: Path) -> None:
    (f,) = _poison(tmp_path, "BatchSize: 10")
    assert f.severity == "error"
    assert "no retry limit" in f.message and "blocking the shard" in f.message
    assert "a retry limit" in f.alternatives[0].title


def test_zero_retries_without_destination_is_silent_loss_not_a_block(tmp_path: Path) -> None:
    (f,) = _poison(tmp_path, "MaximumRetryAttempts: 0\nMaximumRecordAgeInSeconds: 120")
    assert f.severity == "error"
    assert "block" not in f.message
    assert "no retries" in f.message and "2 min old" in f.message
    assert "lost silently" in f.message
    # the fix keeps the stated limit: it adds the destination and bisect, no retry limit
    assert "retry limit" not in f.alternatives[0].title
    assert "on-failure queue" in f.alternatives[0].title


def test_bounded_with_destination_but_no_bisect_is_a_warning(tmp_path: Path) -> None:
    (f,) = _poison(tmp_path, """\
MaximumRetryAttempts: 2
DestinationConfig:
  OnFailure:
    Destination: !GetAtt Failed.Arn""")
    assert f.severity == "warning"
    assert "2 retries" in f.message and "Failed" in f.message and "block" not in f.message


def test_bounded_with_destination_and_bisect_is_not_flagged(tmp_path: Path) -> None:
    assert _poison(tmp_path, """\
MaximumRetryAttempts: 0
BisectBatchOnFunctionError: true
DestinationConfig:
  OnFailure:
    Destination: !GetAtt Failed.Arn""") == []


def test_terraform_record_age_bounds_the_retries(tmp_path: Path) -> None:
    tf = """\
    resource "aws_kinesis_stream" "clicks" {
      name        = "clicks"
      shard_count = 1
    }
    resource "aws_lambda_function" "count" {
      function_name = "count"
      role          = "arn:aws:iam::123456789012:role/r"
      handler       = "app.handler"
      runtime       = "python3.12"
      filename      = "app.zip"
    }
    resource "aws_lambda_event_source_mapping" "m" {
      event_source_arn              = aws_kinesis_stream.clicks.arn
      function_name                 = aws_lambda_function.count.arn
      starting_position             = "LATEST"
      maximum_record_age_in_seconds = 300
    }
    """
    result = analyse_input(tmp_path, "terraform", tf)
    (f,) = [f for f in result.findings if f.rule == "REL-STREAM-POISON"]
    assert "5 min old" in f.message and "lost silently" in f.message
    assert "block" not in f.message


ASYNC_SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Handle:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      InlineCode: "def handler(e, c): pass"
{config}
      Events:
        Note:
          Type: SNS
          Properties:
            Topic: !Ref Topic
"""


def _async_message(tmp_path: Path, config: str) -> str:
    result = analyse_input(tmp_path, "sam", ASYNC_SAM.replace("{config}", config))
    (f,) = [f for f in result.findings if f.rule == "REL-LAMBDA-ASYNC-DLQ"]
    return str(f.message)


def test_async_dlq_message_quotes_the_configured_retries(tmp_path: Path) -> None:
    assert _async_message(tmp_path / "d", "").endswith("dropped after 2 retries")
    zero = "      EventInvokeConfig:\n        MaximumRetryAttempts: 0"
    assert _async_message(tmp_path / "z", zero).endswith("after one attempt (no retries)")


def test_async_dlq_retries_from_a_cfn_invoke_config(tmp_path: Path) -> None:
    cfn = ASYNC_SAM.replace("{config}", "") + """\
  HandleInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Handle
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
"""
    result = analyse_input(tmp_path, "sam", cfn)
    (f,) = [f for f in result.findings if f.rule == "REL-LAMBDA-ASYNC-DLQ"]
    assert f.message.endswith("dropped after one retry")


GLUE_SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: AWS_IAM
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Orders}
      Environment:
        Variables: {TABLE: !Ref Orders}
      Events:
        Post:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /orders, Method: post}
"""


def _glue(tmp_path: Path, handler: str) -> tuple[list, list]:
    (tmp_path / "src").mkdir(parents=True)
    (tmp_path / "src" / "app.py").write_text(handler, "utf-8")
    result = analyse_input(tmp_path, "sam", GLUE_SAM)
    glue = [f for f in result.findings if f.rule == "GLUE-APIGW-DYNAMODB"]
    blocked = [b for b in result.blocked if b.rule == "GLUE-APIGW-DYNAMODB"]
    return glue, blocked


def test_evidence_about_another_service_does_not_confirm_glue(tmp_path: Path) -> None:
    handler = ("import boto3, json\nevents = boto3.client('events')\n\n"
               "def handler(event, context):\n"
               "    events.put_events(Entries=[{'Detail': event['body'],"
               " 'DetailType': 'x', 'Source': 'y'}])\n"
               "    return {'statusCode': 200}\n")
    glue, blocked = _glue(tmp_path, handler)
    assert glue == []
    assert any("goes to eventbridge, not to dynamodb" in b.reason for b in blocked)


def test_evidence_about_the_target_still_confirms_glue(tmp_path: Path) -> None:
    handler = ("import boto3, json, os\ntable = boto3.resource('dynamodb')"
               ".Table(os.environ['TABLE'])\n\n"
               "def handler(event, context):\n"
               "    table.put_item(Item=json.loads(event['body']))\n"
               "    return {'statusCode': 200}\n")
    glue, _ = _glue(tmp_path, handler)
    assert len(glue) == 1 and not glue[0].likely


QUEUE_SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: AWS_IAM
  Outbox:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: s3://bucket/code.zip
      Policies:
        - SQSSendMessagePolicy: {QueueName: !GetAtt Outbox.QueueName}
      Environment:
        Variables: {QUEUE: !Ref Outbox}
      Events:
{events}
"""


def _queue_glue(tmp_path: Path, events: str) -> tuple[list, list]:
    result = analyse_input(tmp_path, "sam", QUEUE_SAM.replace("{events}", events))
    return ([f for f in result.findings if f.rule == "GLUE-APIGW-SQS"],
            [b for b in result.blocked if b.rule == "GLUE-APIGW-SQS"])


def test_get_only_route_is_not_write_glue_on_structure(tmp_path: Path) -> None:
    get = ("        Read:\n          Type: Api\n"
           "          Properties: {RestApiId: !Ref Api, Path: /outbox, Method: get}")
    glue, blocked = _queue_glue(tmp_path, get)
    assert glue == []
    assert any("only by GET requests" in b.reason for b in blocked)


def test_post_route_is_still_likely_write_glue(tmp_path: Path) -> None:
    post = ("        Send:\n          Type: Api\n"
            "          Properties: {RestApiId: !Ref Api, Path: /outbox, Method: post}")
    glue, _ = _queue_glue(tmp_path, post)
    assert len(glue) == 1 and glue[0].likely


def test_route_methods_on_openapi_and_terraform_edges(tmp_path: Path) -> None:
    tf = """\
    resource "aws_api_gateway_rest_api" "api" {
      name = "api"
    }
    resource "aws_api_gateway_resource" "items" {
      rest_api_id = aws_api_gateway_rest_api.api.id
      parent_id   = aws_api_gateway_rest_api.api.root_resource_id
      path_part   = "items"
    }
    resource "aws_lambda_function" "read" {
      function_name = "read"
      role          = "arn:aws:iam::123456789012:role/r"
      handler       = "app.handler"
      runtime       = "python3.12"
      filename      = "app.zip"
    }
    resource "aws_api_gateway_integration" "get" {
      rest_api_id             = aws_api_gateway_rest_api.api.id
      resource_id             = aws_api_gateway_resource.items.id
      http_method             = "GET"
      type                    = "AWS_PROXY"
      integration_http_method = "POST"
      uri                     = aws_lambda_function.read.invoke_arn
    }
    """
    result = analyse_input(tmp_path, "terraform", tf)
    edge = result.before.graph.edges["api", "read"]
    assert edge["props"]["methods"] == ["GET"]
