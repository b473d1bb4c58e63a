"""SEC-KMS-ROTATION, OPS-APPSYNC-LOGGING and SEC-LAMBDA-PERMISSION-SOURCE (what checkov's
CKV_AWS_7, CKV_AWS_193 and CKV_AWS_364 rightly ask) in every input language that can say
them (the DSL, SAM, CloudFormation, Terraform): the bad version is reported on its node,
the compliant one is silent, and the rotation patch is verified in CloudFormation and
Terraform. Inputs are written in the real input language and analysed like the CLI does."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from conftest import INPUT_FILES, analyse_input

from advisor.pipeline import Options

FILES = INPUT_FILES
analysed = analyse_input


def findings(folder: Path, fmt: str, text: str, rule: str) -> list[str]:
    """The subject node of each `rule` finding of `text` written as a `fmt` input."""
    return sorted(f.subject for f in analysed(folder, fmt, text).findings if f.rule == rule)


KEY_POLICY = """
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
"""


def _cfn_key(extra: str, sam: bool = False) -> str:
    head = 'AWSTemplateFormatVersion: "2010-09-09"\n'
    if sam:
        head += "Transform: AWS::Serverless-2016-10-31\n"
    return (head + "Resources:\n  DataKey:\n    Type: AWS::KMS::Key\n    Properties:\n"
            + dedent(KEY_POLICY).strip("\n").replace("\n", "\n      ").join(["      ", "\n"])
            + "".join(f"      {line}\n" for line in extra.splitlines()))


def _tf_key(extra: str) -> str:
    return 'resource "aws_kms_key" "data" {\n  description = "data"\n' + "".join(
        f"  {line}\n" for line in extra.splitlines()) + "}\n"


@pytest.mark.parametrize(("fmt", "node"), [("sam", "DataKey"), ("cloudformation", "DataKey"),
                                           ("terraform", "data")])
def test_a_key_without_rotation_is_reported_and_a_rotating_one_is_silent(
        tmp_path: Path, fmt: str, node: str) -> None:
    def text(extra: str) -> str:
        return _tf_key(extra) if fmt == "terraform" else _cfn_key(extra, sam=fmt == "sam")

    on, off, asym = (("enable_key_rotation = true", "enable_key_rotation = false",
                      'customer_master_key_spec = "ECC_NIST_P256"') if fmt == "terraform"
                     else ("EnableKeyRotation: true", "EnableKeyRotation: false",
                           "KeySpec: ECC_NIST_P256"))
    assert findings(tmp_path / "unset", fmt, text(""), "SEC-KMS-ROTATION") == [node]
    assert findings(tmp_path / "off", fmt, text(off), "SEC-KMS-ROTATION") == [node]
    assert findings(tmp_path / "on", fmt, text(on), "SEC-KMS-ROTATION") == []
    # asymmetric (signing) keys cannot rotate automatically: nothing to ask
    assert findings(tmp_path / "asym", fmt, text(asym), "SEC-KMS-ROTATION") == []
    # nor keys with imported material or in a custom key store
    foreign = ('custom_key_store_id = "cks-1234567890abcdef0"' if fmt == "terraform"
               else "Origin: EXTERNAL")
    assert findings(tmp_path / "foreign", fmt, text(foreign), "SEC-KMS-ROTATION") == []


def test_key_rotation_in_the_dsl(tmp_path: Path) -> None:
    assert findings(tmp_path / "bad", "dsl", "kms data\n", "SEC-KMS-ROTATION") == ["data"]
    for good in ("kms data { rotation = true }\n", "kms signing { rotatable = false }\n"):
        assert findings(tmp_path / "good", "dsl", good, "SEC-KMS-ROTATION") == []


@pytest.mark.parametrize("fmt", ["cloudformation", "terraform"])
def test_the_rotation_patch_is_verified_and_silences_the_rule(tmp_path: Path, fmt: str) -> None:
    from advisor.fix.runner import fix_source

    folder = tmp_path / fmt
    text = _tf_key("") if fmt == "terraform" else _cfn_key("")
    findings(folder, fmt, text, "SEC-KMS-ROTATION")
    target = folder if fmt == "terraform" else folder / FILES[fmt]
    outcome = fix_source(str(target), Options(apply="all"), verify=True)
    (fix,) = [f for f in outcome.rewrites if f.rule == "SEC-KMS-ROTATION"]
    assert (fix.status, fix.verified) == ("patched", True), fix
    assert ("enable_key_rotation = true" if fmt == "terraform"
            else "EnableKeyRotation: true") in outcome.diff()


APPSYNC_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  LogsRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: appsync.amazonaws.com}, Action: sts:AssumeRole}
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs
  Graph:
    Type: AWS::AppSync::GraphQLApi
    Properties:
      Name: graph
      AuthenticationType: AWS_IAM
{extra}
"""
APPSYNC_SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Graph:
    Type: AWS::Serverless::GraphQLApi
    Properties:
      SchemaInline: "type Query { ping: String }"
      Auth: {Type: AWS_IAM}
{extra}
"""
APPSYNC_TF = """
resource "aws_appsync_graphql_api" "graph" {
  name                = "graph"
  authentication_type = "AWS_IAM"
{extra}
}
"""


@pytest.mark.parametrize(("fmt", "text", "node", "logs"), [
    ("cloudformation", APPSYNC_CFN, "Graph",
     "      LogConfig: {CloudWatchLogsRoleArn: !GetAtt LogsRole.Arn, FieldLogLevel: ERROR}"),
    ("terraform", APPSYNC_TF, "graph",
     '  log_config {\n    cloudwatch_logs_role_arn = "arn:aws:iam::123456789012:role/logs"\n'
     '    field_log_level          = "ERROR"\n  }'),
])
def test_appsync_without_log_config_is_reported(tmp_path: Path, fmt: str, text: str, node: str,
                                                logs: str) -> None:
    assert findings(tmp_path / "bad", fmt, text.replace("{extra}", ""),
                    "OPS-APPSYNC-LOGGING") == [node]
    assert findings(tmp_path / "good", fmt, text.replace("{extra}", logs),
                    "OPS-APPSYNC-LOGGING") == []


def test_sam_graphql_api_logs_unless_told_not_to(tmp_path: Path) -> None:
    """SAM makes the role and the LogConfig when `Logging` is left out (its own expansions:
    graphqlapi_default_logging, graphqlapi_no_logging in the SAM translator's tests)."""
    assert findings(tmp_path / "default", "sam", APPSYNC_SAM.replace("{extra}", ""),
                    "OPS-APPSYNC-LOGGING") == []
    off = APPSYNC_SAM.replace("{extra}", "      Logging: false")
    assert findings(tmp_path / "off", "sam", off, "OPS-APPSYNC-LOGGING") == ["Graph"]


def test_terraform_appsync_reads_its_auth_and_tracing(tmp_path: Path) -> None:
    """The Terraform importer reads an AppSync API's authentication type and X-Ray flag as
    CloudFormation's does: an IAM-authorized API is not public, a traced one not untraced."""
    open_api = APPSYNC_TF.replace('"AWS_IAM"', '"API_KEY"').replace("{extra}", "")
    traced = APPSYNC_TF.replace("{extra}", "  xray_enabled = true")
    assert findings(tmp_path / "iam", "terraform", APPSYNC_TF.replace("{extra}", ""),
                    "SEC-APIGW-AUTH") == []
    assert findings(tmp_path / "traced", "terraform", traced, "OPS-APPSYNC-LOGGING") == ["graph"]
    from advisor.importers import load_any

    (tmp_path / "key").mkdir()
    (tmp_path / "key" / "main.tf").write_text(open_api, "utf-8")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "main.tf").write_text(traced, "utf-8")
    assert load_any(str(tmp_path / "key")).graph.nodes["graph"]["props"]["auth"] == "api_key"
    props = load_any(str(tmp_path / "x")).graph.nodes["graph"]["props"]
    assert (props["auth"], props["tracing"]) == ("iam", True)


def test_appsync_logging_in_the_dsl(tmp_path: Path) -> None:
    assert findings(tmp_path / "bad", "dsl", "appsync graph { auth = iam }\n",
                    "OPS-APPSYNC-LOGGING") == ["graph"]
    assert findings(tmp_path / "good", "dsl", "appsync graph { auth = iam, logging = true }\n",
                    "OPS-APPSYNC-LOGGING") == []


PERMISSION_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Resize:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/resize
      Code: {ZipFile: "def handler(event, context): return event"}
  ResizePermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Resize
      Action: lambda:InvokeFunction
      Principal: {principal}
{extra}
"""
PERMISSION_TF = """
resource "aws_lambda_function" "resize" {
  function_name = "resize"
  runtime       = "python3.12"
  handler       = "index.handler"
  role          = "arn:aws:iam::123456789012:role/resize"
  filename      = "resize.zip"
}

resource "aws_lambda_permission" "resize" {
  function_name = aws_lambda_function.resize.function_name
  action        = "lambda:InvokeFunction"
  principal     = "{principal}"
{extra}
}
"""


@pytest.mark.parametrize(("fmt", "text", "node", "scopes"), [
    ("cloudformation", PERMISSION_CFN, "Resize",
     ("      SourceAccount: !Ref AWS::AccountId",
      "      SourceArn: arn:aws:s3:::uploads-bucket")),
    ("terraform", PERMISSION_TF, "resize",
     ('  source_account = "123456789012"', '  source_arn     = "arn:aws:s3:::uploads-bucket"')),
])
def test_a_service_permission_without_a_source_is_reported_at_the_permission(
        tmp_path: Path, fmt: str, text: str, node: str, scopes: tuple[str, str]) -> None:
    def write(principal: str, extra: str) -> str:
        return text.replace("{principal}", principal).replace("{extra}", extra)

    bad = write("s3.amazonaws.com", "")
    result = analysed(tmp_path / "bad", fmt, bad)
    (finding,) = [f for f in result.findings if f.rule == "SEC-LAMBDA-PERMISSION-SOURCE"]
    assert finding.subject == node
    assert "s3.amazonaws.com" in finding.message
    needle = "ResizePermission:" if fmt == "cloudformation" else 'resource "aws_lambda_permission"'
    assert finding.location.line == next(i for i, line in enumerate(
        dedent(bad).lstrip().splitlines(), 1) if needle in line)
    for i, scope in enumerate(scopes):
        assert findings(tmp_path / f"scoped{i}", fmt, write("s3.amazonaws.com", scope),
                        "SEC-LAMBDA-PERMISSION-SOURCE") == []
    # an account principal is not a service acting for others
    assert findings(tmp_path / "account", fmt, write("123456789012", ""),
                    "SEC-LAMBDA-PERMISSION-SOURCE") == []


def test_sam_event_permissions_are_scoped(tmp_path: Path) -> None:
    """The permissions SAM writes for a function's events carry the source's ARN."""
    sam = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Uploads:
        Type: AWS::S3::Bucket
      Resize:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          InlineCode: "def handler(event, context): return event"
          Events:
            Upload:
              Type: S3
              Properties: {Bucket: !Ref Uploads, Events: "s3:ObjectCreated:*"}
    """
    assert findings(tmp_path, "sam", sam, "SEC-LAMBDA-PERMISSION-SOURCE") == []


def test_permission_source_in_the_dsl(tmp_path: Path) -> None:
    assert findings(tmp_path / "bad", "dsl", 'lambda resize { unscoped_invokers = ["s3"] }\n',
                    "SEC-LAMBDA-PERMISSION-SOURCE") == ["resize"]
    assert findings(tmp_path / "good", "dsl", "lambda resize\n",
                    "SEC-LAMBDA-PERMISSION-SOURCE") == []


TABLE_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      {capacity}
{extra}
"""
SCALING_CFN = """
  OrdersReadScaling:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: dynamodb
      ScalableDimension: dynamodb:table:ReadCapacityUnits
      ResourceId: !Sub table/${Orders}
      MinCapacity: 5
      MaxCapacity: 100
      RoleARN: arn:aws:iam::123456789012:role/scaling
"""
TABLE_TF = """
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  {capacity}
  attribute {
    name = "id"
    type = "S"
  }
}
{extra}
"""
SCALING_TF = """
resource "aws_appautoscaling_target" "orders_read" {
  service_namespace  = "dynamodb"
  scalable_dimension = "dynamodb:table:ReadCapacityUnits"
  resource_id        = "table/${aws_dynamodb_table.orders.name}"
  min_capacity       = 5
  max_capacity       = 100
}
"""


@pytest.mark.parametrize(("fmt", "text", "scaling", "fixed", "on_demand", "node"), [
    ("cloudformation", TABLE_CFN, SCALING_CFN,
     "ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}",
     "BillingMode: PAY_PER_REQUEST", "Orders"),
    ("terraform", TABLE_TF, SCALING_TF, "read_capacity  = 5\n  write_capacity = 5",
     'billing_mode = "PAY_PER_REQUEST"', "orders"),
])
def test_a_provisioned_table_nothing_scales_is_reported(
        tmp_path: Path, fmt: str, text: str, scaling: str, fixed: str, on_demand: str,
        node: str) -> None:
    def write(capacity: str, extra: str) -> str:
        return text.replace("{capacity}", capacity).replace("{extra}", extra)

    rule = "PERF-DYNAMODB-AUTOSCALING"
    assert findings(tmp_path / "fixed", fmt, write(fixed, ""), rule) == [node]
    assert findings(tmp_path / "scaled", fmt, write(fixed, scaling), rule) == []
    assert findings(tmp_path / "on-demand", fmt, write(on_demand, ""), rule) == []
    # the scaling target is wiring: it is read into the table, not shown as a component
    graph = analysed(tmp_path / "nodes", fmt, write(fixed, scaling)).before.graph
    assert graph.nodes[node]["props"].get("autoscaling") is True
    assert [n for n, d in graph.nodes(data=True) if d["kind"] == "resource"] == []


def test_a_global_table_that_scales_its_writes_is_silent(tmp_path: Path) -> None:
    table = """
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Orders:
        Type: AWS::DynamoDB::GlobalTable
        Properties:
          BillingMode: PROVISIONED
          AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
          KeySchema: [{AttributeName: id, KeyType: HASH}]
          Replicas: [{Region: us-east-1}]
          WriteProvisionedThroughputSettings:
            WriteCapacityAutoScalingSettings:
              MinCapacity: 5
              MaxCapacity: 100
              TargetTrackingScalingPolicyConfiguration: {TargetValue: 70}
    """
    assert findings(tmp_path, "cloudformation", table, "PERF-DYNAMODB-AUTOSCALING") == []


def test_table_autoscaling_in_the_dsl(tmp_path: Path) -> None:
    rule = "PERF-DYNAMODB-AUTOSCALING"
    assert findings(tmp_path / "bad", "dsl", "dynamodb orders { billing = provisioned }\n",
                    rule) == ["orders"]
    for good in ("dynamodb orders\n",
                 "dynamodb orders { billing = provisioned, autoscaling = true }\n"):
        assert findings(tmp_path / "good", "dsl", good, rule) == []


EXPRESS_SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: {type}
      Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
{logging}
"""
EXPRESS_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineType: {type}
      RoleArn: arn:aws:iam::123456789012:role/orders
      DefinitionString: '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
{logging}
"""
EXPRESS_TF = """
resource "aws_sfn_state_machine" "orders" {
  name       = "orders"
  type       = "{type}"
  role_arn   = "arn:aws:iam::123456789012:role/orders"
  definition = jsonencode({ StartAt = "Done", States = { Done = { Type = "Succeed" } } })
{logging}
}
"""
LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:orders:*"


@pytest.mark.parametrize(("fmt", "text", "key", "node"), [
    ("sam", EXPRESS_SAM, "Logging", "Orders"),
    ("cloudformation", EXPRESS_CFN, "LoggingConfiguration", "Orders"),
    ("terraform", EXPRESS_TF, None, "orders"),
])
def test_an_express_workflow_that_logs_nothing_is_reported(tmp_path: Path, fmt: str, text: str,
                                                          key: str | None, node: str) -> None:
    def logging(level: str) -> str:
        if key is None:
            return (f'  logging_configuration {{\n    level                  = "{level}"\n'
                    f'    log_destination        = "{LOG_GROUP}"\n  }}')
        return (f'      {key}:\n        Level: "{level}"\n        Destinations:\n'
                f"          - CloudWatchLogsLogGroup: {{LogGroupArn: \"{LOG_GROUP}\"}}")

    def write(kind: str, log: str) -> str:
        return text.replace("{type}", kind).replace("{logging}", log)

    rule = "OPS-SFN-EXPRESS-LOGGING"
    assert findings(tmp_path / "none", fmt, write("EXPRESS", ""), rule) == [node]
    assert findings(tmp_path / "off", fmt, write("EXPRESS", logging("OFF")), rule) == [node]
    assert findings(tmp_path / "error", fmt, write("EXPRESS", logging("ERROR")), rule) == []
    # a Standard workflow keeps its execution history in the service
    assert findings(tmp_path / "standard", fmt, write("STANDARD", ""), rule) == []


def test_express_logging_in_the_dsl(tmp_path: Path) -> None:
    rule = "OPS-SFN-EXPRESS-LOGGING"
    assert findings(tmp_path / "bad", "dsl", "sfn orders { type = express }\n", rule) == ["orders"]
    for good in ("sfn orders { type = express, logging = true }\n", "sfn orders\n"):
        assert findings(tmp_path / "good", "dsl", good, rule) == []
