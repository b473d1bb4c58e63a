"""What an EventBridge-rule or SNS glue function forwards decides its rewrite: handler
inspection's `payload` fact gives the rule target's exact input (none for the whole
event, InputPath for a part of it, an InputTransformer for an object built from it) and
the subscription's RawMessageDelivery; `advisor fix` writes the same settings; a payload
the code does not show keeps the rewrite from `--apply default` with the reason. Own SAM
fixtures, Python and JavaScript handlers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.fix import fix_source
from advisor.importers.cloudformation.template import load_template
from advisor.pipeline import Options, analyze_source

PY_SQS = "import json\nimport os\n\nimport boto3\n\nsqs = boto3.client('sqs')\n\n\n"
JS_SQS = ('const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");\n'
          "const sqs = new SQSClient({});\n\n")


def _rule_template(runtime: str) -> str:
    return f"""AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Work:
    Type: AWS::SQS::Queue
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          QUEUE_URL: !Ref Work
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Work.QueueName
      Events:
        OnOrder:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [shop.orders]
"""


SNS_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SNS::Topic
  Work:
    Type: AWS::SQS::Queue
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          QUEUE_URL: !Ref Work
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Work.QueueName
      Events:
        FromOrders:
          Type: SNS
          Properties:
            Topic: !Ref Orders
"""


def _project(tmp_path: Path, code: str, js: bool, template: str) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ("app.js" if js else "app.py")).write_text(
        (JS_SQS if js else PY_SQS) + code)
    path = tmp_path / "template.yaml"
    path.write_text(template.format(runtime="nodejs20.x" if js else "python3.12")
                    if "{runtime}" in template else template)
    return path


def _finding(path: Path, rule: str, apply: str = "default"):  # type: ignore[no-untyped-def]
    result = analyze_source(str(path), Options(apply=apply))
    found = [f for f in result.findings if f.rule == rule]
    return (found[0] if found else None), result


def _items(finding, kind: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    alt = finding.alternatives[0]
    return [m for m in alt.must_add if m["kind"] == kind]


def _patched(path: Path, rule: str, apply: str = "default") -> dict:  # type: ignore[type-arg]
    fix = fix_source(str(path), Options(apply=apply))
    (rw,) = [r for r in fix.rewrites if r.rule == rule]
    assert rw.status == "patched", rw.to_dict()
    return load_template(fix.changed[0].new, str(path))["Resources"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ EventBridge rules
RULE = "GLUE-EVENTBRIDGE-SQS"
TRACED_RULE = [
    pytest.param("def handler(event, context):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=json.dumps(event))\n", False, {}, id="python-whole-event"),
    pytest.param("def handler(event, context):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=json.dumps(event['detail']))\n", False,
                 {"InputPath": "$.detail"}, id="python-detail"),
    pytest.param("def handler(event, context):\n    order = event['detail']\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'], MessageBody=json.dumps("
                 "{'id': order['id'], 'kind': 'order', 'source': event['source']}))\n", False,
                 {"InputTransformer": {
                     "InputPathsMap": {"id": "$.detail.id", "source": "$.source"},
                     "InputTemplate": '{"id": <id>, "kind": "order", "source": <source>}'}},
                 id="python-transformed"),
    pytest.param("def send(evt, kind):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=json.dumps({'order': evt['detail'], 'kind': kind}))\n\n\n"
                 "def handler(event, context):\n    send(event, 'created')\n", False,
                 {"InputTransformer": {
                     "InputPathsMap": {"detail": "$.detail"},
                     "InputTemplate": '{"order": <detail>, "kind": "created"}'}},
                 id="python-call-in-a-helper"),
    pytest.param("exports.handler = async (event) => {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: JSON.stringify(event.detail) }));\n};\n", True,
                 {"InputPath": "$.detail"}, id="js-detail"),
    pytest.param("const send = async (evt, kind) => {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: JSON.stringify({ order: evt.detail, kind }) }));\n};\n\n"
                 "exports.handler = async (event) => {\n  await send(event, 'created');\n};\n",
                 True, {"InputTransformer": {
                     "InputPathsMap": {"detail": "$.detail"},
                     "InputTemplate": '{"order": <detail>, "kind": "created"}'}},
                 id="js-call-in-a-helper"),
    # the helper's parameter is named like the handler's event: it is what the handler
    # passes (the event's detail), not the event
    pytest.param("async function forward(event) {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: JSON.stringify(event) }));\n}\n\n"
                 "exports.handler = async (event) => {\n  await forward(event.detail);\n};\n",
                 True, {"InputPath": "$.detail"}, id="js-helper-parameter-named-event"),
    # the same with an expression-bodied arrow (read as a helper, its parameter bound)
    pytest.param("const forward = (event) => sqs.send(new SendMessageCommand({ QueueUrl:"
                 " process.env.QUEUE_URL, MessageBody: JSON.stringify(event) }));\n\n"
                 "exports.handler = async (event) => {\n  await forward(event.detail);\n};\n",
                 True, {"InputPath": "$.detail"}, id="js-arrow-helper-parameter-named-event"),
    pytest.param("exports.handler = async (event) => {\n"
                 "  const forward = (event) => sqs.send(new SendMessageCommand({ QueueUrl:"
                 " process.env.QUEUE_URL, MessageBody: JSON.stringify(event) }));\n"
                 "  await forward(event.detail);\n};\n",
                 True, {"InputPath": "$.detail"}, id="js-arrow-in-the-handler-named-event"),
]


@pytest.mark.parametrize(("code", "js", "settings"), TRACED_RULE)
def test_a_traced_rule_payload_states_the_target_input_fix_writes(
        tmp_path: Path, code: str, js: bool, settings: dict) -> None:  # type: ignore[type-arg]
    path = _project(tmp_path, code, js, _rule_template("python3.12"))
    if js:
        path.write_text(_rule_template("nodejs20.x"))
    finding, result = _finding(path, RULE)
    assert finding is not None and finding.auto == "default", finding and finding.note
    assert "Relay" not in result.after.graph  # applied
    items = _items(finding, "target_input")
    if not settings:
        assert items == []  # the whole event: a rule target's default
    else:
        (item,) = items
        assert not item.get("untraced")
        if "InputPath" in settings:
            assert f"an InputPath `{settings['InputPath']}` on " in item["detail"]
        else:
            it = settings["InputTransformer"]
            paths = ", ".join(f"{k}: {v}" for k, v in it["InputPathsMap"].items())
            assert f"InputPathsMap {paths}; InputTemplate `{it['InputTemplate']}`" \
                in item["detail"]
    (rule,) = [r for r in _patched(path, RULE).values() if r["Type"] == "AWS::Events::Rule"]
    (target,) = rule["Properties"]["Targets"]
    written = {k: target[k] for k in ("Input", "InputPath", "InputTransformer") if k in target}
    assert written == settings


UNTRACED_RULE = [
    pytest.param("def handler(event, context):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=event['detail']['note'])\n", False,
                 "as text, which a rule target delivers as JSON", id="python-field-text"),
    pytest.param("def handler(event, context):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=json.dumps(shape(event)))\n", False,
                 "computed by the handler", id="python-helper"),
    pytest.param("exports.handler = async (event) => {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: render(event) }));\n};\n", True, "calls render", id="js-helper"),
    pytest.param("def send(evt):\n"
                 "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=json.dumps(evt))\n\n\n"
                 "def handler(event, context):\n    send(event)\n    send({'retry': True})\n",
                 False, "send_message is made in send, which the handler calls with "
                 "different arguments", id="python-helper-called-twice"),
    pytest.param("async function send(evt) {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: JSON.stringify(evt) }));\n}\n\n"
                 "exports.handler = async (event) => {\n  await send(event);\n"
                 "  await send({ retry: true });\n};\n",
                 True, "SendMessage is made in send, which the handler calls with "
                 "different arguments", id="js-helper-called-twice"),
    # a callback passed by name for each item of an array that is not the batch's records
    pytest.param("const forward = (event) => sqs.send(new SendMessageCommand({ QueueUrl:"
                 " process.env.QUEUE_URL, MessageBody: JSON.stringify(event) }));\n\n"
                 "exports.handler = async (event) => {\n"
                 "  await Promise.all(event.detail.items.map(forward));\n};\n",
                 True, "SendMessage is made in forward, which the handler calls for each item"
                 " of something other than the event's records", id="js-arrow-callback"),
    pytest.param("async function forward(event) {\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: JSON.stringify(event) }));\n}\n\n"
                 "exports.handler = async (event) => {\n  event.detail.items.forEach(forward);\n};\n",
                 True, "which the handler calls for each item of something other",
                 id="js-function-callback"),
]


@pytest.mark.parametrize(("code", "js", "why"), UNTRACED_RULE)
def test_an_untraced_rule_payload_is_offered_not_applied_by_default(
        tmp_path: Path, code: str, js: bool, why: str) -> None:
    path = _project(tmp_path, code, js, _rule_template("nodejs20.x" if js else "python3.12"))
    finding, result = _finding(path, RULE)
    assert finding is not None and finding.auto == "all"
    assert "Relay" in result.after.graph  # not applied by default
    assert finding.note.startswith("not applied by default: payload not traced: ")
    assert why in finding.note and f"src/app.{'js' if js else 'py'}" in finding.note
    assert finding.alternatives[0].applicable  # still offered
    (item,) = _items(finding, "target_input")
    assert item["untraced"] and item["detail"].startswith("payload not traced: ")
    assert not [r for r in fix_source(str(path)).rewrites if r.rule == RULE]


# ------------------------------------------------------------------ SNS subscriptions
SNS_RULE = "GLUE-SNS-SQS"


@pytest.mark.parametrize(("code", "js"), [
    pytest.param("def handler(event, context):\n    for record in event['Records']:\n"
                 "        sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                 " MessageBody=record['Sns']['Message'])\n", False, id="python"),
    pytest.param("exports.handler = async (event) => {\n"
                 "  const message = event.Records[0].Sns.Message;\n"
                 "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL,"
                 " MessageBody: message }));\n};\n", True, id="js-first-record"),
])
def test_the_notifications_message_is_raw_delivery(tmp_path: Path, code: str, js: bool) -> None:
    path = _project(tmp_path, code, js, SNS_TEMPLATE)
    finding, result = _finding(path, SNS_RULE)
    assert finding is not None and finding.auto == "default", finding and finding.note
    assert "Relay" not in result.after.graph  # applied
    (item,) = _items(finding, "raw_delivery")
    assert item["detail"].startswith("RawMessageDelivery true on the subscription of Work")
    assert not item["changes_behaviour"]
    (sub,) = [r for r in _patched(path, SNS_RULE).values()
              if r["Type"] == "AWS::SNS::Subscription"]
    assert sub["Properties"]["RawMessageDelivery"] is True


def test_the_whole_record_is_the_envelope_a_change_not_applied_by_default(
        tmp_path: Path) -> None:
    path = _project(tmp_path, "def handler(event, context):\n    for r in event['Records']:\n"
                    "        sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                    " MessageBody=json.dumps(r))\n", False, SNS_TEMPLATE)
    finding, result = _finding(path, SNS_RULE)
    assert finding is not None and finding.auto == "all"
    assert "Relay" in result.after.graph
    (item,) = _items(finding, "raw_delivery")
    assert item["changes_behaviour"] and "RawMessageDelivery false" in item["detail"]
    assert finding.note.startswith("not applied by default: it changes what the system does")
    # chosen, the patch writes what the obligation says: the envelope
    (sub,) = [r for r in _patched(path, SNS_RULE, apply="all").values()
              if r["Type"] == "AWS::SNS::Subscription"]
    assert sub["Properties"]["RawMessageDelivery"] is False


def test_a_message_of_its_own_is_not_traced_to_a_subscription(tmp_path: Path) -> None:
    path = _project(tmp_path, "def handler(event, context):\n    for r in event['Records']:\n"
                    "        sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                    " MessageBody='got ' + r['Sns']['Message'])\n", False, SNS_TEMPLATE)
    finding, result = _finding(path, SNS_RULE)
    assert finding is not None and finding.auto == "all"
    assert "Relay" in result.after.graph  # not applied by default
    assert "payload not traced: it sends `got <$.Sns.Message>`, which no subscription" \
        in finding.note and "src/app.py:" in finding.note
    assert not [r for r in fix_source(str(path)).rewrites if r.rule == SNS_RULE]


# ------------------------------------------------------------------ a field of the event
def test_a_field_of_the_event_is_not_a_records_for_a_pipe() -> None:
    """`event["x"]` in a queue consumer is the same in every record of a batch, not each
    record's body field `<$.body.x>`: its payload is not traced for a pipe."""
    from advisor.importers.handlers import inspect_source

    head = PY_SQS.replace("sqs = boto3.client('sqs')", "sns = boto3.client('sns')")
    report = inspect_source(head + "def handler(event, context):\n"
                            "    for r in event['Records']:\n"
                            "        body = json.loads(r['body'])\n"
                            "        sns.publish(TopicArn=os.environ['T'],"
                            " Message=json.dumps({'id': body['id'], 'at': event['x']}))\n",
                            "python", function="handler")
    facts = [e for e in (report.evidence or "").split("; ") if e.startswith("payload: ")]
    assert facts == ["payload: untraced Message: it sends fields of the event itself with a "
                     "record's, which no template of one record builds at line 12"], facts
    report = inspect_source(head + "def handler(event, context):\n"
                            "    for r in event['Records']:\n"
                            "        body = json.loads(r['body'])\n"
                            "        sns.publish(TopicArn=os.environ['T'],"
                            " Message=json.dumps({'id': body['id']}))\n",
                            "python", function="handler")
    assert 'payload: each Message = template {"id": <$.body.id>} at line 12' in \
        (report.evidence or "")


# ------------------------------------------------------------------ Terraform
TF_RULE = """\
resource "aws_sqs_queue" "work" {
  name = "work"
}
resource "aws_cloudwatch_event_rule" "orders" {
  event_pattern = jsonencode({ source = ["shop.orders"] })
}
resource "aws_cloudwatch_event_target" "orders" {
  rule = aws_cloudwatch_event_rule.orders.name
  arn  = aws_lambda_function.relay.arn
}
resource "aws_lambda_permission" "orders" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.relay.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.orders.arn
}
resource "aws_iam_role" "relay" {
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
  inline_policy {
    name = "send"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
      Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.work.arn }] })
  }
}
resource "aws_lambda_function" "relay" {
  function_name = "relay"
  role          = aws_iam_role.relay.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "relay.zip"
  source_code_hash = filebase64sha256("relay.zip")
  environment {
    variables = { QUEUE_URL = aws_sqs_queue.work.url }
  }
}
"""


@pytest.mark.parametrize(("payload", "written"), [
    ("json.dumps(event['detail'])", 'input_path = "$.detail"'),
    ("json.dumps(event)", None),
])
def test_terraform_rule_target_writes_what_the_obligation_states(
        tmp_path: Path, payload: str, written: str | None) -> None:
    (tmp_path / "main.tf").write_text(TF_RULE)
    (tmp_path / "app.py").write_text(
        PY_SQS + "def handler(event, context):\n"
        f"    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'], MessageBody={payload})\n")
    finding, _ = _finding(tmp_path, RULE)
    assert finding is not None and finding.auto == "default", finding and finding.note
    items = _items(finding, "target_input")
    fix = fix_source(str(tmp_path))
    (rw,) = [r for r in fix.rewrites if r.rule == RULE]
    assert rw.status == "patched", rw.to_dict()
    text = "".join(c.new for c in fix.changed)
    if written is None:
        assert items == [] and "input_path" not in text and "input_transformer" not in text
    else:
        (item,) = items
        assert "an InputPath `$.detail` on " in item["detail"] and written in text


def test_a_rule_that_already_reshapes_the_event_is_combined_by_hand(tmp_path: Path) -> None:
    """The function received the rule's InputPath, not the matched event: what it sent is
    a part of a part, which the engine does not state as one target input."""
    path = _project(tmp_path, "def handler(event, context):\n"
                    "    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'],"
                    " MessageBody=json.dumps(event['order']))\n", False,
                    _rule_template("python3.12").replace(
                        "            Pattern:\n", "            InputPath: $.detail\n"
                        "            Pattern:\n"))
    finding, result = _finding(path, RULE)
    assert finding is not None and finding.auto == "all"
    assert "Relay" in result.after.graph
    assert "the rule already reshapes the event for it" in finding.note
    assert not [r for r in fix_source(str(path)).rewrites if r.rule == RULE]


TF_SNS = """\
resource "aws_sns_topic" "orders" {
  name = "orders"
}
resource "aws_sqs_queue" "work" {
  name = "work"
}
resource "aws_sns_topic_subscription" "relay" {
  topic_arn = aws_sns_topic.orders.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.relay.arn
}
resource "aws_lambda_permission" "orders" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.relay.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.orders.arn
}
resource "aws_iam_role" "relay" {
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
  inline_policy {
    name = "send"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
      Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.work.arn }] })
  }
}
resource "aws_lambda_function" "relay" {
  function_name = "relay"
  role          = aws_iam_role.relay.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "relay.zip"
  environment {
    variables = { QUEUE_URL = aws_sqs_queue.work.url }
  }
}
"""


@pytest.mark.parametrize(("payload", "auto", "raw"), [
    ("r['Sns']['Message']", "default", "true"),
    ("json.dumps(r)", "all", "false"),
])
def test_terraform_subscription_writes_the_raw_delivery_the_obligation_states(
        tmp_path: Path, payload: str, auto: str, raw: str) -> None:
    (tmp_path / "main.tf").write_text(TF_SNS)
    (tmp_path / "app.py").write_text(
        PY_SQS + "def handler(event, context):\n    for r in event['Records']:\n"
        f"        sqs.send_message(QueueUrl=os.environ['QUEUE_URL'], MessageBody={payload})\n")
    finding, _ = _finding(tmp_path, SNS_RULE)
    assert finding is not None and finding.auto == auto, finding and finding.note
    (item,) = _items(finding, "raw_delivery")
    assert f"RawMessageDelivery {raw}" in item["detail"]
    fix = fix_source(str(tmp_path), Options(apply="all"))
    (rw,) = [r for r in fix.rewrites if r.rule == SNS_RULE]
    assert rw.status == "patched", rw.to_dict()
    text = "".join(c.new for c in fix.changed)
    assert re.search(rf"raw_message_delivery\s*=\s*{raw}\b", text), text


# ------------------------------------------------------------------ S3 notifications
S3_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub uploads-${AWS::AccountId}
  Work:
    Type: AWS::SQS::Queue
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          QUEUE_URL: !Ref Work
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Work.QueueName
      Events:
        Up:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
"""


@pytest.mark.parametrize(("payload", "traced"), [
    ("json.dumps(event)", True),
    ("json.dumps(event['Records'][0]['s3'])", False),
])
def test_an_s3_notification_sends_the_event_as_it_came(
        tmp_path: Path, payload: str, traced: bool) -> None:
    path = _project(tmp_path, "def handler(event, context):\n"
                    f"    sqs.send_message(QueueUrl=os.environ['QUEUE_URL'], MessageBody={payload})\n",
                    False, S3_TEMPLATE)
    finding, result = _finding(path, "GLUE-S3-SQS")
    assert finding is not None
    items = _items(finding, "notification")
    if traced:
        assert finding.auto == "default" and items == [], finding.note
        assert "Relay" not in result.after.graph
        _patched(path, "GLUE-S3-SQS")  # the patch agrees: patched
    else:
        assert finding.auto == "all" and "Relay" in result.after.graph
        (item,) = items
        assert item["untraced"] and "is not known to be the S3 event" in item["detail"]
        assert not [r for r in fix_source(str(path)).rewrites if r.rule == "GLUE-S3-SQS"]
