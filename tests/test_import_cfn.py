"""CloudFormation/SAM importer: small inline templates and the hand-written samples.

Expected values are read off the templates (what each resource states), not copied from
the importer's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.dsl import parse_text, to_text
from advisor.errors import AdvisorError
from advisor.importers import detect_format, load_any
from advisor.importers.cloudformation import import_template

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "templates"
MB = 1024 * 1024


def edge(arch, a, b):
    assert arch.graph.has_edge(a, b), f"missing edge {a} -> {b}; edges: {sorted(arch.graph.edges)}"
    return arch.graph.edges[a, b]


def load(text: str, tmp_path: Path | None = None, name: str = "template.yaml"):
    if tmp_path is None:
        return import_template("<t>", text)
    path = tmp_path / name
    path.write_text(text)
    return load_any(str(path))


def notes(arch) -> str:
    return "\n".join(n.message for n in arch.notes)


# ------------------------------------------------------------------ samples
def test_sam_api_glue_sample():
    arch = load_any(str(SAMPLES / "sam-api-glue.yaml"))
    assert arch.format == "cloudformation"
    assert arch.name.startswith("Clickstream ingestion")
    assert arch.kind("IngestApi") == "apigw" and arch.props("IngestApi")["type"] == "rest"
    assert edge(arch, "clients", "IngestApi") is not None
    assert edge(arch, "IngestApi", "ForwardFunction")["props"]["integration"] == "proxy"
    assert edge(arch, "ForwardFunction", "DeliveryStream")["mode"] == "sync"
    assert edge(arch, "DeliveryStream", "Lake")["mode"] == "async"
    fn = arch.props("ForwardFunction")
    # MemorySize from the function, Timeout/Tracing/Runtime from Globals
    assert fn["memory"] == 1024 * MB and fn["timeout"] == 10_000
    assert fn["tracing"] is True and fn["runtime"] == "python3.12"
    # the handler makes one firehose.put_record call and the API triggers it
    assert fn["glue"] is True and fn["glue_target"] == "firehose"
    assert fn["glue_evidence"].startswith("firehose.put_record(")  # the call, its line
    assert fn["code"] == "sam-api-glue-src/forward.py"
    assert arch.props("Lake")["encryption"] == "sse-kms"
    assert "SEC-S3-KMS" in arch.graph.nodes["Lake"]["ignore"]
    assert arch.props("DeliveryStream")["buffer_interval"] == 60_000
    # the IAM role is wiring: no node, but counted in the notes
    assert "DeliveryRole" not in arch.graph and "AWS::IAM::Role x1" in notes(arch)
    loc = arch.graph.nodes["ForwardFunction"]["loc"]
    assert loc.line == 17 and loc.path.endswith("sam-api-glue.yaml")


def test_cfn_json_sample():
    arch = load_any(str(SAMPLES / "cfn-sns-lambda-sqs.json"))
    assert edge(arch, "OrdersTopic", "AuditQueue")["mode"] == "async"
    assert edge(arch, "OrdersTopic", "Notifier") is not None
    esm = edge(arch, "AuditQueue", "AuditWriter")
    assert esm["mode"] == "poll" and esm["props"]["batch"] == 10
    assert arch.props("AuditQueue")["dlq"] == "AuditDLQ"
    assert arch.props("AuditQueue")["max_receives"] == 5
    assert arch.props("AuditQueue")["visibility"] == 180_000
    assert arch.props("AuditDLQ")["is_dlq"] is True
    failure = edge(arch, "Notifier", "AuditDLQ")
    assert failure["mode"] == "async" and failure["label"] == "on failure"
    assert arch.props("Notifier")["on_failure"] == "AuditDLQ"
    # Notifier branches on the message: real logic; AuditWriter only writes each record
    assert arch.props("Notifier")["glue"] is False
    assert arch.props("AuditWriter")["glue"] is True
    assert arch.props("AuditWriter")["iam_wildcard"] is True  # dynamodb:* on *
    assert arch.props("OrdersTopic")["encryption"] == "sse-kms"
    assert "W3011" in arch.graph.nodes["Notifier"]["ignore"]
    # JSON keeps resource lines too
    assert arch.graph.nodes["AuditQueue"]["loc"].line == 9


def test_state_machine_sample_definition_uri_and_polling():
    arch = load_any(str(SAMPLES / "sam-sfn-polling.yaml"))
    wf = arch.props("Workflow")
    assert wf["states"] == 5 and wf["polling"] is True
    lam = edge(arch, "Workflow", "SubmitFunction")["props"]
    assert lam["integration"] == "optimized" and lam["action"] == "lambda:invoke"
    assert edge(arch, "Workflow", "JobsTable")["props"]["action"] == "dynamodb:getItem"
    assert edge(arch, "Workflow", "ResultsQueue")["props"]["wait"] == "callback"
    assert arch.kind("WorkflowNightly") == "eventbridge"
    assert edge(arch, "WorkflowNightly", "Workflow")["mode"] == "async"


@pytest.mark.parametrize("name", ["sam-api-glue.yaml", "cfn-sns-lambda-sqs.json",
                                  "sam-sfn-polling.yaml"])
def test_samples_round_trip_through_dsl(name):
    arch = load_any(str(SAMPLES / name))
    again = parse_text(to_text(arch), "x.arch")
    assert again.signature() == arch.signature()


# ------------------------------------------------------------------ intrinsics
def test_short_and_long_form_refs_resolve():
    arch = load("""
Resources:
  Q:
    Type: AWS::SQS::Queue
  T:
    Type: AWS::SNS::Topic
  F:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          A: !Sub "${Q.QueueName}"
          B: {"Fn::Join": ["", ["arn:", {"Ref": "T"}]]}
          C: !If [IsProd, !GetAtt Tbl.Arn, !Ref AWS::NoValue]
          D: !Sub ["${X}", {X: !Ref Q}]
          E: !Sub "${AWS::Region}-literal"
  Tbl:
    Type: AWS::DynamoDB::Table
""")
    for target in ("Q", "T", "Tbl"):
        assert edge(arch, "F", target)["mode"] == "sync"


def test_unresolved_reference_is_reported_with_line_not_guessed():
    arch = load("""Resources:
  F:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          A: !Ref Missing
""")
    info = [n for n in arch.notes if "Missing" in n.message]
    # CloudFormation rejects an unresolved dependency: the stack would not deploy
    assert info and info[0].severity == "warning" and info[0].line == 7
    assert "would not deploy" in info[0].message
    assert list(arch.graph.edges) == []


def test_unknown_type_is_kept_as_resource_with_info():
    arch = load("""Resources:
  Thing:
    Type: AWS::Foo::Bar
  Custom:
    Type: Custom::Seeder
""")
    assert arch.kind("Thing") == "resource" and arch.props("Thing")["type"] == "AWS::Foo::Bar"
    assert arch.kind("Custom") == "resource"
    assert "AWS::Foo::Bar" in notes(arch) and "Custom::Seeder" in notes(arch)


def test_only_stated_props_are_set():
    arch = load("""Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
""")
    props = arch.props("F")
    assert "memory" not in props and "timeout" not in props
    assert props["runtime"] == "python3.12"


# ------------------------------------------------------------------ SAM events
SAM_EVENTS = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}
  Failures:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: {StreamViewType: NEW_IMAGE}
      BillingMode: PAY_PER_REQUEST
  Bucket:
    Type: AWS::S3::Bucket
  Topic:
    Type: AWS::SNS::Topic
  Bus:
    Type: AWS::Events::EventBus
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        FromQueue:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 5}
        FromStream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: LATEST
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 2
            DestinationConfig: {OnFailure: {Destination: !GetAtt Failures.Arn}}
        FromTable:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}
        FromBucket:
          Type: S3
          Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}
        FromTopic:
          Type: SNS
          Properties: {Topic: !Ref Topic, FilterPolicy: {kind: [a]}}
        FromRule:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern: {source: [orders]}
            RetryPolicy: {MaximumRetryAttempts: 3}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
        Later:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 hour)}
        Web:
          Type: HttpApi
        Rest:
          Type: Api
          Properties: {Path: /x, Method: get}
"""


def test_sam_events_of_every_common_type():
    arch = load(SAM_EVENTS)
    assert edge(arch, "Queue", "Fn")["mode"] == "poll"
    assert edge(arch, "Queue", "Fn")["props"]["batch"] == 5
    stream = edge(arch, "Stream", "Fn")
    assert stream["mode"] == "stream"
    assert stream["props"]["bisect"] is True and stream["props"]["retries"] == 2
    assert stream["props"]["on_failure"] == "Failures"
    assert edge(arch, "Fn", "Failures")["label"] == "on failure"
    assert edge(arch, "Table", "Fn")["mode"] == "stream"
    assert edge(arch, "Bucket", "Fn")["mode"] == "async"
    assert edge(arch, "Topic", "Fn")["label"] == "filtered"
    assert edge(arch, "Bus", "FnFromRule")["mode"] == "async"
    assert edge(arch, "FnFromRule", "Fn")["props"]["retries"] == 3
    assert arch.props("FnNightly")["schedule"] == "rate(1 day)"
    assert arch.kind("FnLater") == "scheduler"
    assert arch.props("ServerlessHttpApi")["type"] == "http"
    assert arch.props("ServerlessRestApi")["type"] == "rest"
    assert edge(arch, "clients", "ServerlessRestApi") is not None
    assert arch.props("Stream")["encryption"] == "sse-kms"
    assert arch.props("Table")["stream"] is True


def test_sam_globals_merge_and_policy_templates():
    arch = load("""
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    MemorySize: 512
    Environment: {Variables: {LOG_LEVEL: info}}
Resources:
  Out:
    Type: AWS::SQS::Queue
  Reads:
    Type: AWS::DynamoDB::Table
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      MemorySize: 256
      Policies:
        - SQSSendMessagePolicy: {QueueName: !GetAtt Out.QueueName}
        - DynamoDBReadPolicy: {TableName: !Ref Reads}
        - Statement:
            - Effect: Allow
              Action: "s3:*"
              Resource: "*"
""")
    assert arch.props("Fn")["memory"] == 256 * MB  # the function's own value wins
    assert edge(arch, "Fn", "Out")["mode"] == "sync"
    assert not arch.graph.has_edge("Fn", "Reads")  # read-only grants draw no edge
    assert arch.props("Fn")["iam_wildcard"] is True


# ------------------------------------------------------------------ wiring
def test_rules_targets_dlq_and_default_bus():
    arch = load("""
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        EventBridgeConfiguration: {EventBridgeEnabled: true}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [aws.s3]}
      Targets:
        - Arn: !Ref Machine
          Id: m
          DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
          RetryPolicy: {MaximumRetryAttempts: 4}
          InputTransformer: {InputTemplate: "{}"}
  Dlq:
    Type: AWS::SQS::Queue
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineType: EXPRESS
      DefinitionString: !Sub |
        {"StartAt": "P", "States": {"P": {"Type": "Task",
          "Resource": "arn:aws:states:::sns:publish",
          "Parameters": {"TopicArn": "${Topic}", "Message.$": "$"}, "End": true}}}
  Topic:
    Type: AWS::SNS::Topic
""")
    assert edge(arch, "Bucket", "DefaultEventBus") is not None
    assert edge(arch, "DefaultEventBus", "Rule") is not None
    target = edge(arch, "Rule", "Machine")["props"]
    assert target["dlq"] == "Dlq" and target["retries"] == 4 and target["transform"] is True
    assert arch.props("Dlq")["is_dlq"] is True
    assert arch.props("Machine")["type"] == "express"
    assert edge(arch, "Machine", "Topic")["props"]["action"] == "sns:publish"


def test_pipes_source_enrichment_target():
    arch = load("""
Resources:
  Src:
    Type: AWS::SQS::Queue
  Enrich:
    Type: AWS::Lambda::Function
  Bus:
    Type: AWS::Events::EventBus
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      Source: !GetAtt Src.Arn
      Enrichment: !GetAtt Enrich.Arn
      Target: !GetAtt Bus.Arn
      SourceParameters:
        SqsQueueParameters: {BatchSize: 7}
        FilterCriteria: {Filters: [{Pattern: "{}"}]}
""")
    assert edge(arch, "Src", "Pipe")["props"]["batch"] == 7
    assert edge(arch, "Src", "Pipe")["label"] == "filtered"
    assert edge(arch, "Pipe", "Enrich")["label"] == "enrichment"
    assert edge(arch, "Pipe", "Bus")["mode"] == "async"
    assert arch.props("Pipe")["enrichment"] == "Enrich"


def test_rest_api_service_integration_auth_validation_throttling():
    arch = load("""
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
  Queue:
    Type: AWS::SQS::Queue
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {RestApiId: !Ref Api, ValidateRequestBody: true}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Type: COGNITO_USER_POOLS
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      HttpMethod: POST
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Auth
      RequestValidatorId: !Ref Validator
      Integration:
        Type: AWS
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue.QueueName}"
        RequestTemplates: {application/json: "Action=SendMessage"}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      TracingEnabled: true
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", ThrottlingBurstLimit: 10}]
""")
    integ = edge(arch, "Api", "Queue")["props"]
    assert integ["integration"] == "service" and integ["transform"] is True
    api = arch.props("Api")
    assert api["auth"] == "cognito" and api["validation"] is True
    assert api["throttling"] is True and api["tracing"] is True
    assert not any(n in arch.graph for n in ("Post", "Stage", "Validator", "Auth"))


def test_http_api_openapi_subtype_integration(tmp_path):
    (tmp_path / "api.yaml").write_text("""
openapi: 3.0.1
paths:
  /events:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        integrationSubtype: EventBridge-PutEvents
        requestParameters:
          EventBusName: {Ref: Bus}
          Detail: $request.body
""")
    arch = load("""
Transform: AWS::Serverless-2016-10-31
Resources:
  Bus:
    Type: AWS::Events::EventBus
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: api.yaml}
""", tmp_path)
    props = edge(arch, "Http", "Bus")["props"]
    assert props == {"integration": "service", "action": "events:PutEvents", "methods": ["POST"]}


def test_function_url_log_retention_and_dead_letter_config():
    arch = load("""
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      DeadLetterConfig: {TargetArn: !GetAtt Dlq.Arn}
  Dlq:
    Type: AWS::SQS::Queue
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
      RetentionInDays: 14
""")
    fn = arch.props("Fn")
    assert fn["url"] is True and fn["url_auth"] == "none"
    assert fn["log_retention"] == 14 and fn["dlq"] == "Dlq"
    assert "Logs" not in arch.graph
    assert edge(arch, "clients", "Fn") is not None


def test_log_group_named_after_a_function_physical_name():
    """`/aws/lambda/<FunctionName>` written as a literal (or with the same parameter as the
    function's name) is that function's log group, as Lambda names it: its retention is
    the function's, and a group for another function is still a node of its own."""
    arch = load("""
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-handler
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return e"
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub pay-${Stage}
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return e"
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/orders-handler
      RetentionInDays: 1
  OtherLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/pay-${Stage}
      RetentionInDays: 30
  Elsewhere:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/not-declared-here
      RetentionInDays: 7
""")
    assert arch.props("Fn")["log_retention"] == 1
    assert arch.props("Other")["log_retention"] == 30
    assert "FnLogs" not in arch.graph and "OtherLogs" not in arch.graph
    assert arch.kind("Elsewhere") == "logs"


def test_suppression_metadata_from_three_tools():
    arch = load("""
Resources:
  Q:
    Type: AWS::SQS::Queue
    Metadata:
      archadvisor: {ignore: [REL-SQS-DLQ]}
      cfn-lint: {config: {ignore_checks: [ES6000]}}
      checkov: {skip: [{id: CKV_AWS_27, comment: test}]}
""")
    assert arch.graph.nodes["Q"]["ignore"] == {"REL-SQS-DLQ", "ES6000", "CKV_AWS_27"}


def test_encryption_defaults_only_when_stated():
    arch = load("""
Resources:
  Plain:
    Type: AWS::SQS::Queue
  NoSse:
    Type: AWS::SQS::Queue
    Properties: {SqsManagedSseEnabled: false}
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {SSESpecification: {SSEEnabled: true}}
  Bucket:
    Type: AWS::S3::Bucket
""")
    assert "encryption" not in arch.props("Plain")  # catalog default: SSE-SQS
    assert arch.props("NoSse")["encryption"] == "none"
    assert arch.props("Table")["encryption"] == "sse-kms"
    assert "encryption" not in arch.props("Bucket")  # S3 encrypts by default


def test_external_event_source_is_named_not_guessed():
    arch = load("""
Transform: AWS::Serverless-2016-10-31
Parameters:
  QueueArn: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      Events:
        Q: {Type: SQS, Properties: {Queue: !Ref QueueArn}}
""")
    assert arch.kind("QueueArn") == "sqs"
    assert edge(arch, "QueueArn", "Fn")["mode"] == "poll"
    assert "outside this template" in notes(arch)


def test_outside_names_written_with_placeholders_or_dynamic_references():
    """The note quotes the name as written; the node is named by what is left once the
    `${...}` placeholders and the `{{resolve:...}}` wrapper are taken away."""
    arch = load("""
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      Events:
        Q:
          Type: SQS
          Properties:
            Queue: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Env}-jobs"
        Placed:
          Type: EventBridgeRule
          Properties:
            EventBusName: "{{resolve:ssm:/shop/dev/bus-name}}"
            Pattern: {source: [shop]}
""")
    text = notes(arch)
    assert "(arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Env}-jobs)" in text
    assert "({{resolve:ssm:/shop/dev/bus-name}})" in text
    assert arch.kind("jobs") == "sqs" and edge(arch, "jobs", "Fn")["mode"] == "poll"
    assert "}}" not in " ".join(arch.graph.nodes) and not any(
        n.startswith("-") for n in arch.graph.nodes)


# ------------------------------------------------------------------ detection and errors
def test_detect_format():
    assert detect_format("AWSTemplateFormatVersion: '2010-09-09'\n") == "cloudformation"
    assert detect_format('{"Resources": {}}') == "cloudformation"
    assert detect_format('resource "aws_sqs_queue" "q" {}\n', "main.tf") == "terraform"
    assert detect_format('architecture "x"\nclient a\n') == "dsl"


def test_not_a_template_is_a_clear_error():
    with pytest.raises(AdvisorError, match="Resources"):
        import_template("<t>", "Resources: [1, 2]\n")


def test_json_syntax_error_has_line(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{\n  "Resources": {\n    "Q": {"Type": }\n  }\n}\n')
    with pytest.raises(AdvisorError) as exc:
        load_any(str(path))
    assert exc.value.diagnostics[0].line == 3


def test_names_are_valid_dsl_identifiers():
    arch = load(json.dumps({"Resources": {"1Queue": {"Type": "AWS::SQS::Queue"}}}))
    (name,) = arch.node_names()
    assert name != "1Queue" and arch.graph.nodes[name]["source_id"] == "1Queue"
    parse_text(to_text(arch), "x.arch")


def test_env_var_and_resource_named_by_the_same_parameter_are_linked(tmp_path) -> None:
    from advisor.importers import load_any

    template = tmp_path / "template.yaml"
    template.write_text("""AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  StreamName: {Type: String, Default: clicks}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {Name: !Ref StreamName, ShardCount: 1}
  Producer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      InlineCode: "def handler(e, c): pass"
      Environment: {Variables: {STREAM: !Ref StreamName}}
""")
    arch = load_any(str(template))
    assert arch.graph.has_edge("Producer", "Stream")


def test_missing_include_file_and_handler_code_are_noted(tmp_path):
    """A template copied or uploaded without the files beside it: each unread file is a
    note at its resource's line, naming what was not read."""
    text = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: openapi.yaml}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.12}
  Compiled:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: target/, Handler: com.example.App::handle, Runtime: java21}
  Remote:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://bucket/fn.zip, Handler: app.handler, Runtime: python3.12}
"""
    arch = load(text, tmp_path)
    by_line = {n.line: n.message for n in arch.notes}
    assert "AWS::Include file openapi.yaml of Api is not a readable file" in by_line[3]
    assert "code of Fn (handler app.handler in CodeUri src/) is not beside" in by_line[11]
    assert not any("Compiled" in m or "Remote" in m for m in by_line.values())
    # with the code beside the template there is nothing to note
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    assert not any("code of Fn" in n.message for n in load(text, tmp_path).notes)


def test_a_misspelt_resource_type_is_a_warning_with_a_did_you_mean():
    """CloudFormation refuses a type it does not have; a custom resource, a module
    (`::MODULE`) or a third-party registry type is not judged."""
    from advisor.importers import load_any

    arch = load_any("t.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queu\n"
                    "  F:\n    Type: AWS::Serverless::Functon\n"
                    "  C:\n    Type: Custom::Thing\n  M:\n    Type: Org::Net::Vpc::MODULE\n")
    warnings = {n.line: n for n in arch.notes if n.severity == "warning"}
    assert set(warnings) == {3, 5}
    assert warnings[3].suggestion == "did you mean AWS::SQS::Queue?"
    assert warnings[5].suggestion == "did you mean AWS::Serverless::Function?"
    assert arch.kind("Q") == "resource"  # still a node: nothing is lost
