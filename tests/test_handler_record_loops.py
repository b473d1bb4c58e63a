"""A loop over the event's records is told apart from a loop over something the handler
computed (python.read_from_event, javascript._JsOrigins.read_from_event).

`per-record-call` (a change made for each record: what a whole-batch retry repeats, the
evidence of REL-BATCH-PARTIAL-FAILURES) is recorded for a loop over a part of the event
itself: `event["Records"]`, `event.get("Records", [])`, a name bound to it, a helper's
parameter every call passes it. A loop over the items a query keyed by the event found
(`for item in table.query(...)["Items"]`, `for row in resp["Items"]`), or the lines of an
object read from S3, is no loop over the records: no such fact, no finding. The read made
for each item stays wider on purpose (it only ever makes a verdict `logic`). Each handler
is written for the test; the batch is an SQS queue of a SAM template."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source
from advisor.pipeline import node_traffic

PY = ('import json, os\nimport boto3\nfrom boto3.dynamodb.conditions import Attr, Key\n'
      'table = boto3.resource("dynamodb").Table(os.environ["TABLE"])\n\n\n')
JS = ('const { DynamoDBClient, QueryCommand, DeleteItemCommand, PutItemCommand } =\n'
      '  require("@aws-sdk/client-dynamodb");\nconst ddb = new DynamoDBClient({});\n'
      'const T = process.env.TABLE;\n\n')

def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing `marker`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


# what each loop iterates -> whether it is the event's records
PY_LOOPS = {
    'event["Records"]': True,
    'event.get("Records", [])': True,
    'event.get("Records") or []': True,
    'enumerate(event["Records"])': True,
    'range(len(event["Records"]))': True,
    'table.query(KeyConditionExpression=Key("pk").eq(event["Records"][0]["body"]))["Items"]':
        False,
    'stale["Items"]': False,
    'sorted(stale["Items"], key=lambda i: i["sk"])': False,
}


def _py_loop(over: str) -> str:
    return PY + ('def handler(event, context):\n'
                 '    ids = [json.loads(r["body"])["id"] for r in event["Records"]]\n'
                 '    stale = table.scan(FilterExpression=Attr("id").is_in(ids))\n'
                 f'    for item in {over}:\n'
                 '        table.delete_item(Key={"pk": "x", "sk": str(item)})\n')


@pytest.mark.parametrize(("over", "records"), list(PY_LOOPS.items()))
def test_python_a_change_per_record_only_in_a_loop_over_the_records(over: str,
                                                                    records: bool) -> None:
    report = inspect_source(_py_loop(over), "python")
    found = report.observations("per-record-call")
    assert bool(found) == records, [e.text() for e in report.observed]
    if records:
        assert found[0].detail == "dynamodb.delete_item for each record"
        assert found[0].line == line_of(_py_loop(over), "table.delete_item")


def test_python_the_records_passed_to_a_helper_or_named_first() -> None:
    helper = PY + ('def save(records):\n    for r in records:\n'
                   '        table.put_item(Item=json.loads(r["body"]))\n\n\n'
                   'def handler(event, context):\n    save(event["Records"])\n')
    named = PY + ('def handler(event, context):\n    records = event["Records"]\n'
                  '    for i, r in enumerate(records):\n'
                  '        table.put_item(Item=json.loads(r["body"]))\n')
    computed = PY + ('def save(rows):\n    for r in rows:\n        table.put_item(Item=r)\n\n\n'
                     'def handler(event, context):\n'
                     '    save(table.query(KeyConditionExpression=Key("pk").eq(event["id"]))'
                     '["Items"])\n')
    assert inspect_source(helper, "python").observations("per-record-call")
    assert inspect_source(named, "python").observations("per-record-call")
    assert not inspect_source(computed, "python").observations("per-record-call")


def test_python_lines_of_an_object_read_for_the_event_are_not_its_records() -> None:
    """A task that reads the S3 object its event names and writes one item per line:
    the lines are the object's, not records of the event (the batch is one event)."""
    code = PY + ('s3 = boto3.client("s3")\n\n\ndef handler(event, context):\n'
                 '    body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"]\n'
                 '    for line in body.read().decode().split("\\n"):\n'
                 '        table.put_item(Item={"line": line})\n')
    assert not inspect_source(code, "python").observations("per-record-call")


def test_python_a_read_per_item_of_a_query_keyed_by_the_event_stays_logic() -> None:
    """Reads per item of what the event keyed are still one call per item, combined: the
    verdict stays `logic` (the narrower record loop must not make it glue)."""
    code = PY + ('def handler(event, context):\n    out = []\n'
                 '    for item in table.query(KeyConditionExpression=Key("pk").eq(event["id"]))'
                 '["Items"]:\n'
                 '        out += table.query(KeyConditionExpression=Key("pk").eq(item["child"]))'
                 '["Items"]\n'
                 '    return {"statusCode": 200, "body": json.dumps(out)}\n')
    report = inspect_source(code, "python")
    assert report.verdict == "logic"
    at = line_of(code, 'eq(item["child"])')
    assert any("once per item" in r and f"line {at}" in r for r in report.reasons)
    assert not report.observations("per-record-call")


JS_LOOPS = {
    "for (const r of event.Records) {": True,
    "for (const r of (event.Records || [])) {": True,
    "for (let i = 0; i < event.Records.length; i++) {": True,
    "for (const r of stale.Items) {": False,
    "for (const r of (await ddb.send(new QueryCommand(byIds))).Items) {": False,
}


def _js_loop(header: str) -> str:
    return JS + ('exports.handler = async (event) => {\n'
                 '  const ids = event.Records.map((r) => JSON.parse(r.body).id);\n'
                 '  const byIds = { TableName: T, KeyConditionExpression: "pk = :p",\n'
                 '    ExpressionAttributeValues: { ":p": { S: ids[0] } } };\n'
                 '  const stale = await ddb.send(new QueryCommand(byIds));\n'
                 f'  {header}\n'
                 '    await ddb.send(new DeleteItemCommand({ TableName: T, Key: { pk: { S: "x" } } }));\n'
                 '  }\n};\n')


@pytest.mark.parametrize(("header", "records"), list(JS_LOOPS.items()))
def test_javascript_a_change_per_record_only_in_a_loop_over_the_records(header: str,
                                                                        records: bool) -> None:
    report = inspect_source(_js_loop(header), "javascript")
    found = report.observations("per-record-call")
    assert bool(found) == records, [e.text() for e in report.observed]
    if records:
        assert found[0].detail == "dynamodb.DeleteItem for each record"
        assert found[0].line == line_of(_js_loop(header), "DeleteItemCommand(")


def test_javascript_a_get_records_result_is_not_the_events_records() -> None:
    """`resp.Records` of a Kinesis GetRecords call names `Records` too: it is the
    stream's, read by the handler, not the batch Lambda handed it."""
    code = ('const { KinesisClient, GetRecordsCommand } = require("@aws-sdk/client-kinesis");\n'
            'const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");\n'
            'const kinesis = new KinesisClient({});\nconst sqs = new SQSClient({});\n'
            'exports.handler = async (event) => {\n'
            '  const resp = await kinesis.send(new GetRecordsCommand({ ShardIterator: event.it }));\n'
            '  for (const r of resp.Records) {\n'
            '    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.Q,'
            ' MessageBody: String(r.Data) }));\n  }\n};\n')
    assert not inspect_source(code, "javascript").observations("per-record-call")
    assert inspect_source(code.replace("resp.Records", "event.Records"),
                          "javascript").observations("per-record-call")


def test_javascript_records_handed_to_a_helper_or_destructured() -> None:
    save = ('async function save(records) {\n  for (const r of records) {\n'
            '    await ddb.send(new PutItemCommand({ TableName: T, Item: { id: { S: r.messageId } } }));\n'
            '  }\n}\n')
    helper = JS + save + 'exports.handler = async (event) => {\n  await save(event.Records);\n};\n'
    computed = JS + save + ('exports.handler = async (event) => {\n'
                            '  const found = await ddb.send(new QueryCommand({ TableName: T }));\n'
                            '  await save(found.Items);\n};\n')
    destructured = JS + ('exports.handler = async ({ Records }) => {\n'
                         '  await Promise.all(Records.map((r) => ddb.send(new PutItemCommand(\n'
                         '    { TableName: T, Item: { id: { S: r.messageId } } }))));\n};\n')
    each = JS + ('const put = async (r) => {\n'
                 '  await ddb.send(new PutItemCommand({ TableName: T, Item: { id: { S: r.messageId } } }));\n'
                 '};\nexports.handler = async (event) => {\n'
                 '  await Promise.all(event.Records.map(put));\n};\n')
    (found,) = inspect_source(each, "javascript").observations("per-record-call")
    assert found.detail == "dynamodb.PutItem for each record (through put)"
    assert inspect_source(helper, "javascript").observations("per-record-call")
    assert not inspect_source(computed, "javascript").observations("per-record-call")
    assert inspect_source(destructured, "javascript").observations("per-record-call")


# ---------------------------------------------------------------- the finding it feeds
SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: RUNTIME
      Timeout: 10
      Environment: {Variables: {TABLE: !Ref Table}}
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
      Events:
        Batch:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 10
"""


def _findings(tmp_path: Path, lang: str, code: str) -> list:  # type: ignore[type-arg]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ("app.py" if lang == "python" else "app.js")).write_text(code)
    runtime = "python3.12" if lang == "python" else "nodejs20.x"
    (tmp_path / "template.yaml").write_text(SAM.replace("RUNTIME", runtime))
    arch = load_any(str(tmp_path / "template.yaml"))
    out = Engine.default(select=("REL-BATCH-PARTIAL-FAILURES",),
                         traffic=node_traffic).run(arch, apply="none")
    return [f for f in out.findings if f.rule == "REL-BATCH-PARTIAL-FAILURES"]


@pytest.mark.parametrize(("lang", "code"), [
    ("python", _py_loop('stale["Items"]')),
    ("javascript", _js_loop("for (const r of stale.Items) {"))])
def test_deleting_what_a_query_found_is_no_per_record_retry(tmp_path: Path, lang: str,
                                                            code: str) -> None:
    """The deletes are made once per stale item found for the whole batch: reporting
    failures per record would not make a retry repeat less."""
    assert _findings(tmp_path, lang, code) == []


@pytest.mark.parametrize(("lang", "code"), [
    ("python", _py_loop('event["Records"]')),
    ("javascript", _js_loop("for (const r of event.Records) {"))])
def test_a_delete_per_record_is_repeated_by_a_whole_batch_retry(tmp_path: Path, lang: str,
                                                                code: str) -> None:
    (f,) = _findings(tmp_path, lang, code)
    assert f.subject == "Worker" and "for each record" in f.message
