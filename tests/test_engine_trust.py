"""Findings an architect can act on (issue 13, items 3-6): what the user must add, REST ->
HTTP only without REST-only features (else `--show-blocked` says why), performance
findings only with a consequence, severity and order by the saving at stake, applied and
available savings in the summary. Designs are written for each test in the DSL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.dsl import parse_text
from advisor.engine import Engine
from advisor.pipeline import FileResult, Options, Report, analyze_architecture
from advisor.report import write


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def analyzed(text: str) -> FileResult:
    return analyze_architecture(parse_text(text, "d.arch"), Options(), FileResult(source="d.arch"))


# ------------------------------------------------------------------ item 3: must add
def test_a_service_integration_says_what_the_user_must_add(engine: Engine) -> None:
    out = engine.run(parse_text(
        'client app\napigw api { type = rest }\nlambda put { glue = true, glue_target = "dynamodb",'
        ' glue_evidence = "dynamodb.put(TableName, Item) at line 11; document-client: plain JSON'
        ' items through the DynamoDB document client at line 11", code = "src/app.js" }\n'
        "dynamodb t\napp -> api -> put -> t\n"))
    f = next(f for f in out.findings if f.rule == "GLUE-APIGW-DYNAMODB")
    alt = f.alternatives[0]
    _ = alt.after
    kinds = {m["kind"] for m in alt.must_add}
    assert {"mapping_template", "iam_role", "typed_dynamodb_json"} <= kinds
    typed = next(m for m in alt.must_add if m["kind"] == "typed_dynamodb_json")
    assert "src/app.js:11" in typed["detail"] and not typed["changes_behaviour"]
    assert alt.to_dict()["must_add"] == alt.must_add


def test_a_pipe_from_a_queue_needs_the_body_input_template(engine: Engine) -> None:
    text = ('sqs q\nlambda fwd { glue = true, glue_target = "sqs", glue_evidence ='
            ' "sqs.send_message(QueueUrl, MessageBody) at line 9; parse: json.loads at line 8" }\n'
            "sqs out\nq -> fwd -> out\n")
    f = next(f for f in engine.run(parse_text(text)).findings if f.rule == "GLUE-STREAM-PIPES")
    alt = f.alternatives[0]
    _ = alt.after
    template = next(m for m in alt.must_add if m["kind"] == "input_template")
    assert "`<$.body>`" in template["detail"]


def test_a_lost_sns_subject_changes_behaviour_and_is_not_applied_by_default(engine: Engine) -> None:
    text = ('eventbridge rule { pattern = "x" }\nlambda notify { glue = true, glue_target = "sns",'
            ' glue_evidence = "sns.publish(TopicArn, Subject, Message) at line 14" }\n'
            "sns alerts\nrule -> notify -> alerts\n")
    out = engine.run(parse_text(text))
    f = next(f for f in out.findings if f.rule == "GLUE-EVENTBRIDGE-SNS")
    assert "notify" in out.after.graph  # not applied by default
    assert f.auto == "all" and "changes what the system does" in f.note
    _ = f.alternatives[0].after  # building it works out what must be added
    subject = next(m for m in f.alternatives[0].must_add if m["kind"] == "sns_subject")
    assert subject["changes_behaviour"] and "line 14" in subject["detail"]
    assert "notify" not in engine.run(parse_text(text), apply="all").after.graph


def test_an_express_workflow_says_its_five_minute_limit(engine: Engine) -> None:
    text = ('sqs q\nlambda put { glue = true, glue_target = "dynamodb", timeout = 10min,'
            ' glue_evidence = "dynamodb.put_item(TableName, Item) at line 5" }\n'
            "dynamodb t\nq -> put -> t\n")
    f = next(f for f in engine.run(parse_text(text)).findings
             if f.rule == "GLUE-EXPRESS-SDK-TASK")
    alt = f.alternatives[0]
    _ = alt.after
    timeout = next(m for m in alt.must_add if m["kind"] == "timeout")
    assert "5 minutes" in timeout["detail"] and "600 s" in timeout["detail"]


# ------------------------------------------------------------------ item 4: REST -> HTTP
@pytest.mark.parametrize(("props", "reason"), [
    ("tracing = true", "X-Ray tracing"),
    ("auth = api_key", "API keys"),
    ("caching = true", "API caching"),
    ("validation = true", "request validation"),
    ("waf = true", "WAF"),
    ("resource_policy = true", "a resource policy"),
    ("endpoint = private", "private endpoint"),
])
def test_rest_only_features_block_the_switch(engine: Engine, props: str, reason: str) -> None:
    endpoint = "" if "endpoint" in props else ", endpoint = regional"
    out = engine.run(parse_text(f"client app\napigw api {{ type = rest, {props}{endpoint} }}\n"
                                "lambda fn\napp -> api -> fn\n"))
    assert not [f for f in out.findings if f.rule == "COST-APIGW-REST-TO-HTTP"]
    blocked = next(b for b in out.blocked if b.rule == "COST-APIGW-REST-TO-HTTP")
    assert reason in blocked.reason


@pytest.mark.parametrize(("target", "edge", "reason"), [
    ("dynamodb t", "", "dynamodb service integration"),
    ("sfn flow", '[integration = service, action = "SendTaskSuccess"]', "SendTaskSuccess"),
    ("lambda fn", "[transform = true]", "mapping template"),
])
def test_integrations_http_apis_lack_block_the_switch(engine: Engine, target: str, edge: str,
                                                      reason: str) -> None:
    name = target.split()[1]
    out = engine.run(parse_text(f"client app\napigw api {{ type = rest, endpoint = regional }}\n"
                                f"{target}\napp -> api\napi -> {name} {edge}\n"))
    assert not [f for f in out.findings if f.rule == "COST-APIGW-REST-TO-HTTP"]
    assert any(reason in b.reason for b in out.blocked if b.rule == "COST-APIGW-REST-TO-HTTP")


def test_an_unstated_endpoint_is_edge_optimized(engine: Engine) -> None:
    out = engine.run(parse_text("client app\napigw api { type = rest }\nlambda fn\napp -> api -> fn\n"))
    assert not [f for f in out.findings if f.rule == "COST-APIGW-REST-TO-HTTP"]
    assert any("endpoint type not stated" in b.reason for b in out.blocked)


def test_show_blocked_lists_them_in_text_and_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    design = tmp_path / "api.arch"
    design.write_text("client app\napigw api { type = rest, tracing = true, endpoint = regional }\n"
                      "lambda fn { timeout = 5s }\napp -> api -> fn\n")
    _register_all()
    runner = CliRunner()
    main = cli
    plain = runner.invoke(main, ["analyze", str(design), "--no-estimates"])
    assert "blocked by" not in plain.output
    shown = runner.invoke(main, ["analyze", str(design), "--no-estimates", "--show-blocked"])
    assert "blocked by: X-Ray tracing" in shown.output
    data = json.loads(runner.invoke(main, ["analyze", str(design), "--no-estimates",
                                           "--show-blocked", "--format", "json"]).output)
    blocked = data["results"][0]["blocked"]
    assert blocked[0]["rule"] == "COST-APIGW-REST-TO-HTTP" and "X-Ray" in blocked[0]["reason"]
    assert data["summary"]["blocked"] == 1
    assert "blocked" not in json.loads(runner.invoke(
        main, ["analyze", str(design), "--no-estimates", "--format", "json"]).output)["results"][0]


# ------------------------------------------------------------------ item 5: performance
def test_an_unset_timeout_or_memory_alone_is_no_finding(engine: Engine) -> None:
    out = engine.run(parse_text("sqs q\nlambda worker { runtime = python3.12 }\nq -> worker\n"))
    assert not [f for f in out.findings if f.rule in ("PERF-LAMBDA-MEMORY", "PERF-LAMBDA-TIMEOUT")]


def test_a_timeout_longer_than_the_api_that_waits(engine: Engine) -> None:
    out = engine.run(parse_text("client app\napigw api\nlambda slow { timeout = 60s }\n"
                                "app -> api -> slow\n"))
    f = next(f for f in out.findings if f.rule == "PERF-LAMBDA-TIMEOUT")
    assert "api gives up after 29 s" in f.message


def test_a_default_timeout_in_front_of_a_slower_callee(engine: Engine) -> None:
    out = engine.run(parse_text("apigw api\nlambda front\nlambda back { timeout = 20s }\n"
                                "api -> front -> back\n"))
    f = next(f for f in out.findings if f.rule == "PERF-LAMBDA-TIMEOUT" and f.subject == "front")
    assert "the 3 s default timeout" in f.message and "back" in f.message


def test_a_standard_workflow_started_by_a_function_is_not_waited_for(engine: Engine) -> None:
    out = engine.run(parse_text("lambda start { timeout = 5s }\nsfn flow { duration = 30s }\n"
                                "start -> flow\n"))
    assert not [f for f in out.findings if f.rule == "PERF-LAMBDA-TIMEOUT"]


def test_128_mb_for_a_jvm_runtime_or_a_long_run(engine: Engine) -> None:
    out = engine.run(parse_text("lambda jvm { runtime = java21 }\n"
                                "lambda crunch { runtime = python3.12, duration = 4s }\n"
                                "lambda sized { runtime = java21, memory = 1024MB }\n"))
    flagged = {f.subject for f in out.findings if f.rule == "PERF-LAMBDA-MEMORY"}
    assert flagged == {"jvm", "crunch"}


# ------------------------------------------------------------------ item 6: stake
STANDARD = """
workload { requests = 200M/month }
client app
sfn pipeline { type = standard, states = 10, duration = 2s }
app -> pipeline
"""


def test_a_large_saving_is_not_info_and_the_summary_shows_it_as_available() -> None:
    result = analyzed(STANDARD)
    f = next(f for f in result.findings if f.rule == "COST-SFN-EXPRESS")
    assert f.severity == "warning" and f.stake_usd_month > 10_000
    assert f.to_dict()["stake_usd_month"] == f.stake_usd_month
    summary = Report([result]).summary()
    assert summary["applied_savings_usd_month"] == 0.0  # opt-in: offered, not applied
    assert summary["available_savings_usd_month"] >= f.stake_usd_month
    text = write(Report([result]), "text", color=False, width=160)
    assert "savings applied $0.00/month, available $" in text
    assert "savings applied" in write(Report([result]), "markdown").lower()
    assert "savings applied" in write(Report([result]), "html", diagrams=False)


def test_cost_findings_are_ordered_by_the_saving_at_stake() -> None:
    from advisor.report import common

    result = analyzed(STANDARD + "\nsfn small { type = standard, states = 2, requests = 2M/month }\n"
                      "app -> small\n")
    costs = [f for f in result.findings if f.rule == "COST-SFN-EXPRESS"]
    assert len(costs) == 2
    ordered = sorted(costs, key=common.finding_key)
    assert ordered[0].stake_usd_month > ordered[1].stake_usd_month


def test_the_glue_evidence_is_in_every_writer() -> None:
    result = analyzed('client app\napigw api\nlambda relay { glue = true, glue_target = "sqs",'
                      ' code = "src/app.py", glue_evidence = "sqs.send_message(QueueUrl,'
                      ' MessageBody) at line 12" }\nsqs q\napp -> api -> relay -> q\n')
    report = Report([result])
    line = "sdk-call: sqs.send_message(QueueUrl, MessageBody) (src/app.py:12)"
    assert line in write(report, "text", color=False, width=200)
    assert line in write(report, "markdown")
    assert line in write(report, "html", diagrams=False)
    sarif = json.loads(write(report, "sarif"))
    props = [r["properties"] for r in sarif["runs"][0]["results"] if r["ruleId"] == "GLUE-APIGW-SQS"]
    assert props[0]["evidence"][0]["line"] == 12


def test_a_pipe_replacing_first_record_glue_states_the_input_template(tmp_path) -> None:
    """The handler sends the body of `Records[0]` through a variable, and each batch holds
    one record: the payload is traced, so the alternative states the exact template the
    pipe needs (the target receives the whole record otherwise)."""
    from advisor.pipeline import Options, analyze_source

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import os\nimport boto3\nsfn = boto3.client('stepfunctions')\n\n"
        "def start(event, context):\n    message = event['Records'][0]['body']\n"
        "    sfn.start_execution(stateMachineArn=os.environ['SM'], input=message)\n")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Jobs:\n    Type: AWS::SQS::Queue\n"
        "  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}\n"
        "  Start:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: app.start\n      Runtime: python3.12\n      CodeUri: src/\n"
        "      Environment: {Variables: {SM: !Ref Flow}}\n"
        "      Policies: [{StepFunctionsExecutionPolicy: {StateMachineName: !GetAtt Flow.Name}}]\n"
        "      Events:\n        Q:\n          Type: SQS\n"
        "          Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 1}\n")
    result = analyze_source(str(tmp_path / "template.yaml"), Options(estimates=False))
    (finding,) = [f for f in result.findings if f.rule == "GLUE-STREAM-PIPES"]
    texts = [m["detail"] for alt in finding.alternatives for m in alt.must_add]
    template = [t for t in texts if "input template" in t]
    assert len(template) == 1 and "`<$.body>`" in template[0], texts
    assert "Records[0]" in template[0] and "src/app.py:7" in template[0]
    assert not any(m.get("untraced") for alt in finding.alternatives for m in alt.must_add)
