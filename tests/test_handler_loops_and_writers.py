"""Handler inspection: boto3 batch writers and reads made once per item of the event.

`with table.batch_writer() as batch:` returns the table's buffered writer: its
put_item/delete_item are writes to the table (BatchWriteItem), so a handler that queries
a table and then deletes what it found through the writer makes two calls, not one. A
handler that fetches an object for each item of its event and combines the results does
work no integration does (an integration makes one call per request). Each handler below
is written for the test.
"""

from __future__ import annotations

from pathlib import Path

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source

QUERY_THEN_DELETE = '''
import json, os, boto3
from boto3.dynamodb.conditions import Key
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def handler(event, context):
    owner = event["requestContext"]["authorizer"]["claims"]["sub"]
    found = table.query(KeyConditionExpression=Key("pk").eq(owner))
    with table.batch_writer() as batch:
        for item in found["Items"]:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    return {"statusCode": 200, "body": json.dumps(found["Items"])}
'''

WRITER_ONLY = '''
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def handler(event, context):
    with table.batch_writer() as writer:
        for record in event["Records"]:
            writer.put_item(Item=json.loads(record["body"]))
'''

READ_PER_ITEM = '''
import csv, io, os, boto3
s3 = boto3.client("s3")

def fetch(bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

def handler(event, context):
    best = {}
    for item in event["Items"]:
        for row in csv.DictReader(io.StringIO(fetch(os.environ["BUCKET"], item["Key"]))):
            best[row["month"]] = max(best.get(row["month"], 0), float(row["value"]))
    return best
'''

READ_ONCE = '''
import os, boto3
s3 = boto3.client("s3")

def handler(event, context):
    return s3.get_object(Bucket=os.environ["BUCKET"], Key=event["key"])["Body"].read().decode()
'''


def test_batch_writer_calls_are_writes_to_the_table() -> None:
    report = inspect_source(QUERY_THEN_DELETE, "python")
    assert {c.text() for c in report.calls} == {"dynamodb.query", "dynamodb.delete_item"}
    assert report.verdict == "logic"
    assert any("several SDK calls" in r for r in report.reasons)


def test_a_writer_alone_is_one_forwarding_call() -> None:
    report = inspect_source(WRITER_ONLY, "python")
    assert [c.text() for c in report.calls] == ["dynamodb.put_item"]
    assert report.verdict == "glue"


def test_a_read_for_each_item_combined_is_not_glue() -> None:
    report = inspect_source(READ_PER_ITEM, "python")
    assert [c.text() for c in report.calls] == ["s3.get_object"]
    assert report.verdict == "logic"
    assert any("once per item" in r for r in report.reasons)


def test_one_read_per_request_stays_glue() -> None:
    report = inspect_source(READ_ONCE, "python")
    assert report.verdict == "glue"


TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Carts:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
  Checkout:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {TABLE: !Ref Carts}}
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Carts}
      Events:
        Post:
          Type: Api
          Properties: {Path: /checkout, Method: post}
"""


def test_query_then_delete_behind_an_api_is_not_replaced_by_an_integration(
        tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(QUERY_THEN_DELETE)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    arch = load_any(str(tmp_path / "template.yaml"))
    assert arch.graph.nodes["Checkout"]["props"].get("glue") is False
    out = Engine.default().run(arch)
    assert not [f for f in out.findings if f.rule.startswith("GLUE-")]


TOKEN_ANSWER = '''
import json, boto3
sfn = boto3.client("stepfunctions")

def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        sfn.send_task_success(taskToken=body["token"], output=json.dumps({"done": True}))
'''


def test_answering_a_task_token_is_not_forwarding() -> None:
    report = inspect_source(TOKEN_ANSWER, "python")
    assert [c.text() for c in report.calls] == ["stepfunctions.send_task_success"]
    assert report.verdict == "logic"
    assert any("task token" in r for r in report.reasons)
