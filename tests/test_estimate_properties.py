"""Property tests of the estimates (issue 14, part 2), on random designs:

- a node on no traffic path changes the total by exactly its own (fixed) cost;
- adding an authorizer (a Cognito user pool or a Lambda) never lowers the cost, and takes
  no traffic from the routes;
- a rewrite that removes node N changes the total by at least N's cost less what the new
  path adds, and leaves the cost of nodes it does not touch unchanged;
- estimating twice gives the same bytes.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.estimate import estimate
from advisor.model import Architecture

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MB = 1024**2

KIND_PROPS = {
    "lambda": st.fixed_dictionaries({
        "memory": st.sampled_from([128 * MB, 512 * MB, 1024 * MB]),
        "duration": st.sampled_from([10, 100, 800]),
    }, optional={
        "arch": st.sampled_from(["x86", "arm64"]),
        "provisioned_concurrency": st.integers(1, 4),
        "tracing": st.booleans(),
        "ephemeral_storage": st.sampled_from([512 * MB, 2048 * MB]),
    }),
    "apigw": st.fixed_dictionaries({"type": st.sampled_from(["rest", "http"])},
                                   optional={"caching": st.booleans(), "access_logging": st.booleans(),
                                             "tracing": st.booleans()}),
    "sqs": st.fixed_dictionaries({}, optional={"fifo": st.booleans(),
                                                "encryption": st.sampled_from(["default", "sse-kms"])}),
    "sns": st.fixed_dictionaries({}, optional={"fifo": st.booleans()}),
    "eventbridge": st.just({}),
    "kinesis": st.fixed_dictionaries({}, optional={"mode": st.sampled_from(["on-demand", "provisioned"]),
                                                    "efo": st.booleans()}),
    "firehose": st.just({}),
    "dynamodb": st.fixed_dictionaries({}, optional={
        "billing": st.sampled_from(["on-demand", "provisioned"]), "pitr": st.booleans(),
        "encryption": st.sampled_from(["default", "sse-kms"])}),
    "s3": st.fixed_dictionaries({}, optional={"encryption": st.sampled_from(["sse-s3", "sse-kms"]),
                                               "bucket_key": st.booleans()}),
    "sfn": st.fixed_dictionaries({"type": st.sampled_from(["standard", "express"])}),
    "kms": st.just({}),
    "cognito": st.fixed_dictionaries({}, optional={"mau": st.integers(0, 50_000)}),
}
SERVICE_KINDS = sorted(k for k in KIND_PROPS if k not in ("kms", "cognito"))
LABELS = st.sampled_from([None, "PutItem", "GetItem", "reads", "targets", "query", "send"])


@st.composite
def designs(draw) -> Architecture:
    """A client and a random DAG of services behind it (edges only go forward)."""
    arch = Architecture(name="random")
    arch.workload = {"requests": float(draw(st.sampled_from([1e4, 1e6, 5e7]))),
                     "payload": float(draw(st.sampled_from([256, 2048, 100_000])))}
    arch.add_node("client", "client")
    count = draw(st.integers(1, 6))
    names = []
    for i in range(count):
        kind = draw(st.sampled_from(SERVICE_KINDS))
        name = f"n{i}_{kind}"
        arch.add_node(name, kind, draw(KIND_PROPS[kind]))
        names.append(name)
    arch.add_edge("client", names[0])
    for i, name in enumerate(names[1:], start=1):
        parent = names[draw(st.integers(0, i - 1))]
        label = draw(LABELS)
        arch.add_edge(parent, name, label=label,
                      props={"action": label} if label and label[0].isupper() else {})
    arch.resolve_modes()
    return arch


def total(arch: Architecture) -> float:
    return estimate(arch).monthly_usd


@SETTINGS
@given(designs(), st.sampled_from(sorted(KIND_PROPS)), st.data())
def test_a_node_on_no_traffic_path_adds_exactly_its_own_cost(arch, kind, data):
    before = estimate(arch)
    bigger = arch.copy()
    bigger.add_node("lonely", kind, data.draw(KIND_PROPS[kind]))
    after = estimate(bigger)
    own = after.by_node["lonely"]
    assert abs(after.monthly_usd - (before.monthly_usd + own)) < 1e-6 * max(1.0, before.monthly_usd)
    for n, usd in before.by_node.items():  # nobody else's cost moves
        assert abs(after.by_node[n] - usd) < 1e-6 * max(1.0, usd), n


@SETTINGS
@given(designs(), st.booleans(), st.integers(0, 20_000))
def test_adding_an_authorizer_never_lowers_cost(arch, lambda_authorizer, mau):
    apis = [n for n in arch.node_names() if arch.kind(n) == "apigw"]
    if not apis:
        arch.add_node("api", "apigw", {"type": "rest"})
        first = next(iter(arch.graph.successors("client")))
        arch.graph.remove_edge("client", first)
        arch.add_edge("client", "api", mode="sync")
        arch.add_edge("api", first, mode="sync")
        apis = ["api"]
    before = estimate(arch)
    secured = arch.copy()
    api = apis[0]
    if lambda_authorizer:
        secured.graph.nodes[api]["props"]["auth"] = "lambda"
        secured.add_node("authz", "lambda", {"memory": 128 * MB, "duration": 20})
        secured.add_edge(api, "authz", mode="sync", label="authorizer")
    else:
        secured.graph.nodes[api]["props"]["auth"] = "cognito"
        secured.add_node("users", "cognito", {"mau": mau})
        secured.add_edge(api, "users", mode="sync", label="authorizer")
    after = estimate(secured)
    assert after.monthly_usd >= before.monthly_usd - 1e-9
    for n, usd in before.by_node.items():  # the routes keep all their traffic
        assert after.by_node[n] >= usd - 1e-9, n


GLUE_TARGETS = ["sqs", "sns", "kinesis", "firehose", "eventbridge", "dynamodb", "sfn", "s3"]


@st.composite
def glue_designs(draw) -> Architecture:
    """client -> (API) -> glue function -> service [-> consumer]: designs the engine
    rewrites by removing the function."""
    arch = Architecture(name="glue")
    arch.workload = {"requests": float(draw(st.sampled_from([1e5, 1e7, 1e8]))),
                     "payload": float(draw(st.sampled_from([512, 4096])))}
    arch.add_node("client", "client")
    entry = "client"
    if draw(st.booleans()):
        arch.add_node("api", "apigw", {"type": draw(st.sampled_from(["rest", "http"])), "auth": "iam"})
        arch.add_edge("client", "api")
        entry = "api"
    else:
        arch.add_node("bus", "eventbridge", {})
        arch.add_edge("client", "bus")
        entry = "bus"
    arch.add_node("glue_fn", "lambda", {"glue": True, "memory": 256 * MB, "duration": 40, "timeout": 3000})
    arch.add_edge(entry, "glue_fn")
    kind = draw(st.sampled_from(GLUE_TARGETS))
    arch.add_node("target", kind, draw(KIND_PROPS[kind]))
    arch.add_edge("glue_fn", "target")
    arch.add_node("bystander", "dynamodb", {"storage": 2 * 1024**3})
    arch.resolve_modes()
    return arch


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(glue_designs())
def test_removing_a_node_saves_at_least_its_cost_less_the_new_path(arch):
    from advisor.engine import Engine

    outcome = Engine.default(select=("GLUE-",)).run(arch, apply="all")
    before, after = estimate(arch), estimate(outcome.after)
    removed = [n for n in arch.graph if n not in outcome.after.graph]
    added = sum(usd for n, usd in after.by_node.items() if n not in before.by_node) + sum(
        max(0.0, usd - before.by_node[n]) for n, usd in after.by_node.items() if n in before.by_node)
    for n in removed:
        assert before.monthly_usd - after.monthly_usd >= before.by_node[n] - added - 1e-6
    touched = {n for c in outcome.changes for n in c.nodes}
    near = {m for n in removed for m in (*arch.graph.predecessors(n), *arch.graph.successors(n))}
    for n in set(arch.graph) - set(removed) - touched - near:
        assert abs(after.by_node[n] - before.by_node[n]) < 1e-9, n  # the bystander


@SETTINGS
@given(designs())
def test_rerunning_is_byte_identical(arch):
    first = json.dumps(estimate(arch).to_dict(), sort_keys=True)
    assert json.dumps(estimate(arch).to_dict(), sort_keys=True) == first
    assert json.dumps(estimate(arch.copy()).to_dict(), sort_keys=True) == first
