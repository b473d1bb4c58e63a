"""REST-only API Gateway features the importers read beside the API (a resource policy,
API keys and usage plans, an edge-optimized or private custom domain), in SAM,
CloudFormation and Terraform: each sets the prop advisor/engine/apis.py asks of a REST API,
so COST-APIGW-REST-TO-HTTP does not fire and --show-blocked says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.pipeline import Options, analyze_source

RULE = "COST-APIGW-REST-TO-HTTP"

SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: REGIONAL
{extra}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        Get:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /x, Method: get}}
"""
SAM_FEATURES = {
    "plain": ("", None),
    "resource policy": (
        "      Auth:\n        ResourcePolicy:\n          CustomStatements:\n"
        "            - {Effect: Allow, Principal: '*', Action: 'execute-api:Invoke',"
        " Resource: 'execute-api:/*'}", "resource_policy"),
    "usage plan": ("      Auth:\n        UsagePlan:\n          CreateUsagePlan: PER_API",
                   "api_keys"),
    "api key beside IAM": ("      Auth:\n        DefaultAuthorizer: AWS_IAM\n"
                           "        ApiKeyRequired: true", "api_keys"),
    "edge domain": ("      Domain:\n        DomainName: api.example.com\n"
                    "        CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x\n"
                    "        EndpointConfiguration: EDGE", "endpoint"),
    "regional domain": ("      Domain:\n        DomainName: api.example.com\n"
                        "        CertificateArn: arn:aws:acm:us-east-1:123456789012:"
                        "certificate/x", None),
}

CFN = """Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: api
      EndpointConfiguration: {{Types: [REGIONAL]}}
{policy}
  Res:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: x}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Res
      HttpMethod: GET
      AuthorizationType: AWS_IAM
{method}
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Get
    Properties: {{RestApiId: !Ref Api}}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {{RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {{S3Bucket: b, S3Key: k}}
{extra}
"""
CFN_FEATURES = {
    "plain": ({}, None),
    "resource policy": ({"policy": "      Policy:\n        Version: '2012-10-17'\n"
                                   "        Statement: [{Effect: Allow, Principal: '*', "
                                   "Action: 'execute-api:Invoke', Resource: '*'}]"},
                        "resource_policy"),
    "usage plan": ({"extra": "  Plan:\n    Type: AWS::ApiGateway::UsagePlan\n    Properties:\n"
                             "      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Stage}]"},
                   "api_keys"),
    "api key beside IAM": ({"method": "      ApiKeyRequired: true"}, "api_keys"),
    "edge domain": ({"extra": "  Domain:\n    Type: AWS::ApiGateway::DomainName\n"
                              "    Properties:\n      DomainName: api.example.com\n"
                              "      CertificateArn: arn:aws:acm:us-east-1:1:certificate/x\n"
                              "      EndpointConfiguration: {Types: [EDGE]}\n"
                              "  Mapping:\n    Type: AWS::ApiGateway::BasePathMapping\n"
                              "    Properties: {DomainName: !Ref Domain, RestApiId: !Ref Api,"
                              " Stage: !Ref Stage}"}, "endpoint"),
    "unstated domain type": ({"extra": "  Domain:\n    Type: AWS::ApiGateway::DomainName\n"
                                       "    Properties:\n      DomainName: api.example.com\n"
                                       "      CertificateArn: arn:aws:acm:us-east-1:1:c/x\n"
                                       "  Mapping:\n    Type: AWS::ApiGateway::BasePathMapping\n"
                                       "    Properties: {DomainName: api.example.com, "
                                       "RestApiId: !Ref Api}"}, "endpoint"),
    "regional domain": ({"extra": "  Domain:\n    Type: AWS::ApiGateway::DomainName\n"
                                  "    Properties:\n      DomainName: api.example.com\n"
                                  "      RegionalCertificateArn: arn:aws:acm:us-east-1:1:c/x\n"
                                  "  Mapping:\n    Type: AWS::ApiGateway::BasePathMapping\n"
                                  "    Properties: {DomainName: !Ref Domain, "
                                  "RestApiId: !Ref Api}"}, None),
}

TF = """resource "aws_api_gateway_rest_api" "api" {{
  name = "api"
{policy}
  endpoint_configuration {{
    types = ["REGIONAL"]
  }}
}}

resource "aws_api_gateway_resource" "x" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "x"
}}

resource "aws_api_gateway_method" "get" {{
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.x.id
  http_method   = "GET"
  authorization = "AWS_IAM"
{method}
}}

resource "aws_api_gateway_integration" "get" {{
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.x.id
  http_method             = aws_api_gateway_method.get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.fn.invoke_arn
}}

resource "aws_api_gateway_deployment" "d" {{
  rest_api_id = aws_api_gateway_rest_api.api.id
}}

resource "aws_api_gateway_stage" "prod" {{
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "prod"
}}

resource "aws_lambda_function" "fn" {{
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = "b"
  s3_key        = "k"
}}
{extra}
"""
TF_FEATURES = {
    "plain": ({}, None),
    "resource policy attribute": ({"policy": '  policy = "{\\"Version\\": \\"2012-10-17\\"}"'},
                                  "resource_policy"),
    "resource policy resource": ({"extra": 'resource "aws_api_gateway_rest_api_policy" "p" {\n'
                                           '  rest_api_id = aws_api_gateway_rest_api.api.id\n'
                                           '  policy      = "{}"\n}'}, "resource_policy"),
    "usage plan": ({"extra": 'resource "aws_api_gateway_usage_plan" "plan" {\n  name = "p"\n'
                             '  api_stages {\n    api_id = aws_api_gateway_rest_api.api.id\n'
                             '    stage  = aws_api_gateway_stage.prod.stage_name\n  }\n}'},
                   "api_keys"),
    "api key beside IAM": ({"method": "  api_key_required = true"}, "api_keys"),
    "edge domain": ({"extra": 'resource "aws_api_gateway_domain_name" "d" {\n'
                              '  domain_name     = "api.example.com"\n'
                              '  certificate_arn = "arn:aws:acm:us-east-1:1:certificate/x"\n}\n\n'
                              'resource "aws_api_gateway_base_path_mapping" "m" {\n'
                              '  api_id      = aws_api_gateway_rest_api.api.id\n'
                              '  domain_name = aws_api_gateway_domain_name.d.domain_name\n}'},
                    "endpoint"),
    "regional domain": ({"extra": 'resource "aws_api_gateway_domain_name" "d" {\n'
                                  '  domain_name              = "api.example.com"\n'
                                  '  regional_certificate_arn = "arn:aws:acm:us-east-1:1:c/x"\n'
                                  '  endpoint_configuration {\n    types = ["REGIONAL"]\n  }\n}\n\n'
                                  'resource "aws_api_gateway_base_path_mapping" "m" {\n'
                                  '  api_id      = aws_api_gateway_rest_api.api.id\n'
                                  '  domain_name = aws_api_gateway_domain_name.d.domain_name\n}'},
                        None),
}
WANTED = {"resource_policy": True, "api_keys": True, "endpoint": "edge"}
WHY = {"resource_policy": "a resource policy", "api_keys": "API keys and usage plans",
       "endpoint": "an edge-optimized or private endpoint"}  # integration_limits.yaml


def _check(path: Path, api: str, prop: str | None) -> None:
    result = analyze_source(str(path), Options(estimates=False))
    assert not result.errors, result.errors
    props = result.before.graph.nodes[api]["props"]
    fired = RULE in {f.rule for f in result.findings}
    blocked = [b.reason for b in result.blocked if b.rule == RULE]
    if prop is None:  # nothing REST-only: the rule still fires
        assert fired, (props, blocked)
        assert props.get("endpoint") != "edge" and not props.get("api_keys") \
            and not props.get("resource_policy"), props
        return
    assert props.get(prop) == WANTED[prop], props
    assert not fired and any(WHY[prop] in reason for reason in blocked), (props, blocked)


@pytest.mark.parametrize("feature", sorted(SAM_FEATURES))
def test_sam(tmp_path: Path, feature: str) -> None:
    extra, prop = SAM_FEATURES[feature]
    path = tmp_path / "template.yaml"
    path.write_text(SAM.format(extra=extra))
    _check(path, "Api", prop)


@pytest.mark.parametrize("feature", sorted(CFN_FEATURES))
def test_cloudformation(tmp_path: Path, feature: str) -> None:
    parts, prop = CFN_FEATURES[feature]
    path = tmp_path / "template.yaml"
    path.write_text(CFN.format(**{"policy": "", "method": "", "extra": "", **parts}))
    _check(path, "Api", prop)


@pytest.mark.parametrize("feature", sorted(TF_FEATURES))
def test_terraform(tmp_path: Path, feature: str) -> None:
    parts, prop = TF_FEATURES[feature]
    (tmp_path / "main.tf").write_text(TF.format(**{"policy": "", "method": "", "extra": "",
                                                   **parts}))
    _check(tmp_path, "api", prop)


def test_openapi_body_policy_cloudformation_and_terraform(tmp_path: Path) -> None:
    """`x-amazon-apigateway-policy` in the API's OpenAPI body (where SAM writes
    Auth.ResourcePolicy) is a resource policy too."""
    cfn = tmp_path / "cfn" / "template.yaml"
    cfn.parent.mkdir()
    cfn.write_text("Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
                   "      EndpointConfiguration: {Types: [REGIONAL]}\n      Body:\n"
                   "        openapi: 3.0.1\n        paths: {}\n"
                   "        x-amazon-apigateway-policy:\n          Version: '2012-10-17'\n"
                   "          Statement: []\n")
    props = analyze_source(str(cfn), Options(estimates=False)).before.graph.nodes["Api"]["props"]
    assert props.get("resource_policy") is True, props
    tf = tmp_path / "tf"
    tf.mkdir()
    (tf / "main.tf").write_text(
        'resource "aws_api_gateway_rest_api" "api" {\n  name = "api"\n'
        '  body = jsonencode({\n    openapi = "3.0.1"\n    paths = {}\n'
        '    "x-amazon-apigateway-policy" = { Version = "2012-10-17", Statement = [] }\n'
        '  })\n}\n')
    props = analyze_source(str(tf), Options(estimates=False)).before.graph.nodes["api"]["props"]
    assert props.get("resource_policy") is True, props


def test_sam_event_resource_policy(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM.format(extra="").replace(
        "Properties: {RestApiId: !Ref Api, Path: /x, Method: get}",
        "Properties:\n            RestApiId: !Ref Api\n            Path: /x\n"
        "            Method: get\n            Auth:\n              ResourcePolicy:\n"
        "                AwsAccountWhitelist: ['123456789012']"))
    _check(path, "Api", "resource_policy")


@pytest.mark.parametrize(("api_type", "endpoint", "warned"), [
    ("AWS::Serverless::HttpApi", "EDGE", True),
    ("AWS::Serverless::WebSocketApi", "PRIVATE", True),
    ("AWS::Serverless::HttpApi", "REGIONAL", False),
    ("AWS::Serverless::Api", "EDGE", False),  # a REST API may have an edge domain
])
def test_sam_rejects_a_v2_api_domain_that_is_not_regional(
        tmp_path: Path, api_type: str, endpoint: str, warned: bool) -> None:
    # SAM: "EndpointConfiguration for Custom Domains must be one of ['REGIONAL']" for
    # HttpApi and WebSocketApi; the template does not deploy, so the import says so
    routes = "RouteSelectionExpression: $request.body.action\n      " \
        if api_type.endswith("WebSocketApi") else ""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        f"Resources:\n  Api:\n    Type: {api_type}\n    Properties:\n      {routes}"
        + ("StageName: prod\n      " if api_type == "AWS::Serverless::Api" else "")
        + "Domain:\n        DomainName: api.example.com\n"
        f"        CertificateArn: arn:aws:acm:x\n        EndpointConfiguration: {endpoint}\n")
    result = analyze_source(str(path), Options(estimates=False))
    said = [n for n in result.notes if "must be REGIONAL" in n.message]
    assert bool(said) is warned, [n.message for n in result.notes]
    if warned:
        assert said[0].severity == "warning" and said[0].line > 1
        assert endpoint in said[0].message and "REGIONAL" in (said[0].suggestion or "")
