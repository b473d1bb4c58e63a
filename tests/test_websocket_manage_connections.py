"""A function allowed `execute-api:ManageConnections` on a WebSocket API of the design
sends messages to that API's clients (`@connections` POST): an edge function -> API, so
the messages are the API's, not a second API's priced as REST requests."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Chat:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Broadcast:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: broadcast/
      Policies:
        - Statement:
            - Effect: Allow
              Action: execute-api:ManageConnections
              Resource: !Sub
                - "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiId}/prod/POST/@connections/*"
                - ApiId: !Ref Chat
      Events:
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
"""

TF = """
resource "aws_apigatewayv2_api" "chat" {
  name                       = "chat"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_iam_role" "broadcast" {
  name               = "broadcast"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "broadcast" {
  role = aws_iam_role.broadcast.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "execute-api:ManageConnections"
      Resource = "${aws_apigatewayv2_api.chat.execution_arn}/*"
    }]
  })
}

resource "aws_lambda_function" "broadcast" {
  function_name = "broadcast"
  role          = aws_iam_role.broadcast.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "broadcast.zip"
}
"""


def test_sam_manage_connections_is_an_edge_to_the_api(tmp_path: Path) -> None:
    arch = analyse_input(tmp_path, "sam", SAM).before
    assert arch.graph.has_edge("Broadcast", "Chat")


ROUTED = SAM.replace("""      Events:
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
""", """  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Chat
      RouteKey: $default
      Target: !Sub integrations/${Integ}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\
        functions/${Broadcast.Arn}/invocations"
""")


def test_a_route_function_answering_its_own_api_is_an_edge_back(tmp_path: Path) -> None:
    """The chat shape: the API invokes the function, which posts to the API's clients."""
    assert "Integ:" in ROUTED
    arch = analyse_input(tmp_path, "sam", ROUTED).before
    assert arch.graph.has_edge("Chat", "Broadcast") and arch.graph.has_edge("Broadcast", "Chat")


def test_terraform_manage_connections_is_an_edge_to_the_api(tmp_path: Path) -> None:
    arch = analyse_input(tmp_path, "terraform", TF).before
    assert arch.graph.has_edge("broadcast", "chat")


TF_ROUTED = TF + """
resource "aws_apigatewayv2_integration" "default" {
  api_id           = aws_apigatewayv2_api.chat.id
  integration_type = "AWS_PROXY"
  integration_uri  = aws_lambda_function.broadcast.invoke_arn
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.default.id}"
}
"""


def test_terraform_route_function_answering_its_own_api_is_an_edge_back(tmp_path: Path) -> None:
    arch = analyse_input(tmp_path, "terraform", TF_ROUTED).before
    assert arch.graph.has_edge("chat", "broadcast") and arch.graph.has_edge("broadcast", "chat")
