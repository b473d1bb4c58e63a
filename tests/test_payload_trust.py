"""What a queue/stream glue function forwards decides whether its pipe is applied by
default: handler inspection records the forwarding call's payload (`payload` evidence),
the engine states the exact input template from it, and `advisor fix` writes that same
template; a payload the code does not show keeps the pipe from `--apply default` with
the reason. Own SAM fixtures, Python and JavaScript handlers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.fix import fix_source
from advisor.importers.cloudformation.template import load_template
from advisor.pipeline import Options, analyze_source

RULE = "GLUE-STREAM-PIPES"
PY_HEAD = "import json\nimport os\n\nimport boto3\n\nsns = boto3.client('sns')\n\n\n"
JS_HEAD = ('const { SNSClient, PublishCommand } = require("@aws-sdk/client-sns");\n'
           "const sns = new SNSClient({});\n\n")


def _template(runtime: str, batch: int, handler: str = "app.handler") -> str:
    return f"""AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
        maxReceiveCount: 5
  OrdersDLQ:
    Type: AWS::SQS::Queue
  Notifications:
    Type: AWS::SNS::Topic
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: {handler}
      Runtime: {runtime}
      CodeUri: src/
      Timeout: 10
      MemorySize: 256
      Environment:
        Variables:
          TOPIC_ARN: !Ref Notifications
      Policies:
        - SNSPublishMessagePolicy:
            TopicName: !GetAtt Notifications.TopicName
      Events:
        FromOrders:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: {batch}
"""


def _project(tmp_path: Path, code: str, js: bool = False, batch: int = 10) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / ("app.js" if js else "app.py")).write_text(
        (JS_HEAD if js else PY_HEAD) + code)
    path = tmp_path / "template.yaml"
    path.write_text(_template("nodejs20.x" if js else "python3.12", batch))
    return path


def _finding(path: Path, apply: str = "default"):  # type: ignore[no-untyped-def]
    result = analyze_source(str(path), Options(apply=apply))
    found = [f for f in result.findings if f.rule == RULE]
    return (found[0] if found else None), result


def _template_said(finding) -> str | None:  # type: ignore[no-untyped-def]
    """The input template the applied alternative's obligation states, exactly."""
    alt = finding.alternatives[0]
    _ = alt.after
    items = [m for m in alt.must_add if m["kind"] == "input_template"]
    assert len(items) <= 1, items
    if not items:
        return None
    assert not items[0].get("untraced"), items[0]
    m = re.match(r"an input template `(.+?)` on the pipe", items[0]["detail"])
    assert m, items[0]["detail"]
    return m.group(1)


def _fixed_template(path: Path) -> str | None:
    """The InputTemplate `advisor fix` (default) writes on the pipe."""
    fix = fix_source(str(path))
    (rw,) = [r for r in fix.rewrites if r.rule == RULE]
    assert rw.status == "patched", rw.to_dict()
    res = load_template(fix.changed[0].new, str(path))["Resources"]
    (pipe,) = [r for r in res.values() if r["Type"] == "AWS::Pipes::Pipe"]
    return (pipe["Properties"].get("TargetParameters") or {}).get("InputTemplate")


TRACED = [
    pytest.param(
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=record['body'])\n",
        False, 10, "<$.body>", id="python-body"),
    pytest.param(
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=json.dumps(record))\n",
        False, 10, None, id="python-whole-record"),
    pytest.param(
        "def handler(event, context):\n    body = event['Records'][0]['body']\n"
        "    sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=body)\n",
        False, 1, "<$.body>", id="python-first-record-batch-of-one"),
    pytest.param(
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        order = json.loads(record['body'])\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'],\n"
        "                    Message=json.dumps({'id': order['id'], 'kind': 'order'}))\n",
        False, 10, '{"id": <$.body.id>, "kind": "order"}', id="python-transformed"),
    pytest.param(
        "exports.handler = async (event) => {\n"
        "  for (const record of event.Records) {\n"
        "    await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN,"
        " Message: record.body }));\n  }\n};\n",
        True, 10, "<$.body>", id="js-body"),
    pytest.param(
        "exports.handler = async (event) => {\n  const body = event.Records[0].body;\n"
        "  await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN,"
        " Message: `order ${body}` }));\n};\n",
        True, 1, "order <$.body>", id="js-first-record-batch-of-one"),
    pytest.param(
        "def forward(message):\n"
        "    sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=message['body'])\n\n\n"
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        forward(record)\n",
        False, 10, "<$.body>", id="python-call-in-a-helper"),
    pytest.param(
        "async function forward(message) {\n"
        "  await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN,"
        " Message: message.body }));\n}\n\n"
        "exports.handler = async (event) => {\n  for (const record of event.Records) {\n"
        "    await forward(record);\n  }\n};\n",
        True, 10, "<$.body>", id="js-call-in-a-helper"),
]


@pytest.mark.parametrize(("code", "js", "batch", "template"), TRACED)
def test_a_traced_payload_is_applied_with_the_template_fix_writes(
        tmp_path: Path, code: str, js: bool, batch: int, template: str | None) -> None:
    path = _project(tmp_path, code, js, batch)
    finding, result = _finding(path)
    assert finding is not None and finding.auto == "default", finding and finding.note
    assert "Relay" not in result.after.graph  # applied
    payload = [e for e in finding.evidence if e["kind"] == "payload"]
    assert len(payload) == 1 and payload[0]["path"] == f"src/app.{'js' if js else 'py'}"
    assert _template_said(finding) == template
    assert _fixed_template(path) == template


UNTRACED = [
    pytest.param(
        "def shape(record):\n    return record['body'].upper()\n\n\n"
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=shape(record))\n",
        False, "computed by the handler", id="python-helper"),
    pytest.param(
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        message = record['body']\n        if not message:\n"
        "            message = '{}'\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=message)\n",
        False, "assigns several times", id="python-dynamic"),
    pytest.param(
        "exports.handler = async (event) => {\n"
        "  for (const record of event.Records) {\n"
        "    await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN,"
        " Message: render(record) }));\n  }\n};\n",
        True, "calls render", id="js-helper"),
    pytest.param(
        "def handler(event, context):\n    for record in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=json.dumps(event['x']))\n",
        False, "built from the event itself, not from each record", id="python-event-field"),
]


@pytest.mark.parametrize(("code", "js", "why"), UNTRACED)
def test_an_untraced_payload_is_offered_not_applied_by_default(
        tmp_path: Path, code: str, js: bool, why: str) -> None:
    path = _project(tmp_path, code, js)
    finding, result = _finding(path)
    assert finding is not None and finding.auto == "all"
    assert "Relay" in result.after.graph  # not applied by default
    assert finding.note.startswith("not applied by default: payload not traced: ")
    assert why in finding.note and f"src/app.{'js' if js else 'py'}" in finding.note
    alt = finding.alternatives[0]
    assert alt.applicable  # still offered
    (item,) = [m for m in alt.must_add if m["kind"] == "input_template"]
    assert item["untraced"] and item["detail"].startswith("payload not traced: ")
    # the user may still choose it; advisor fix by default leaves the function alone
    _, chosen = _finding(path, apply="all")
    assert "Relay" not in chosen.after.graph
    assert not [r for r in fix_source(str(path)).rewrites if r.rule == RULE]


def test_only_the_first_record_of_larger_batches_is_blocked_with_the_reason(
        tmp_path: Path) -> None:
    path = _project(tmp_path, "def handler(event, context):\n"
                    "    body = event['Records'][0]['body']\n"
                    "    sns.publish(TopicArn=os.environ['TOPIC_ARN'], Message=body)\n",
                    batch=10)
    finding, result = _finding(path)
    assert finding is None and "Relay" in result.after.graph
    (blocked,) = [b for b in result.blocked if b.rule == RULE]
    assert "only the first record" in blocked.reason and "up to 10" in blocked.reason


def test_kinesis_base64_data_sent_as_it_came_is_not_traced_to_a_template(
        tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        PY_HEAD + "def handler(event, context):\n    for record in event['Records']:\n"
        "        sns.publish(TopicArn=os.environ['TOPIC_ARN'],"
        " Message=record['kinesis']['data'])\n")
    text = _template("python3.12", 10).replace(
        "  Orders:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n"
        "        deadLetterTargetArn: !GetAtt OrdersDLQ.Arn\n        maxReceiveCount: 5\n",
        "  Orders:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      ShardCount: 1\n")
    text = text.replace("Type: SQS\n", "Type: Kinesis\n").replace(
        "            Queue: !GetAtt Orders.Arn\n",
        "            Stream: !GetAtt Orders.Arn\n            StartingPosition: LATEST\n"
        "            MaximumRetryAttempts: 2\n            BisectBatchOnFunctionError: true\n"
        "            DestinationConfig:\n              OnFailure:\n"
        "                Destination: !GetAtt OrdersDLQ.Arn\n")
    path = tmp_path / "template.yaml"
    path.write_text(text)
    finding, result = _finding(path)
    assert finding is not None and finding.auto == "all", finding and finding.note
    assert "payload not traced" in finding.note and "base64" in finding.note
    assert "Relay" in result.after.graph


def test_a_design_may_state_the_payload_fact_itself() -> None:
    """A `.arch` design has no code: the `payload` item in its `glue_evidence` is the
    fact (the same text handler inspection writes), exact or untraced."""
    from advisor.dsl import parse_text
    from advisor.engine import Engine

    engine = Engine.default(select=(RULE,))

    def design(payload: str) -> str:
        return ('sqs q\nlambda fwd { glue = true, glue_target = "sns", glue_evidence ='
                f' "sns.publish(TopicArn, Message) at line 9; payload: {payload} at line 9" }}\n'
                "sns out\nq -> fwd -> out\n")

    out = engine.run(parse_text(design("each Message = template <$.body.order>")))
    (f,) = out.findings
    assert f.auto == "default" and "fwd" not in out.after.graph
    assert _template_said(f) == "<$.body.order>"
    out = engine.run(parse_text(design("untraced Message: a helper builds it")))
    (f,) = out.findings
    assert f.auto == "all" and "fwd" in out.after.graph
    assert "payload not traced: a helper builds it (line 9)" in f.note


@pytest.mark.parametrize(("code", "fact"), [
    ("def handler(event, context):\n    for r in event['Records']:\n"
     "        sns.publish(TopicArn=os.environ['T'], Message=r['body'])\n",
     "payload: each Message = template <$.body> at line 11"),
    ("def handler(event, context):\n"
     "    sns.publish(TopicArn=os.environ['T'], Message=event['Records'][0]['body'])\n",
     "payload: first-record Message = template <$.body> at line 10"),
    ("def handler(event, context):\n"
     "    sns.publish(TopicArn=os.environ['T'], Message=json.dumps(event))\n",
     "payload: whole-event Message at line 10"),
    ("def handler(event, context):\n"
     "    sns.publish(TopicArn=os.environ['T'], Message=os.environ['GREETING'])\n",
     "payload: untraced Message: it sends $GREETING from its environment"),
])
def test_handler_inspection_records_what_the_call_sends(code: str, fact: str) -> None:
    from advisor.importers.handlers import inspect_source

    report = inspect_source(PY_HEAD + code, "python", function="handler")
    assert report.verdict == "glue"
    assert fact in (report.evidence or ""), report.evidence
