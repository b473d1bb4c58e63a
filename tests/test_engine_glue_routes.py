"""Glue routes beyond one catalog hop: a handler-named target among policy-only edges,
targets the design has no node for, any-API sources (SSM Automation), and two-hop
Express-workflow advice."""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text, to_text
from advisor.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default(select=("GLUE",))


def glue(engine: Engine, text: str, apply: str = "none"):  # type: ignore[no-untyped-def]
    out = engine.run(parse_text(text), apply=apply)
    return out, {(f.rule, f.subject) for f in out.findings}


def test_handler_target_wins_over_policy_only_successors(engine: Engine) -> None:
    base = """
    appsync graph { auth = cognito }
    lambda start { %s }
    sfn flow
    dynamodb audit
    graph -> start -> flow
    start -> audit
    """
    read = 'glue = true, glue_evidence = "stepfunctions.start_execution", glue_target = "sfn"'
    _, found = glue(engine, base % read)
    assert ("GLUE-APPSYNC-DATASOURCE", "start") in found
    # stated glue without handler evidence: two targets mean it decides or fans out
    _, found = glue(engine, base % "glue = true")
    assert not found
    out, _ = glue(engine, base % read, apply="default")
    assert out.after.graph.has_edge("graph", "flow") and "start" not in out.after.graph


def test_unshown_default_bus_through_a_pipe(engine: Engine) -> None:
    text = """
    dynamodb orders
    lambda publish { glue = true, glue_target = "eventbridge", glue_evidence = "events.put_events" }
    orders -> publish [mode = stream]
    """
    out, found = glue(engine, text, apply="default")
    assert found == {("GLUE-UNSHOWN-TARGET", "publish")}
    f = out.findings[0]
    assert "eventbridge" in f.message and "Pipes" in f.message
    g = out.after.graph
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert "lambda" not in kinds and {"pipes", "eventbridge"} <= kinds
    pipe = next(n for n, d in g.nodes(data=True) if d["kind"] == "pipes")
    assert g.has_edge("orders", pipe)
    # idempotent: the optimized design has nothing left to rewrite
    again = engine.run(parse_text(to_text(out.after)), apply="default")
    assert again.changes == []


def test_unshown_aws_api_needs_a_source_that_calls_any_api(engine: Engine) -> None:
    lam = ('lambda detect { glue = true, glue_target = "comprehend",'
           ' glue_evidence = "comprehend.detect_sentiment" }')
    _, found = glue(engine, f"apigw api {{ type = rest, auth = iam }}\n{lam}\napi -> detect\n")
    assert found == {("GLUE-UNSHOWN-TARGET", "detect")}
    # an SQS queue (or a pipe) cannot call Comprehend in one hop: only the two-hop
    # advice (pipe -> Express workflow SDK task), never the one-hop rule
    _, found = glue(engine, f"sqs jobs\n{lam}\njobs -> detect\n")
    assert found == {("GLUE-EXPRESS-SDK-TASK-UNSHOWN", "detect")}
    # SNS reaches neither a workflow nor a pipe: nothing to replace the function with
    _, found = glue(engine, f"sns news\n{lam}\nnews -> detect\n")
    assert not found
    # a modelled real target besides the call: the function does more than forward
    _, found = glue(engine, f"apigw api {{ type = rest }}\n{lam}\nsqs q\napi -> detect -> q\n")
    assert ("GLUE-UNSHOWN-TARGET", "detect") not in found


def test_http_api_becomes_rest_for_a_non_subtype_service(engine: Engine) -> None:
    text = """
    apigw api { type = http, auth = iam }
    lambda put { glue = true, glue_target = "dynamodb", glue_evidence = "dynamodb.put_item" }
    api -> put
    """
    out, found = glue(engine, text, apply="default")
    assert ("GLUE-UNSHOWN-TARGET", "put") in found
    # a new REST API for the clients changes what they call: offered, not applied by default
    f = next(f for f in out.findings if f.rule == "GLUE-UNSHOWN-TARGET")
    assert not f.default_applied and "api becomes a rest API" in f.note
    assert out.after.graph.nodes["api"]["props"]["type"] == "http" and "put" in out.after.graph
    out, _ = glue(engine, text, apply="all")
    assert out.after.graph.nodes["api"]["props"]["type"] == "rest" and "put" not in out.after.graph


def test_ssm_automation_only_for_ssm_documents(engine: Engine) -> None:
    text = """
    resource runbook { type = "%s" }
    lambda put { glue = true }
    dynamodb inventory
    runbook -> put -> inventory
    """
    _, found = glue(engine, text % "AWS::SSM::Document")
    assert found == {("GLUE-SSM-AUTOMATION", "put")}
    _, found = glue(engine, text % "AWS::CloudFormation::CustomResource")
    assert not found


def test_two_hop_advice_is_confirmed_only_and_never_doubles_one_hop(engine: Engine) -> None:
    two = "sqs q\nlambda w { %s }\ndynamodb t\nq -> w -> t\n"
    _, found = glue(engine, two % "glue = true")
    assert found == {("GLUE-EXPRESS-SDK-TASK", "w")}
    out = engine.run(parse_text(two % "glue = true"), apply="all")
    assert "w" in out.after.graph  # manual: advice, not applied by a level
    _, found = glue(engine, two % "memory = 256MB")  # structure alone: not reported
    assert not found
    one = "sqs q\nlambda w { glue = true }\nsns t\nq -> w -> t\n"
    _, found = glue(engine, one)
    assert found == {("GLUE-STREAM-PIPES", "w")}
    # chosen explicitly, the two-hop rewrite builds pipe -> Express workflow -> table
    f = next(f for f in engine.run(parse_text(two % "glue = true"), apply="none").findings)
    g = engine.run(parse_text(two % "glue = true"), apply={f.id: 0}).after.graph
    flow = next(n for n, d in g.nodes(data=True) if d["kind"] == "sfn")
    assert g.nodes[flow]["props"]["type"] == "express" and g.has_edge(flow, "t")
    pipe = next(n for n, d in g.nodes(data=True) if d["kind"] == "pipes")
    assert g.has_edge("q", pipe) and g.has_edge(pipe, flow)
