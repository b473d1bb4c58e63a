"""Handler-aware checks on real inputs: SAM, CloudFormation and Terraform projects with a
Python or JavaScript handler beside them, each analysed the way a user runs it.

Every rule is asserted on each format and language: the same finding on the same
function, at the function, with its evidence pointing at the handler line that shows it
(the line is looked up in the handler text, not written down); and a compliant handler,
or configuration, that gives no finding. The DSL cases are the catalog examples
(tests/test_patterns_catalog.py), which state the facts with `handler_facts`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import Engine
from advisor.importers import load_any
from advisor.importers.handlers import inspect_source
from advisor.pipeline import node_traffic

FORMATS = ("sam", "cfn", "terraform")
LANGS = ("python", "javascript")

# ---------------------------------------------------------------- handlers
PY_HEAD = ('import json, os\nimport boto3\n'
           'table = boto3.resource("dynamodb").Table(os.environ["TABLE"])\n'
           'events = boto3.client("events")\n\n')
JS_HEAD = ('const { DynamoDBClient, PutItemCommand } = require("@aws-sdk/client-dynamodb");\n'
           'const AWS = require("aws-sdk");\n'
           'const ddb = new DynamoDBClient({});\nconst eventbridge = new AWS.EventBridge();\n'
           'const item = (body) => ({ TableName: process.env.TABLE, Item: { id: { S: body.id } } });\n\n')

HANDLERS = {
    "first": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    body = json.loads(event["Records"][0]["body"])\n'
                  '    table.put_item(Item=body)\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  const body = JSON.parse(event.Records[0].body);\n'
                      '  await ddb.send(new PutItemCommand(item(body)));\n};\n',
    },
    "loop": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    for record in event["Records"]:\n'
                  '        table.put_item(Item=json.loads(record["body"]))\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  for (const record of event.Records) {\n'
                      '    await ddb.send(new PutItemCommand(item(JSON.parse(record.body))));\n'
                      '  }\n};\n',
    },
    "catch": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    for record in event["Records"]:\n'
                  '        try:\n'
                  '            table.put_item(Item=json.loads(record["body"]))\n'
                  '        except Exception as exc:\n'
                  '            print("could not save", exc)\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  for (const record of event.Records) {\n'
                      '    try {\n'
                      '      await ddb.send(new PutItemCommand(item(JSON.parse(record.body))));\n'
                      '    } catch (err) {\n'
                      '      console.error("could not save", err);\n'
                      '    }\n  }\n};\n',
    },
    "rethrow": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    for record in event["Records"]:\n'
                  '        try:\n'
                  '            table.put_item(Item=json.loads(record["body"]))\n'
                  '        except Exception as exc:\n'
                  '            print("could not save", exc)\n'
                  '            raise\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  for (const record of event.Records) {\n'
                      '    try {\n'
                      '      await ddb.send(new PutItemCommand(item(JSON.parse(record.body))));\n'
                      '    } catch (err) {\n'
                      '      console.error("could not save", err);\n'
                      '      throw err;\n'
                      '    }\n  }\n};\n',
    },
    "reports": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    failures = []\n'
                  '    for record in event["Records"]:\n'
                  '        try:\n'
                  '            table.put_item(Item=json.loads(record["body"]))\n'
                  '        except Exception:\n'
                  '            failures.append({"itemIdentifier": record["messageId"]})\n'
                  '    return {"batchItemFailures": failures}\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  const failures = [];\n'
                      '  for (const record of event.Records) {\n'
                      '    try {\n'
                      '      await ddb.send(new PutItemCommand(item(JSON.parse(record.body))));\n'
                      '    } catch (err) {\n'
                      '      failures.push({ itemIdentifier: record.messageId });\n'
                      '    }\n  }\n'
                      '  return { batchItemFailures: failures };\n};\n',
    },
    "unchecked": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    entries = [{"Source": "jobs", "DetailType": "job", "Detail": r["body"]}\n'
                  '               for r in event["Records"]]\n'
                  '    response = events.put_events(Entries=entries)\n'
                  '    print("sent", response)\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  const entries = event.Records.map((r) =>\n'
                      '    ({ Source: "jobs", DetailType: "job", Detail: r.body }));\n'
                      '  const result = await eventbridge.putEvents({ Entries: entries }).promise();\n'
                      '  console.log("sent", JSON.stringify(result));\n};\n',
    },
    "checked": {
        "python": PY_HEAD + 'def handler(event, context):\n'
                  '    entries = [{"Source": "jobs", "DetailType": "job", "Detail": r["body"]}\n'
                  '               for r in event["Records"]]\n'
                  '    response = events.put_events(Entries=entries)\n'
                  '    if response["FailedEntryCount"]:\n'
                  '        raise RuntimeError(f"{response[\'FailedEntryCount\']} events not sent")\n',
        "javascript": JS_HEAD + 'exports.handler = async (event) => {\n'
                      '  const entries = event.Records.map((r) =>\n'
                      '    ({ Source: "jobs", DetailType: "job", Detail: r.body }));\n'
                      '  const result = await eventbridge.putEvents({ Entries: entries }).promise();\n'
                      '  if (result.FailedEntryCount > 0) throw new Error("events not sent");\n};\n',
    },
}


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing `marker`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


# ---------------------------------------------------------------- projects
RUNTIME = {"python": "python3.12", "javascript": "nodejs20.x"}
EXT = {"python": "py", "javascript": "js"}
FN = {"sam": "Worker", "cfn": "Worker", "terraform": "worker"}


def _sam(source: str, batch: int | None, partial: bool, runtime: str) -> str:
    props = {"sqs": "            Queue: !GetAtt Jobs.Arn\n",
             "kinesis": "            Stream: !GetAtt Jobs.Arn\n            StartingPosition: LATEST\n",
             "sns": "            Topic: !Ref Jobs\n"}[source]
    if batch is not None:
        props += f"            BatchSize: {batch}\n"
    if partial:
        props += "            FunctionResponseTypes: [ReportBatchItemFailures]\n"
    rtype = {"sqs": "AWS::SQS::Queue", "kinesis": "AWS::Kinesis::Stream",
             "sns": "AWS::SNS::Topic"}[source]
    extra = "    Properties: {ShardCount: 1}\n" if source == "kinesis" else ""
    return ("Transform: AWS::Serverless-2016-10-31\nResources:\n"
            f"  Jobs:\n    Type: {rtype}\n{extra}"
            "  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            f"      CodeUri: src/\n      Handler: app.handler\n      Runtime: {runtime}\n"
            "      Timeout: 10\n      MemorySize: 256\n"
            "      Events:\n        Batch:\n"
            f"          Type: {dict(sqs='SQS', kinesis='Kinesis', sns='SNS')[source]}\n"
            f"          Properties:\n{props}")


def _cfn(source: str, batch: int | None, partial: bool, runtime: str) -> str:
    rtype = {"sqs": "AWS::SQS::Queue", "kinesis": "AWS::Kinesis::Stream"}[source]
    extra = "    Properties: {ShardCount: 1}\n" if source == "kinesis" else ""
    esm = "      EventSourceArn: !GetAtt Jobs.Arn\n      FunctionName: !Ref Worker\n"
    if source == "kinesis":
        esm += "      StartingPosition: LATEST\n"
    if batch is not None:
        esm += f"      BatchSize: {batch}\n"
    if partial:
        esm += "      FunctionResponseTypes: [ReportBatchItemFailures]\n"
    return ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
            f"  Jobs:\n    Type: {rtype}\n{extra}"
            "  WorkerRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
            "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n"
            "        Statement:\n          - Effect: Allow\n"
            "            Principal: {Service: lambda.amazonaws.com}\n"
            "            Action: sts:AssumeRole\n"
            "  Worker:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            f"      Code: src/\n      Handler: app.handler\n      Runtime: {runtime}\n"
            "      Timeout: 10\n      MemorySize: 256\n      Role: !GetAtt WorkerRole.Arn\n"
            f"  Mapping:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n{esm}")


def _terraform(source: str, batch: int | None, partial: bool, runtime: str) -> str:
    queue = {"sqs": 'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n',
             "kinesis": 'resource "aws_kinesis_stream" "jobs" {\n  name = "jobs"\n'
                        '  shard_count = 1\n}\n'}[source]
    ref = {"sqs": "aws_sqs_queue.jobs.arn", "kinesis": "aws_kinesis_stream.jobs.arn"}[source]
    esm = f"  event_source_arn = {ref}\n  function_name = aws_lambda_function.worker.arn\n"
    if source == "kinesis":
        esm += '  starting_position = "LATEST"\n'
    if batch is not None:
        esm += f"  batch_size = {batch}\n"
    if partial:
        esm += '  function_response_types = ["ReportBatchItemFailures"]\n'
    return (queue +
            'data "archive_file" "worker" {\n  type = "zip"\n'
            '  source_dir = "${path.module}/src"\n  output_path = "${path.module}/worker.zip"\n}\n'
            'resource "aws_lambda_function" "worker" {\n  function_name = "worker"\n'
            '  filename = data.archive_file.worker.output_path\n'
            f'  handler = "app.handler"\n  runtime = "{runtime}"\n  timeout = 10\n'
            '  memory_size = 256\n  role = "arn:aws:iam::123456789012:role/worker"\n}\n'
            f'resource "aws_lambda_event_source_mapping" "jobs" {{\n{esm}}}\n')


def project(tmp_path: Path, fmt: str, lang: str, handler: str | None, *, source: str = "sqs",
            batch: int | None = 10, partial: bool = False) -> Path:
    """A project folder: the template (or Terraform module) and, unless `handler` is None,
    src/app.py or src/app.js."""
    if handler is not None:
        (tmp_path / "src").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / f"app.{EXT[lang]}").write_text(handler)
    build = {"sam": _sam, "cfn": _cfn, "terraform": _terraform}[fmt]
    text = build(source, batch, partial, RUNTIME[lang])
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / ("main.tf" if fmt == "terraform" else "template.yaml")
    path.write_text(text)
    return tmp_path if fmt == "terraform" else path


def findings(path: Path, rule: str) -> list:  # type: ignore[type-arg]
    arch = load_any(str(path))
    out = Engine.default(select=(rule,), traffic=node_traffic).run(arch, apply="none")
    return [f for f in out.findings if f.rule == rule]


def one(path: Path, rule: str, fmt: str):  # type: ignore[no-untyped-def]
    found = findings(path, rule)
    assert len(found) == 1, [f.message for f in found]
    f = found[0]
    assert f.subject == FN[fmt]
    assert f.location is not None and f.location.path.endswith(
        "main.tf" if fmt == "terraform" else "template.yaml")
    return f


def evidence_at(f, kind: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    item = next(e for e in f.evidence if e["kind"] == kind)
    assert item["path"].endswith("src/app.py") or item["path"].endswith("src/app.js")
    return item  # type: ignore[no-any-return]


# ---------------------------------------------------------------- first record only
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_first_record_only_on_a_batch_of_ten(tmp_path: Path, fmt: str, lang: str) -> None:
    code = HANDLERS["first"][lang]
    f = one(project(tmp_path, fmt, lang, code), "REL-HANDLER-FIRST-RECORD", fmt)
    assert f.severity == "error"
    assert "up to 10 records" in f.message and "BatchSize 10" in f.message
    item = evidence_at(f, "first-record-only")
    assert item["line"] == line_of(code, "Records")
    assert f"src/app.{EXT[lang]}:{item['line']}" in f.message
    assert f.to_dict()["evidence"][0]["line"] == item["line"]  # the JSON says it too


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_first_record_only_states_the_default_batch_of_a_stream(tmp_path: Path, fmt: str,
                                                               lang: str) -> None:
    path = project(tmp_path, fmt, lang, HANDLERS["first"][lang], source="kinesis", batch=None)
    f = one(path, "REL-HANDLER-FIRST-RECORD", fmt)
    assert "up to 100 records" in f.message and "default is 100" in f.message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_loop_over_the_records_or_a_batch_of_one_is_clean(tmp_path: Path, fmt: str,
                                                          lang: str) -> None:
    assert not findings(project(tmp_path / "a", fmt, lang, HANDLERS["loop"][lang]),
                        "REL-HANDLER-FIRST-RECORD")
    assert not findings(project(tmp_path / "b", fmt, lang, HANDLERS["first"][lang], batch=1),
                        "REL-HANDLER-FIRST-RECORD")


# ---------------------------------------------------------------- catch-all
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_catch_all_around_the_processing_of_a_queue(tmp_path: Path, fmt: str,
                                                      lang: str) -> None:
    code = HANDLERS["catch"][lang]
    f = one(project(tmp_path, fmt, lang, code), "REL-HANDLER-CATCH-ALL", fmt)
    item = evidence_at(f, "catch-all")
    assert item["line"] == line_of(code, "except" if lang == "python" else "catch")
    assert "dead-letter queue" in f.message and ("Jobs" in f.message or "jobs" in f.message)
    assert ("except Exception" if lang == "python" else "catch (err)") in f.message


@pytest.mark.parametrize("lang", LANGS)
def test_a_catch_all_in_an_asynchronously_invoked_function(tmp_path: Path, lang: str) -> None:
    path = project(tmp_path, "sam", lang, HANDLERS["catch"][lang], source="sns", batch=None)
    f = one(path, "REL-HANDLER-CATCH-ALL", "sam")
    assert "asynchronously" in f.message and "never retries" in f.message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_rethrowing_or_reporting_the_failure_is_clean(tmp_path: Path, fmt: str,
                                                      lang: str) -> None:
    assert not findings(project(tmp_path / "a", fmt, lang, HANDLERS["rethrow"][lang]),
                        "REL-HANDLER-CATCH-ALL")
    assert not findings(project(tmp_path / "b", fmt, lang, HANDLERS["reports"][lang],
                                partial=True), "REL-HANDLER-CATCH-ALL")


SETTLED_JS = (JS_HEAD + 'const save = async (records) => {\n'
              '  const results = await Promise.allSettled(records.map(async (record) =>\n'
              '    ddb.send(new PutItemCommand(item(JSON.parse(record.body))))));\n'
              '  results.map((r) => (r.status === "rejected") ? console.log(r) : null);\n'
              '  {after}\n'
              '};\n'
              'exports.handler = async (event) => {\n  await save(event.Records);\n};\n')


@pytest.mark.parametrize("fmt", FORMATS)
def test_promise_all_settled_whose_rejections_are_only_logged_swallows_them(
        tmp_path: Path, fmt: str) -> None:
    # every failed write is settled into a result that is only logged: the batch always
    # succeeds, so nothing is retried (no whole-batch retry either: no partial-batch finding)
    code = SETTLED_JS.replace("{after}", "")
    path = project(tmp_path, fmt, "javascript", code)
    f = one(path, "REL-HANDLER-CATCH-ALL", fmt)
    assert evidence_at(f, "catch-all")["line"] == line_of(code, "Promise.allSettled")
    assert "Promise.allSettled" in f.message
    assert not findings(path, "REL-BATCH-PARTIAL-FAILURES")


@pytest.mark.parametrize("after", [
    'if (results.some((r) => r.status === "rejected")) throw new Error("failed");',
    "return results;"])
def test_promise_all_settled_whose_rejections_are_rethrown_or_returned_is_not(
        tmp_path: Path, after: str) -> None:
    path = project(tmp_path, "sam", "javascript", SETTLED_JS.replace("{after}", after))
    assert not findings(path, "REL-HANDLER-CATCH-ALL")


# ---------------------------------------------------------------- partial batch responses
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_batch_without_partial_responses(tmp_path: Path, fmt: str, lang: str) -> None:
    code = HANDLERS["loop"][lang]
    f = one(project(tmp_path, fmt, lang, code), "REL-BATCH-PARTIAL-FAILURES", fmt)
    assert f.severity == "warning" and "ReportBatchItemFailures" in f.message
    item = evidence_at(f, "per-record-call")
    assert item["line"] == line_of(code, "put_item" if lang == "python" else "PutItemCommand(item")
    assert "dynamodb." in item["detail"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_partial_responses_on_both_sides_are_clean(tmp_path: Path, fmt: str, lang: str) -> None:
    path = project(tmp_path, fmt, lang, HANDLERS["reports"][lang], partial=True)
    assert not findings(path, "REL-BATCH-PARTIAL-FAILURES")
    assert not findings(path, "REL-BATCH-FAILURES-IGNORED")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_reported_failures_the_mapping_ignores(tmp_path: Path, fmt: str, lang: str) -> None:
    code = HANDLERS["reports"][lang]
    f = one(project(tmp_path, fmt, lang, code), "REL-BATCH-FAILURES-IGNORED", fmt)
    assert f.severity == "error" and "ignores the response" in f.message
    assert evidence_at(f, "partial-batch")["line"] == line_of(code, "batchItemFailures")


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_code_no_finding(tmp_path: Path, fmt: str) -> None:
    """Without the handler source nothing is claimed about what it does."""
    path = project(tmp_path, fmt, "python", None)
    for rule in ("REL-HANDLER-FIRST-RECORD", "REL-HANDLER-CATCH-ALL",
                 "REL-BATCH-PARTIAL-FAILURES", "REL-BATCH-FAILURES-IGNORED",
                 "REL-HANDLER-UNCHECKED-BATCH-RESULT"):
        assert not findings(path, rule), rule


# ---------------------------------------------------------------- unchecked batch results
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unchecked_put_events_result(tmp_path: Path, fmt: str, lang: str) -> None:
    code = HANDLERS["unchecked"][lang]
    f = one(project(tmp_path, fmt, lang, code), "REL-HANDLER-UNCHECKED-BATCH-RESULT", fmt)
    item = evidence_at(f, "unchecked-result")
    assert item["line"] == line_of(code, "put_events(" if lang == "python" else "putEvents(")
    assert "FailedEntryCount" in item["detail"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_checked_put_events_result_is_clean(tmp_path: Path, fmt: str, lang: str) -> None:
    assert not findings(project(tmp_path, fmt, lang, HANDLERS["checked"][lang]),
                        "REL-HANDLER-UNCHECKED-BATCH-RESULT")


# ---------------------------------------------------------------- the readers' limits
def facts(text: str, lang: str = "python") -> str | None:
    return inspect_source(text, lang).facts


@pytest.mark.parametrize("code", [
    # the result goes back to the caller, or into a helper: not followed, so not claimed
    "import boto3\nk = boto3.client('kinesis')\ndef handler(event, context):\n"
    "    return k.put_records(StreamName='s', Records=[])\n",
    "import boto3\nk = boto3.client('kinesis')\ndef handler(event, context):\n"
    "    out = k.put_records(StreamName='s', Records=[])\n    check(out)\n",
    "import boto3\nq = boto3.client('sqs')\ndef handler(event, context):\n"
    "    r = q.send_message_batch(QueueUrl='u', Entries=[])\n    if r.get('Failed'):\n"
    "        raise RuntimeError(r['Failed'])\n",
])
def test_results_the_scan_cannot_follow_or_that_are_checked(code: str) -> None:
    assert "unchecked-result" not in (facts(code) or "")


@pytest.mark.parametrize("code", [
    "const { SNSClient, PublishBatchCommand } = require('@aws-sdk/client-sns');\n"
    "const sns = new SNSClient({});\nexports.handler = async (event) => {\n"
    "  await sns.send(new PublishBatchCommand({ TopicArn: process.env.T,\n"
    "    PublishBatchRequestEntries: [] }));\n};\n",
    "const { SQSClient, SendMessageBatchCommand } = require('@aws-sdk/client-sqs');\n"
    "const sqs = new SQSClient({});\nexports.handler = async (event) => {\n"
    "  const command = new SendMessageBatchCommand({ QueueUrl: process.env.Q, Entries: [] })\n"
    "  const out = await sqs.send(command)\n  console.log(out)\n}\n",
])
def test_discarded_or_logged_v3_results_without_semicolons(code: str) -> None:
    assert "unchecked-result" in (facts(code, "javascript") or "")


def test_a_try_inside_an_except_block_is_error_handling_not_a_catch_all() -> None:
    code = ("import boto3\nsqs = boto3.client('sqs')\ndef handler(event, context):\n"
            "    failed = []\n    for r in event['Records']:\n        try:\n"
            "            sqs.send_message(QueueUrl='a', MessageBody=r['body'])\n"
            "        except Exception:\n            failed.append(r['messageId'])\n"
            "            try:\n                sqs.send_message(QueueUrl='dlq', MessageBody=r['body'])\n"
            "            except Exception as e:\n                print(e)\n"
            "    return {'batchItemFailures': [{'itemIdentifier': i} for i in failed]}\n")
    assert "catch-all" not in (facts(code) or "")


def test_records_iterated_anywhere_is_not_first_record_only() -> None:
    code = ("def handler(event, context):\n    first = event['Records'][0]\n"
            "    n = len(event['Records'])\n    return first, n\n")
    assert "first-record-only" not in (facts(code) or "")
    js = ("exports.handler = async (event) => {\n  const first = event.Records[0];\n"
          "  for (const r of event.Records) { console.log(r) }\n};\n")
    assert "first-record-only" not in (facts(js, "javascript") or "")
    assert "first-record-only" in (facts("exports.handler = async (event) => {\n"
                                         "  const [record] = event.Records;\n"
                                         "  return record.body;\n};\n", "javascript") or "")


def test_unreadable_code_has_no_facts() -> None:
    assert facts("def handler(event, context:\n") is None


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_first_record_handler_blocks_a_larger_batch(tmp_path: Path, fmt: str,
                                                      lang: str) -> None:
    """COST-SQS-BATCH would raise the batch to 10: not for a handler that reads only the
    first record, which would then drop nine of them."""
    assert not findings(project(tmp_path / "a", fmt, lang, HANDLERS["first"][lang], batch=1),
                        "COST-SQS-BATCH")
    assert findings(project(tmp_path / "b", fmt, lang, HANDLERS["loop"][lang], batch=1),
                    "COST-SQS-BATCH")


RELAY_SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
  Notifications:
    Type: AWS::SNS::Topic
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import os
        import boto3
        sns = boto3.client("sns")
        def handler(event, context):
            sns.publish(TopicArn=os.environ["TOPIC"], Message={message})
      Environment:
        Variables:
          TOPIC: !Ref Notifications
      Policies:
        - SNSPublishMessagePolicy: {TopicName: !GetAtt Notifications.TopicName}
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: {batch}
"""


def test_a_pipe_is_not_offered_for_a_handler_that_forwards_only_the_first_record(
        tmp_path: Path) -> None:
    """A pipe forwards every record; a handler reading only `Records[0]` of batches of
    ten forwarded one: GLUE-STREAM-PIPES is blocked (with the reason), the handler is
    reported; with one record per batch, or a loop over the records, the pipe is offered."""
    from conftest import analyse_input

    def rules(name: str, message: str, batch: int) -> tuple[set[str], list[str]]:
        result = analyse_input(tmp_path / name, "sam", RELAY_SAM.replace(
            "{message}", message).replace("{batch}", str(batch)))
        blocked = [b.to_dict() for b in result.blocked]
        reasons = [str(b) for b in blocked if "GLUE-STREAM-PIPES" in str(b)]
        return {f.rule for f in result.findings}, reasons

    first = 'event["Records"][0]["body"]'
    found, blocked = rules("first", first, 10)
    assert "GLUE-STREAM-PIPES" not in found and "REL-HANDLER-FIRST-RECORD" in found
    assert blocked and "forwards only the first record of each batch of up to 10" in blocked[0]
    found, _ = rules("one", first, 1)
    assert "GLUE-STREAM-PIPES" in found
