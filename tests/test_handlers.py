"""Handler inspection: glue (one forwarding SDK call) versus real logic.

Each case is a small handler written for the test; the expectation follows from the
definition of glue in advisor/importers/handlers/, not from running the classifier.
"""

from __future__ import annotations

import pytest

from advisor.importers.handlers import (
    find_handler,
    inspect_file,
    inspect_source,
)
from advisor.importers.handlers.javascript import strip_js_comments

PY_GLUE = '''
import json, os, boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody=json.dumps(event["body"]))
    return {"statusCode": 202}
'''

PY_TABLE_GLUE = '''
import boto3
table = boto3.resource("dynamodb").Table("Orders")

def handler(event, context):
    for record in event["Records"]:
        table.put_item(Item={"id": record["messageId"], "body": record["body"]})
'''

PY_TWO_CALLS = '''
import boto3
s3 = boto3.client("s3")
sns = boto3.client("sns")

def handler(event, context):
    obj = s3.get_object(Bucket="b", Key=event["key"])
    sns.publish(TopicArn="t", Message=obj["Body"].read().decode())
'''

PY_BRANCHY = '''
import boto3
events = boto3.client("events")

def handler(event, context):
    total = 0
    for item in event["items"]:
        if item["type"] == "a":
            total += item["price"] * 1.2
        elif item["type"] == "b":
            total += item["price"]
        elif item["qty"] > 10:
            total -= 5
        while total > 1000:
            total -= 100
    events.put_events(Entries=[{"Detail": str(total)}])
'''

PY_HTTP = '''
import boto3, requests
ddb = boto3.client("dynamodb")

def handler(event, context):
    data = requests.get("https://example.com/rates").json()
    ddb.put_item(TableName="t", Item={"rate": {"N": str(data["rate"])}})
'''

PY_NO_CALL = '''
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
'''

PY_PRESIGN = '''
import boto3
s3 = boto3.client("s3")
ses = boto3.client("ses")

def handler(event, context):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    ses.send_email(Source="a", Destination={}, Message={"Body": url})
'''

PY_SECRET = '''
import boto3
sm = boto3.client("secretsmanager")
sqs = boto3.client("sqs")

def handler(event, context):
    key = sm.get_secret_value(SecretId="k")["SecretString"]
    sqs.send_message(QueueUrl="q", MessageBody=key + event["body"])
'''

JS_V3_GLUE = '''
// forwards the stream records to the bus: new SQSClient() in a comment must not count
const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');
const client = new EventBridgeClient({});
exports.handler = async (event) => {
  const entries = event.Records.map((r) => ({ Source: 'app', Detail: JSON.stringify(r) }));
  await client.send(new PutEventsCommand({ Entries: entries }));
};
'''

JS_V2_GLUE = '''
const AWS = require('aws-sdk');
const docClient = new AWS.DynamoDB.DocumentClient();
exports.handler = async (event) => {
  await docClient.put({ TableName: process.env.T, Item: { id: event.id } }).promise();
};
'''

TS_TWO_COMMANDS = '''
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";
const sqs = new SQSClient({});
const sns = new SNSClient({});
export const handler = async (event: any): Promise<void> => {
  await sqs.send(new SendMessageCommand({ QueueUrl: "q", MessageBody: event.body }));
  await sns.send(new PublishCommand({ TopicArn: "t", Message: event.body }));
};
'''

JS_FETCH = '''
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const sqs = new SQSClient({});
exports.handler = async (event) => {
  const res = await fetch("https://api.example.com/x");
  await sqs.send(new SendMessageCommand({ QueueUrl: "q", MessageBody: await res.text() }));
};
'''


@pytest.mark.parametrize(
    ("source", "language", "evidence", "target"),
    [
        (PY_GLUE, "python", "sqs.send_message", "sqs"),
        (PY_TABLE_GLUE, "python", "dynamodb.put_item", "dynamodb"),
        (JS_V3_GLUE, "javascript", "eventbridge.PutEvents", "eventbridge"),
        (JS_V2_GLUE, "javascript", "dynamodb.put", "dynamodb"),
    ],
)
def test_glue(source, language, evidence, target):
    report = inspect_source(source, language)
    assert report.verdict == "glue", report.reasons
    assert report.glue is True
    assert report.evidence == evidence and report.target == target


@pytest.mark.parametrize(
    ("source", "language", "reason"),
    [
        (PY_TWO_CALLS, "python", "several SDK calls"),
        (PY_BRANCHY, "python", "branches"),
        (PY_HTTP, "python", "HTTP"),
        (PY_NO_CALL, "python", "no AWS SDK call"),
        (PY_PRESIGN, "python", "computes"),
        (PY_SECRET, "python", "configuration"),
        (TS_TWO_COMMANDS, "javascript", "several SDK calls"),
        (JS_FETCH, "javascript", "HTTP"),
    ],
)
def test_real_logic(source, language, reason):
    report = inspect_source(source, language)
    assert report.verdict == "logic" and report.glue is False
    assert any(reason in r for r in report.reasons), report.reasons


def test_unparseable_python_is_unknown_not_a_guess():
    report = inspect_source("def handler(:\n", "python")
    assert report.verdict == "unknown" and report.glue is None


def test_read_only_call_is_flagged_as_read():
    report = inspect_source(
        "import boto3\ns3 = boto3.client('s3')\n"
        "def h(e, c):\n    return s3.get_object(Bucket='b', Key=e['k'])\n",
        "python",
    )
    assert report.verdict == "glue" and report.read_only is True


def test_js_comment_stripping_keeps_strings_and_lines():
    code = "const a = 'http://x'; // c\n/* b\n */ const b = \"/* not */\";\n"
    out = strip_js_comments(code)
    assert "http://x" in out and "/* not */" in out and "// c" not in out
    assert out.count("\n") == code.count("\n")


def test_find_handler_and_local_imports(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("from helpers import send\n"
                                "def handler(e, c):\n    send(e)\n")
    (src / "helpers.py").write_text("import boto3\nsns = boto3.client('sns')\n"
                                    "def send(e):\n    sns.publish(TopicArn='t', Message=str(e))\n")
    found = find_handler(src, "app.handler", "python3.12")
    assert found == src / "app.py"
    report = inspect_file(found)
    assert report.verdict == "glue" and report.evidence == "sns.publish"
    assert find_handler(src, "missing.handler", "python3.12") is None


def test_the_same_call_in_both_branches_is_one_forwarding_call() -> None:
    from advisor.importers.handlers import inspect_source

    code = '''
import boto3, json, os
ddb = boto3.client("dynamodb")
def handler(event, context):
    if event.get("body"):
        ddb.put_item(TableName=os.environ["T"], Item=json.loads(event["body"]))
    else:
        ddb.put_item(TableName=os.environ["T"], Item={"id": {"S": "default"}})
    return {"statusCode": 200}
'''
    report = inspect_source(code, "python")
    assert report.verdict == "glue"
    assert report.evidence == "dynamodb.put_item"
    assert report.target == "dynamodb"
