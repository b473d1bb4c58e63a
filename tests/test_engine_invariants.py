"""Rewrite safety invariants (advisor/engine/invariants.py): one test per invariant that
breaks it and one that keeps it, on before/after designs written for the test, then the
cases of issue 13 end to end (a rewrite that fails one is neither applied nor offered as
applicable, and the finding says which invariant and why)."""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text
from advisor.engine import Engine, invariants
from advisor.engine.edit import Delta, fast_copy
from advisor.model import Architecture


def delta(before: Architecture, after: Architecture, region: set[str]) -> Delta:
    """The Delta a rewrite of `region` from `before` to `after` would hand the checks."""
    g = before.graph
    nodes = {n: {**g.nodes[n], "props": dict(g.nodes[n]["props"])} for n in region if n in g}
    edges = {}
    for n in nodes:
        for a in g.predecessors(n):
            edges[(a, n)] = dict(g.edges[a, n])
        for b in g.successors(n):
            edges[(n, b)] = dict(g.edges[n, b])
    added = sorted(set(after.graph) - set(g))
    return Delta(nodes, edges, after, added, set(region) | set(added))


def design(text: str) -> Architecture:
    arch = parse_text(text)
    arch.resolve_modes()
    return arch


# ------------------------------------------------------------------ paths_kept
def test_paths_kept_breaks_when_a_caller_loses_a_sink() -> None:
    before = design("apigw api\nlambda fn { glue = true }\nsqs q\napi -> fn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    why = invariants.paths_kept(delta(before, after, {"fn", "api", "q"}))
    assert why and "api -> q no longer connected" in why


def test_paths_kept_holds_when_the_glue_is_bypassed() -> None:
    before = design("apigw api\nlambda fn { glue = true }\nsqs q\napi -> fn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("api", "q", mode="sync", props={"integration": "service"})
    assert invariants.paths_kept(delta(before, after, {"fn", "api", "q"})) is None


# ------------------------------------------------------------------ auth_kept
def test_auth_kept_breaks_on_an_open_path_past_a_removed_authorizing_api() -> None:
    before = design("client app\napigw api { auth = iam }\nfirehose fh\napp -> api -> fh\n")
    after = fast_copy(before)
    after.graph.remove_node("api")
    after.add_edge("app", "fh", mode="sync")
    why = invariants.auth_kept(delta(before, after, {"api", "app", "fh"}))
    assert why and "app reaches fh without api's iam authorization" in why


def test_auth_kept_holds_when_the_callers_get_credentials() -> None:
    before = design("client app\napigw api { auth = iam }\nfirehose fh\napp -> api -> fh\n")
    after = fast_copy(before)
    after.graph.remove_node("api")
    after.add_edge("app", "fh", mode="sync")
    after.graph.nodes["app"]["props"]["credentials"] = "cognito"
    assert invariants.auth_kept(delta(before, after, {"api", "app", "fh"})) is None


def test_auth_kept_breaks_when_a_tenant_scoped_function_goes() -> None:
    before = design('apigw api { auth = cognito }\nlambda fn { permissions = ["sts:AssumeRole",'
                    ' "dynamodb:GetItem"] }\ndynamodb t\napi -> fn -> t\n')
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("api", "t", mode="sync", props={"integration": "service"})
    why = invariants.auth_kept(delta(before, after, {"api", "fn", "t"}))
    assert why and "per-request credentials" in why


# ------------------------------------------------------------------ semantics_kept
def test_semantics_kept_breaks_when_a_filter_is_dropped() -> None:
    before = design("eventbridge rule { pattern = \"x\" }\nlambda fn\nsqs q\n"
                    "rule -> fn [filter = 0.2]\nfn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("rule", "q", mode="async")
    why = invariants.semantics_kept(delta(before, after, {"rule", "fn", "q"}))
    assert why and why.startswith("filter:")


def test_semantics_kept_holds_when_the_filter_moves_or_is_declared() -> None:
    before = design("eventbridge rule { pattern = \"x\" }\nlambda fn\nsqs q\n"
                    "rule -> fn [filter = 0.2]\nfn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("rule", "q", mode="async", props={"filter": 0.2})
    assert invariants.semantics_kept(delta(before, after, {"rule", "fn", "q"})) is None
    dropped = fast_copy(before)
    dropped.graph.remove_node("fn")
    dropped.add_edge("rule", "q", mode="async")
    d = delta(before, dropped, {"rule", "fn", "q"})
    d.alternative = {"what_changes": {"filter": "the rule's pattern now does the filtering"}}
    assert invariants.semantics_kept(d) is None


def test_semantics_kept_breaks_when_an_ordered_stream_goes_through_a_bus() -> None:
    before = design("kinesis s\nlambda fn\nsqs q { fifo = true }\ns -> fn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_node("bus", "eventbridge", {})
    after.add_edge("s", "bus", mode="stream")
    after.add_edge("bus", "q", mode="async")
    why = invariants.semantics_kept(delta(before, after, {"s", "fn", "q"}))
    assert why and why.startswith("ordering:") and "EventBridge" in why


# ------------------------------------------------------------------ no_orphan_added
def test_no_orphan_added_breaks_on_a_queue_nothing_reads() -> None:
    before = design("apigw api\nlambda fn\napi -> fn\n")
    after = fast_copy(before)
    after.add_node("buffer", "sqs", {})
    after.add_edge("api", "buffer", mode="sync")
    why = invariants.no_orphan_added(delta(before, after, {"api", "fn"}))
    assert why and "buffer (sqs)" in why


def test_no_orphan_added_holds_for_a_dead_letter_queue() -> None:
    before = design("sqs q\nlambda fn\nq -> fn\n")
    after = fast_copy(before)
    after.add_node("q_dlq", "sqs", {"is_dlq": True})
    after.graph.nodes["q"]["props"]["dlq"] = "q_dlq"
    after.add_edge("q", "q_dlq", mode="async", label="dlq")
    assert invariants.no_orphan_added(delta(before, after, {"q"})) is None


# ------------------------------------------------------------------ no_phantom_copy
def test_no_phantom_copy_breaks_on_a_copy_of_the_functions_own_queue() -> None:
    """Issue 13: a function that deletes messages from its own source queue, read as
    forwarding to "a queue", must not become a pipe into a second, invented queue."""
    before = design('sqs jobs\nlambda ack { glue = true, glue_target = "sqs",'
                    ' glue_evidence = "sqs.delete_message(QueueUrl, ReceiptHandle) at line 9" }\n'
                    "jobs -> ack\n")
    after = fast_copy(before)
    after.graph.remove_node("ack")
    after.add_node("ack_pipe", "pipes", {})
    after.add_node("sqs_target", "sqs", {})
    after.add_edge("jobs", "ack_pipe", mode="poll")
    after.add_edge("ack_pipe", "sqs_target", mode="async")
    why = invariants.no_phantom_copy(delta(before, after, {"jobs", "ack"}))
    assert why and "sqs_target is a sqs beside ack's own input jobs" in why


def test_no_phantom_copy_holds_for_a_new_kind_of_node() -> None:
    before = design('apigw api\nlambda f { glue = true, glue_target = "comprehend" }\napi -> f\n')
    after = fast_copy(before)
    after.graph.remove_node("f")
    after.add_node("comprehend_target", "resource", {"service": "comprehend"})
    after.add_edge("api", "comprehend_target", mode="sync")
    assert invariants.no_phantom_copy(delta(before, after, {"api", "f"})) is None


# ------------------------------------------------------------------ integration_exists
def test_integration_exists_breaks_on_a_hop_aws_does_not_have() -> None:
    before = design("apigw api { type = http }\nlambda fn\nsqs q\napi -> fn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_node("pipe", "pipes", {})
    after.add_edge("api", "pipe", mode="sync")  # API Gateway has no pipe integration
    after.add_edge("pipe", "q", mode="async")
    why = invariants.integration_exists(delta(before, after, {"api", "fn", "q"}))
    assert why and "api -> pipe: no native apigw -> pipes integration" in why


def test_integration_exists_breaks_on_a_fixed_rule_target_for_a_target_from_the_event() -> None:
    """Issue 13: the state machine comes from `event.detail`; a rule target is fixed."""
    before = design('eventbridge rule { pattern = "x" }\nlambda fn { glue = true, glue_target = "sfn",'
                    ' glue_evidence = "stepfunctions.start_execution(stateMachineArn) at line 7;'
                    ' dynamic-target: stateMachineArn of stepfunctions.start_execution is read'
                    ' from the event at line 7" }\nsfn flow\nrule -> fn -> flow\n')
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("rule", "flow", mode="async", props={"integration": "native"})
    why = invariants.integration_exists(delta(before, after, {"rule", "fn", "flow"}))
    assert why and "has one fixed target" in why and "stateMachineArn" in why


def test_integration_exists_breaks_when_an_http_api_would_lose_rest_features() -> None:
    before = design("apigw api { type = rest, tracing = true, endpoint = regional }\n"
                    "lambda fn\napi -> fn\n")
    after = fast_copy(before)
    after.graph.nodes["api"]["props"]["type"] = "http"
    why = invariants.integration_exists(delta(before, after, {"api"}))
    assert why and "X-Ray tracing" in why


def test_integration_exists_holds_for_a_service_integration() -> None:
    before = design("apigw api { type = rest }\nlambda fn\nsqs q\napi -> fn -> q\n")
    after = fast_copy(before)
    after.graph.remove_node("fn")
    after.add_edge("api", "q", mode="sync", props={"integration": "service"})
    assert invariants.integration_exists(delta(before, after, {"api", "fn", "q"})) is None


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def test_a_phantom_queue_rewrite_is_refused_and_says_why(engine: Engine) -> None:
    arch = parse_text('sqs jobs\nlambda ack { glue = true, glue_target = "sqs",'
                      ' glue_evidence = "sqs.send_message(QueueUrl, MessageBody) at line 9" }\n'
                      "jobs -> ack\n")
    out = engine.run(arch, apply="default")
    f = next(f for f in out.findings if f.rule.startswith("GLUE-"))
    assert "ack" in out.after.graph  # not applied
    alt = f.alternatives[0]
    _ = alt.after
    assert alt.applicable is False and alt.violations
    assert alt.violations[0]["invariant"] == "no_phantom_copy"
    assert f.auto == "never" and "invariant no_phantom_copy" in f.note


def test_a_fixed_rule_target_is_not_applied_for_a_target_from_the_event(engine: Engine) -> None:
    arch = parse_text('eventbridge rule { pattern = "x" }\nlambda fn { glue = true, glue_target ='
                      ' "sfn", glue_evidence = "stepfunctions.start_execution(stateMachineArn)'
                      ' at line 7; dynamic-target: stateMachineArn of'
                      ' stepfunctions.start_execution is read from the event at line 7" }\n'
                      "sfn flow\nrule -> fn -> flow\n")
    out = engine.run(arch, apply="default")
    assert "fn" in out.after.graph
    f = next(f for f in out.findings if f.rule == "GLUE-EVENTBRIDGE-SFN")
    assert not f.default_applied and "integration_exists" in f.note


def test_filters_stay_on_the_trigger_when_a_function_becomes_a_pipe(engine: Engine) -> None:
    arch = parse_text('sqs q\nlambda put { glue = true, glue_target = "dynamodb",'
                      ' glue_evidence = "dynamodb.put_item(TableName, Item) at line 5" }\n'
                      "dynamodb t\nq -> put [filter = 0.5, batch = 10]\nput -> t\n")
    out = engine.run(arch, apply={"GLUE-EXPRESS-SDK-TASK:q/put/t": 0})
    g = out.after.graph
    assert "put" not in g
    first = next(s for s in g.successors("q") if g.nodes[s]["kind"] == "pipes")
    assert g.edges["q", first]["props"].get("filter") == 0.5
    assert g.edges["q", first]["props"].get("batch") == 10


def test_structure_only_glue_needs_more_than_shape(engine: Engine) -> None:
    """A 2048 MB function running 900 ms between S3 and a queue is not glue on structure
    alone; `blocked` says why (for --show-blocked)."""
    arch = parse_text("s3 uploads\nlambda resize { memory = 2048MB, duration = 900ms }\n"
                      "sqs done\nuploads -> resize -> done\n")
    out = engine.run(arch, apply="all")
    assert "resize" in out.after.graph
    assert not [f for f in out.findings if f.rule == "GLUE-S3-SQS"]
    assert any(b.rule == "GLUE-S3-SQS" and "memory 2048 MB" in b.reason for b in out.blocked)


def test_a_policy_with_sts_keeps_structure_only_glue_out(engine: Engine) -> None:
    arch = parse_text('apigw api { auth = cognito }\nlambda tenant { permissions = '
                      '["sts:AssumeRole", "dynamodb:GetItem"] }\ndynamodb t\napi -> tenant -> t\n')
    out = engine.run(arch, apply="all")
    assert not [f for f in out.findings if f.rule.startswith("GLUE-")]
    assert any("per-request credentials" in b.reason for b in out.blocked)


def test_likely_glue_says_the_code_was_not_read(engine: Engine) -> None:
    arch = parse_text("apigw api\nlambda relay\nsqs q\napi -> relay -> q\n")
    out = engine.run(arch)
    f = next(f for f in out.findings if f.rule == "GLUE-APIGW-SQS")
    assert f.likely and not f.default_applied
    assert "code not read" in f.message
    assert {e["kind"] for e in f.evidence} >= {"structure", "code-not-read"}


def test_confirmed_glue_carries_the_call_and_its_line(engine: Engine) -> None:
    arch = parse_text('apigw api\nlambda relay { glue = true, glue_target = "sqs", code = "src/app.py",'
                      ' glue_evidence = "sqs.send_message(QueueUrl, MessageBody) at line 12;'
                      ' parse: json.loads at line 10" }\nsqs q\napi -> relay -> q\n')
    f = next(f for f in engine.run(arch).findings if f.rule == "GLUE-APIGW-SQS")
    assert "(handler: sqs.send_message at src/app.py:12)" in f.message
    assert f.evidence[0] == {"kind": "sdk-call", "detail": "sqs.send_message(QueueUrl, MessageBody)",
                             "path": "src/app.py", "line": 12}
    assert f.to_dict()["evidence"][1]["kind"] == "parse"


def test_auth_kept_breaks_when_an_authorizer_does_not_exist_on_the_api_type() -> None:
    """A WebSocket API has IAM and Lambda authorizers, not Cognito user pools."""
    before = design("apigw ws { type = websocket }\nlambda fn\nws -> fn\n")
    after = fast_copy(before)
    after.graph.nodes["ws"]["props"]["auth"] = "cognito"
    why = invariants.auth_kept(delta(before, after, {"ws"}))
    assert why and "ws as a websocket API has no cognito authorization" in why
    # a setting changed on an API whose auth stays is not judged on its auth
    kept = design("apigw ws { type = websocket, auth = api_key }\nlambda fn\nws -> fn\n")
    logged = fast_copy(kept)
    logged.graph.nodes["ws"]["props"]["access_logging"] = True
    assert invariants.auth_kept(delta(kept, logged, {"ws"})) is None


def test_adding_only_a_dead_letter_queue_passes_every_invariant_at_once() -> None:
    before = design("sqs q\nlambda fn\nq -> fn\n")
    after = fast_copy(before)
    after.add_node("q_dlq", "sqs", {"is_dlq": True})
    after.graph.nodes["q"]["props"]["dlq"] = "q_dlq"
    after.add_edge("q", "q_dlq", mode="async", label="redrive")
    assert invariants.check(delta(before, after, {"q"})) == []
    # a DLQ beside a dropped edge is no longer failure handling only
    after.graph.remove_edge("q", "fn")
    assert [v["invariant"] for v in invariants.check(delta(before, after, {"q"}))] == ["paths_kept"]


def test_no_phantom_copy_breaks_on_a_stand_in_for_a_node_the_design_has() -> None:
    """The code puts events to 'MyEventBus' by name; the design has that bus, unlinked
    (the policy is `Resource: *`): a new `eventbridge_target` would duplicate it."""
    before = design('dynamodb table\neventbridge MyEventBus\nlambda publish { glue = true,'
                    ' glue_target = "eventbridge", glue_evidence = "eventbridge.PutEvents(Entries)'
                    ' at line 19" }\ntable -> publish\n')
    after = fast_copy(before)
    after.graph.remove_node("publish")
    after.add_node("publish_pipe", "pipes", {})
    after.add_node("eventbridge_target", "eventbridge", {})
    after.add_edge("table", "publish_pipe", mode="stream")
    after.add_edge("publish_pipe", "eventbridge_target", mode="async")
    why = invariants.no_phantom_copy(delta(before, after, {"table", "publish"}))
    assert why and "the design has MyEventBus" in why
