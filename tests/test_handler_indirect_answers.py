"""What a handler answers and calls, reached through a name (python.py and
javascript.py, side by side).

- A 4xx status reached through a local variable (`status_code = 400 ... return
  {"statusCode": status_code}`) or through a module function that builds the answer
  (`return error_response(400, "...")`, `return createErrorResponse(400, ...)`) is the
  handler answering some requests itself (`rejects`): not glue. A 5xx built the same way
  is the handler's failure, and the handler stays glue.
- A function of the module named like an HTTP client (`fetch`, `urlopen`) is no HTTP
  call; `require("node-fetch")` and the runtime's `fetch` are.

Every handler and template is written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source

PY_SQS = 'import json, os\nimport boto3\n\nsqs = boto3.client("sqs")\n\n\n'
JS_SQS = ('const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");\n'
          "const sqs = new SQSClient({});\n\n")
PY_SEND = '    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody=json.dumps(order))\n'
JS_SEND = ("  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.Q,"
           " MessageBody: JSON.stringify(order) }));\n")

ANSWERS = {
    "python-variable": ("python", PY_SQS + (
        'def handler(event, context):\n    order = json.loads(event["body"] or "{}")\n'
        '    status_code = 202\n    if not order.get("items"):\n        status_code = STATUS\n'
        '    else:\n' + "    " + PY_SEND + '    return {"statusCode": status_code}\n')),
    "python-helper-parameter": ("python", PY_SQS + (
        'def error_response(code, message):\n'
        '    return {"statusCode": code, "body": json.dumps({"error": message})}\n\n\n'
        'def handler(event, context):\n    order = json.loads(event["body"] or "{}")\n'
        '    if not order.get("items"):\n'
        '        return error_response(STATUS, "an order needs items")\n'
        + PY_SEND + '    return {"statusCode": 202}\n')),
    "python-helper-constant": ("python", PY_SQS + (
        'def rejected(message):\n    resp = {"statusCode": STATUS, "body": message}\n'
        '    return resp\n\n\n'
        'def handler(event, context):\n    order = json.loads(event["body"] or "{}")\n'
        '    if not order.get("items"):\n        return rejected("an order needs items")\n'
        + PY_SEND + '    return {"statusCode": 202}\n')),
    "js-variable": ("javascript", JS_SQS + (
        "exports.handler = async (event) => {\n"
        '  const order = JSON.parse(event.body || "{}");\n  let statusCode = 202;\n'
        "  if (!order.items) {\n    statusCode = STATUS;\n  } else {\n  " + JS_SEND +
        "  }\n  return { statusCode };\n};\n")),
    "js-arrow-helper": ("javascript", JS_SQS + (
        "const createErrorResponse = (statusCode, message) =>\n"
        "  ({ statusCode, body: JSON.stringify({ message }) });\n\n"
        "exports.handler = async (event) => {\n"
        '  const order = JSON.parse(event.body || "{}");\n'
        '  if (!order.items) return createErrorResponse(STATUS, "an order needs items");\n'
        + JS_SEND + "  return { statusCode: 202 };\n};\n")),
    "js-function-helper": ("javascript", JS_SQS + (
        "function badRequest(message) {\n  return { statusCode: STATUS, body: message };\n}\n\n"
        "exports.handler = async (event) => {\n"
        '  const order = JSON.parse(event.body || "{}");\n'
        '  if (!order.items) {\n    return badRequest("an order needs items");\n  }\n'
        + JS_SEND + "  return { statusCode: 202 };\n};\n")),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_a_client_error_through_a_name_is_an_answer_of_its_own(name: str) -> None:
    lang, code = ANSWERS[name]
    report = inspect_source(code.replace("STATUS", "422"), lang)
    assert report.verdict == "logic", report.reasons
    assert [e.detail for e in report.observations("rejects")] == ["answers status 422 itself"]
    assert any("answers some requests itself" in r for r in report.reasons)


@pytest.mark.parametrize("name", list(ANSWERS))
def test_a_server_error_through_a_name_is_no_answer_of_its_own(name: str) -> None:
    lang, code = ANSWERS[name]
    report = inspect_source(code.replace("STATUS", "503"), lang)
    assert not report.observations("rejects")
    assert report.verdict == "glue", report.reasons


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


def _sqs_glue(tmp_path: Path, lang: str, code: str) -> list:  # type: ignore[type-arg]
    (tmp_path / "src").mkdir(parents=True)
    (tmp_path / "src" / ("app.py" if lang == "python" else "app.js")).write_text(code)
    path = tmp_path / "template.yaml"
    path.write_text(QUEUE_API.replace("RUNTIME", "python3.12" if lang == "python"
                                      else "nodejs20.x"))
    out = Engine.default().run(load_any(str(path)), apply="none")
    return [f for f in out.findings if f.rule == "GLUE-APIGW-SQS"]


@pytest.mark.parametrize("name", ["python-helper-parameter", "js-arrow-helper"])
def test_an_api_validating_through_a_helper_keeps_its_function(tmp_path: Path, name: str) -> None:
    lang, code = ANSWERS[name]
    assert _sqs_glue(tmp_path / "rejects", lang, code.replace("STATUS", "400")) == []
    (f,) = _sqs_glue(tmp_path / "fails", lang, code.replace("STATUS", "500"))
    assert f.subject == "Take"


# ---------------------------------------------------------------- HTTP clients by name
def _js_with(before: str) -> str:
    return JS_SQS + before + ("exports.handler = async (event) => {\n"
                              "  const order = await fetch(event);\n" + JS_SEND + "};\n")


JS_OWN_FETCH = {
    "function": "function fetch(e) {\n  return { id: e.id };\n}\n\n",
    "arrow": "const fetch = (e) => ({ id: e.id });\n\n",
    "class-method": ("class Orders {\n  fetch(id) {\n    return { id };\n  }\n}\n"
                     "const order = (e) => new Orders().fetch(e.id);\n\n"),
}


@pytest.mark.parametrize("name", ["function", "arrow"])
def test_a_module_function_named_fetch_is_no_http_call(name: str) -> None:
    report = inspect_source(_js_with(JS_OWN_FETCH[name]), "javascript")
    assert report.http_calls == 0
    assert report.verdict == "glue", report.reasons


def test_a_class_method_named_fetch_is_no_http_call() -> None:
    code = JS_SQS + JS_OWN_FETCH["class-method"] + (
        "exports.handler = async (event) => {\n  const order = order(event);\n"
        + JS_SEND + "};\n")
    assert inspect_source(code, "javascript").http_calls == 0


@pytest.mark.parametrize("before", ['const fetch = require("node-fetch");\n\n', ""])
def test_the_fetch_client_is_an_http_call(before: str) -> None:
    report = inspect_source(_js_with(before), "javascript")
    assert report.http_calls == 1 and report.verdict == "logic"


def test_the_runtime_fetch_is_an_http_call_beside_a_module_fetch() -> None:
    own = ("async function fetch(url) {\n  const r = await globalThis.fetch(url);\n"
           "  return r.json();\n}\n\n")
    report = inspect_source(_js_with(own), "javascript")
    assert report.http_calls == 1 and report.verdict == "logic"


def test_a_python_function_named_urlopen_is_no_http_call() -> None:
    own = PY_SQS + ('def urlopen(event):\n    return json.loads(event["body"])\n\n\n'
                    'def handler(event, context):\n    order = urlopen(event)\n' + PY_SEND)
    client = own.replace('def urlopen(event):\n    return json.loads(event["body"])\n\n\n',
                         "from urllib.request import urlopen\n\n\n")
    assert inspect_source(own, "python").http_calls == 0
    assert inspect_source(own, "python").verdict == "glue"
    assert inspect_source(client, "python").http_calls == 1
