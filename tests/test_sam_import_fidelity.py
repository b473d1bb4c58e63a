"""Import fidelity cases found by comparing SAM templates with SAM's own expansion
(benchmarks/sam_equivalence.py --expand): each test pins the behaviour of one import path
on a small template of its own, in the language the user writes."""

from __future__ import annotations

from pathlib import Path

from advisor.importers import load_any


def _load(tmp_path: Path, text: str, name: str = "template.yaml"):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return load_any(str(path))


def _node(arch, source_id: str) -> str:
    return next(n for n in arch.node_names()
                if arch.graph.nodes[n].get("source_id", n) == source_id)


CONDITIONAL_NOTIFICATION = """
Conditions:
  Enabled: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - !If
            - Enabled
            - Function: !GetAtt OnUpload.Arn
              Event: s3:ObjectCreated:*
            - !Ref AWS::NoValue
  OnUpload:
    Type: AWS::Lambda::Function
    Condition: Enabled
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {S3Bucket: b, S3Key: k}
"""


def test_a_notification_entry_under_fn_if_is_an_edge(tmp_path: Path) -> None:
    """SAM writes the entry of a conditional function's S3 event as
    `Fn::If [cond, entry, AWS::NoValue]`; conditions are not evaluated, so the entry counts."""
    arch = _load(tmp_path, CONDITIONAL_NOTIFICATION)
    bucket, fn = _node(arch, "Uploads"), _node(arch, "OnUpload")
    assert arch.graph.has_edge(bucket, fn)
    assert arch.graph.edges[bucket, fn].get("label") == "s3:ObjectCreated:*"


HTTP_API_BODY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        ListOrders:
          Type: HttpApi
          Properties:
            ApiId: !Ref OrdersApi
            Path: /orders
            Method: get
        {extra}
  OrdersApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        info: {{title: orders, version: "1"}}
        paths:
          /orders:
            get:
              security:
                - Jwt: [orders.read]
              responses: {{}}
        components:
          securitySchemes:
            Jwt:
              type: oauth2
              x-amazon-apigateway-authorizer:
                type: jwt
                identitySource: $request.header.Authorization
                jwtConfiguration:
                  issuer: https://issuer.example.com
                  audience: [orders]
"""


def test_an_http_event_keeps_the_security_the_body_states(tmp_path: Path) -> None:
    """An HttpApi event without `Auth` on a route the body secures leaves its security."""
    arch = _load(tmp_path, HTTP_API_BODY.format(extra=""))
    props = arch.props(_node(arch, "OrdersApi"))
    assert props.get("auth") == "jwt"
    assert not props.get("open_routes")


def test_an_http_event_on_a_route_the_body_lacks_is_open(tmp_path: Path) -> None:
    """A route SAM adds for the event (not in the body), with no DefaultAuthorizer, is open."""
    extra = """Create:
          Type: HttpApi
          Properties:
            ApiId: !Ref OrdersApi
            Path: /orders
            Method: post"""
    arch = _load(tmp_path, HTTP_API_BODY.format(extra=extra))
    props = arch.props(_node(arch, "OrdersApi"))
    assert props.get("auth") == "none"
    assert props.get("open_routes") == ["POST /orders"]


REST_MERGED = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  ReportsApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MergeDefinitions: true
      Auth:
        Authorizers:
          PoolAuth:
            UserPoolArn: !GetAtt Pool.Arn
      DefinitionBody:
        swagger: "2.0"
        info: {title: reports, version: "1"}
        paths:
          /reports:
            get:
              security:
                - PoolAuth: []
              responses: {}
  Reports:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        List:
          Type: Api
          Properties:
            RestApiId: !Ref ReportsApi
            Path: /reports
            Method: get
"""


def test_a_body_operation_may_name_an_authorizer_of_the_sam_auth(tmp_path: Path) -> None:
    """SAM writes each `Auth.Authorizers` entry into the definition's security schemes, so
    an operation naming one is guarded by it; the event (no Auth) leaves that security."""
    arch = _load(tmp_path, REST_MERGED)
    props = arch.props(_node(arch, "ReportsApi"))
    assert props.get("auth") == "cognito"
    assert not props.get("open_routes")


CONSUMER_AND_REDRIVE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  ClicksReader:
    Type: AWS::Kinesis::StreamConsumer
    Properties: {ConsumerName: reader, StreamARN: !GetAtt Clicks.Arn}
  Alerts:
    Type: AWS::SNS::Topic
  Undelivered:
    Type: AWS::SQS::Queue
  Sink:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        Read:
          Type: Kinesis
          Properties:
            Stream: !GetAtt ClicksReader.ConsumerARN
            StartingPosition: LATEST
        Alert:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
            SqsSubscription: true
            RedrivePolicy:
              deadLetterTargetArn: !GetAtt Undelivered.Arn
"""


def test_a_stream_event_through_a_consumer_is_polled(tmp_path: Path) -> None:
    """SAM makes an event source mapping whatever the stream ARN names: Lambda polls."""
    arch = _load(tmp_path, CONSUMER_AND_REDRIVE)
    edge = arch.graph.edges[_node(arch, "ClicksReader"), _node(arch, "Sink")]
    assert edge.get("mode") == "poll"


def test_an_sqs_subscription_carries_the_events_redrive_policy(tmp_path: Path) -> None:
    arch = _load(tmp_path, CONSUMER_AND_REDRIVE)
    topic, queue = _node(arch, "Alerts"), _node(arch, "SinkAlertQueue")
    dlq = _node(arch, "Undelivered")
    assert arch.graph.edges[topic, queue]["props"].get("dlq") == dlq
    assert arch.props(dlq).get("is_dlq") is True


HTTP_AUTHORIZER_NAMED_AWS_IAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Notes:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        Read:
          Type: HttpApi
          Properties:
            ApiId: !Ref NotesApi
            Path: /notes
            Method: get
            Auth:
              Authorizer: AWS_IAM
  NotesApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        {auth}
"""

_JWT_NAMED_AWS_IAM = """Authorizers:
          AWS_IAM:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: https://issuer.example.com
              audience: [notes]"""


def test_an_http_authorizer_the_user_names_aws_iam_is_theirs(tmp_path: Path) -> None:
    """SAM's HttpApiGenerator puts the user's `Authorizers` over its own IAM one: a JWT
    authorizer named `AWS_IAM` is a JWT authorizer on the route (and as the default)."""
    arch = _load(tmp_path, HTTP_AUTHORIZER_NAMED_AWS_IAM.format(auth=_JWT_NAMED_AWS_IAM))
    assert arch.props(_node(arch, "NotesApi")).get("auth") == "jwt"
    as_default = _JWT_NAMED_AWS_IAM + "\n        DefaultAuthorizer: AWS_IAM"
    arch = _load(tmp_path, HTTP_AUTHORIZER_NAMED_AWS_IAM.format(auth=as_default)
                 .replace("            Auth:\n              Authorizer: AWS_IAM\n", ""))
    assert arch.props(_node(arch, "NotesApi")).get("auth") == "jwt"


def test_aws_iam_without_an_authorizer_of_that_name_is_iam(tmp_path: Path) -> None:
    arch = _load(tmp_path, HTTP_AUTHORIZER_NAMED_AWS_IAM.format(auth="EnableIamAuthorizer: true"))
    assert arch.props(_node(arch, "NotesApi")).get("auth") == "iam"


SAM_WIDE_POLICIES = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - AmazonSQSFullAccess
        - Statement:
            - Effect: Allow
              Action: s3:*
              Resource: "*"
"""

CFN_WIDE_ROLE = """
Resources:
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonSQSFullAccess
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:*
                Resource: "*"
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt WorkerRole.Arn
      Code: {S3Bucket: b, S3Key: k}
"""


def test_sam_policies_list_their_wide_grants_as_the_role_sam_makes(tmp_path: Path) -> None:
    """SAM puts inline statements in its role's `Policies` and managed policies in its
    `ManagedPolicyArns`; the wide grants of a SAM function read in the order of that
    role, as the same role written in CloudFormation does, whatever order `Policies`
    lists them in."""
    sam = _load(tmp_path, SAM_WIDE_POLICIES, "sam.yaml")
    cfn = _load(tmp_path, CFN_WIDE_ROLE, "cfn.yaml")
    grants = sam.props(_node(sam, "Worker")).get("wide_grants")
    assert grants == ["s3:*", "AmazonSQSFullAccess"]
    assert grants == cfn.props(_node(cfn, "Worker")).get("wide_grants")


API_POLICY_LISTS = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Auth:
      ResourcePolicy:
        IpRangeWhitelist: [10.0.0.0/8]
        {custom}
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref RoutedApi
            Path: /items
            Method: get
  RoutedApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
  EmptyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
"""


def test_sam_policy_lists_need_a_route_to_land_on(tmp_path: Path) -> None:
    """SAM writes `ResourcePolicy` lists once per path: the API without a route gets no
    resource policy, the routed one does; `CustomStatements` are written regardless."""
    arch = _load(tmp_path, API_POLICY_LISTS.format(custom=""))
    assert arch.props(_node(arch, "RoutedApi")).get("resource_policy") is True
    assert not arch.props(_node(arch, "EmptyApi")).get("resource_policy")
    custom = """CustomStatements:
          - Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
            Resource: execute-api:/*"""
    arch = _load(tmp_path, API_POLICY_LISTS.format(custom=custom))
    assert arch.props(_node(arch, "EmptyApi")).get("resource_policy") is True


UNKNOWN_EVENT_TYPES = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c):\\n    return {}\\n"
      Events:
        Poll: {Type: SQSS, Properties: {Queue: "arn:aws:sqs:us-east-1:111122223333:q"}}
        Home: {Type: AlexaSmartHome}
        Tick: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
"""


def test_an_event_type_sam_does_not_know_is_a_warning_naming_the_closest(tmp_path: Path) -> None:
    # SAM's translator rejects a template with such an event ("Event type is not
    # supported"): say so, with the closest type when one is close, at the event
    arch = _load(tmp_path, UNKNOWN_EVENT_TYPES)
    warned = {n.message.split("'")[1]: n for n in arch.notes
              if n.severity == "warning" and "is not a SAM event type" in n.message}
    assert set(warned) == {"SQSS", "AlexaSmartHome"}
    assert warned["SQSS"].suggestion == "did you mean SQS?"
    assert warned["SQSS"].line == 11
    assert "AlexaSkill" in (warned["AlexaSmartHome"].suggestion or "")  # the list of types
    # the known one is read as usual; the others stay as generic sources
    assert arch.graph.in_degree("Fn") == 3


HTTP_BODY_KEEPS_ITS_INTEGRATION = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: t, version: "1"}
        paths:
          /orders:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: "2.0"
                uri: !Sub "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/\
                  2015-03-31/functions/${Reader.Arn}/invocations"
  Reader:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, InlineCode: "def handler(e, c): return {}"}
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return {}"
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /orders, Method: get}}
        Post: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /orders, Method: post}}
"""


def test_an_http_route_the_body_integrates_keeps_its_integration(tmp_path: Path) -> None:
    # SAM's OpenApiEditor adds an event's integration only where the operation has none:
    # GET /orders stays with Reader, POST /orders (new) goes to Writer
    arch = _load(tmp_path, HTTP_BODY_KEEPS_ITS_INTEGRATION)
    assert arch.graph.edges["Api", "Reader"]["props"]["methods"] == ["GET"]
    assert arch.graph.edges["Api", "Writer"]["props"]["methods"] == ["POST"]


SAM_POLICY_TEMPLATES = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Auditor:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - SQSPollerPolicy:
            QueueName: !GetAtt Jobs.QueueName
        - CloudWatchDescribeAlarmHistoryPolicy: {}
        - AmazonSNSFullAccess
        - Statement:
            - Effect: Allow
              Action: sqs:*
              Resource: !GetAtt Jobs.Arn
"""

# the role SAM deploys for Auditor, written out by hand: one inline policy per entry of
# `Policies` (each template's statements as SAM defines them), managed names apart
CFN_POLICY_TEMPLATES_ROLE = """
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  AuditorRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonSNSFullAccess
      Policies:
        - PolicyName: AuditorRolePolicy0
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]
                Resource: !Sub
                  - arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}
                  - queueName: !GetAtt Jobs.QueueName
        - PolicyName: AuditorRolePolicy1
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [cloudwatch:DescribeAlarmHistory]
                Resource: "*"
        - PolicyName: AuditorRolePolicy3
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sqs:*
                Resource: !GetAtt Jobs.Arn
  Auditor:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt AuditorRole.Arn
      Code: {S3Bucket: bucket, S3Key: key.zip}
"""


def test_a_policy_templates_statements_count_as_the_role_sam_deploys(tmp_path: Path) -> None:
    """A SAM policy template deploys its own statements (CloudWatchDescribeAlarmHistory-
    Policy: `cloudwatch:DescribeAlarmHistory` on `*`): the function's wide grants are the
    same as the role SAM generates, in its order (inline policies in `Policies` order,
    then managed ones); a template scoped to the resource its parameter names
    (SQSPollerPolicy) grants nothing wide."""
    sam = _load(tmp_path, SAM_POLICY_TEMPLATES, "sam.yaml")
    cfn = _load(tmp_path, CFN_POLICY_TEMPLATES_ROLE, "cfn.yaml")
    grants = sam.props(_node(sam, "Auditor")).get("wide_grants")
    assert grants == ["cloudwatch:DescribeAlarmHistory on *", "sqs:*", "AmazonSNSFullAccess"]
    assert grants == cfn.props(_node(cfn, "Auditor")).get("wide_grants")


SAM_CONDITIONAL_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Conditions:
  Rotating: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Rotator:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Policies:
        - !If
          - Rotating
          - RekognitionDetectOnlyPolicy: {}
          - ComprehendBasicAccessPolicy: {}
"""

# SAM's expansion of that list, by hand: one `Fn::If` entry in the role's `Policies`
CFN_CONDITIONAL_ROLE = """
Conditions:
  Rotating: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  RotatorRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - !If
          - Rotating
          - PolicyName: RotatorRolePolicy0
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: [rekognition:DetectFaces, rekognition:DetectLabels,
                           rekognition:DetectModerationLabels, rekognition:DetectText]
                  Resource: "*"
          - PolicyName: RotatorRolePolicy0
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: [comprehend:BatchDetectKeyPhrases, comprehend:DetectDominantLanguage,
                           comprehend:DetectEntities, comprehend:BatchDetectEntities,
                           comprehend:DetectKeyPhrases, comprehend:DetectSentiment,
                           comprehend:BatchDetectDominantLanguage,
                           comprehend:BatchDetectSentiment]
                  Resource: "*"
  Rotator:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt RotatorRole.Arn
      Code: {S3Bucket: bucket, S3Key: key.zip}
"""


def test_both_branches_of_a_conditional_role_policy_grant(tmp_path: Path) -> None:
    """Conditions are not evaluated: a role policy under `Fn::If` (as SAM writes a
    conditional `Policies` entry) grants what either branch grants, in CloudFormation as
    in the SAM template it came from."""
    sam = _load(tmp_path, SAM_CONDITIONAL_TEMPLATE, "sam.yaml")
    cfn = _load(tmp_path, CFN_CONDITIONAL_ROLE, "cfn.yaml")
    # (the actions these grant on `*` that could have named a resource: a custom
    # moderation adapter, an entity recognizer endpoint)
    expected = ["rekognition:DetectModerationLabels on *", "comprehend:DetectEntities on *"]
    assert cfn.props(_node(cfn, "Rotator")).get("wide_grants") == expected
    assert sam.props(_node(sam, "Rotator")).get("wide_grants") == expected
