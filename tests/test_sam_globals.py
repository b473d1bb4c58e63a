"""SAM Globals are merged exactly as the SAM translator merges them
(samtranslator/plugins/globals/globals.py; the Globals section of the SAM specification)."""

from __future__ import annotations

from advisor.importers import load_any
from advisor.importers.cloudformation.sam_globals import is_intrinsic, merge


def _arch(body: str):
    return load_any("t.yaml", "Transform: AWS::Serverless-2016-10-31\n" + body)


FN = """
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.h
      InlineCode: x
{extra}"""


def _fn(name: str, extra: str = "") -> str:
    return FN.format(name=name, extra=extra)


# ------------------------------------------------------------------ the merge rules
def test_primitive_local_replaces_global() -> None:
    assert merge({"Runtime": "nodejs"}, {"Runtime": "python"}, {}) == {"Runtime": "python"}


def test_maps_merge_key_by_key_recursively() -> None:
    got = merge({"Environment": {"Variables": {"TABLE": "foo", "DB": "generic"}}},
                {"Environment": {"Variables": {"DB": "mydb", "CONN": "bar"}}}, {})
    assert got == {"Environment": {"Variables": {"TABLE": "foo", "DB": "mydb", "CONN": "bar"}}}


def test_lists_concatenate_global_first_keeping_duplicates() -> None:
    got = merge({"Layers": ["L1", "L2"]}, {"Layers": ["L1", "L3"]}, {})
    assert got == {"Layers": ["L1", "L2", "L1", "L3"]}


def test_different_types_local_wins() -> None:
    got = merge({"CodeUri": "s3://bucket/key"}, {"CodeUri": {"Bucket": "b", "Key": "k"}}, {})
    assert got == {"CodeUri": {"Bucket": "b", "Key": "k"}}


def test_an_intrinsic_is_a_primitive_and_replaces_whole() -> None:
    """A global `!Ref` and a local `!GetAtt` never merge into one mapping holding both."""
    glob = {"DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Ref": "GlobalDlq"}}}
    local = {"DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["Mine", "Arn"]}}}
    assert merge(glob, local, {}) == local
    assert merge({"Timeout": {"Ref": "T"}}, {"Timeout": {"Fn::If": ["C", 3, 5]}}, {}) == \
        {"Timeout": {"Fn::If": ["C", 3, 5]}}
    assert merge({"Environment": {"Ref": "E"}}, {"Environment": {"Variables": {"A": 1}}}, {}) \
        == {"Environment": {"Variables": {"A": 1}}}


def test_intrinsic_test_is_sams() -> None:
    assert is_intrinsic({"Ref": "X"}) and is_intrinsic({"Fn::Sub": "x"})
    assert is_intrinsic({"Condition": "C"})
    assert not is_intrinsic({"Ref": "X", "Other": 1}) and not is_intrinsic({"Variables": {}})


def test_per_property_strategies() -> None:
    # Function.Architectures replaces (SAM's CUSTOM_STRATEGIES), other lists concatenate
    assert merge({"Architectures": ["x86_64"]}, {"Architectures": ["arm64"]},
                 {"Architectures": "replace"}) == {"Architectures": ["arm64"]}
    # prune_and_merge: only the local keys survive
    got = merge({"Tags": {"a": 1, "b": 2}}, {"Tags": {"b": 3, "c": 4}},
                {"Tags": "prune_and_merge"})
    assert got == {"Tags": {"b": 3, "c": 4}}


# ------------------------------------------------------------------ through the importer
def test_function_globals_and_a_local_intrinsic_dlq() -> None:
    arch = _arch("""Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
    MemorySize: 512
    DeadLetterQueue:
      Type: SQS
      TargetArn: !Ref SharedDlq
Resources:
  SharedDlq:
    Type: AWS::SQS::Queue
  OwnDlq:
    Type: AWS::SQS::Queue""" + _fn("Plain") + _fn("Own", """      MemorySize: 1024
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt OwnDlq.Arn
"""))
    plain, own = arch.props("Plain"), arch.props("Own")
    assert plain["runtime"] == own["runtime"] == "python3.12"
    assert plain["timeout"] == 30_000 and plain["memory"] == 512 * 1024 * 1024
    assert own["memory"] == 1024 * 1024 * 1024
    assert plain["dlq"] == "SharedDlq"
    assert own["dlq"] == "OwnDlq"  # the local GetAtt replaced the global Ref whole
    assert arch.graph.has_edge("Own", "OwnDlq") and not arch.graph.has_edge("Own", "SharedDlq")


def test_ignore_globals_star_and_list() -> None:
    arch = _arch("""Globals:
  Function:
    Runtime: python3.12
    MemorySize: 512
Resources:
  All:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.h, InlineCode: x}
  Nothing:
    Type: AWS::Serverless::Function
    IgnoreGlobals: '*'
    Properties: {Handler: a.h, InlineCode: x}
  Some:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [MemorySize]
    Properties: {Handler: a.h, InlineCode: x}
""")
    assert arch.props("All")["memory"] == 512 * 1024 * 1024
    assert "memory" not in arch.props("Nothing") and "runtime" not in arch.props("Nothing")
    assert "memory" not in arch.props("Some") and arch.props("Some")["runtime"] == "python3.12"


def test_api_globals_apply_to_the_implicit_api() -> None:
    arch = _arch("""Globals:
  Api:
    CacheClusterEnabled: true
    TracingEnabled: true
    Auth:
      DefaultAuthorizer: Pool
      Authorizers:
        Pool:
          UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/x
Resources:""" + _fn("F", """      Events:
        Get:
          Type: Api
          Properties: {Path: /, Method: get}
"""))
    api = arch.props("ServerlessRestApi")
    assert api["caching"] is True and api["tracing"] is True and api["auth"] == "cognito"


def test_http_api_globals_and_other_sections() -> None:
    arch = _arch("""Globals:
  HttpApi:
    AccessLogSettings:
      DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:g
      Format: $context.requestId
  SimpleTable:
    SSESpecification:
      SSEEnabled: true
  StateMachine:
    PropagateTags: true
  LayerVersion:
    PublishLambdaVersion: true
  WebSocketApi:
    RouteSettings:
      $default:
        ThrottlingBurstLimit: 100
Resources:
  T:
    Type: AWS::Serverless::SimpleTable
  Ws:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      Routes:
        $connect:
          FunctionArn: !GetAtt F.Arn""" + _fn("F", """      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /, Method: get}
"""))
    assert arch.props("ServerlessHttpApi")["access_logging"] is True
    assert arch.props("T")["encryption"] == "sse-kms"
    assert arch.props("Ws")["throttling"] is True
    assert not [n for n in arch.notes if "Globals section" in n.message]


def test_unknown_globals_section_is_reported_not_merged() -> None:
    arch = _arch("""Globals:
  Funtion:
    Runtime: python3.12
Resources:""" + _fn("F"))
    assert "runtime" not in arch.props("F")
    assert any("Globals section 'Funtion'" in n.message for n in arch.notes)
