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

JS_V3_PRESIGN = '''
// an upload URL: the command is signed, never sent; the client uploads to S3 itself
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
const client = new S3Client();
export const handler = async (event) => {
  const command = new PutObjectCommand({ Bucket: process.env.BUCKET, Key: event.key });
  const url = await getSignedUrl(client, command, { expiresIn: 3600 });
  return { statusCode: 200, body: JSON.stringify({ url }) };
};
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
    # the evidence starts with the forwarding call (its parameters, then its line)
    assert report.evidence.split("(")[0].split(" ")[0] == evidence
    assert " at line " in report.evidence.split(";")[0]
    assert report.target == target


@pytest.mark.parametrize(
    ("source", "language", "reason"),
    [
        (PY_TWO_CALLS, "python", "several SDK calls"),
        (PY_BRANCHY, "python", "branches"),
        (PY_HTTP, "python", "HTTP"),
        (PY_NO_CALL, "python", "no AWS SDK call"),
        (PY_PRESIGN, "python", "computes"),
        (JS_V3_PRESIGN, "javascript", "computes"),
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
    assert report.verdict == "glue" and report.evidence.startswith("sns.publish(")
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
    assert report.evidence.startswith("dynamodb.put_item(TableName, Item) at line 6")
    assert report.target == "dynamodb"


# ---------------------------------------------------------------------------------------
# Forwarding told apart from what only looks like it (issue 13, item 1). Each handler is
# written the way such functions are written in real projects (aws-samples style).

PY_ACK_OWN_QUEUE = '''
import json, os
import boto3

sqs = boto3.client("sqs")
QUEUE_URL = os.environ["QUEUE_URL"]


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        print("processing", order["id"])
        sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=record["receiptHandle"])
'''

JS_CHANGE_VISIBILITY = '''
import { SQSClient, ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
const sqs = new SQSClient({});
export const handler = async (event) => {
  for (const record of event.Records) {
    const body = JSON.parse(record.body);
    if (body.retryLater) {
      await sqs.send(new ChangeMessageVisibilityCommand({
        QueueUrl: process.env.QUEUE_URL,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 300,
      }));
    }
  }
};
'''

PY_TARGET_FROM_EVENT = '''
import json
import boto3

sfn = boto3.client("stepfunctions")


def lambda_handler(event, context):
    detail = event["detail"]
    sfn.start_execution(
        stateMachineArn=detail["stateMachineArn"],
        input=json.dumps(detail["payload"]),
    )
'''

TS_TASK_TOKEN_FROM_EVENT = '''
import { SFNClient, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { EventBridgeEvent } from "aws-lambda";

const client = new SFNClient({});

export const handler = async (event: EventBridgeEvent<"Approved", any>): Promise<void> => {
  const { taskToken, decision } = event.detail;
  await client.send(new SendTaskSuccessCommand({
    taskToken: event.detail.taskToken,
    output: JSON.stringify({ decision }),
  }));
};
'''

PY_TARGET_FROM_ENV = '''
import json, os
import boto3

sfn = boto3.client("stepfunctions")
STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]


def lambda_handler(event, context):
    sfn.start_execution(stateMachineArn=STATE_MACHINE_ARN, input=json.dumps(event["detail"]))
'''

PY_TENANT_CREDENTIALS = '''
import os
import boto3

sts = boto3.client("sts")


def handler(event, context):
    tenant = event["requestContext"]["authorizer"]["tenantId"]
    creds = sts.assume_role(
        RoleArn=os.environ["TENANT_ROLE_ARN"],
        RoleSessionName=tenant,
        Tags=[{"Key": "TenantId", "Value": tenant}],
    )["Credentials"]
    table = boto3.resource(
        "dynamodb",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).Table(os.environ["TABLE"])
    return table.get_item(Key={"pk": tenant, "sk": event["pathParameters"]["id"]})["Item"]
'''

JS_TENANT_CLIENT = '''
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
const { DynamoDBDocumentClient, PutCommand } = require("@aws-sdk/lib-dynamodb");
const { fromTemporaryCredentials } = require("@aws-sdk/credential-providers");

exports.handler = async (event) => {
  const tenantId = event.requestContext.authorizer.lambda.tenantId;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({
    credentials: fromTemporaryCredentials({
      params: { RoleArn: process.env.TENANT_ROLE, RoleSessionName: tenantId },
    }),
  }));
  await client.send(new PutCommand({ TableName: process.env.TABLE, Item: JSON.parse(event.body) }));
  return { statusCode: 201 };
};
'''

JS_STREAM_UNMARSHALL = '''
const { EventBridgeClient, PutEventsCommand } = require("@aws-sdk/client-eventbridge");
const { unmarshall } = require("@aws-sdk/util-dynamodb");
const eb = new EventBridgeClient({});

exports.handler = async (event) => {
  const entries = event.Records.map((record) => ({
    EventBusName: process.env.BUS_NAME,
    Source: "orders.table",
    DetailType: record.eventName,
    Detail: JSON.stringify(unmarshall(record.dynamodb.NewImage)),
  }));
  await eb.send(new PutEventsCommand({ Entries: entries }));
};
'''

PY_FIELD_MAPPING = '''
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    finding = event["detail"]
    table.put_item(Item={
        "id": finding["id"],
        "severity": finding["severity"],
        "account": event["account"],
    })
'''

JS_SSE = '''
import { BedrockRuntimeClient, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
const client = new BedrockRuntimeClient({});
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const prompt = JSON.parse(event.body).prompt;
  const response = await client.send(new InvokeModelWithResponseStreamCommand({
    modelId: process.env.MODEL_ID,
    body: JSON.stringify({ prompt }),
  }));
  responseStream.setContentType("text/event-stream");
  for await (const chunk of response.body) {
    responseStream.write(`data: ${new TextDecoder().decode(chunk.chunk.bytes)}\\n\\n`);
  }
  responseStream.end();
});
'''

PY_RESIZE = '''
import io, os
import boto3
from PIL import Image

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        image = Image.open(io.BytesIO(s3.get_object(Bucket=os.environ["SRC"], Key=key)["Body"].read()))
        image.thumbnail((256, 256))
'''

PY_WHOLE_BATCH = '''
import json, os
import boto3

firehose = boto3.client("firehose")


def handler(event, context):
    firehose.put_record(
        DeliveryStreamName=os.environ["STREAM"],
        Record={"Data": json.dumps(event)},
    )
'''


@pytest.mark.parametrize(
    ("source", "language", "reason", "line"),
    [
        (PY_ACK_OWN_QUEUE, "python", "acknowledges or re-drives its own input", 13),
        (JS_CHANGE_VISIBILITY, "javascript", "acknowledges or re-drives its own input", 8),
        (PY_TENANT_CREDENTIALS, "python", "per-request credentials", 10),
        (JS_TENANT_CLIENT, "javascript", "per-request credentials", 9),
        (JS_SSE, "javascript", "re-frames a response stream", 4),
        (PY_RESIZE, "python", "real work", 4),
    ],
)
def test_not_forwarding(source, language, reason, line) -> None:
    """Each is one SDK call with little control flow, yet not glue; the reason names the
    call or marker and its line."""
    report = inspect_source(source, language)
    assert report.verdict == "logic", report.reasons
    assert any(reason in r and f"line {line}" in r for r in report.reasons), report.reasons


@pytest.mark.parametrize(
    ("source", "language", "param", "line"),
    [(PY_TARGET_FROM_EVENT, "python", "stateMachineArn", 10),
     (TS_TASK_TOKEN_FROM_EVENT, "javascript", "taskToken", 9)],
)
def test_a_target_read_from_the_event_is_evidence(source, language, param, line) -> None:
    """The target comes from the event: kept as `dynamic-target` evidence, which the
    engine weighs per mechanism (a rule target is fixed; a Step Functions task is not)."""
    report = inspect_source(source, language)
    assert f"dynamic-target: {param} of " in report.evidence
    assert f"is read from the event at line {line}" in report.evidence


def test_a_target_from_the_environment_is_fixed() -> None:
    report = inspect_source(PY_TARGET_FROM_ENV, "python")
    assert report.verdict == "glue"
    assert "dynamic-target" not in report.evidence
    call = report.forwarding[0]
    assert (call.target_param, call.target_origin) == ("stateMachineArn", "env")


@pytest.mark.parametrize(
    ("source", "language", "kinds"),
    [
        (JS_STREAM_UNMARSHALL, "javascript", {"unmarshall"}),
        (PY_FIELD_MAPPING, "python", {"maps-fields", "document-client"}),
        (PY_WHOLE_BATCH, "python", {"whole-event"}),
        (PY_TABLE_GLUE, "python", {"maps-fields", "document-client"}),
    ],
)
def test_transformations_keep_glue_and_are_evidence(source, language, kinds) -> None:
    report = inspect_source(source, language)
    assert report.verdict == "glue", report.reasons
    found = {item.split(":")[0] for item in report.evidence.split("; ")[1:]}
    assert kinds <= found, report.evidence


def test_field_mapping_names_the_fields() -> None:
    report = inspect_source(PY_FIELD_MAPPING, "python")
    assert "maps-fields: builds account, id, severity from the event at line 10" in report.evidence


def test_a_secret_read_is_still_configuration_not_credentials() -> None:
    report = inspect_source(PY_SECRET, "python")
    assert report.verdict == "logic"
    assert not any("per-request credentials" in r for r in report.reasons)


PY_TARGET_THROUGH_A_HELPER = '''
import json, os
import boto3


def publish(endpoint, message):
    client = boto3.client("iot-data", endpoint_url=endpoint)
    return client.publish(topic=message["topic"], payload=message["payload"], qos=0)


def lambda_handler(event, context):
    body = json.loads(event["Records"][0]["body"])
    message = {"topic": body["topic"], "payload": json.dumps(body["message"])}
    return publish(os.environ["IOT_ENDPOINT"], message)
'''


def test_a_target_passed_to_a_helper_is_traced_to_the_event() -> None:
    """The helper's parameter takes the origin of what its caller passes."""
    report = inspect_source(PY_TARGET_THROUGH_A_HELPER, "python")
    assert report.verdict == "glue"
    assert "dynamic-target: topic of iot-data.publish is read from the event at line 8" in \
        report.evidence
