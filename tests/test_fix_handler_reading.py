"""`advisor fix` reads what a glue function sent the way handler inspection's payload fact
does (advisor/importers/handlers/payload.py), for Python and JavaScript alike:

- SNS invokes a function with one record, so `event["Records"][0]["Sns"]["Message"]`
  (`event.Records[0].Sns.Message`) is each notification's Message: the SNS -> Firehose
  subscription that replaces the function delivers it raw;
- on an API Gateway proxy event `event["message"]` is a field of the event itself, not of
  the request body (`json.loads(event["body"])["message"]`): no request mapping reads it,
  so the rewrite is not patched, with the reason.

Own SAM fixtures and handlers, written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.fix import fix_source
from advisor.importers.cloudformation.template import load_template
from advisor.pipeline import Options

RUNTIME = {"python": "python3.12", "javascript": "nodejs20.x"}
EXT = {"python": "py", "javascript": "js"}

SNS_FIREHOSE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SNS::Topic
  Archive:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      ExtendedS3DestinationConfiguration:
        BucketARN: arn:aws:s3:::archive-bucket
        RoleARN: arn:aws:iam::123456789012:role/firehose
  Relay:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          STREAM: !Ref Archive
      Policies:
        - FirehoseWritePolicy:
            DeliveryStreamName: !Ref Archive
      Events:
        FromOrders:
          Type: SNS
          Properties:
            Topic: !Ref Orders
"""

PY_FIREHOSE = 'import json, os, time\nimport boto3\n\nfirehose = boto3.client("firehose")\n\n\n'
JS_FIREHOSE = ('const { FirehoseClient, PutRecordCommand } = require("@aws-sdk/client-firehose");\n'
               "const firehose = new FirehoseClient({});\n\n")

FIRST_MESSAGE = {
    "python": PY_FIREHOSE + 'def handler(event, context):\n'
              '    message = event["Records"][0]["Sns"]["Message"]\n'
              '    firehose.put_record(DeliveryStreamName=os.environ["STREAM"],\n'
              '                        Record={"Data": message})\n',
    "javascript": JS_FIREHOSE + "exports.handler = async (event) => {\n"
                  "  const message = event.Records[0].Sns.Message;\n"
                  "  await firehose.send(new PutRecordCommand({\n"
                  "    DeliveryStreamName: process.env.STREAM,\n"
                  "    Record: { Data: message },\n  }));\n};\n",
}
STAMPED = {
    "python": FIRST_MESSAGE["python"].replace(
        'Record={"Data": message}',
        'Record={"Data": json.dumps({"m": message, "at": time.time()})}'),
    "javascript": FIRST_MESSAGE["javascript"].replace(
        "Record: { Data: message }",
        "Record: { Data: JSON.stringify({ m: message, at: Date.now() }) }"),
}


def _project(tmp_path: Path, template: str, lang: str, code: str) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / f"app.{EXT[lang]}").write_text(code)
    path = tmp_path / "template.yaml"
    path.write_text(template.replace("{runtime}", RUNTIME[lang]))
    return path


def _rewrite(path: Path, rule: str, apply: str = "default"):  # type: ignore[no-untyped-def]
    fix = fix_source(str(path), Options(apply=apply, estimates=False, select=(rule,)))
    (rw,) = [r for r in fix.rewrites if r.rule == rule]
    return rw, fix


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_the_first_record_of_an_sns_event_is_each_notification(tmp_path: Path,
                                                                lang: str) -> None:
    rw, fix = _rewrite(_project(tmp_path, SNS_FIREHOSE, lang, FIRST_MESSAGE[lang]),
                       "GLUE-SNS-FIREHOSE")
    assert rw.status == "patched", rw.to_dict()
    res = load_template(fix.changed[0].new, str(tmp_path / "template.yaml"))["Resources"]
    assert "Relay" not in res
    (sub,) = [r["Properties"] for r in res.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert sub["Protocol"] == "firehose" and sub["RawMessageDelivery"] is True


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_a_message_the_handler_builds_is_not_patched(tmp_path: Path, lang: str) -> None:
    """Not applied by default (the payload is not traced), and asked for, not patched."""
    path = _project(tmp_path, SNS_FIREHOSE, lang, STAMPED[lang])
    assert not fix_source(str(path), Options(apply="default", estimates=False,
                                             select=("GLUE-SNS-FIREHOSE",))).changed
    rw, fix = _rewrite(path, "GLUE-SNS-FIREHOSE", apply="all")
    assert rw.status != "patched" and not fix.changed
    assert ("time.time()" if lang == "python" else "Date.now") in rw.reason


API_SQS = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Send:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      CodeUri: src/
      Timeout: 10
      Environment:
        Variables:
          Q: !Ref Jobs
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Jobs.QueueName
      Events:
        Post:
          Type: Api
          Properties:
            Path: /send
            Method: POST
"""

PY_SQS = 'import json, os\nimport boto3\n\nsqs = boto3.client("sqs")\n\n\n'
JS_SQS = ('const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");\n'
          "const sqs = new SQSClient({});\n\n")


def _api_handler(lang: str, message: str) -> str:
    if lang == "python":
        return PY_SQS + ("def handler(event, context):\n"
                         f'    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody={message})\n'
                         '    return {"statusCode": 200, "body": "queued"}\n')
    return JS_SQS + ("exports.handler = async (event) => {\n"
                     "  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.Q, "
                     f"MessageBody: {message} }}));\n"
                     '  return { statusCode: 200, body: "queued" };\n};\n')


@pytest.mark.parametrize(("lang", "message"), [
    ("python", 'event["message"]'), ("javascript", "event.message")])
def test_a_field_of_the_proxy_event_is_not_read_as_a_body_field(tmp_path: Path, lang: str,
                                                                 message: str) -> None:
    rw, fix = _rewrite(_project(tmp_path, API_SQS, lang, _api_handler(lang, message)),
                       "GLUE-APIGW-SQS")
    assert rw.status != "patched" and not fix.changed
    assert "event.message" in rw.reason and "proxy event" in rw.reason


@pytest.mark.parametrize(("lang", "message"), [
    ("python", 'json.loads(event["body"])["message"]'),
    ("javascript", "JSON.parse(event.body).message")])
def test_a_field_of_the_request_body_is_mapped(tmp_path: Path, lang: str, message: str) -> None:
    rw, fix = _rewrite(_project(tmp_path, API_SQS, lang, _api_handler(lang, message)),
                       "GLUE-APIGW-SQS")
    assert rw.status == "patched", rw.to_dict()
    assert "MessageBody=$util.urlEncode($input.path(''$.message''))" in fix.changed[0].new
