"""`arch.aliases`: template resources folded into a node, and ids SAM generates, map to it.

Expected owners are read off each template (what the folded resource names: a Stage's
RestApiId, a Permission's FunctionName, the function whose Role names a role) and off
SAM's documented naming of generated resources (`<Function>Role`, `<Function><Event>`,
`<Api><Stage>Stage`, `ServerlessRestApiProdStage`, ...).
"""

from __future__ import annotations

from pathlib import Path

from advisor.dsl import parse_text, to_text
from advisor.importers import load_any
from advisor.importers.aliases import owner_of
from advisor.importers.cloudformation import import_template
from advisor.importers.terraform import import_terraform

SAM_HEAD = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def source_ids(arch) -> set[str]:
    return {str(d.get("source_id")) for _, d in arch.graph.nodes(data=True)}


# ------------------------------------------------------------------ CloudFormation
PLAIN_CFN = """
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Worker.Arn}/invocations
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetItems
    Properties: {RestApiId: !Ref Api}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Prod}]
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  SharedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref WorkerRole]
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}]}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt WorkerRole.Arn, Code: {ZipFile: x}}
  Zeta:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt SharedRole.Arn, Code: {ZipFile: x}}
  Alpha:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt SharedRole.Arn, Code: {ZipFile: x}}
  WorkerLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Worker}", RetentionInDays: 14}
  ApiPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Worker
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties: {Queues: [!Ref Queue], PolicyDocument: {}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Queue.Arn, FunctionName: !Ref Zeta}
  InvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Alpha, Qualifier: $LATEST, MaximumRetryAttempts: 0}
  Version:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Worker}
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Worker, FunctionVersion: !GetAtt Version.Version, Name: live}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !Ref Live, AuthType: AWS_IAM}
  Topic:
    Type: AWS::SNS::Topic
  ToQueue:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Queue.Arn}
  ToEmail:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: email, Endpoint: ops@example.com}
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties: {Topics: [!Ref Topic], PolicyDocument: {}}
  Bucket:
    Type: AWS::S3::Bucket
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties: {Bucket: !Ref Bucket, PolicyDocument: {}}
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: h, ProtocolType: HTTP}
  HttpStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref HttpApi, StageName: $default, AutoDeploy: true}
  HttpRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref HttpApi, RouteKey: GET /x, Target: !Sub "integrations/${HttpIntegration}"}
  HttpIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref HttpApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Alpha.Arn
      PayloadFormatVersion: "2.0"
"""


def test_cfn_folded_resources_map_to_the_node_they_name():
    arch = import_template("<t>", PLAIN_CFN)
    # every alias points at a node of the graph, never at a folded resource
    assert set(arch.aliases.values()) <= set(arch.graph.nodes)
    # nothing that is a node is also an alias
    assert not set(arch.aliases) & source_ids(arch)
    expected = {
        "Items": "Api", "GetItems": "Api", "Deployment": "Api", "Prod": "Api", "Plan": "Api",
        "HttpStage": "HttpApi", "HttpRoute": "HttpApi", "HttpIntegration": "HttpApi",
        "ApiPermission": "Worker", "Mapping": "Zeta", "InvokeConfig": "Alpha",
        "Version": "Worker", "Live": "Worker",
        "Url": "Worker",  # TargetFunctionArn names the alias, which is the function
        "WorkerRole": "Worker",  # the function whose Role names it
        "ExtraPolicy": "Worker",  # Policy -> Roles -> WorkerRole -> Worker
        "SharedRole": "Alpha",  # shared by Zeta and Alpha: the first in sorted order
        "WorkerLogs": "Worker",  # /aws/lambda/${Worker}, not a node of its own
        "QueuePolicy": "Queue", "TopicPolicy": "Topic", "BucketPolicy": "Bucket",
        "ToQueue": "Queue",  # the subscriber when it is a node
        "ToEmail": "Topic",  # an e-mail address is no node: the topic
    }
    for rid, node in expected.items():
        assert arch.aliases.get(rid) == node, (rid, arch.aliases.get(rid))


def test_a_log_group_that_is_a_node_is_not_an_alias():
    text = PLAIN_CFN + """
  Sink:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt SharedRole.Arn, Code: {ZipFile: x},
                 Environment: {Variables: {LOGS: !Ref WorkerLogs}}}
"""
    arch = import_template("<t>", text)
    if "WorkerLogs" in source_ids(arch):
        assert "WorkerLogs" not in arch.aliases
    else:
        assert arch.aliases["WorkerLogs"] == "Worker"


SAM = SAM_HEAD + """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      AutoPublishAlias: live
      FunctionUrlConfig: {AuthType: NONE}
      EventInvokeConfig: {MaximumRetryAttempts: 0}
      Events:
        StreamEvent:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn}
        MyApi:
          Type: Api
          Properties: {Path: /items, Method: get}
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour)}
        Alerts:
          Type: SNS
          Properties: {Topic: !Ref Topic}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Role: !GetAtt OtherRole.Arn
      Events:
        Get:
          Type: Api
          Properties: {Path: /x, Method: get, RestApiId: !Ref Api}
        Http:
          Type: HttpApi
          Properties: {Path: /h, Method: get}
  OtherRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod}
  Queue:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
"""


def test_sam_generated_ids_map_to_their_resource():
    arch = import_template("<t>", SAM)
    a = arch.aliases
    for rid in ("FnRole", "FnStreamEvent", "FnMyApiPermissionProd", "FnEventInvokeConfig",
                "FnAliaslive", "FnUrl", "FnUrlPublicPermissions", "FnHourlyPermission",
                "FnAlerts", "FnAlertsPermission"):
        assert a.get(rid) == "Fn", rid
    # a declared Role: SAM generates none, and the declared one belongs to its function
    assert "OtherRole" in a and a["OtherRole"] == "Other" and "OtherRole" not in source_ids(arch)
    assert a.get("OtherGetPermissionProd") == "Other" and a.get("OtherHttpPermission") == "Other"
    assert a.get("ApiProdStage") == "Api"
    # the rule behind the Schedule event is a node of its own, not an alias
    assert "FnHourly" in source_ids(arch) and "FnHourly" not in a
    # no permission is invented for an SQS event (SAM makes a mapping, not a permission)
    assert "FnStreamEventPermission" not in a


def test_sam_implicit_apis_exist_with_their_source_ids_and_stages():
    arch = import_template("<t>", SAM)
    by_source = {d["source_id"]: n for n, d in arch.graph.nodes(data=True)}
    rest, http = by_source["ServerlessRestApi"], by_source["ServerlessHttpApi"]
    assert arch.kind(rest) == "apigw" and arch.props(rest)["type"] == "rest"
    assert arch.kind(http) == "apigw" and arch.props(http)["type"] == "http"
    assert arch.aliases["ServerlessRestApiProdStage"] == rest
    assert arch.aliases["ServerlessHttpApiApiGatewayDefaultStage"] == http
    # hash-suffixed ids SAM derives from content resolve by prefix
    assert owner_of(arch, "ServerlessRestApiDeployment47fc2d5f9d") == rest
    assert owner_of(arch, "FnVersion640128d35d") == "Fn"
    assert owner_of(arch, "FnRole") == "Fn" and owner_of(arch, "Queue") == "Queue"
    assert owner_of(arch, "NoSuchThing") is None


def test_no_implicit_api_ids_without_api_events():
    arch = import_template("<t>", SAM_HEAD + """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.h, Runtime: python3.12, CodeUri: src/, Role: arn:aws:iam::1:role/x}
""")
    assert not any(k.startswith("Serverless") for k in arch.aliases)
    assert "FnRole" not in arch.aliases  # a Role is given: SAM generates none
    assert "ServerlessRestApi" not in source_ids(arch)


def test_aliases_survive_the_dsl_round_trip_without_being_printed():
    arch = import_template("<t>", SAM)
    text = to_text(arch)
    assert "FnAliaslive" not in text
    again = parse_text(text)
    assert sorted(again.graph.nodes) == sorted(arch.graph.nodes)
    assert sorted(again.graph.edges) == sorted(arch.graph.edges)
    assert arch.copy().aliases == arch.aliases


# ------------------------------------------------------------------ Terraform
TF = """
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.shared.arn
  runtime       = "python3.12"
  handler       = "a.h"
  filename      = "x.zip"
}
resource "aws_lambda_function" "alpha" {
  function_name = "alpha"
  role          = aws_iam_role.shared.arn
  runtime       = "python3.12"
  handler       = "a.h"
  filename      = "x.zip"
}
resource "aws_iam_role" "shared" {
  name               = "shared"
  assume_role_policy = "{}"
}
resource "aws_iam_role_policy" "shared" {
  role   = aws_iam_role.shared.id
  policy = "{}"
}
resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}
resource "aws_sqs_queue_policy" "jobs" {
  queue_url = aws_sqs_queue.jobs.id
  policy    = "{}"
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.jobs.arn
  function_name    = aws_lambda_function.worker.arn
}
resource "aws_lambda_permission" "by_name" {
  statement_id  = "x"
  action        = "lambda:InvokeFunction"
  function_name = "alpha"
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.nightly.arn
}
resource "aws_cloudwatch_event_rule" "nightly" {
  schedule_expression = "rate(1 day)"
}
resource "aws_cloudwatch_event_target" "t" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_lambda_function.alpha.arn
}
resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
resource "aws_sns_topic_subscription" "to_queue" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.jobs.arn
}
resource "aws_sns_topic_subscription" "mail" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = "ops@example.com"
}
resource "aws_api_gateway_rest_api" "api" {
  name = "api"
}
resource "aws_api_gateway_deployment" "d" {
  rest_api_id = aws_api_gateway_rest_api.api.id
}
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "prod"
}
resource "aws_api_gateway_usage_plan" "plan" {
  name = "plan"
  api_stages {
    api_id = aws_api_gateway_rest_api.api.id
    stage  = aws_api_gateway_stage.prod.stage_name
  }
}
resource "aws_s3_bucket" "b" {
  bucket = "b"
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = "{}"
}
"""


def test_terraform_consumed_resources_map_to_their_node(tmp_path: Path):
    path = tmp_path / "main.tf"
    path.write_text(TF)
    arch = import_terraform(str(path))
    a = arch.aliases
    assert set(a.values()) <= set(arch.graph.nodes)
    assert not set(a) & source_ids(arch)
    expected = {
        "aws_iam_role.shared": "alpha",  # shared: preferred kind lambda, first by name
        "aws_iam_role_policy.shared": "alpha",  # -> role -> its function
        "aws_sqs_queue_policy.jobs": "jobs",
        "aws_lambda_event_source_mapping.m": "worker",
        "aws_lambda_permission.by_name": "alpha",  # a literal function name
        "aws_cloudwatch_event_target.t": "nightly",
        "aws_sns_topic_subscription.to_queue": "jobs",
        "aws_sns_topic_subscription.mail": "alerts",
        "aws_api_gateway_deployment.d": "api",
        "aws_api_gateway_stage.prod": "api",
        "aws_api_gateway_usage_plan.plan": "api",  # a nested block's api_id
        "aws_s3_bucket_policy.b": "b",
    }
    for rid, node in expected.items():
        assert a.get(rid) == node, (rid, a.get(rid))


def test_pasted_terraform_text_goes_through_load_any(tmp_path: Path):
    # nothing on disk: load_any must hand the text to the Terraform importer
    arch = load_any(str(tmp_path / "pasted.tf"), text=TF)
    assert arch.format == "terraform"
    assert arch.kind("worker") == "lambda"
    assert arch.aliases["aws_lambda_event_source_mapping.m"] == "worker"
