"""Engine semantics: the seed case, glue confirmation, rewrites (fixpoint, idempotence,
determinism, security), suppression, selection, the finding contract."""

from __future__ import annotations

import json

import pytest

from advisor.dsl import parse_text, to_text
from advisor.engine import Engine
from advisor.model import Architecture

SEED = """
client browser
apigw ingest { type = rest, auth = none }
lambda forward { glue = true }
firehose delivery
s3 lake
browser -> ingest -> forward -> delivery -> lake
"""


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def rules(outcome) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.rule for f in outcome.findings}


def edges(arch: Architecture) -> dict[tuple[str, str], dict]:
    return {(a, b): d for a, b, d in arch.graph.edges(data=True)}


def test_seed_is_rewritten_to_a_service_integration(engine: Engine) -> None:
    out = engine.run(parse_text(SEED), apply="default")
    glue = [f for f in out.findings if f.rule == "GLUE-APIGW-FIREHOSE"]
    assert len(glue) == 1 and not glue[0].likely
    assert glue[0].nodes == ["ingest", "forward", "delivery"]
    assert "forward" in glue[0].message and glue[0].location.line == 4
    e = edges(out.after)
    assert "forward" not in out.after.graph
    assert e[("ingest", "delivery")]["props"]["integration"] == "service"
    assert ("browser", "ingest") in e and ("delivery", "lake") in e
    # the second alternative: the client writes to Firehose with Cognito credentials
    alt2 = glue[0].alternatives[1].after
    assert alt2 is not None and "ingest" not in alt2.graph and "forward" not in alt2.graph
    assert edges(alt2)[("browser", "delivery")]["props"]["integration"] == "sdk"
    assert alt2.graph.nodes["browser"]["props"]["credentials"] == "cognito"
    assert any(alt2.kind(n) == "cognito" for n in alt2.graph)
    # the first alternative alone keeps the API
    alt1 = glue[0].alternatives[0].after
    assert alt1 is not None and "ingest" in alt1.graph and "forward" not in alt1.graph


def test_real_logic_is_never_glue(engine: Engine) -> None:
    out = engine.run(parse_text(SEED.replace("glue = true", "glue = false")), apply="all")
    assert not any(r.startswith("GLUE") for r in rules(out))
    assert "forward" in out.after.graph


def test_inferred_glue_is_likely_and_opt_in(engine: Engine) -> None:
    arch = parse_text(SEED.replace("{ glue = true }", "{ memory = 256MB }"))
    out = engine.run(arch, apply="default")
    glue = [f for f in out.findings if f.rule == "GLUE-APIGW-FIREHOSE"]
    assert glue and glue[0].likely and glue[0].severity == "warning"
    assert "likely" in glue[0].message
    assert "forward" in out.after.graph  # not applied by default
    assert "forward" not in engine.run(arch, apply="all").after.graph


def test_function_with_a_second_target_is_not_glue(engine: Engine) -> None:
    arch = parse_text(SEED.replace("{ glue = true }", "") + "dynamodb seen\nforward -> seen\n")
    assert not any(r.startswith("GLUE") for r in rules(engine.run(arch)))


def test_dlq_edge_does_not_make_a_function_more_than_glue(engine: Engine) -> None:
    arch = parse_text("""
sns topic
lambda relay { dlq = relay_dlq }
sqs relay_dlq { is_dlq = true }
sqs work
topic -> relay -> work
relay -> relay_dlq [mode = async]
""")
    out = engine.run(arch, apply="all")
    assert "GLUE-SNS-SQS" in rules(out)
    # failure handling is carried onto the new subscription
    assert edges(out.after)[("topic", "work")]["props"]["dlq"] == "relay_dlq"


def test_pipes_replace_a_stream_forwarder(engine: Engine) -> None:
    arch = parse_text("""
kinesis clicks
lambda relay { glue = true }
sqs work
clicks -> relay -> work [batch = 50]
clicks -> relay [batch = 100, filter = 0.5]
""")
    out = engine.run(arch, apply="default")
    assert "relay" not in out.after.graph
    pipe = [n for n in out.after.graph if out.after.kind(n) == "pipes"]
    assert pipe == ["relay_pipe"]
    e = edges(out.after)
    assert e[("clicks", "relay_pipe")]["props"]["batch"] == 100  # source settings carried
    assert e[("clicks", "relay_pipe")]["props"]["filter"] == 0.5
    assert ("relay_pipe", "work") in e


def test_kinesis_to_firehose_supersedes_pipes(engine: Engine) -> None:
    arch = parse_text("kinesis s\nlambda r { glue = true }\nfirehose f\ns -> r -> f\n")
    got = rules(engine.run(arch, apply="none"))
    assert "GLUE-KINESIS-FIREHOSE" in got and "GLUE-STREAM-PIPES" not in got


def test_removing_an_authenticating_api_is_refused(engine: Engine) -> None:
    arch = parse_text(SEED.replace("auth = none", "auth = cognito") + "lambda other\ningest -> other\n")
    glue = next(f for f in engine.run(arch).findings if f.rule == "GLUE-APIGW-FIREHOSE")
    # the API has another route: the client-direct alternative cannot remove it
    assert glue.alternatives[1].after is None
    assert glue.alternatives[0].after is not None


def test_no_dlq_demanded_on_synchronous_functions(engine: Engine) -> None:
    arch = parse_text("""
client app
apigw api { auth = iam }
lambda handler { memory = 512MB, timeout = 5s }
sqs jobs { dlq = jobs_dlq }
sqs jobs_dlq
lambda worker { memory = 512MB, timeout = 5s }
app -> api -> handler
jobs -> worker
""")
    out = engine.run(arch, apply="none")
    assert not [f for f in out.findings if f.rule == "REL-LAMBDA-ASYNC-DLQ"]
    # a queue used as a DLQ needs no DLQ of its own
    assert [f.nodes for f in out.findings if f.rule == "REL-SQS-DLQ"] == []


def test_async_function_gets_a_failure_destination(engine: Engine) -> None:
    arch = parse_text("s3 up\nlambda thumb { memory = 1GB, timeout = 30s }\nup -> thumb\n")
    out = engine.run(arch, apply="default")
    f = [f for f in out.findings if f.rule == "REL-LAMBDA-ASYNC-DLQ"]
    assert f and f[0].nodes == ["thumb"] and f[0].severity == "error"
    props = out.after.graph.nodes["thumb"]["props"]
    assert props["on_failure"] == "thumb_dlq"
    assert out.after.graph.nodes["thumb_dlq"]["props"]["is_dlq"] is True
    # and the added queue does not itself draw a redrive finding
    assert not [x for x in engine.run(out.after).findings if x.rule == "REL-SQS-DLQ"]


def test_suppression_by_comment_and_peer_id(engine: Engine) -> None:
    base = "sqs a{}\nsqs b{}\n"
    arch = parse_text(base.format(" # advisor: ignore REL-SQS-DLQ", " # advisor: ignore ES6000"))
    assert "REL-SQS-DLQ" in rules(engine.run(parse_text("sqs a\n")))
    assert "REL-SQS-DLQ" not in rules(engine.run(arch, apply="none"))
    out = engine.run(arch)
    assert "a_dlq" not in out.after.graph  # suppressed findings are not rewritten


def test_select_and_ignore_by_prefix() -> None:
    arch = parse_text(SEED)
    only_glue = Engine.default(select=("GLUE",)).run(arch)
    assert rules(only_glue) and all(r.startswith("GLUE") for r in rules(only_glue))
    no_ops = Engine.default(ignore=("OPS", "ES2003")).run(arch)
    assert not any(r.startswith("OPS") for r in rules(no_ops))


def test_findings_are_deterministic_and_sorted(engine: Engine) -> None:
    text = SEED + "sqs q\nsns t\nt -> q\n"
    a = engine.run(parse_text(text), apply="all")
    b = engine.run(parse_text(text), apply="all")
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
    assert to_text(a.after) == to_text(b.after)
    keys = [f.sort_key() for f in a.findings]
    assert keys == sorted(keys)


def test_optimize_is_idempotent_on_a_mixed_design(engine: Engine) -> None:
    text = """
workload { requests = 30M/month }
client app
apigw api { type = http }
lambda enqueue
sqs jobs
lambda worker { memory = 512MB, timeout = 60s }
sns fanout
lambda copy { glue = true }
sqs audit
eventbridge bus
lambda hook { glue = true }
http partner
kinesis clicks { mode = provisioned, shards = 20 }
lambda consume
app -> api -> enqueue -> jobs -> worker -> fanout -> copy -> audit
worker -> bus -> hook -> partner
clicks -> consume
"""
    for apply in ("default", "all"):
        once = engine.run(parse_text(text), apply=apply)
        printed = to_text(once.after)
        twice = engine.run(parse_text(printed), apply=apply)
        assert to_text(twice.after) == printed, apply
        assert twice.changes == []
    everything = engine.run(parse_text(text), apply="all").after
    assert "copy" not in everything.graph and "hook" not in everything.graph
    assert "enqueue" not in everything.graph  # likely glue, opted in


def test_finding_json_contract(engine: Engine) -> None:
    f = engine.run(parse_text(SEED)).findings[0]
    d = json.loads(json.dumps(f.to_dict()))
    for key in ("rule", "title", "pillar", "severity", "nodes", "message", "location",
                "alternatives"):
        assert key in d
    assert set(d["location"]) == {"path", "line", "column"}
    for alt in d["alternatives"]:
        assert set(alt) >= {"title", "cost_delta_usd_month", "latency_delta_ms"}
    assert [c.to_dict()["action"] for c in engine.run(parse_text(SEED)).changes]


def test_before_is_never_modified(engine: Engine) -> None:
    arch = parse_text(SEED)
    sig = arch.signature()
    out = engine.run(arch, apply="all")
    for f in out.findings:
        for alt in f.alternatives:
            _ = alt.after
    assert arch.signature() == sig


def test_clean_design_has_no_errors(engine: Engine) -> None:
    arch = parse_text("""
workload { requests = 5M/month }
client app
apigw api { type = http, auth = jwt, throttling = true, access_logging = true }
sqs jobs { dlq = jobs_dlq, visibility = 3min }
sqs jobs_dlq
lambda worker { memory = 1GB, timeout = 30s, duration = 200ms, tracing = true, arch = arm64,
                log_retention = 14, glue = false }
dynamodb orders
app -> api -> jobs [integration = service]
jobs -> worker [batch = 10]
worker -> orders
""")
    out = engine.run(arch, apply="none")
    assert [f.rule for f in out.findings if f.severity == "error"] == []
    assert not any(f.rule.startswith("GLUE") for f in out.findings)
