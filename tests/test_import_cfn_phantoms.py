"""Phantom nodes: a reference by physical name resolves to the declared resource, and a
Step Functions callback reply makes no state machine of its own."""

from __future__ import annotations

from advisor.importers import load_any

TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-handler
      Handler: a.h
      Runtime: python3.12
      InlineCode: x
  Pay:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub pay-${Stage}
      Handler: a.h
      Runtime: python3.12
      InlineCode: x
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0'
        paths:
          /orders:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\\
                  functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:\\
                  function:orders-handler/invocations"
          /pay:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\\
                  functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:\\
                  function:pay-${Stage}/invocations"
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Reply
        States:
          Reply:
            Type: Task
            Resource: arn:aws:states:::aws-sdk:sfn:sendTaskSuccess
            Parameters: {TaskToken.$: $.token, Output: "{}"}
            Next: Reply2
          Reply2:
            Type: Task
            Resource: arn:aws:states:::aws-sdk:sfn:sendTaskFailure
            Parameters: {TaskToken.$: $.token}
            End: true
"""


def test_openapi_uri_naming_a_function_by_its_physical_name() -> None:
    arch = load_any("t.yaml", TEMPLATE)
    assert arch.graph.has_edge("Api", "Orders") and arch.graph.has_edge("Api", "Pay")
    assert not [n for n in arch.graph.nodes if n.startswith("external")]
    assert arch.graph.edges["Api", "Pay"]["props"]["integration"] == "proxy"


def test_callback_replies_make_no_state_machine() -> None:
    arch = load_any("t.yaml", TEMPLATE)
    assert list(arch.nodes_of_kind("sfn")) == ["Flow"]
    assert list(arch.graph.successors("Flow")) == []


def test_a_task_naming_a_function_arn_by_its_physical_name() -> None:
    text = TEMPLATE.replace(
        "Resource: arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
        "Resource: arn:aws:lambda:us-east-1:123456789012:function:orders-handler")
    arch = load_any("t.yaml", text)
    assert arch.graph.has_edge("Flow", "Orders")
    assert not [n for n in arch.graph.nodes if n.startswith("external")]
