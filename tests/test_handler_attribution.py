"""Handler code is attributed to the function the `Handler` setting names.

Each case writes a real template (SAM or Terraform) and its handler files into tmp_path,
imports it, and checks what lands on each function node: a file holding several handlers
gives each function the verdict, evidence and facts of its own handler (and what that
handler calls in the file), never the file's whole.
"""

from __future__ import annotations

from pathlib import Path

from advisor.importers import load_any

SHARED_MODULE = '''import json
import boto3
sfn = boto3.client("stepfunctions")


def start(event, context):
    sfn.start_execution(stateMachineArn="arn:aws:states:us-east-1:1:stateMachine:sm",
                        input=event["Records"][0]["body"])


def calculate(event, context):
    return {"r": _double(event["id"])}


def _double(x):
    return x * 2
'''

TF_SHARED = '''
resource "aws_sqs_queue" "q" {
  name = "q"
}

resource "aws_sfn_state_machine" "sm" {
  name     = "sm"
  role_arn = "arn:aws:iam::1:role/r"
  definition = jsonencode({
    StartAt = "C",
    States = { C = { Type = "Task", Resource = "arn:aws:states:::lambda:invoke",
      Parameters = { FunctionName = aws_lambda_function.calculate.arn }, End = true } }
  })
}

resource "aws_lambda_function" "start" {
  function_name = "start"
  role          = "arn:aws:iam::1:role/r"
  filename      = "aws_lambdas.zip"
  runtime       = "python3.12"
  handler       = "aws_lambdas.start"
}

resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.q.arn
  function_name    = aws_lambda_function.start.arn
}

resource "aws_lambda_function" "calculate" {
  function_name = "calculate"
  role          = "arn:aws:iam::1:role/r"
  filename      = "aws_lambdas.zip"
  runtime       = "python3.12"
  handler       = "aws_lambdas.calculate"
}

resource "aws_lambda_function" "gone" {
  function_name = "gone"
  role          = "arn:aws:iam::1:role/r"
  filename      = "aws_lambdas.zip"
  runtime       = "python3.12"
  handler       = "aws_lambdas.aggregate"
}
'''

SAM_SHARED = '''Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
Resources:
  Q:
    Type: AWS::SQS::Queue
  Start:
    Type: AWS::Serverless::Function
    Properties:
      Handler: aws_lambdas.start
      Events:
        E:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn}
  Calculate:
    Type: AWS::Serverless::Function
    Properties:
      Handler: aws_lambdas.calculate
      Events:
        E:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn}
  Gone:
    Type: AWS::Serverless::Function
    Properties:
      Handler: aws_lambdas.aggregate
'''


def _props(arch, node: str) -> dict:
    return arch.graph.nodes[node]["props"]


def _notes(arch) -> list[str]:
    return [d.message for d in arch.notes]


def test_terraform_functions_sharing_a_file_get_their_own_handler(tmp_path: Path) -> None:
    (tmp_path / "aws_lambdas.py").write_text(SHARED_MODULE)
    (tmp_path / "main.tf").write_text(TF_SHARED)
    arch = load_any(str(tmp_path / "main.tf"))
    start, calc = _props(arch, "start"), _props(arch, "calculate")
    assert "stepfunctions.start_execution" in start.get("glue_evidence", "")
    assert "first-record-only" in start.get("handler_facts", "")
    assert calc.get("glue") is False
    assert "glue_evidence" not in calc and "glue_target" not in calc
    assert calc.get("handler_facts") == "none"
    # no function other than `start` reaches a state machine through its code
    assert not [n for n in arch.graph.nodes if arch.kind(n) == "sfn" and n != "sm"]
    gone = _props(arch, "gone")
    assert not {"glue", "glue_evidence", "handler_facts"} & set(gone)
    assert any("gone" in m and "aggregate" in m for m in _notes(arch))


def test_sam_functions_sharing_a_file_get_their_own_handler(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "aws_lambdas.py").write_text(SHARED_MODULE)
    (tmp_path / "template.yaml").write_text(SAM_SHARED)
    arch = load_any(str(tmp_path / "template.yaml"))
    start, calc = _props(arch, "Start"), _props(arch, "Calculate")
    assert start.get("glue") is True
    assert "first-record-only" in start.get("handler_facts", "")
    assert calc.get("glue") is False
    assert "glue_evidence" not in calc and calc.get("handler_facts") == "none"
    gone = _props(arch, "Gone")
    assert not {"glue", "glue_evidence", "handler_facts"} & set(gone)
    assert any("Gone" in m and "aggregate" in m for m in _notes(arch))


def test_a_route_registered_on_an_object_the_handler_uses_is_kept(tmp_path: Path) -> None:
    """Powertools-style routing: the handler only calls `app.resolve`; the work is in
    functions registered on `app` by a decorator, which belong to the handler."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text('''import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
app = APIGatewayRestResolver()
events = boto3.client("events")


@app.post("/orders")
def create():
    events.put_events(Entries=[{"EventBusName": "b", "Detail": app.current_event.body}])


def lambda_handler(event, context):
    return app.resolve(event, context)
''')
    (tmp_path / "template.yaml").write_text('''Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.lambda_handler
''')
    arch = load_any(str(tmp_path / "template.yaml"))
    assert "put_events" in _props(arch, "Api").get("glue_evidence", "")


def test_a_missing_code_folder_never_borrows_another_functions_file(tmp_path: Path) -> None:
    """Globals `Handler: main.handler`: A's folder is missing, B's holds main.py. The
    file is B's code; A gets no code and the note that its code was not read."""
    (tmp_path / "src" / "b").mkdir(parents=True)
    (tmp_path / "src" / "b" / "main.py").write_text('''import boto3
eb = boto3.client("events")


def handler(event, _):
    eb.put_events(Entries=[{"Source": "x", "DetailType": "y", "Detail": "{}"}])
''')
    (tmp_path / "template.yaml").write_text('''Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: main.handler
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/a/
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/b/
''')
    arch = load_any(str(tmp_path / "template.yaml"))
    a, b = _props(arch, "A"), _props(arch, "B")
    assert b.get("code") == "src/b/main.py" and "put_events" in b.get("glue_evidence", "")
    assert not {"code", "glue_evidence", "handler_facts", "glue"} & set(a)
    assert "src/a" in a.get("missing_path", "")
    assert any("code of A" in m and "src/a/" in m for m in _notes(arch))


def test_a_built_zip_still_finds_its_unclaimed_source(tmp_path: Path) -> None:
    """`CodeUri: src/index.zip` (built by a script) with src/index.py beside it and no
    other function claiming src/: the one file of that name is the function's code."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.py").write_text(SHARED_MODULE)
    (tmp_path / "template.yaml").write_text('''Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/index.zip
      Handler: index.start
''')
    arch = load_any(str(tmp_path / "template.yaml"))
    assert _props(arch, "Fn").get("code") == "src/index.py"


def test_a_handler_path_without_codeuri_is_read_from_the_template_folder(tmp_path: Path) -> None:
    """No CodeUri: SAM CLI's code folder is the template's own (`.`), so
    `Handler: src/api/sqs_processor.lambda_handler` names src/api/sqs_processor.py."""
    (tmp_path / "src" / "api").mkdir(parents=True)
    (tmp_path / "src" / "api" / "sqs_processor.py").write_text('''import os, boto3
table = boto3.resource("dynamodb").Table(os.environ["T"])


def lambda_handler(event, context):
    for record in event["Records"]:
        table.put_item(Item={"id": record["messageId"], "body": record["body"]})
''')
    (tmp_path / "template.yaml").write_text('''Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Q:
    Type: AWS::SQS::Queue
  Proc:
    Type: AWS::Serverless::Function
    Properties:
      Handler: src/api/sqs_processor.lambda_handler
      Events:
        E:
          Type: SQS
          Properties: {Queue: !GetAtt Q.Arn, BatchSize: 10}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: src/api/get_status.lambda_handler
''')
    arch = load_any(str(tmp_path / "template.yaml"))
    proc = _props(arch, "Proc")
    assert proc.get("code") == "src/api/sqs_processor.py"
    assert "per-record-call" in proc.get("handler_facts", "")
    assert "code" not in _props(arch, "Other")
    assert any("code of Other" in m and "no CodeUri" in m for m in _notes(arch))


def test_another_handler_in_the_file_does_not_hide_first_record_only(tmp_path: Path) -> None:
    """The step-function-map shape: `start` reads only Records[0] of a batch of 1, and
    another function of the same file serialises its whole event. A larger SQS batch
    must stay blocked for `start` (it would drop every record but the first)."""
    from advisor.engine import Engine
    from advisor.pipeline import node_traffic

    (tmp_path / "aws_lambdas.py").write_text(SHARED_MODULE + '''

def aggregate(event, context):
    return "processed result " + json.dumps(event, default=str)
''')
    (tmp_path / "main.tf").write_text(TF_SHARED.replace(
        "  function_name    = aws_lambda_function.start.arn\n",
        "  function_name    = aws_lambda_function.start.arn\n  batch_size       = 1\n"))
    arch = load_any(str(tmp_path / "main.tf"))
    assert "first-record-only" in _props(arch, "start").get("handler_facts", "")
    out = Engine.default(select=("COST-SQS-BATCH",), traffic=node_traffic).run(arch, apply="none")
    assert not [f for f in out.findings if f.rule == "COST-SQS-BATCH"]
    assert [b for b in out.blocked if b.rule == "COST-SQS-BATCH" and "first record" in b.reason]


def test_javascript_functions_sharing_a_file_get_their_own_handler(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('''const { SFNClient, StartExecutionCommand } =
  require("@aws-sdk/client-sfn");
const sfn = new SFNClient({});

exports.start = async (event) => {
  await sfn.send(new StartExecutionCommand({
    stateMachineArn: process.env.SM, input: event.Records[0].body }));
};

exports.calculate = async (event) => {
  return { r: double(event.id) };
};

function double(x) {
  return x * 2;
}
''')
    (tmp_path / "template.yaml").write_text(SAM_SHARED.replace("python3.12", "nodejs20.x")
                                            .replace("aws_lambdas.", "index."))
    arch = load_any(str(tmp_path / "template.yaml"))
    start, calc = _props(arch, "Start"), _props(arch, "Calculate")
    assert start.get("glue") is True and "StartExecution" in start.get("glue_evidence", "")
    assert calc.get("glue") is False
    assert "glue_evidence" not in calc and calc.get("handler_facts") == "none"


def test_a_handler_that_rejects_some_requests_itself_is_not_glue() -> None:
    """Judged on its own function, `take` is one SendMessage with a parse; but it
    answers 400 itself when the order has no items, which an API Gateway to SQS
    integration (forwarding every request) would not."""
    from advisor.importers.handlers import inspect_source

    code = '''import json, os, boto3
sqs = boto3.client("sqs")


def take(event, context):
    order = json.loads(event["body"] or "{}")
    if not order.get("items"):
        return {"statusCode": 400, "body": "an order needs items"}
    sqs.send_message(QueueUrl=os.environ["Q"], MessageBody=json.dumps(order))
    return {"statusCode": 202}
'''
    report = inspect_source(code, "python", function="take")
    assert report.verdict == "logic"
    assert any("status 400" in r and "line 8" in r for r in report.reasons)
    plain = code.replace('''    if not order.get("items"):
        return {"statusCode": 400, "body": "an order needs items"}
''', "")
    assert inspect_source(plain, "python", function="take").verdict == "glue"


def test_a_handler_bound_below_the_top_level_or_imported() -> None:
    """A handler defined inside a top-level `try` is still the file's (read whole); one
    imported from another module is not in this file: nothing is recorded, and why."""
    from advisor.importers.handlers import inspect_source, not_found_reason

    nested = '''import boto3
sqs = boto3.client("sqs")
try:
    import orjson as json
except ImportError:
    import json
    def handler(event, context):
        sqs.send_message(QueueUrl="q", MessageBody=event["body"])
'''
    assert inspect_source(nested, "python", function="handler").verdict == "glue"
    imported = inspect_source("from .impl import handler\n", "python", function="handler")
    assert imported.verdict == "unknown" and imported.facts is None
    assert "imported from .impl" in (not_found_reason(imported) or "")
