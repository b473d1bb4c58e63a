"""`advisor fix --apply all`: the settings rewrites (tracing, arm64, log retention,
encryption, batch size, URL auth, Express, API stage settings, authorization) patched in
SAM/CloudFormation (YAML and JSON) and Terraform, verified, with the IAM they need."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.fix import fix_result, fix_source
from advisor.pipeline import Options, analyze_source

ALL = Options(apply="all", estimates=False)

SAM = """\
Transform: AWS::Serverless-2016-10-31
# the worker polls its queue one message at a time
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      SqsManagedSseEnabled: false
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDLQ.Arn
        maxReceiveCount: 5
  JobsDLQ:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Timeout: 10
      MemorySize: 256
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Get:
          Type: Api
          Properties: {Path: /x, Method: get}
        Poll:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 1
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, End: true}
"""


def _by_rule(fix) -> dict:  # type: ignore[no-untyped-def]
    return {r.rule: r for r in fix.rewrites}


def test_sam_settings_all_patched_and_verified(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    fix = fix_source(str(path), ALL, verify=True)
    rules = _by_rule(fix)
    for rule in ("OPS-LAMBDA-TRACING", "OPS-SFN-TRACING", "COST-LAMBDA-ARM64", "COST-SQS-BATCH",
                 "SEC-ENCRYPTION-AT-REST", "SEC-LAMBDA-URL-AUTH", "OPS-LOG-RETENTION",
                 "OPS-APIGW-ACCESS-LOGGING", "OPS-APIGW-THROTTLING"):
        assert rules[rule].status == "patched" and rules[rule].verified, (rule, fix.checks)
    new = fix.changed[0].new
    assert "# the worker polls its queue one message at a time" in new
    assert "SqsManagedSseEnabled: true" in new and "BatchSize: 10" in new
    assert "Tracing: Active" in new and "Architectures: [arm64]" in new
    assert "AuthType: AWS_IAM" in new
    assert "LogGroupName: !Sub /aws/lambda/${Worker}\n      RetentionInDays: 30" in new
    # the implicit API's stage settings share one Globals section, written once
    assert new.count("Globals:") == 1 and new.index("Globals:") < new.index("Resources:")
    assert "    AccessLogSetting:\n      DestinationArn: !GetAtt ServerlessRestApiAccessLogs" in new
    # SAM adds X-Ray permissions to the roles it generates: no policy of ours
    assert "xray:" not in new
    assert any("import it into the stack" in n for n in rules["OPS-LOG-RETENTION"].notes)
    again = fix_result(analyze_source(str(path), ALL, text=new), texts={str(path): new})
    assert not again.diff()


def test_declared_roles_get_xray_and_json_keeps_its_style(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "a.b", "Timeout": 10, "MemorySize": 256,
                "Code": {"ZipFile": "def b(e, c):\n    return 1\n"},
                "Role": {"Fn::GetAtt": ["FnRole", "Arn"]}}},
            "FnRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]}}},
        }}
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template, indent=4) + "\n")
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        select=("OPS-LAMBDA-TRACING",)), verify=True)
    (rw,) = fix.rewrites
    assert rw.status == "patched" and rw.verified, fix.checks
    data = json.loads(fix.changed[0].new)
    assert data["Resources"]["Fn"]["Properties"]["TracingConfig"] == {"Mode": "Active"}
    policy = data["Resources"]["FnTracingPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "FnRole"}]
    stmt = policy["PolicyDocument"]["Statement"][0]
    assert stmt["Action"][0] == "xray:PutTraceSegments" and stmt["Resource"] == "*"
    assert '\n    "Resources": {\n        "Fn": {' in fix.changed[0].new  # 4-space indent kept


def test_settings_that_would_break_something_say_why(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Alerts:\n    Type: AWS::SNS::Topic\n"
        "  Every:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      ScheduleExpression: rate(1 hour)\n"
        "      Targets:\n        - Arn: !Ref Alerts\n          Id: alerts\n"
        "  Flow:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      StateMachineName: flow\n      RoleArn: arn:aws:iam::1:role/x\n"
        "      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}\n")
    fix = fix_source(str(path), ALL)
    rules = _by_rule(fix)
    enc = rules["SEC-ENCRYPTION-AT-REST"]
    assert enc.status == "not patched" and "aws/sns" in enc.reason
    if "COST-SFN-EXPRESS" in rules:
        assert "fixed StateMachineName" in rules["COST-SFN-EXPRESS"].reason
    tracing = rules["OPS-SFN-TRACING"]
    assert tracing.status == "patched" and any("not declared" in n for n in tracing.notes)


def test_deployment_stage_settings_merge_into_one_stage_description(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Name: a\n"
        "  Res:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n"
        "      RestApiId: !Ref Api\n      ParentId: !GetAtt Api.RootResourceId\n"
        "      PathPart: x\n"
        "  Get:\n    Type: AWS::ApiGateway::Method\n    Properties:\n"
        "      RestApiId: !Ref Api\n      ResourceId: !Ref Res\n      HttpMethod: GET\n"
        "      AuthorizationType: AWS_IAM\n      Integration: {Type: MOCK}\n"
        "  Deploy:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: Get\n"
        "    Properties:\n      RestApiId: !Ref Api\n      StageName: prod\n")
    # (COST-APIGW-REST-TO-HTTP, applied first, would make it an HTTP API without tracing)
    fix = fix_source(str(path), Options(apply="all", estimates=False,
                                        ignore=("COST-APIGW-REST-TO-HTTP",)), verify=True)
    rules = _by_rule(fix)
    for rule in ("OPS-APIGW-THROTTLING", "OPS-APIGW-TRACING", "OPS-APIGW-ACCESS-LOGGING"):
        assert rules[rule].status == "patched" and rules[rule].verified, (rule, fix.checks)
    new = fix.changed[0].new
    assert new.count("StageDescription:") == 1
    assert "TracingEnabled: true" in new and "ThrottlingBurstLimit: 5000" in new


def test_quick_create_http_api_is_throttled_through_managed_overrides(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Http:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n"
        "      Name: h\n      ProtocolType: HTTP\n"
        "      Target: !GetAtt Fn.Arn\n"
        "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: a.b\n      Timeout: 5\n"
        "      MemorySize: 128\n      Role: arn:aws:iam::1:role/r\n"
        "      Code: {ZipFile: 'def b(e, c): return 1'}\n")
    fix = fix_source(str(path), Options(estimates=False, select=("OPS-APIGW-THROTTLING",),
                                        apply="all"),  # stage throttling is opt-in
                     verify=True)
    (rw,) = fix.rewrites
    assert rw.status == "patched" and rw.verified, fix.checks
    new = fix.changed[0].new
    assert "Type: AWS::ApiGatewayV2::ApiGatewayManagedOverrides" in new
    assert "ApiId: !Ref Http\n      Stage:\n        DefaultRouteSettings:" in new


def test_terraform_settings(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "fn" {\n  name               = "fn"\n'
        '  assume_role_policy = "{}"\n}\n\n'
        'resource "aws_lambda_function" "fn" {\n  function_name = "fn"\n'
        '  role          = aws_iam_role.fn.arn\n  runtime       = "python3.12"\n'
        '  handler       = "a.b"\n  filename      = "f.zip"\n  timeout       = 10\n'
        '  memory_size   = 256\n}\n\n'
        'resource "aws_kinesis_stream" "clicks" {\n  name        = "clicks"\n'
        '  shard_count = 1\n}\n')
    fix = fix_source(str(tmp_path), ALL, verify=True)
    rules = _by_rule(fix)
    for rule in ("OPS-LAMBDA-TRACING", "COST-LAMBDA-ARM64", "OPS-LOG-RETENTION",
                 "SEC-ENCRYPTION-AT-REST"):
        assert rules[rule].status == "patched" and rules[rule].verified, (rule, fix.checks)
    new = fix.changed[0].new
    # one run of new attributes per block, aligned as terraform fmt does
    assert ('  memory_size   = 256\n\n  architectures = ["arm64"]\n  tracing_config {\n'
            '    mode = "Active"\n  }\n}') in new
    assert '  encryption_type = "KMS"\n  kms_key_id      = "alias/aws/kinesis"\n' in new
    # the log group is named after the function, not after its name, so no node is renamed
    assert 'resource "aws_cloudwatch_log_group" "fn_logs" {\n  name              = ' \
        '"/aws/lambda/${aws_lambda_function.fn.function_name}"\n' in new
    assert 'Action   = ["xray:PutTraceSegments"' in new


def test_terraform_pipe_stream_settings_are_read_back(tmp_path: Path) -> None:
    """The Terraform importer reads a pipe's dead-letter queue, retries and bisect (so
    REL-STREAM-POISON on a pipe is verified, and not raised again)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_dynamodb_table" "t" {\n  name         = "t"\n'
        '  billing_mode = "PAY_PER_REQUEST"\n  hash_key     = "id"\n'
        '  stream_enabled   = true\n  stream_view_type = "NEW_IMAGE"\n'
        '  attribute {\n    name = "id"\n    type = "S"\n  }\n}\n\n'
        'resource "aws_sqs_queue" "out" {\n  name = "out"\n'
        '  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.dlq.arn\n'
        '    maxReceiveCount     = 5\n  })\n}\n\n'
        'resource "aws_sqs_queue" "dlq" {\n  name = "dlq"\n}\n\n'
        'resource "aws_iam_role" "pipe" {\n  name               = "pipe"\n'
        '  assume_role_policy = "{}"\n}\n\n'
        'resource "aws_pipes_pipe" "p" {\n  name     = "p"\n'
        '  role_arn = aws_iam_role.pipe.arn\n  source   = aws_dynamodb_table.t.stream_arn\n'
        '  target   = aws_sqs_queue.out.arn\n  source_parameters {\n'
        '    dynamodb_stream_parameters {\n      starting_position = "LATEST"\n'
        '      batch_size        = 10\n    }\n  }\n}\n')
    fix = fix_source(str(tmp_path), Options(estimates=False, select=("REL-STREAM-POISON",)),
                     verify=True)
    (rw,) = fix.rewrites
    assert rw.status == "patched" and rw.verified, fix.checks
    new = fix.changed[0].new
    assert ('      batch_size        = 10\n\n      on_partial_batch_item_failure = '
            '"AUTOMATIC_BISECT"\n      maximum_retry_attempts        = 3\n'
            '      dead_letter_config {\n        arn = aws_sqs_queue.p_failures.arn\n') in new
    assert 'role = aws_iam_role.pipe.id' in new


def test_a_targeted_log_group_keeps_its_retention(tmp_path: Path) -> None:
    """A log group that becomes a node because a rule targets it is read with its
    retention: no finding (and no patch) for a retention the template sets."""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 7\n"
        "  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      EventPattern: {source: [x]}\n"
        "      Targets:\n        - Arn: !GetAtt Logs.Arn\n          Id: logs\n")
    result = analyze_source(str(path), ALL)
    assert result.before.graph.nodes["Logs"]["props"]["retention"] == 7
    assert not [f for f in result.findings if f.rule == "OPS-LOG-RETENTION"]
