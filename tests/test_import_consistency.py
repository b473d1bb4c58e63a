"""The CloudFormation and Terraform importers read one concept the same way.

Each test states a small piece of infrastructure in both languages, as a user would write
it, and checks both imports against what the infrastructure does (read off the snippet,
not copied from an importer's output). The whole-design version of this is
tests/test_cross_format.py; these pin each rule on its own.
"""

from __future__ import annotations

from pathlib import Path

from advisor.importers.cloudformation import import_template
from advisor.importers.terraform import import_terraform

ROLE_TF = '''
resource "aws_iam_role" "fn" {
  name               = "fn"
  assume_role_policy = "{}"
}
'''


def cfn(text: str):
    return import_template("<t>", "Resources:\n" + text)


def tf(tmp_path: Path, text: str):
    (tmp_path / "main.tf").write_text(ROLE_TF + text)
    return import_terraform(str(tmp_path))


def edge(arch, a, b):
    assert arch.graph.has_edge(a, b), f"missing edge {a} -> {b}; edges: {sorted(arch.graph.edges)}"
    return arch.graph.edges[a, b]


# ---------------------------------------------------------------- log groups
LOGS_CFN = '''
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: a, ProtocolType: HTTP}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: $default
      AccessLogSettings: {DestinationArn: !GetAtt ApiLogs.Arn, Format: x}
  ApiLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 90}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  WorkerLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Worker}", RetentionInDays: 30}
  Orphan:
    Type: AWS::Logs::LogGroup
'''
LOGS_TF = '''
resource "aws_apigatewayv2_api" "api" {
  name          = "a"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_stage" "stage" {
  api_id = aws_apigatewayv2_api.api.id
  name   = "$default"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_logs.arn
    format          = "x"
  }
}
resource "aws_cloudwatch_log_group" "api_logs" {
  retention_in_days = 90
}
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/${aws_lambda_function.worker.function_name}"
  retention_in_days = 30
}
resource "aws_cloudwatch_log_group" "orphan" {}
'''


def test_a_functions_log_group_is_part_of_it_other_log_groups_are_nodes(tmp_path: Path) -> None:
    c, t = cfn(LOGS_CFN), tf(tmp_path, LOGS_TF)
    for arch, fn, api_logs, orphan, fn_logs in ((c, "Worker", "ApiLogs", "Orphan", "WorkerLogs"),
                                                (t, "worker", "api_logs", "orphan", "logs_worker")):
        assert arch.props(fn)["log_retention"] == 30
        assert sorted(n for n in arch.graph if arch.kind(n) == "logs") == sorted([api_logs, orphan])
        assert fn_logs not in arch.graph
        assert arch.kind(api_logs) == "logs" and arch.props(api_logs)["retention"] == 90
        assert arch.kind(orphan) == "logs" and "retention" not in arch.props(orphan)
    # no `logs_worker` node, so the function keeps its plain name in Terraform
    assert t.aliases["aws_cloudwatch_log_group.worker"] == "worker"
    assert t.location_of("worker", "log_retention").line > t.location_of("worker").line


def test_a_log_group_that_is_a_target_keeps_its_retention() -> None:
    arch = cfn('''
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [a]}
      Targets: [{Id: t, Arn: !GetAtt Sink.Arn}]
  Sink:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7}
''')
    assert arch.kind("Sink") == "logs" and arch.props("Sink")["retention"] == 7
    edge(arch, "Rule", "Sink")


# ---------------------------------------------------------------- entry point
def test_the_entry_node_is_clients_in_both(tmp_path: Path) -> None:
    c = cfn("  T:\n    Type: AWS::SNS::Topic\n")
    t = tf(tmp_path, 'resource "aws_sns_topic" "t" {}\n')
    assert c.kind("clients") == "client" and edge(c, "clients", "T")
    assert t.kind("clients") == "client" and edge(t, "clients", "t")


# ---------------------------------------------------------------- failure paths
FAILURE_CFN = '''
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      Role: arn:aws:iam::1:role/r
      Code: {ZipFile: x}
      DeadLetterConfig: {TargetArn: !GetAtt Dlq.Arn}
  Config:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      DestinationConfig:
        OnFailure: {Destination: !Ref Failures}
        OnSuccess: {Destination: !GetAtt Done.Arn}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Stream.Arn
      FunctionName: !Ref Fn
      StartingPosition: LATEST
      DestinationConfig:
        OnFailure: {Destination: !GetAtt Bad.Arn}
  Dlq: {Type: AWS::SQS::Queue}
  Failures: {Type: AWS::SNS::Topic}
  Done: {Type: AWS::SQS::Queue}
  Bad: {Type: AWS::SQS::Queue}
'''
FAILURE_TF = '''
resource "aws_kinesis_stream" "stream" {
  name        = "s"
  shard_count = 1
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }
}
resource "aws_lambda_function_event_invoke_config" "config" {
  function_name = aws_lambda_function.fn.function_name
  destination_config {
    on_failure {
      destination = aws_sns_topic.failures.arn
    }
    on_success {
      destination = aws_sqs_queue.done.arn
    }
  }
}
resource "aws_lambda_event_source_mapping" "mapping" {
  event_source_arn  = aws_kinesis_stream.stream.arn
  function_name     = aws_lambda_function.fn.arn
  starting_position = "LATEST"
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.bad.arn
    }
  }
}
resource "aws_sqs_queue" "dlq" {}
resource "aws_sns_topic" "failures" {}
resource "aws_sqs_queue" "done" {}
resource "aws_sqs_queue" "bad" {}
'''


def test_dead_letter_queues_and_destinations_are_async_edges_in_both(tmp_path: Path) -> None:
    c, t = cfn(FAILURE_CFN), tf(tmp_path, FAILURE_TF)
    for arch, n in ((c, {"fn": "Fn", "dlq": "Dlq", "failures": "Failures", "done": "Done",
                         "bad": "Bad", "stream": "Stream"}),
                    (t, {k: k for k in ("fn", "dlq", "failures", "done", "bad", "stream")})):
        props = arch.props(n["fn"])
        assert (props["dlq"], props["on_failure"], props["on_success"]) == (
            n["dlq"], n["failures"], n["done"])
        for target, label in (("dlq", "on failure"), ("failures", "on failure"),
                              ("done", "on success"), ("bad", "on failure")):
            e = edge(arch, n["fn"], n[target])
            assert (e["mode"], e["label"], e["props"]) == ("async", label, {}), (target, e)
        assert edge(arch, n["stream"], n["fn"])["props"]["on_failure"] == n["bad"]
        # only the function's DLQ is a dead-letter queue; destinations are failure paths
        assert arch.props(n["dlq"])["is_dlq"] is True
        assert "is_dlq" not in arch.props(n["bad"]) and "is_dlq" not in arch.props(n["done"])
        assert {n["dlq"], n["failures"], n["bad"]} <= arch.failure_destinations()
        # the topic is published to by Lambda: not an entry point
        assert not arch.graph.has_edge("clients", n["failures"])


def test_a_subscription_filter_policy_is_a_filtered_delivery_in_both(tmp_path: Path) -> None:
    c = cfn('''
  T: {Type: AWS::SNS::Topic}
  Q: {Type: AWS::SQS::Queue}
  S:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref T
      Protocol: sqs
      Endpoint: !GetAtt Q.Arn
      FilterPolicy: {type: [a]}
''')
    t = tf(tmp_path, '''
resource "aws_sns_topic" "t" {}
resource "aws_sqs_queue" "q" {}
resource "aws_sns_topic_subscription" "s" {
  topic_arn     = aws_sns_topic.t.arn
  protocol      = "sqs"
  endpoint      = aws_sqs_queue.q.arn
  filter_policy = jsonencode({ type = ["a"] })
}
''')
    assert edge(c, "T", "Q")["label"] == edge(t, "t", "q")["label"] == "filtered"


# ---------------------------------------------------------------- API actions
ACTIONS_CFN = '''
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Send:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:${AWS::Partition}:apigateway:${AWS::Region}:sqs:path/\
          ${AWS::AccountId}/${Queue.QueueName}"
        RequestTemplates: {application/json: "Action=SendMessage&MessageBody=$input.body"}
  Put:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: PUT
      AuthorizationType: AWS_IAM
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: arn:aws-cn:apigateway:cn-north-1:kinesis:action/PutRecord
        RequestTemplates: {application/json: !Sub '{"StreamName": "${Stream}"}'}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: h, ProtocolType: HTTP}
  Start:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationSubtype: StepFunctions-StartExecution
      PayloadFormatVersion: "1.0"
      RequestParameters: {StateMachineArn: !Ref Machine}
  Queue: {Type: AWS::SQS::Queue}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionString: '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
'''
ACTIONS_TF = '''
resource "aws_api_gateway_rest_api" "rest" {
  name = "r"
}
resource "aws_api_gateway_integration" "send" {
  rest_api_id             = aws_api_gateway_rest_api.rest.id
  resource_id             = aws_api_gateway_rest_api.rest.root_resource_id
  http_method             = "POST"
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:aws:apigateway:us-east-1:sqs:path/123456789012/${aws_sqs_queue.queue.name}"
  request_templates       = { "application/json" = "Action=SendMessage&MessageBody=$input.body" }
}
resource "aws_api_gateway_integration" "put" {
  rest_api_id             = aws_api_gateway_rest_api.rest.id
  resource_id             = aws_api_gateway_rest_api.rest.root_resource_id
  http_method             = "PUT"
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:aws-cn:apigateway:cn-north-1:kinesis:action/PutRecord"
  request_templates = {
    "application/json" = "{\\"StreamName\\": \\"${aws_kinesis_stream.stream.name}\\"}"
  }
}
resource "aws_apigatewayv2_api" "http" {
  name          = "h"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_integration" "start" {
  api_id              = aws_apigatewayv2_api.http.id
  integration_type    = "AWS_PROXY"
  integration_subtype = "StepFunctions-StartExecution"
  request_parameters  = { StateMachineArn = aws_sfn_state_machine.machine.arn }
}
resource "aws_sqs_queue" "queue" {}
resource "aws_kinesis_stream" "stream" {
  name        = "s"
  shard_count = 1
}
resource "aws_sfn_state_machine" "machine" {
  name       = "m"
  role_arn   = aws_iam_role.fn.arn
  definition = jsonencode({ StartAt = "A", States = { A = { Type = "Pass", End = true } } })
}
'''


def test_service_integration_actions_are_iam_actions_in_both(tmp_path: Path) -> None:
    """A path-style SQS integration's mapping template, a Kinesis `action/` URI (in the
    China partition) and an HTTP API subtype all name their action as IAM does."""
    c, t = cfn(ACTIONS_CFN), tf(tmp_path, ACTIONS_TF)
    methods = []
    for arch, n in ((c, ("Rest", "Queue", "Stream", "Http", "Machine")),
                    (t, ("rest", "queue", "stream", "http", "machine"))):
        rest, queue, stream, http, machine = n
        props = [dict(edge(arch, a, b)["props"]) for a, b in
                 ((rest, queue), (rest, stream), (http, machine))]
        methods.append([p.pop("methods", None) for p in props])
        assert props == [
            {"integration": "service", "action": "sqs:SendMessage", "transform": True},
            {"integration": "service", "action": "kinesis:PutRecord", "transform": True},
            {"integration": "service", "action": "states:StartExecution"}]
    assert methods[0] == methods[1]  # the routes' methods agree too
    assert methods[0][0] == ["POST"]


# ---------------------------------------------------------------- EventBridge
def test_s3_notifications_reach_the_default_bus_and_its_rules_in_both(tmp_path: Path) -> None:
    """A bucket with EventBridge notifications sends to the default bus, which feeds every
    rule on it with a pattern; a rule on a custom bus is not fed. The pattern reads the
    same whether written as YAML or as jsonencode()."""
    c = cfn('''
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration: {EventBridgeConfiguration: {EventBridgeEnabled: true}}
  OnCreate:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [aws.s3], detail-type: [Object Created]}
      Targets: [{Id: t, Arn: !GetAtt Q.Arn}]
  Other:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [shop]}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: b}}
  Q: {Type: AWS::SQS::Queue}
''')
    t = tf(tmp_path, '''
resource "aws_s3_bucket" "bucket" {}
resource "aws_s3_bucket_notification" "n" {
  bucket      = aws_s3_bucket.bucket.id
  eventbridge = true
}
resource "aws_cloudwatch_event_rule" "on_create" {
  event_pattern = jsonencode({ "detail-type" = ["Object Created"], source = ["aws.s3"] })
}
resource "aws_cloudwatch_event_target" "t" {
  rule = aws_cloudwatch_event_rule.on_create.name
  arn  = aws_sqs_queue.q.arn
}
resource "aws_cloudwatch_event_rule" "other" {
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  event_pattern  = "{\\"source\\": [\\"shop\\"]}"
}
resource "aws_cloudwatch_event_bus" "bus" {
  name = "b"
}
resource "aws_sqs_queue" "q" {}
''')
    for arch, (bucket, bus, rule, other, q) in (
            (c, ("Bucket", "DefaultEventBus", "OnCreate", "Other", "Q")),
            (t, ("bucket", "default_bus", "on_create", "other", "q"))):
        edge(arch, bucket, bus)
        edge(arch, bus, rule)
        edge(arch, rule, q)
        assert not arch.graph.has_edge(bucket, rule) and not arch.graph.has_edge(bus, other)
        assert arch.props(rule)["pattern"] == '{"detail-type":["Object Created"],"source":["aws.s3"]}'
        assert arch.props(other)["pattern"] == '{"source":["shop"]}'


def test_rule_target_input_and_pipe_settings_read_alike(tmp_path: Path) -> None:
    c = cfn('''
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: t, Arn: !GetAtt Fn.Arn, Input: '{"job": "sweep"}'}]
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      Source: !GetAtt Stream.Arn
      SourceParameters:
        KinesisStreamParameters:
          StartingPosition: LATEST
          BatchSize: 50
          MaximumBatchingWindowInSeconds: 5
          MaximumRetryAttempts: 2
          OnPartialBatchItemFailure: AUTOMATIC_BISECT
          DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
      Target: !GetAtt Fn.Arn
      TargetParameters:
        LambdaFunctionParameters: {InvocationType: FIRE_AND_FORGET}
        InputTemplate: '{"id": <$.data.id>}'
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Dlq: {Type: AWS::SQS::Queue}
''')
    t = tf(tmp_path, '''
resource "aws_cloudwatch_event_rule" "rule" {
  schedule_expression = "rate(1 hour)"
}
resource "aws_cloudwatch_event_target" "t" {
  rule  = aws_cloudwatch_event_rule.rule.name
  arn   = aws_lambda_function.fn.arn
  input = jsonencode({ job = "sweep" })
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_pipes_pipe" "pipe" {
  role_arn = aws_iam_role.fn.arn
  source   = aws_kinesis_stream.stream.arn
  target   = aws_lambda_function.fn.arn
  source_parameters {
    kinesis_stream_parameters {
      starting_position                  = "LATEST"
      batch_size                         = 50
      maximum_batching_window_in_seconds = 5
      maximum_retry_attempts             = 2
      on_partial_batch_item_failure      = "AUTOMATIC_BISECT"
      dead_letter_config {
        arn = aws_sqs_queue.dlq.arn
      }
    }
  }
  target_parameters {
    input_template = "{\\"id\\": <$.data.id>}"
    lambda_function_parameters {
      invocation_type = "FIRE_AND_FORGET"
    }
  }
}
resource "aws_kinesis_stream" "stream" {
  name        = "s"
  shard_count = 1
}
resource "aws_sqs_queue" "dlq" {}
''')
    for arch, (rule, fn, pipe, stream, dlq) in ((c, ("Rule", "Fn", "Pipe", "Stream", "Dlq")),
                                                (t, ("rule", "fn", "pipe", "stream", "dlq"))):
        assert edge(arch, rule, fn)["props"] == {"transform": True}
        assert edge(arch, stream, pipe)["props"] == {
            "batch": 50, "window": 5000, "retries": 2, "bisect": True, "on_failure": dlq}
        assert edge(arch, pipe, fn)["props"] == {"transform": True, "invocation": "async"}


# ---------------------------------------------------------------- IAM
IAM_CFN = '''
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: !GetAtt WorkerRole.Arn, Code: {ZipFile: x}}
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:SendMessage, dynamodb:GetItem]
                Resource: [!GetAtt Out.Arn, !GetAtt Table.Arn]
              - Effect: Allow
                Action: [states:SendTaskSuccess, states:SendTaskFailure]
                Resource: !Ref Flow
              - Effect: Allow
                Action: dynamodb:Query
                Resource: "*"
  Out: {Type: AWS::SQS::Queue}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: k, AttributeType: S}]
      KeySchema: [{AttributeName: k, KeyType: HASH}]
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionString: '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
'''
IAM_TF = '''
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = ["sqs:SendMessage", "dynamodb:GetItem"],
        Resource = [aws_sqs_queue.out.arn, aws_dynamodb_table.table.arn] },
      { Effect = "Allow", Action = ["states:SendTaskSuccess", "states:SendTaskFailure"],
        Resource = aws_sfn_state_machine.flow.arn },
      { Effect = "Allow", Action = "dynamodb:Query", Resource = "*" },
    ]
  })
}
resource "aws_sqs_queue" "out" {}
resource "aws_dynamodb_table" "table" {
  name     = "t"
  hash_key = "k"
  attribute {
    name = "k"
    type = "S"
  }
}
resource "aws_sfn_state_machine" "flow" {
  name       = "f"
  role_arn   = aws_iam_role.fn.arn
  definition = jsonencode({ StartAt = "A", States = { A = { Type = "Pass", End = true } } })
}
'''


def test_a_roles_write_actions_draw_edges_to_their_own_kind_in_both(tmp_path: Path) -> None:
    """SendMessage writes to the queue, not to the table named in the same statement (a
    read there); answering a task token writes back to the workflow; a read on `*` is a
    wildcard (the resource could have been named)."""
    c, t = cfn(IAM_CFN), tf(tmp_path, IAM_TF)
    for arch, (fn, out, table, flow) in ((c, ("Worker", "Out", "Table", "Flow")),
                                         (t, ("worker", "out", "table", "flow"))):
        edge(arch, fn, out)
        edge(arch, fn, flow)
        assert not arch.graph.has_edge(fn, table)
        assert arch.props(fn)["iam_wildcard"] is True


# ---------------------------------------------------------------- API auth
AUTH_CFN = '''
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: r}
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      Integration: {Type: MOCK}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration: {Type: MOCK}
  Preflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration: {Type: MOCK}
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: w, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: $connect, AuthorizationType: AWS_IAM}
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Ws, RouteKey: send, AuthorizationType: NONE}
  Body:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /a:
            get:
              security: [{pool: []}, {key: []}]
        components:
          securitySchemes:
            pool:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: cognito_user_pools
              x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: [arn]}
            key: {type: apiKey, name: x-api-key, in: header}
'''
AUTH_TF = '''
resource "aws_api_gateway_rest_api" "rest" {
  name = "r"
}
resource "aws_api_gateway_method" "post" {
  rest_api_id   = aws_api_gateway_rest_api.rest.id
  resource_id   = aws_api_gateway_rest_api.rest.root_resource_id
  http_method   = "POST"
  authorization = "AWS_IAM"
}
resource "aws_api_gateway_method" "get" {
  rest_api_id      = aws_api_gateway_rest_api.rest.id
  resource_id      = aws_api_gateway_rest_api.rest.root_resource_id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}
resource "aws_api_gateway_method" "preflight" {
  rest_api_id   = aws_api_gateway_rest_api.rest.id
  resource_id   = aws_api_gateway_rest_api.rest.root_resource_id
  http_method   = "OPTIONS"
  authorization = "NONE"
}
resource "aws_apigatewayv2_api" "ws" {
  name                       = "w"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}
resource "aws_apigatewayv2_route" "connect" {
  api_id             = aws_apigatewayv2_api.ws.id
  route_key          = "$connect"
  authorization_type = "AWS_IAM"
}
resource "aws_apigatewayv2_route" "send" {
  api_id             = aws_apigatewayv2_api.ws.id
  route_key          = "send"
  authorization_type = "NONE"
}
resource "aws_api_gateway_rest_api" "body" {
  name = "b"
  body = jsonencode({
    openapi = "3.0.1"
    paths   = { "/a" = { get = { security = [{ pool = [] }, { key = [] }] } } }
    components = { securitySchemes = {
      pool = {
        type = "apiKey", name = "Authorization", in = "header"
        "x-amazon-apigateway-authtype"  = "cognito_user_pools"
        "x-amazon-apigateway-authorizer" = { type = "cognito_user_pools", providerARNs = ["arn"] }
      }
      key = { type = "apiKey", name = "x-api-key", in = "header" }
    } }
  })
}
'''


def test_an_apis_auth_is_its_weakest_routes_in_both(tmp_path: Path) -> None:
    """An IAM method beside a key-only one: the API is only as guarded as the key
    (preflight `OPTIONS` aside); a WebSocket API is authorized at `$connect` only; an
    OpenAPI operation listing an authorizer and an API key requires both."""
    c, t = cfn(AUTH_CFN), tf(tmp_path, AUTH_TF)
    for arch, (rest, ws, body) in ((c, ("Rest", "Ws", "Body")), (t, ("rest", "ws", "body"))):
        assert arch.props(rest)["auth"] == "api_key"
        assert arch.props(ws)["auth"] == "iam"
        assert arch.props(body)["auth"] == "cognito"


# ---------------------------------------------------------------- log subscriptions
def test_a_log_subscription_is_an_async_filtered_delivery_in_both(tmp_path: Path) -> None:
    """A subscription filter on a function's own log group: the group stays a node (it
    is the source of a delivery), the function keeps its log retention, and CloudWatch
    Logs invokes the destination function asynchronously."""
    c = cfn('''
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Fn}", RetentionInDays: 14}
  Errors:
    Type: AWS::Logs::SubscriptionFilter
    Properties: {LogGroupName: !Ref FnLogs, FilterPattern: ERROR, DestinationArn: !GetAtt Alarm.Arn}
  Alarm:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
''')
    t = tf(tmp_path, '''
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_cloudwatch_log_group" "fn_logs" {
  name              = "/aws/lambda/${aws_lambda_function.fn.function_name}"
  retention_in_days = 14
}
resource "aws_cloudwatch_log_subscription_filter" "errors" {
  name            = "errors"
  log_group_name  = aws_cloudwatch_log_group.fn_logs.name
  filter_pattern  = "ERROR"
  destination_arn = aws_lambda_function.alarm.arn
}
resource "aws_lambda_function" "alarm" {
  function_name = "alarm"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
''')
    for arch, (fn, logs, alarm) in ((c, ("Fn", "FnLogs", "Alarm")), (t, ("fn", "fn_logs", "alarm"))):
        e = edge(arch, logs, alarm)
        assert (e["mode"], e["label"]) == ("async", "filtered")
        assert arch.props(logs)["retention"] == 14 and arch.props(fn)["log_retention"] == 14


# ---------------------------------------------------------------- function and stream settings
def test_provisioned_concurrency_and_firehose_keys_read_alike(tmp_path: Path) -> None:
    """Provisioned concurrency set on an alias belongs to its function; a delivery stream
    encrypted with an AWS-owned key is `default`, with the customer's key `sse-kms`."""
    c = cfn('''
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: "1"
      Name: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 5}
  Owned:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamEncryptionConfigurationInput: {KeyType: AWS_OWNED_CMK}
  Mine:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamEncryptionConfigurationInput:
        KeyType: CUSTOMER_MANAGED_CMK
        KeyARN: arn:aws:kms:us-east-1:1:key/k
''')
    t = tf(tmp_path, '''
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_lambda_alias" "live" {
  function_name    = aws_lambda_function.fn.function_name
  function_version = "1"
  name             = "live"
}
resource "aws_lambda_provisioned_concurrency_config" "live" {
  function_name                     = aws_lambda_alias.live.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = 5
}
resource "aws_kinesis_firehose_delivery_stream" "owned" {
  name        = "o"
  destination = "extended_s3"
  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }
}
resource "aws_kinesis_firehose_delivery_stream" "mine" {
  name        = "m"
  destination = "extended_s3"
  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = "arn:aws:kms:us-east-1:1:key/k"
  }
}
''')
    for arch, (fn, owned, mine) in ((c, ("Fn", "Owned", "Mine")), (t, ("fn", "owned", "mine"))):
        assert arch.props(fn)["provisioned_concurrency"] == 5
        assert arch.props(owned)["encryption"] == "default"
        assert arch.props(mine)["encryption"] == "sse-kms"


def test_a_topic_alarms_notify_is_no_entry_point(tmp_path) -> None:
    """A topic only CloudWatch alarms publish to takes no client traffic (CloudFormation and
    Terraform alike): it would take a share of the workload from the real entry points."""
    from advisor.importers import load_any

    cfn = tmp_path / "t.yaml"
    cfn.write_text(
        "Resources:\n"
        "  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {Name: a, ProtocolType: HTTP}\n"
        "  Open:\n    Type: AWS::SNS::Topic\n"
        "  Alerts:\n    Type: AWS::SNS::Topic\n"
        "  Errors:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n"
        "      AlarmActions: [!Ref Alerts]\n      MetricName: Errors\n      Namespace: AWS/Lambda\n"
        "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n"
        "      ComparisonOperator: GreaterThanOrEqualToThreshold\n")
    tf = tmp_path / "tf"
    tf.mkdir()
    (tf / "main.tf").write_text(
        'resource "aws_apigatewayv2_api" "api" {\n  name = "a"\n  protocol_type = "HTTP"\n}\n'
        'resource "aws_sns_topic" "open" {}\n'
        'resource "aws_sns_topic" "alerts" {}\n'
        'resource "aws_cloudwatch_metric_alarm" "errors" {\n'
        '  alarm_name = "errors"\n  comparison_operator = "GreaterThanOrEqualToThreshold"\n'
        '  evaluation_periods = 1\n  metric_name = "Errors"\n  namespace = "AWS/Lambda"\n'
        '  period = 60\n  statistic = "Sum"\n  threshold = 1\n'
        '  alarm_actions = [aws_sns_topic.alerts.arn]\n}\n')
    for path, alerts, topic, api in ((cfn, "Alerts", "Open", "Api"),
                                     (tf, "alerts", "open", "api")):
        arch = load_any(str(path))
        fed = set(arch.graph.successors("clients"))
        assert {api, topic} <= fed, (path, fed)
        assert alerts not in fed and alerts in arch.graph
