"""JavaScript/TypeScript handlers are judged as Python ones are (the two languages' rules,
side by side): a read made for each item of the event and combined is not glue
(`per-record-read`), nor is a handler that answers some requests itself (`if (...) return
{ statusCode: 4xx }`, `rejects`; in the `else` or a `catch` too). Each is shown on its
own handler, and where the verdict decides a rewrite, on a SAM API whose glue rule must
then stay silent; the compliant twin (one read per request, no answer of its own) stays
glue and gets the finding. Every handler and template is written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source

JS_S3 = ('const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3");\n'
         "const s3 = new S3Client({});\n\n")
JS_DDB = ('const { DynamoDBClient, GetItemCommand } = require("@aws-sdk/client-dynamodb");\n'
          "const ddb = new DynamoDBClient({});\n\n")
PY_DDB = 'import json, os\nimport boto3\n\nddb = boto3.client("dynamodb")\n\n\n'
JS_SQS = ('const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");\n'
          "const sqs = new SQSClient({});\n\n")
PY_SQS = 'import json, os\nimport boto3\n\nsqs = boto3.client("sqs")\n\n\n'


# ---------------------------------------------------------------- a read for each item
READS = {
    "for-of": JS_S3 + ("exports.handler = async (event) => {\n  const parts = [];\n"
                       "  for (const item of event.Items) {\n"
                       "    const obj = await s3.send(new GetObjectCommand({ Bucket: process.env.B,"
                       " Key: item.Key }));\n"
                       "    parts.push(await obj.Body.transformToString());\n  }\n"
                       '  return parts.join("\\n");\n};\n'),
    "map-through-a-helper": JS_S3 + (
        "async function load(key) {\n"
        "  const obj = await s3.send(new GetObjectCommand({ Bucket: process.env.B, Key: key }));\n"
        "  return obj.Body.transformToString();\n}\n\n"
        "export const handler = async (event) => {\n"
        "  const { keys } = JSON.parse(event.body);\n"
        "  return Promise.all(keys.map((k) => load(k)));\n};\n"),
}
READ_ONCE = JS_S3 + ("exports.handler = async (event) => {\n"
                     "  const obj = await s3.send(new GetObjectCommand({ Bucket: process.env.B,"
                     " Key: event.key }));\n"
                     "  return obj.Body.transformToString();\n};\n")


@pytest.mark.parametrize("name", list(READS))
def test_a_read_for_each_item_combined_is_not_glue(name: str) -> None:
    report = inspect_source(READS[name], "javascript")
    assert [c.text() for c in report.calls] == ["s3.GetObject"]
    assert report.verdict == "logic"
    assert any("once per item" in r for r in report.reasons), report.reasons
    assert report.observations("per-record-read")


def test_one_read_per_request_stays_glue() -> None:
    report = inspect_source(READ_ONCE, "javascript")
    assert report.verdict == "glue" and not report.observations("per-record-read")


GET_ITEMS = {
    "python": PY_DDB + ('def handler(event, context):\n    found = []\n'
                        '    for key in json.loads(event["body"])["ids"]:\n'
                        '        found.append(ddb.get_item(TableName=os.environ["TABLE"],'
                        ' Key={"id": {"S": key}})["Item"])\n'
                        '    return {"statusCode": 200, "body": json.dumps(found)}\n'),
    "javascript": JS_DDB + ("exports.handler = async (event) => {\n"
                            "  const { ids } = JSON.parse(event.body);\n"
                            "  const found = await Promise.all(ids.map((id) => ddb.send(\n"
                            "    new GetItemCommand({ TableName: process.env.TABLE,"
                            " Key: { id: { S: id } } }))));\n"
                            "  return { statusCode: 200, body: JSON.stringify(found.map("
                            "(r) => r.Item)) };\n};\n"),
}
GET_ONE = {
    "python": PY_DDB + ('def handler(event, context):\n'
                        '    item = ddb.get_item(TableName=os.environ["TABLE"],'
                        ' Key={"id": {"S": event["pathParameters"]["id"]}})["Item"]\n'
                        '    return {"statusCode": 200, "body": json.dumps(item)}\n'),
    "javascript": JS_DDB + ("exports.handler = async (event) => {\n"
                            "  const r = await ddb.send(new GetItemCommand({ TableName:"
                            " process.env.TABLE, Key: { id: { S: event.pathParameters.id } } }));\n"
                            "  return { statusCode: 200, body: JSON.stringify(r.Item) };\n};\n"),
}

TABLE_API = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Lookup:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: RUNTIME
      CodeUri: src/
      Timeout: 10
      Environment: {Variables: {TABLE: !Ref Items}}
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Items}
      Events:
        Get:
          Type: Api
          Properties: {Path: "METHOD_PATH", Method: HTTP_METHOD}
"""


def _glue_findings(tmp_path: Path, template: str, lang: str, code: str, prefix: str) -> list:  # type: ignore[type-arg]
    (tmp_path / "src").mkdir(parents=True)
    (tmp_path / "src" / ("app.py" if lang == "python" else "app.js")).write_text(code)
    path = tmp_path / "template.yaml"
    path.write_text(template.replace("RUNTIME", "python3.12" if lang == "python"
                                     else "nodejs20.x"))
    out = Engine.default().run(load_any(str(path)), apply="none")
    return [f for f in out.findings if f.rule.startswith(prefix)]


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_an_api_that_gets_one_item_per_id_it_was_sent_keeps_its_function(
        tmp_path: Path, lang: str) -> None:
    template = TABLE_API.replace("METHOD_PATH", "/items/batch").replace("HTTP_METHOD", "post")
    assert _glue_findings(tmp_path, template, lang, GET_ITEMS[lang], "GLUE-") == []


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_an_api_that_gets_the_one_item_it_names_is_glue(tmp_path: Path, lang: str) -> None:
    template = TABLE_API.replace("METHOD_PATH", "/items/{id}").replace("HTTP_METHOD", "get")
    (f,) = _glue_findings(tmp_path, template, lang, GET_ONE[lang], "GLUE-")
    assert f.rule == "GLUE-APIGW-DYNAMODB" and f.subject == "Lookup"


# ---------------------------------------------------------------- answers of its own
def _order(lang: str, check: str) -> str:
    """A handler that queues an order; `check` is what it does before (JS or Python)."""
    if lang == "python":
        return PY_SQS + ('def handler(event, context):\n'
                         '    order = json.loads(event["body"] or "{}")\n' + check +
                         '    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody=json.dumps(order))\n'
                         '    return {"statusCode": 202}\n')
    return JS_SQS + ("exports.handler = async (event) => {\n"
                     '  const order = JSON.parse(event.body || "{}");\n' + check +
                     "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.Q,"
                     " MessageBody: JSON.stringify(order) }));\n"
                     "  return { statusCode: 202 };\n};\n")


REJECTS = [
    pytest.param("javascript", '  if (!order.items) {\n'
                 '    return { statusCode: 400, body: "an order needs items" };\n  }\n',
                 "400", id="js-block"),
    pytest.param("javascript", '  if (!order.items) return { "statusCode": 422 };\n', "422",
                 id="js-one-statement"),
    pytest.param("javascript", "  if (order.items) {\n    order.count = order.items.length;\n"
                 "  } else {\n    return { statusCode: 400 };\n  }\n", "400", id="js-else"),
    pytest.param("python", '    if not order.get("items"):\n'
                 '        return {"statusCode": 400, "body": "an order needs items"}\n', "400",
                 id="python-if"),
    pytest.param("python", '    if order.get("items"):\n'
                 '        order["count"] = len(order["items"])\n    else:\n'
                 '        return {"statusCode": 400}\n', "400", id="python-else"),
    pytest.param("python", '    try:\n        order["count"] = int(order["count"])\n'
                 '    except (KeyError, ValueError):\n'
                 '        return {"statusCode": 400, "body": "count must be a number"}\n', "400",
                 id="python-except"),
    pytest.param("javascript", "  try {\n    order.count = BigInt(order.count);\n"
                 '  } catch (err) {\n    return { statusCode: 400, body: "count" };\n  }\n',
                 "400", id="js-catch"),
]


@pytest.mark.parametrize(("lang", "check", "status"), REJECTS)
def test_a_handler_that_answers_some_requests_itself_is_not_glue(lang: str, check: str,
                                                                 status: str) -> None:
    code = _order(lang, check)
    report = inspect_source(code, lang)
    assert report.verdict == "logic", report.reasons
    line = next(i for i, text in enumerate(code.splitlines(), 1) if status in text)
    assert any(f"status {status}" in r and f"line {line}" in r for r in report.reasons)


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_a_server_error_or_no_check_is_no_answer_of_its_own(lang: str) -> None:
    """A 5xx is the handler's failure, not an answer a client gets for its request."""
    check = ('  if (!process.env.Q) return { statusCode: 500 };\n' if lang == "javascript"
             else '    if not os.environ.get("Q"):\n        return {"statusCode": 500}\n')
    for code in (_order(lang, ""), _order(lang, check)):
        report = inspect_source(code, lang)
        assert not report.observations("rejects")
    assert inspect_source(_order(lang, ""), lang).verdict == "glue"


QUEUE_API = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
  Take:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: RUNTIME
      CodeUri: src/
      Timeout: 10
      Environment: {Variables: {Q: !Ref Orders}}
      Policies:
        - SQSSendMessagePolicy: {QueueName: !GetAtt Orders.QueueName}
      Events:
        Post:
          Type: Api
          Properties: {Path: /orders, Method: post}
"""


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_validation_behind_an_api_keeps_the_function(tmp_path: Path, lang: str) -> None:
    check = ('  if (!order.items) return { statusCode: 400 };\n' if lang == "javascript"
             else '    if not order.get("items"):\n        return {"statusCode": 400}\n')
    assert _glue_findings(tmp_path / "validates", QUEUE_API, lang, _order(lang, check),
                          "GLUE-APIGW-SQS") == []
    (f,) = _glue_findings(tmp_path / "forwards", QUEUE_API, lang, _order(lang, ""),
                          "GLUE-APIGW-SQS")
    assert f.subject == "Take"
