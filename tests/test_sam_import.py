"""SAM resources import as the architecture SAM deploys (own samples; the corpus-wide check
against SAM's expansions is tests/test_sam_equivalence.py)."""

from __future__ import annotations

from advisor.importers import load_any

HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def _fn(name: str, extra: str = "") -> str:
    return (f"  {name}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            f"      Handler: a.h\n      Runtime: python3.12\n      InlineCode: x\n{extra}")


def _arch(body: str):
    return load_any("t.yaml", HEAD + body)


def _edge(arch, a: str, b: str) -> dict:
    assert arch.graph.has_edge(a, b), f"no edge {a} -> {b}: {sorted(arch.graph.edges)}"
    return arch.graph.edges[a, b]


def test_websocket_routes_and_connect_authorizer() -> None:
    arch = _arch(_fn("Connect") + _fn("Send") + _fn("Auth") + """  Ws:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      Auth: {AuthType: CUSTOM, AuthArn: !GetAtt Auth.Arn}
      Routes:
        $connect: {FunctionArn: !GetAtt Connect.Arn}
        send: {FunctionArn: !GetAtt Send.Arn, ApiKeyRequired: true}
""")
    assert arch.kind("Ws") == "apigw" and arch.props("Ws")["type"] == "websocket"
    assert _edge(arch, "Ws", "Connect")["props"] == {"integration": "proxy"}
    assert _edge(arch, "Ws", "Send")["props"] == {"integration": "proxy"}
    assert _edge(arch, "Ws", "Auth")["label"] == "authorizer"
    assert arch.props("Ws")["auth"] == "lambda"


def test_rest_api_id_as_a_plain_logical_id() -> None:
    arch = _arch(_fn("F", """      Events:
        Get:
          Type: Api
          Properties: {RestApiId: MyApi, Path: /, Method: get}
""") + "  MyApi:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: prod}\n")
    assert "ServerlessRestApi" not in arch.graph
    assert _edge(arch, "MyApi", "F")["props"] == {"integration": "proxy", "methods": ["GET"]}


def test_default_authorizer_and_authorizer_none_per_route() -> None:
    api = """  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/p}
"""
    open_route = """      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /, Method: get, Auth: {Authorizer: NONE}}
"""
    guarded = open_route.replace(", Auth: {Authorizer: NONE}", "").replace("Path: /", "Path: /g")
    arch = _arch(api + _fn("F", open_route))
    assert arch.props("Api")["auth"] == "none"  # its only route opts out
    # one open route makes the API callable by anyone: the weakest route's auth
    assert _arch(api + _fn("F", open_route) + _fn("G", guarded)).props("Api")["auth"] == "none"
    assert _arch(api + _fn("G", guarded)).props("Api")["auth"] == "cognito"
    # an API with no route has no auth to speak of, default authorizer or not
    assert _arch(api).props("Api").get("auth") is None


def test_http_api_jwt_and_api_keys() -> None:
    arch = _arch(_fn("F", """      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /, Method: get}
""") + """  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: https://x, audience: [a]}
            IdentitySource: $request.header.Authorization
""")
    assert arch.props("Http")["auth"] == "jwt"
    arch = _arch(_fn("F", """      Events:
        Get:
          Type: Api
          Properties: {Path: /, Method: get, Auth: {ApiKeyRequired: true}}
"""))
    assert arch.props("ServerlessRestApi")["auth"] == "api_key"


def test_state_machine_api_event_is_a_service_integration() -> None:
    arch = _arch("""  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      Events:
        Post:
          Type: Api
          Properties: {Path: /, Method: post}
""")
    props = _edge(arch, "ServerlessRestApi", "Flow")["props"]
    assert props == {"integration": "service", "action": "states:StartExecution", "transform": True,
                     "methods": ["POST"]}


def test_an_event_on_a_user_definition_adds_no_integration_type() -> None:
    """SAM writes an Api event's route only into a definition it manages; the user's
    own body (or file) says how the API calls the function."""
    arch = _arch(_fn("F", """      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /, Method: get}
""") + """  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionUri: s3://bucket/openapi.yaml
""")
    assert _edge(arch, "Api", "F")["props"] == {}


def test_openapi_paths_under_fn_if_count() -> None:
    arch = _arch(_fn("F") + _fn("Authz") + """  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: L
        Authorizers:
          L: {FunctionArn: !GetAtt Authz.Arn, Identity: {Headers: [Authorization]}}
      DefinitionBody:
        openapi: '3.0'
        paths:
          /x:
            Fn::If:
            - C
            - get:
                x-amazon-apigateway-integration:
                  type: aws_proxy
                  httpMethod: POST
                  uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\
                    functions/${F.Arn}/invocations"
            - !Ref AWS::NoValue
""")
    assert _edge(arch, "Api", "F")["props"] == {"integration": "proxy", "methods": ["GET"]}
    assert _edge(arch, "Api", "Authz")["label"] == "authorizer"
    assert arch.props("Api")["auth"] == "lambda"


def test_connectors_write_read_and_polling() -> None:
    arch = _arch(_fn("Reader") + """  Table: {Type: AWS::DynamoDB::Table}
  Q: {Type: AWS::SQS::Queue}
  WriteQ:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Reader}
      Destination: {Id: Q}
      Permissions: [Write]
  ReadOnly:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Reader}
      Destination: {Id: Table}
      Permissions: [Read]
  QueueToFn:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Q}
      Destination: {Id: Reader}
      Permissions: [Read, Write]
""")
    assert _edge(arch, "Reader", "Q")
    assert not arch.graph.has_edge("Reader", "Table")  # Read only: no data flows there
    assert not arch.graph.has_edge("Q", "Reader")  # only a poll permission; no mapping
    assert "WriteQ" not in arch.graph  # a connector is wiring, not a component


def test_embedded_connector() -> None:
    text = HEAD + """  Writer:
    Type: AWS::Serverless::Function
    Connectors:
      Out:
        Properties:
          Destination: [{Id: Topic}, {Id: Table}]
          Permissions: [Write]
    Properties: {Handler: a.h, Runtime: python3.12, InlineCode: x}
  Topic: {Type: AWS::SNS::Topic}
  Table: {Type: AWS::DynamoDB::Table}
"""
    arch = load_any("t.yaml", text)
    assert _edge(arch, "Writer", "Topic") is not None and _edge(arch, "Writer", "Table")


def test_iot_rule_and_log_subscription_invoke_asynchronously() -> None:
    arch = _arch(_fn("F", """      Events:
        Iot:
          Type: IoTRule
          Properties: {Sql: "SELECT * FROM 'topic'"}
        Logs:
          Type: CloudWatchLogs
          Properties: {LogGroupName: !Ref Errors, FilterPattern: ERROR}
""") + "  Errors: {Type: AWS::Logs::LogGroup}\n")
    assert _edge(arch, "FIot", "F")["mode"] == "async"
    logs = _edge(arch, "Errors", "F")
    assert logs["mode"] == "async" and logs["label"] == "filtered"
    cfn = load_any("t.yaml", """Resources:
  F:
    Type: AWS::Lambda::Function
    Properties: {Handler: a.h, Runtime: python3.12, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Errors: {Type: AWS::Logs::LogGroup}
  Sub:
    Type: AWS::Logs::SubscriptionFilter
    Properties: {LogGroupName: !Ref Errors, DestinationArn: !GetAtt F.Arn, FilterPattern: ERROR}
  Rule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: SELECT * FROM 'topic'
        Actions: [{Lambda: {FunctionArn: !GetAtt F.Arn}}]
""")
    assert _edge(cfn, "Rule", "F")["mode"] == "async"
    assert _edge(cfn, "Errors", "F")["mode"] == "async"


def test_queues_and_topics_sam_creates() -> None:
    arch = _arch(_fn("F", """      EventInvokeConfig:
        DestinationConfig:
          OnSuccess: {Type: SNS}
          OnFailure: {Type: SQS}
      Events:
        Tick:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            DeadLetterConfig: {Type: SQS}
"""))
    props = arch.props("F")
    assert props["on_failure"] == "FEventInvokeConfigOnFailureQueue"
    assert props["on_success"] == "FEventInvokeConfigOnSuccessTopic"
    assert arch.kind("FEventInvokeConfigOnFailureQueue") == "sqs"
    assert arch.kind("FEventInvokeConfigOnSuccessTopic") == "sns"
    assert _edge(arch, "FTick", "F")["props"]["dlq"] == "FTickQueue"
    assert arch.props("FTickQueue")["is_dlq"] is True


def test_definition_substitutions_name_the_task_targets() -> None:
    arch = _arch(_fn("Worker") + """  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions: {WorkerArn: !GetAtt Worker.Arn}
      Definition:
        StartAt: Work
        States:
          Work: {Type: Task, Resource: "${WorkerArn}", End: true}
""")
    assert _edge(arch, "Flow", "Worker")["props"]["action"] == "lambda:invoke"
    joined = load_any("t.yaml", """Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Handler: a.h, Runtime: python3.12, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::1:role/r
      DefinitionSubstitutions: {w: !GetAtt Worker.Arn}
      DefinitionString: !Join ["\\n", ['{"StartAt": "W", "States": {"W":',
                                       '{"Type": "Task", "Resource": "${w}", "End": true}}}']]
""")
    assert joined.graph.has_edge("Flow", "Worker")
