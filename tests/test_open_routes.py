"""SEC-APIGW-AUTH names the routes anyone may call (`open_routes`), as the importers read
them: REST methods by their resource path, HTTP API route keys, SAM events (an HttpApi
event with no path is SAM's `$default` route), OpenAPI operations; CORS preflight
(OPTIONS) routes and authorized routes are not named; past five, the rest are counted."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

REST_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: orders}
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}
  Order:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Orders, PathPart: "{id}"}
  GetOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Order
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: MOCK}
  PostOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      Integration: {Type: MOCK}
  Preflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration: {Type: MOCK}
  Root:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: MOCK}
"""
HTTP_TF = """
resource "aws_apigatewayv2_api" "items" {
  name          = "items"
  protocol_type = "HTTP"
}
{routes}
"""
SAM_HTTP = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context): return event"
      Events:
        Any:
          Type: HttpApi
"""


def _auth_messages(path: Path, text: str) -> list[str]:
    fmt = "terraform" if path.suffix == ".tf" else "cloudformation"
    result = analyse_input(path.parent, fmt, text)
    return [f.message for f in result.findings if f.rule == "SEC-APIGW-AUTH"]


def test_rest_methods_are_named_by_their_resource_path(tmp_path: Path) -> None:
    (message,) = _auth_messages(tmp_path / "template.yaml", REST_CFN)
    assert message.endswith("(auth = none) on GET /, GET /orders/{id}")


def test_a_sam_http_event_without_a_path_is_the_default_route(tmp_path: Path) -> None:
    (message,) = _auth_messages(tmp_path / "template.yaml", SAM_HTTP)
    assert message.endswith("on ANY $default")


def _route(key: str, auth: str = "NONE") -> str:
    name = key.replace(" ", "_").replace("/", "").replace("$", "").lower() or "root"
    return (f'resource "aws_apigatewayv2_route" "{name}" {{\n'
            f"  api_id             = aws_apigatewayv2_api.items.id\n"
            f'  route_key          = "{key}"\n'
            f'  authorization_type = "{auth}"\n}}\n')


def test_http_route_keys_and_the_count_past_five(tmp_path: Path) -> None:
    routes = _route("GET /health") + _route("POST /items", "AWS_IAM")
    (message,) = _auth_messages(tmp_path / "a" / "main.tf", HTTP_TF.replace("{routes}", routes))
    assert message.endswith("(auth = none) on GET /health")
    many = "".join(_route(f"GET /r{i}") for i in range(7))
    (message,) = _auth_messages(tmp_path / "b" / "main.tf", HTTP_TF.replace("{routes}", many))
    assert message.endswith("on GET /r0, GET /r1, GET /r2, GET /r3, GET /r4 and 2 more")


def test_an_api_whose_routes_are_all_authorized_is_not_reported(tmp_path: Path) -> None:
    routes = _route("GET /health", "AWS_IAM")
    assert _auth_messages(tmp_path / "main.tf", HTTP_TF.replace("{routes}", routes)) == []


REST_TF = """
resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_rest_api.orders.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_resource" "order" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_resource.orders.id
  path_part   = "{id}"
}

resource "aws_api_gateway_method" "get_order" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_resource.order.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_method" "post_orders" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_resource.orders.id
  http_method   = "POST"
  authorization = "AWS_IAM"
}

resource "aws_api_gateway_method" "root" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_rest_api.orders.root_resource_id
  http_method   = "GET"
  authorization = "NONE"
}
"""


def test_terraform_rest_methods_are_named_by_their_resource_path(tmp_path: Path) -> None:
    (message,) = _auth_messages(tmp_path / "main.tf", REST_TF)
    assert message.endswith("(auth = none) on GET /, GET /orders/{id}")
