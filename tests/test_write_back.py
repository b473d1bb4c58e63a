"""A function that writes back into the queue, stream or table it polls.

The importers draw no call edge for the permissions an event source mapping needs (the
poll), yet a stream consumer that updates its own table, or a consumer that re-queues
into its own queue, makes calls of its own. Those were skipped with the poll, so the
handler's call was priced on a table the design does not have (`implicit_services`).
A write-back is an edge function -> source beside the poll edge, priced once on the real
resource (advisor/importers/write_back.py, `Architecture.writes_back`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.dsl import parse_text
from advisor.estimate import estimate
from advisor.estimate.semantics import implicit_services
from advisor.importers import load_any

TABLE = """
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""
UPDATE_OWN_TABLE = '''|
        import os
        import boto3
        table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
        def handler(event, context):
            for record in event["Records"]:
                table.update_item(Key={"pk": "total"}, UpdateExpression="ADD n :one",
                                  ExpressionAttributeValues={":one": 1})
'''


def sam_stream_consumer(policies: str, env: str = "", code: str = "") -> str:
    """A SAM function fed by the table's stream, with the given Policies/Environment."""
    code = code or '"def handler(event, context):\\n    return None\\n"'
    return f"""
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:{TABLE}
  Totals:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: {code}
{env}      Policies: {policies}
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 100
"""


def load(tmp_path: Path, text: str, name: str = "template.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_any(str(path))


@pytest.mark.parametrize("policies", [
    "[{DynamoDBCrudPolicy: {TableName: !Ref Table}}]",
    "[{DynamoDBWritePolicy: {TableName: !Ref Table}}]",
    "[{Statement: [{Effect: Allow, Action: [dynamodb:UpdateItem], "
    "Resource: [!GetAtt Table.Arn]}]}]",
    "[{Statement: [{Effect: Allow, Action: 'dynamodb:BatchWrite*', "
    "Resource: !GetAtt Table.Arn}]}]",
])
def test_a_write_grant_on_the_polled_table_is_a_write_back_edge(
        tmp_path: Path, policies: str) -> None:
    arch = load(tmp_path, sam_stream_consumer(policies))
    g = arch.graph
    assert g.has_edge("Table", "Totals") and g.edges["Table", "Totals"]["mode"] == "stream"
    assert g.has_edge("Totals", "Table")  # the function's own calls, beside the poll
    assert arch.writes_back("Totals", "Table") and not arch.writes_back("Table", "Totals")


@pytest.mark.parametrize("policies", [
    "[{DynamoDBStreamReadPolicy: {TableName: !Ref Table, StreamName: '*'}}]",
    "[{DynamoDBReadPolicy: {TableName: !Ref Table}}]",
    # the poll's permissions, and a whole-service wildcard that grants them too
    "[{Statement: [{Effect: Allow, Action: [dynamodb:GetRecords, dynamodb:GetShardIterator, "
    "dynamodb:DescribeStream, dynamodb:ListStreams], Resource: !GetAtt Table.StreamArn}]}]",
    "[{Statement: [{Effect: Allow, Action: 'dynamodb:*', "
    "Resource: [!GetAtt Table.Arn, !GetAtt Table.StreamArn]}]}]",
])
def test_the_polls_own_permissions_draw_no_edge(tmp_path: Path, policies: str) -> None:
    arch = load(tmp_path, sam_stream_consumer(policies))
    assert arch.graph.has_edge("Table", "Totals")
    assert not arch.graph.has_edge("Totals", "Table")


def test_an_environment_variable_and_the_handlers_call_make_a_write_back(
        tmp_path: Path) -> None:
    """The shape of a shopping-cart stream handler: the table in its environment, an
    `update_item` in its code, no grant the importer reads (a managed policy)."""
    text = sam_stream_consumer(
        "[AWSLambdaDynamoDBExecutionRole]",
        env="      Environment: {Variables: {TABLE: !Ref Table}}\n", code=UPDATE_OWN_TABLE)
    arch = load(tmp_path, text)
    assert arch.graph.has_edge("Totals", "Table")
    assert arch.props("Totals").get("glue_target") == "dynamodb"
    assert implicit_services(arch) == []  # priced on the real table, no phantom


SQS_CONSUMER = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs: {{Type: AWS::SQS::Queue}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import os
        import boto3
        sqs = boto3.client("sqs")
        def handler(event, context):
            for record in event["Records"]:
                sqs.{call}(QueueUrl=os.environ["QUEUE_URL"], {args})
      Environment: {{Variables: {{QUEUE_URL: !Ref Jobs}}}}
      Policies: [{{SQSPollerPolicy: {{QueueName: !GetAtt Jobs.QueueName}}}}]
      Events:
        Work: {{Type: SQS, Properties: {{Queue: !GetAtt Jobs.Arn, BatchSize: 10}}}}
"""


def test_a_queue_url_used_only_to_delete_its_own_messages_is_the_poll(tmp_path: Path) -> None:
    text = SQS_CONSUMER.format(call="delete_message", args='ReceiptHandle=record["receiptHandle"]')
    arch = load(tmp_path, text)
    assert arch.graph.has_edge("Jobs", "Worker")
    assert not arch.graph.has_edge("Worker", "Jobs")


def test_a_consumer_that_requeues_into_its_own_queue_writes_back(tmp_path: Path) -> None:
    text = SQS_CONSUMER.format(call="send_message", args='MessageBody=record["body"]')
    arch = load(tmp_path, text)
    assert arch.graph.has_edge("Jobs", "Worker") and arch.graph.has_edge("Worker", "Jobs")
    est = estimate(arch)
    wl = est.workload
    assert ("Worker", "Jobs") in wl.back_edges and wl.edges[("Worker", "Jobs")] > 0
    sends = [c for c in est.components if c["node"] == "Jobs" and c["name"] == "Send requests"]
    # the queue's own traffic plus what the worker sends back, counted once
    assert sends and sends[0]["quantity"] == pytest.approx(
        (wl.nodes["Jobs"].records + wl.edges[("Worker", "Jobs")]) / 1e6)


PLAIN_CFN = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Jobs: {{Type: AWS::SQS::Queue}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
      Policies:
        - PolicyName: work
          PolicyDocument:
            Statement: [{{Effect: Allow, Action: {actions}, Resource: !GetAtt Jobs.Arn}}]
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {{ZipFile: "def handler(e, c):\\n    return None\\n"}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
"""


@pytest.mark.parametrize(("actions", "writes_back"), [
    ("[sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]", False),
    ("'sqs:*'", False),
    ("[sqs:ReceiveMessage, sqs:DeleteMessage, sqs:SendMessage]", True),
    ("'sqs:SendMessage*'", True),
])
def test_a_role_grant_on_the_polled_queue(tmp_path: Path, actions: str, writes_back: bool) -> None:
    arch = load(tmp_path, PLAIN_CFN.format(actions=actions))
    assert arch.graph.has_edge("Jobs", "Worker")
    assert arch.graph.has_edge("Worker", "Jobs") is writes_back


TF_STREAM = """
resource "aws_dynamodb_table" "carts" {{
  name             = "carts"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "pk"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  attribute {{
    name = "pk"
    type = "S"
  }}
}}

resource "aws_iam_role" "totals" {{
  name               = "totals"
  assume_role_policy = "{{}}"
}}

resource "aws_iam_role_policy" "totals" {{
  role = aws_iam_role.totals.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {actions}, Resource = {resources} }}]
  }})
}}

data "archive_file" "totals" {{
  type        = "zip"
  source_dir  = "${{path.module}}/src"
  output_path = "${{path.module}}/totals.zip"
}}

resource "aws_lambda_function" "totals" {{
  function_name = "totals"
  role          = aws_iam_role.totals.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = data.archive_file.totals.output_path
{env}}}

resource "aws_lambda_event_source_mapping" "changes" {{
  event_source_arn  = aws_dynamodb_table.carts.stream_arn
  function_name     = aws_lambda_function.totals.arn
  starting_position = "LATEST"
}}
"""
TF_HANDLER = """import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    for record in event["Records"]:
        table.{call}(Key={{"pk": record["dynamodb"]["Keys"]["pk"]["S"]}})
"""


def tf_dir(tmp_path: Path, actions: str, resources: str, env: str = "",
           call: str = "get_item") -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(TF_HANDLER.format(call=call), encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        TF_STREAM.format(actions=actions, resources=resources, env=env), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("actions", "resources", "writes_back"), [
    ('["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", '
     '"dynamodb:ListStreams"]', "aws_dynamodb_table.carts.stream_arn", False),
    ('"dynamodb:*"', "[aws_dynamodb_table.carts.arn, aws_dynamodb_table.carts.stream_arn]", False),
    ('["dynamodb:GetRecords", "dynamodb:UpdateItem"]',
     "[aws_dynamodb_table.carts.arn, aws_dynamodb_table.carts.stream_arn]", True),
])
def test_terraform_role_grant_on_the_polled_table(
        tmp_path: Path, actions: str, resources: str, writes_back: bool) -> None:
    arch = load_any(str(tf_dir(tmp_path, actions, resources)))
    table, fn = "carts", "totals"
    assert arch.graph.has_edge(table, fn)
    assert arch.graph.has_edge(fn, table) is writes_back


@pytest.mark.parametrize(("call", "writes_back"), [("update_item", True), ("get_item", True)])
def test_terraform_environment_naming_the_polled_table(
        tmp_path: Path, call: str, writes_back: bool) -> None:
    """The table's name in the environment and a call on it in the handler: the
    function's own call (a read is a call too), beside the poll."""
    env = '  environment {\n    variables = { TABLE = aws_dynamodb_table.carts.name }\n  }\n'
    arch = load_any(str(tf_dir(tmp_path, '["dynamodb:GetRecords"]',
                               "aws_dynamodb_table.carts.stream_arn", env=env, call=call)))
    assert arch.graph.has_edge("totals", "carts") is writes_back
    assert implicit_services(arch) == []


# ------------------------------------------------------------------------ estimates
ONLY_WRITER = """architecture "totals"
workload { requests = 2M/month }
dynamodb carts
lambda totals { memory = 256MB, duration = 20ms }
carts -> totals [batch = 100]
totals -> carts
"""


def test_a_table_only_its_own_consumer_writes_still_takes_the_traffic() -> None:
    """The write-back is the table's only in-edge: the table is still where the traffic
    enters (before, with no in-edge, it was the entry point; an edge into it must not
    leave the design with no traffic at all)."""
    arch = parse_text(ONLY_WRITER, "<t>")
    assert arch.writes_back("totals", "carts") and arch.unfed("carts")
    wl = estimate(arch).workload
    assert wl.entries == {"carts": 2_000_000.0}
    assert wl.edges[("carts", "totals")] == 2_000_000.0
    # the write-back is priced once on the table: its writes, not fed around again
    assert wl.edges[("totals", "carts")] == 2_000_000.0
    assert wl.nodes["carts"].records == 2_000_000.0
    est = estimate(arch)
    writes = [c for c in est.components if c["node"] == "carts" and c["name"] == "Write request units"]
    assert writes[0]["quantity"] == pytest.approx(4.0)  # 2M from outside + 2M written back


FED_AND_API = """architecture "cart"
workload { requests = 1M/month }
client users
apigw api
lambda cart { memory = 256MB, duration = 20ms }
lambda audit { memory = 128MB, duration = 10ms }
dynamodb carts
users -> api -> cart
cart -> carts
carts -> cart [batch = 100]
carts -> audit [batch = 100]
"""


def test_a_function_fed_from_elsewhere_feeds_its_table_as_any_writer() -> None:
    """The function is also an API handler: what it writes feeds the table (and the
    table's other consumers), and the cycle closes at the poll, as any cycle would. The
    table is no entry point, and its writes are not counted twice."""
    arch = parse_text(FED_AND_API, "<t>")
    assert arch.writes_back("cart", "carts") and not arch.unfed("carts")
    est = estimate(arch)
    wl = est.workload
    assert wl.back_edges == {("carts", "cart")}
    assert "carts" not in wl.entries
    assert wl.nodes["carts"].records == wl.nodes["cart"].records == 1_000_000.0
    assert wl.edges[("carts", "audit")] == 1_000_000.0
    writes = [c for c in est.components if c["node"] == "carts" and c["name"] == "Write request units"]
    assert writes[0]["quantity"] == pytest.approx(1.0)


@pytest.mark.parametrize("design", [ONLY_WRITER, FED_AND_API])
def test_a_write_back_design_is_estimated_incrementally_and_exactly(
        tmp_path: Path, design: str) -> None:
    from test_estimate_incremental import compare

    path = tmp_path / "totals.arch"
    path.write_text(design, encoding="utf-8")
    compared, partial, bad = compare([path], free_tier=False)
    assert compared and not bad, "\n".join(bad)
    assert partial  # (attribute rewrites keep the cycle: estimated from the base)


def test_no_rewrite_takes_the_table_to_itself(tmp_path: Path) -> None:
    """A glue stream consumer whose one call goes back into its own table matches no
    glue chain (a chain never visits a node twice): no pipe or workflow from the table
    to itself, and no `unshown target` finding about a table that is there."""
    from advisor.pipeline import analyze_source

    text = sam_stream_consumer(
        "[{DynamoDBCrudPolicy: {TableName: !Ref Table}}]",
        env="      Environment: {Variables: {TABLE: !Ref Table}}\n", code=UPDATE_OWN_TABLE)
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    result = analyze_source(str(path))
    rules = {f.rule for f in result.findings}
    assert not {r for r in rules if r.startswith("GLUE-")}, rules
    assert "REL-STREAM-POISON" in rules  # the stream findings are still there


NO_CODE = "CodeUri: consumer/"  # a folder that is not there: the handler is not read


@pytest.mark.parametrize(("policies", "writes_back"), [
    # every permission is stated on the function and none reaches the table: the
    # environment variable (here, as often, shared by all functions) names a table the
    # function cannot call
    ("[{Statement: [{Effect: Allow, Action: events:PutEvents, Resource: '*'}]}]", False),
    ("[{EventBridgePutEventsPolicy: {EventBusName: default}}]", False),
    ("[]", False),
    # a write of the table's service (on any resource), or every action: it may write back
    ("[{Statement: [{Effect: Allow, Action: dynamodb:PutItem, Resource: '*'}]}]", True),
    ("[{Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}]", True),
    # a managed policy the importer does not read may grant it: the variable still counts
    ("[AWSLambdaDynamoDBExecutionRole, AmazonDynamoDBFullAccess]", True),
])
def test_an_unread_handler_whose_policies_cannot_reach_its_table_does_not_write_back(
        tmp_path: Path, policies: str, writes_back: bool) -> None:
    text = sam_stream_consumer(policies, env="      Environment: {Variables: {TABLE: !Ref Table}}\n")
    text = text.replace("InlineCode: \"def handler(event, context):\\n    return None\\n\"", NO_CODE)
    assert NO_CODE in text
    arch = load(tmp_path, text)
    assert arch.graph.has_edge("Table", "Totals")
    assert arch.graph.has_edge("Totals", "Table") is writes_back
