"""Every stage of an API is read; the API's stage props hold only when every stage sets
them, and `location_of(api, prop)` points at the stage resource that holds (or lacks) it."""

from __future__ import annotations

from advisor.importers import load_any

REST = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: a}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
"""

LOGS = """      AccessLogSetting:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:g
      TracingEnabled: true
"""


def _stage(name: str, extra: str = "") -> str:
    return f"""  {name}Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: {name}
{extra}"""


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


def test_a_second_stage_without_access_logs_is_not_missed() -> None:
    text = REST + _stage("prod", LOGS) + _stage("dev")
    arch = load_any("t.yaml", text)
    props = arch.props("Api")
    assert "access_logging" not in props and "tracing" not in props
    for prop in ("access_logging", "tracing"):
        loc = arch.location_of("Api", prop)
        assert loc is not None and loc.line == _line_of(text, "  devStage:")
    # a prop no stage sets points at the first stage, where it would go
    assert arch.location_of("Api", "throttling").line == _line_of(text, "  prodStage:")


def test_every_stage_with_access_logs() -> None:
    text = REST + _stage("prod", LOGS) + _stage("dev", LOGS)
    arch = load_any("t.yaml", text)
    assert arch.props("Api")["access_logging"] is True
    assert arch.location_of("Api", "access_logging").line == _line_of(text, "  prodStage:")


def test_a_usage_plan_throttles_the_stages_it_names() -> None:
    plan = """  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      Throttle: {RateLimit: 10, BurstLimit: 20}
      ApiStages:
      - ApiId: !Ref Api
        Stage: !Ref prodStage
"""
    keyed = """  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: root
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration: {Type: MOCK}
"""
    text = REST + _stage("prod") + _stage("dev") + plan + keyed
    arch = load_any("t.yaml", text)
    assert "throttling" not in arch.props("Api")
    assert arch.location_of("Api", "throttling").line == _line_of(text, "  devStage:")
    text = REST + _stage("prod") + plan + keyed
    assert load_any("t.yaml", text).props("Api")["throttling"] is True
    # a plan meters requests by API key: it throttles nothing where no route needs one
    text = REST + _stage("prod") + plan
    assert "throttling" not in load_any("t.yaml", text).props("Api")


def test_a_deployment_stage_counts_when_it_is_the_only_one() -> None:
    text = REST.replace("Properties: {RestApiId: !Ref Api}",
                        "Properties: {RestApiId: !Ref Api, StageName: prod}")
    arch = load_any("t.yaml", text)
    assert "access_logging" not in arch.props("Api")
    assert arch.location_of("Api", "access_logging").line == _line_of(text, "  Deployment:")


def test_sam_api_settings_are_its_own_stage() -> None:
    text = """Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      AccessLogSetting: {DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:g}
      MethodSettings:
      - {HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10}
  Extra:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: dev, DeploymentId: x}
"""
    arch = load_any("t.yaml", text)
    props = arch.props("Api")
    assert "access_logging" not in props and "throttling" not in props
    assert arch.location_of("Api", "access_logging").line == _line_of(text, "  Extra:")
    alone = load_any("t.yaml", text[: text.index("  Extra:")])
    assert alone.props("Api")["access_logging"] is True and alone.props("Api")["throttling"]
    # the SAM API configures its own stage: a finding points at the API itself
    assert alone.location_of("Api", "access_logging").line == _line_of(text, "  Api:")


def test_http_route_settings_and_conditions() -> None:
    text = """Transform: AWS::Serverless-2016-10-31
Conditions:
  C: !Equals [a, b]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      RouteSettings:
        "GET /x": !If [C, {ThrottlingBurstLimit: 10}, !Ref AWS::NoValue]
"""
    assert load_any("t.yaml", text).props("Api")["throttling"] is True


def test_props_set_in_other_folded_resources_point_there() -> None:
    text = """Resources:
  F:
    Type: AWS::Lambda::Function
    Properties: {Handler: a.h, Runtime: python3.12, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${F}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt F.Arn, AuthType: NONE}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref F
      FunctionVersion: "1"
      Name: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}
"""
    arch = load_any("t.yaml", text)
    assert "log_retention" not in arch.props("F")  # the log group sets none: the fix goes there
    assert arch.location_of("F", "log_retention").line == _line_of(text, "  Logs:")
    assert arch.location_of("F", "url_auth").line == _line_of(text, "  Url:")
    assert arch.props("F")["provisioned_concurrency"] == 2
    assert arch.location_of("F", "provisioned_concurrency").line == _line_of(text, "  Live:")
    assert arch.location_of("F", "memory").line == _line_of(text, "  F:")
