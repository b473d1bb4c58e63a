"""A read made inside any loop is work no integration does (`per-record-read`: verdict
`logic`), not only a loop over the event or what was computed from it: a loop over a
module constant (`for t in TABLES: ddb.scan(TableName=t)`), over a range, or pages
fetched by hand in a `while` / `do ... while` loop (an integration returns one answer
per request). One read per request stays glue. Python and JavaScript side by side; every
handler and template is written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source

PY = 'import json, os\nimport boto3\n\nddb = boto3.client("dynamodb")\n\n\n'
JS = ('const { DynamoDBClient, ScanCommand } = require("@aws-sdk/client-dynamodb");\n'
      "const ddb = new DynamoDBClient({});\n\n")

LOOPS = {
    "python-constant": ("python", PY + (
        'TABLES = ["orders", "returns"]\n\n\n'
        'def handler(event, context):\n    found = []\n    for t in TABLES:\n'
        '        found += ddb.scan(TableName=t)["Items"]\n'
        '    return {"statusCode": 200, "body": json.dumps(found)}\n'),
        "dynamodb.scan for each item of TABLES"),
    "python-while-pages": ("python", PY + (
        'def handler(event, context):\n    found, start = [], None\n    while True:\n'
        '        kwargs = {"ExclusiveStartKey": start} if start else {}\n'
        '        page = ddb.scan(TableName=os.environ["TABLE"], **kwargs)\n'
        '        found += page["Items"]\n        start = page.get("LastEvaluatedKey")\n'
        '        if not start:\n            break\n'
        '    return {"statusCode": 200, "body": json.dumps(found)}\n'),
        "dynamodb.scan in a loop (while True)"),
    "js-constant": ("javascript", JS + (
        'const TABLES = ["orders", "returns"];\n\n'
        "exports.handler = async (event) => {\n  const found = [];\n"
        "  for (const t of TABLES) {\n"
        "    const page = await ddb.send(new ScanCommand({ TableName: t }));\n"
        "    found.push(...page.Items);\n  }\n"
        "  return { statusCode: 200, body: JSON.stringify(found) };\n};\n"),
        "dynamodb.Scan for each item of TABLES"),
    "js-do-while-pages": ("javascript", JS + (
        "exports.handler = async (event) => {\n  const found = [];\n  let start;\n"
        "  do {\n    const page = await ddb.send(new ScanCommand({ TableName:"
        " process.env.TABLE, ExclusiveStartKey: start }));\n"
        "    found.push(...page.Items);\n    start = page.LastEvaluatedKey;\n"
        "  } while (start);\n"
        "  return { statusCode: 200, body: JSON.stringify(found) };\n};\n"),
        "dynamodb.Scan in a loop (do ... while)"),
}
ONCE = {
    "python": PY + ('def handler(event, context):\n'
                    '    page = ddb.scan(TableName=os.environ["TABLE"])\n'
                    '    return {"statusCode": 200, "body": json.dumps(page["Items"])}\n'),
    "javascript": JS + ("exports.handler = async (event) => {\n"
                        "  const page = await ddb.send(new ScanCommand({ TableName:"
                        " process.env.TABLE }));\n"
                        "  return { statusCode: 200, body: JSON.stringify(page.Items) };\n};\n"),
}


@pytest.mark.parametrize("name", list(LOOPS))
def test_a_read_in_any_loop_is_not_glue(name: str) -> None:
    lang, code, detail = LOOPS[name]
    report = inspect_source(code, lang)
    assert [e.detail for e in report.observations("per-record-read")] == [detail]
    assert report.verdict == "logic" and "once per item" in report.reasons[0], report.reasons


@pytest.mark.parametrize("lang", list(ONCE))
def test_one_read_per_request_is_glue(lang: str) -> None:
    report = inspect_source(ONCE[lang], lang)
    assert not report.observations("per-record-read")
    assert report.verdict == "glue", report.reasons


def test_a_change_in_a_loop_over_a_constant_is_no_per_record_call() -> None:
    """The per-record call (what a whole-batch retry repeats) stays a loop over the
    records: a write for each of a constant's items is no such fact."""
    code = PY + ('TABLES = ["orders", "returns"]\n\n\ndef handler(event, context):\n'
                 '    for t in TABLES:\n        ddb.put_item(TableName=t, Item={"id": {"S": "x"}})\n')
    assert not inspect_source(code, "python").observations("per-record-call")


LIST_API = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  List:
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
          Properties: {Path: /items, Method: get}
"""


def _glue(tmp_path: Path, lang: str, code: str) -> list:  # type: ignore[type-arg]
    (tmp_path / "src").mkdir(parents=True)
    (tmp_path / "src" / ("app.py" if lang == "python" else "app.js")).write_text(code)
    path = tmp_path / "template.yaml"
    path.write_text(LIST_API.replace("RUNTIME", "python3.12" if lang == "python"
                                     else "nodejs20.x"))
    out = Engine.default().run(load_any(str(path)), apply="none")
    return [f for f in out.findings if f.rule.startswith("GLUE-")]


@pytest.mark.parametrize("name", ["python-while-pages", "js-do-while-pages"])
def test_an_api_that_reads_every_page_keeps_its_function(tmp_path: Path, name: str) -> None:
    lang, code, _ = LOOPS[name]
    assert _glue(tmp_path / "pages", lang, code) == []
    (f,) = _glue(tmp_path / "once", lang, ONCE[lang])
    assert f.rule == "GLUE-APIGW-DYNAMODB" and f.subject == "List"
