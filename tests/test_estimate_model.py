"""The errors of issue 14, one test each: every test here fails on the model before the
fix (an authorizer as a traffic split, a service costed on one side only, reads decided
by a substring, strongly consistent reads by default, free provisioned concurrency, ...).

Figures are us-east-1 list prices from advisor/estimate/data/pricing/us-east-1.yaml; each
expected value is derived in the comment next to it.
"""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text
from advisor.estimate import estimate
from advisor.estimate.propagate import propagate
from advisor.estimate.semantics import operation

MB = 1024**2
GIB = 1024**3


def lines(est, node: str, prefix: str = "") -> list[dict]:
    return [c for c in est.components if c["node"] == node and c["name"].startswith(prefix)]


def usd(est, node: str, prefix: str = "") -> float:
    return sum(c["monthly_usd"] for c in lines(est, node, prefix))


# ----------------------------------------------------------------------------- authorizers
API = """
workload { requests = 10M/month, payload = 1KB }
client app
apigw api { type = rest }
lambda handler { memory = 512MB, duration = 100ms, timeout = 5s }
app -> api -> handler
"""


def test_an_authorizer_edge_is_not_a_route_and_never_lowers_cost():
    before = estimate(parse_text(API))
    secured = API.replace("apigw api { type = rest }", "apigw api { type = rest, auth = cognito }")
    with_pool = parse_text(secured + "cognito users\napi -> users [label = \"authorizer\"]\n")
    after = estimate(with_pool)
    # the function behind the API still gets every request (not half of them)
    assert propagate(with_pool).nodes["handler"].invocations == 10e6
    assert usd(after, "handler") == pytest.approx(usd(before, "handler"))
    # the pool's users are not stated: its MAU charge is left out, and the output says so
    assert usd(after, "users") == 0
    assert after.monthly_usd == pytest.approx(before.monthly_usd)
    assert any(a.id == "cognito.mau" and "not included" in a.text for a in after.assumptions)


def test_a_lambda_authorizer_runs_for_every_request_and_adds_its_latency():
    text = API + "lambda authz { memory = 128MB, duration = 30ms, timeout = 3s }\n" \
        "api -> authz [label = \"authorizer\"]\n"
    est = estimate(parse_text(text))
    wl = propagate(parse_text(text))
    assert wl.nodes["authz"].invocations == 10e6 and wl.nodes["handler"].invocations == 10e6
    # requests 10M x $0.20/M = $2.00; 10M x 0.03 s x 0.125 GB x $0.0000166667 = $0.625
    assert usd(est, "authz", "Requests") == pytest.approx(2.00)
    assert usd(est, "authz", "Duration") == pytest.approx(0.625, abs=1e-5)
    # the authorizer runs before the route: its time adds to the response, it is not an
    # alternative route
    plain = estimate(parse_text(API))
    assert est.latency["response_p50_ms"] >= plain.latency["response_p50_ms"] + 30
    assert "authz" in est.latency["response_path"]


def test_a_cognito_user_pool_with_stated_users_costs_their_mau():
    text = API.replace("workload { requests = 10M/month, payload = 1KB }",
                       "workload { requests = 10M/month, payload = 1KB, users = 2000 }") \
        + "cognito users\napi -> users\n"
    est = estimate(parse_text(text))
    assert usd(est, "users") == pytest.approx(2000 * 0.015)
    assert not any(a.id == "cognito.mau" for a in est.assumptions)


# ----------------------------------------------------------------------------- both sides
STARTS_BY_ARN = """
workload { requests = 1M/month }
client shop
apigw api { type = rest, auth = iam }
lambda start { memory = 128MB, duration = 50ms, glue = true, glue_target = sfn,
               glue_evidence = "stepfunctions.start_execution" }
shop -> api -> start
"""


def test_a_service_called_but_not_declared_is_priced_in_before_too():
    """The function starts a state machine by ARN: the design has no node for it, but it
    runs (Standard, 5 transitions by default: 1M x 5 x $0.025/1K = $125.00) whether the
    function starts it or the API does after the rewrite."""
    arch = parse_text(STARTS_BY_ARN)
    before = estimate(arch)
    assert usd(before, "sfn_target") == pytest.approx(125.00)
    assert any(a.id == "design.implicit_service" for a in before.assumptions)
    assert "sfn_target" not in arch.graph  # the design itself is not changed
    from advisor.engine import Engine

    outcome = Engine.default(select=("GLUE-UNSHOWN-TARGET",)).run(arch, apply="all")
    assert "start" not in outcome.after.graph
    after = estimate(outcome.after)
    assert usd(after, "sfn_target") == pytest.approx(125.00)
    # the rewrite saves the function (and costs no state machine that was there all along)
    saved = before.monthly_usd - after.monthly_usd
    assert saved == pytest.approx(usd(before, "start"), abs=0.01)
    assert saved > 0


# ----------------------------------------------------------------------------- reads/writes
@pytest.mark.parametrize(("edge", "kind", "tx"), [
    ({"props": {"action": "PutItem"}}, "write", False),
    ({"props": {"action": "dynamodb:GetItem"}}, "read", False),
    ({"props": {"action": "arn:aws:states:::dynamodb:getItem"}}, "read", False),
    ({"props": {"action": "arn:aws:states:::aws-sdk:dynamodb:query"}}, "read", False),
    ({"props": {"action": "BatchWriteItem"}}, "write", False),
    ({"props": {"action": "TransactWriteItems"}}, "write", True),
    ({"props": {"action": "s3.put_object"}}, "write", False),
    ({"label": "targets"}, None, False),  # contains "get", but is no verb
    ({"label": "reads orders"}, "read", False),
    ({"label": "PutRecord"}, "write", False),
    ({}, None, False),
])
def test_operations_are_parsed_from_verbs_not_substrings(edge, kind, tx):
    op = operation(edge)
    assert op.kind == kind and op.transactional == tx


def test_writes_labelled_targets_are_priced_as_writes():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
lambda f { memory = 128MB, duration = 10ms }
dynamodb t { storage = 1GB }
c -> f
f -> t [label = "targets"]
"""
    est = estimate(parse_text(text))
    # 1M writes of 1 KB = 1M WRU x $0.625/M; no reads
    assert usd(est, "t", "Write request units") == pytest.approx(0.625)
    assert not lines(est, "t", "Read request units")
    assert any(a.id == "storage.unstated_operation" for a in est.assumptions)


def test_dynamodb_reads_use_item_size_and_are_eventually_consistent_by_default():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
lambda f { memory = 128MB, duration = 10ms }
dynamodb t { item_size = 6KB, storage = 1GB }
c -> f
f -> t [action = "GetItem"]
"""
    est = estimate(parse_text(text))
    # a 6 KB item is 2 read units of 4 KB; eventually consistent: half: 1M x 2 x 0.5 = 1M RRU
    assert usd(est, "t", "Read request units") == pytest.approx(0.125)
    strong = estimate(parse_text(text.replace("item_size = 6KB", "item_size = 6KB, consistency = strong")))
    assert usd(strong, "t", "Read request units") == pytest.approx(0.25)
    tx = estimate(parse_text(text.replace('"GetItem"', '"TransactGetItems"')))
    assert usd(tx, "t", "Read request units") == pytest.approx(0.50)  # 2 units x 2 per 4 KB


# ----------------------------------------------------------------------------- money that was free
def test_provisioned_concurrency_costs_money():
    text = """
workload { requests = 10M/month }
client c
lambda f { memory = 1GB, duration = 100ms, provisioned_concurrency = 5, arch = arm64 }
c -> f
"""
    est = estimate(parse_text(text))
    # 5 x 1 GB x 730 h x 3600 s = 13,140,000 GB-s x $0.0000033334 = $43.80
    assert usd(est, "f", "Provisioned concurrency") == pytest.approx(13_140_000 * 0.0000033334)
    # 10M x 0.1 s x 1 GB = 1,000,000 GB-s, all within the 5 provisioned environments
    # (average concurrency 0.38), at $0.0000077778 instead of $0.0000133334
    assert usd(est, "f", "Duration on provisioned") == pytest.approx(1e6 * 0.0000077778)
    assert not lines(est, "f", "Duration (arm64)")
    assert any(a.id == "lambda.provisioned_hours" for a in est.assumptions)


def test_kinesis_enhanced_fan_out_costs_money():
    text = """
workload { requests = 10M/month, payload = 1KB }
client c
kinesis s { mode = provisioned, shards = 2, efo = true }
lambda a { memory = 128MB, duration = 10ms }
lambda b { memory = 128MB, duration = 10ms }
c -> s
s -> a
s -> b
"""
    est = estimate(parse_text(text))
    # 2 consumers x 2 shards x 730 h x $0.015 = $43.80; 2 x 10M x 1 KB = 19.07 GB x $0.013
    assert usd(est, "s", "Enhanced fan-out (") == pytest.approx(43.80)
    assert usd(est, "s", "Enhanced fan-out data") == pytest.approx(2 * 10e6 * 1024 / GIB * 0.013)
    plain = estimate(parse_text(text.replace(", efo = true", "")))
    assert est.by_node["s"] > plain.by_node["s"] + 43


def test_rest_api_caching_costs_cache_hours():
    text = "client c\napigw api { type = rest, caching = true }\nc -> api\n"
    est = estimate(parse_text(text))
    assert usd(est, "api", "Cache memory") == pytest.approx(730 * 0.020)  # $14.60
    big = estimate(parse_text(text.replace("caching = true", "caching = true, cache_size = 237")))
    assert usd(big, "api", "Cache memory") == pytest.approx(2774.00)  # 730 h x $3.80


def test_websocket_connection_minutes_are_charged_when_stated():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
apigw ws { type = websocket, connection_minutes = 10000000 }
c -> ws
"""
    est = estimate(parse_text(text))
    assert usd(est, "ws", "WebSocket connection minutes") == pytest.approx(2.50)
    unstated = estimate(parse_text(text.replace(", connection_minutes = 10000000", "")))
    assert any(a.id == "apigw.connection_minutes" for a in unstated.assumptions)


def test_sns_fifo_is_priced_as_a_fifo_topic():
    text = """
workload { requests = 10M/month, payload = 1KB }
client c
sns t { fifo = true }
sqs q { fifo = true }
c -> t -> q
"""
    est = estimate(parse_text(text))
    gb = 10e6 * 1024 / GIB
    # publishes 10M x $0.30/M + 9.54 GB x $0.017; deliveries 10M x $0.01/M + 9.54 GB x $0.001
    assert usd(est, "t") == pytest.approx(3.00 + gb * 0.017 + 0.10 + gb * 0.001)
    assert not lines(est, "t", "Publish requests")  # not the standard topic's $0.50/M


def test_aws_service_events_on_the_default_bus_are_free():
    text = """
workload { requests = 5M/month }
eventbridge ec2_changes { pattern = "{\\"source\\": [\\"aws.ec2\\"]}" }
lambda react { memory = 128MB, duration = 10ms }
ec2_changes -> react
"""
    est = estimate(parse_text(text))
    assert est.by_node["ec2_changes"] == 0.0
    assert lines(est, "ec2_changes", "AWS management events (free)")[0]["free_source"].startswith("https://")
    custom = estimate(parse_text(text.replace("aws.ec2", "shop.orders")))
    assert custom.by_node["ec2_changes"] == pytest.approx(5.00)  # 5M custom events x $1.00/M


def test_s3_storage_follows_the_traffic():
    text = """
workload { requests = 10M/month, payload = 100KB }
client c
lambda f { memory = 128MB, duration = 10ms }
s3 b
c -> f
f -> b [action = "PutObject"]
"""
    est = estimate(parse_text(text))
    gb = 10e6 * 100 * 1024 / GIB  # one month of 100 KB objects: 953.67 GB
    assert lines(est, "b", "Storage")[0]["quantity"] == pytest.approx(gb)
    assert usd(est, "b", "Storage") == pytest.approx(gb * 0.023)
    stated = estimate(parse_text(text.replace("s3 b", "s3 b { storage = 5GB }")))
    assert usd(stated, "b", "Storage") == pytest.approx(5 * 0.023)


def test_sqs_requests_follow_the_batch_size():
    text = """
workload { requests = 10M/month, payload = 1KB }
client c
sqs q
lambda f { memory = 128MB, duration = 10ms }
c -> q -> f
"""
    est = estimate(parse_text(text))
    # default BatchSize 10: 1M batches, each a receive and a delete: 2M requests; 10M sends
    assert lines(est, "q", "Receive + delete")[0]["quantity"] == pytest.approx(2.0)  # millions
    assert propagate(parse_text(text)).nodes["f"].invocations == pytest.approx(1e6)
    one = estimate(parse_text(text.replace("c -> q -> f", "c -> q\nq -> f [batch = 1]")))
    assert lines(one, "q", "Receive + delete")[0]["quantity"] == pytest.approx(20.0)


def test_provisioned_capacity_is_sized_for_the_peak():
    text = """
workload { requests = 26280000/month, payload = 1KB }
client c
lambda f { memory = 128MB, duration = 10ms }
dynamodb t { billing = provisioned, storage = 1GB }
c -> f
f -> t [action = "PutItem"]
"""
    est = estimate(parse_text(text))
    # 26.28M writes a month = 10 writes/s on average; at the default 2x peak: 20 WCU
    assert lines(est, "t", "Write capacity")[0]["name"] == "Write capacity (20 WCU)"
    assert any(a.id == "workload.peak_factor" for a in est.assumptions)
    stated = estimate(parse_text(text.replace("payload = 1KB", "payload = 1KB, peak = 5")))
    assert lines(stated, "t", "Write capacity")[0]["name"] == "Write capacity (50 WCU)"


def test_kinesis_shards_honour_the_shared_read_limit():
    # 2,628,000 records/month of 1 MB = 1 MB/s written; three standard consumers read
    # 3 MB/s; at the 2x peak: 2 MB/s written (2 shards) but 6 MB/s read / 2 MB/s per shard
    text = """
workload { requests = 2628000/month, payload = 1MB }
client c
kinesis s { mode = provisioned }
lambda a { memory = 128MB, duration = 10ms }
lambda b { memory = 128MB, duration = 10ms }
lambda d { memory = 128MB, duration = 10ms }
c -> s
s -> a
s -> b
s -> d
"""
    est = estimate(parse_text(text))
    assert lines(est, "s", "Shard hours")[0]["name"] == "Shard hours (3 shards)"
    one_reader = estimate(parse_text(text.replace("s -> b\ns -> d\n", "")))
    assert lines(one_reader, "s", "Shard hours")[0]["name"] == "Shard hours (2 shards)"


def test_free_tier_separates_always_free_from_12_month_offers():
    text = """
workload { requests = 1M/month, payload = 1KB }
client c
apigw api { type = http }
lambda f { memory = 128MB, duration = 10ms, log_bytes = 0B }
dynamodb t { storage = 20GB }
c -> api -> f
f -> t [action = "PutItem"]
"""
    arch = parse_text(text)
    always = estimate(arch, free_tier=True)
    first_year = estimate(arch, free_tier="12-month")
    # API Gateway's 1M requests are a 12-month offer; DynamoDB's 25 GB are always free
    assert usd(always, "api", "HTTP API requests") == pytest.approx(1.00)
    assert usd(first_year, "api", "HTTP API requests") == 0.0
    assert usd(always, "t", "Storage") == 0.0
    assert usd(always, "f") == 0.0  # 1M requests and 400,000 GB-s are always free


def test_dynamodb_always_free_provisioned_capacity():
    text = """
workload { requests = 1M/month }
client c
dynamodb t { billing = provisioned, wcu = 30, rcu = 10, storage = 1GB }
c -> t
"""
    est = estimate(parse_text(text), free_tier=True)
    # 25 of the 30 WCU and all 10 RCU are free: 5 x 730 x $0.00065
    assert usd(est, "t", "Write capacity") == pytest.approx(5 * 730 * 0.00065)
    assert usd(est, "t", "Read capacity") == 0.0


# ----------------------------------------------------------------------------- latency data
def test_latency_figures_match_the_cited_measurements():
    from advisor.estimate.data import latency_data

    data = latency_data()
    stream = next(h for h in data["hops"] if h["source"] == "dynamodb")
    assert (stream["p50_ms"], stream["p99_ms"]) == (213, 552) and not stream.get("weak")
    assert data["services"]["sfn.express"]["p99_ms"] == 241
    assert data["services"]["lambda"]["weak"] is True  # no source measures the invoke overhead
    assert "lambda-perf" not in data["services"]["lambda"]["source"]


BUS_WITH_RULES = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: orders
  AuditBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: audit
  Notify:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      Events:
        Placed:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref OrdersBus
            Pattern:
              detail-type: [OrderPlaced]
  ToAudit:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref OrdersBus
      EventPattern:
        source: [shop.orders]
      Targets:
        - Id: audit
          Arn: !GetAtt AuditBus.Arn
"""


def test_a_bus_pays_no_delivery_to_its_own_rules_but_does_to_another_bus(tmp_path):
    """EventBridge bills the events put on a bus, and a delivery only when a rule sends them
    on to another bus (https://aws.amazon.com/eventbridge/pricing/): a bus's rules are
    part of the bus, not buses of their own."""
    from advisor.importers import load_any

    path = tmp_path / "template.yaml"
    path.write_text(BUS_WITH_RULES, "utf-8")
    est = estimate(load_any(str(path)))
    names = [(c["node"], c["name"]) for c in est.components if c["monthly_usd"] > 0]
    assert not [n for n in names if n[0] == "OrdersBus" and n[1].startswith("Events delivered")]
    assert ("ToAudit", "Events delivered to AuditBus (another bus)") in names
    # the custom events put on the bus are billed once, where they are put
    assert [n for n in names if n[1] == "Custom and opt-in data events"] == [
        ("OrdersBus", "Custom and opt-in data events")]


KEYED_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  SharedKeyArn:
    Type: String
Resources:
  AlarmsKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
  AlarmsTopic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref AlarmsKey
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !GetAtt AlarmsKey.Arn
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      SSESpecification:
        SSEEnabled: true
        SSEType: KMS
        KMSMasterKeyId: !Ref AlarmsKey
  Audit:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref SharedKeyArn
"""

KEYED_TERRAFORM = """\
resource "aws_kms_key" "alarms" {
  enable_key_rotation = true
}
resource "aws_sns_topic" "alarms" {
  name              = "alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
}
resource "aws_sqs_queue" "jobs" {
  name              = "jobs"
  kms_master_key_id = aws_kms_key.alarms.key_id
}
resource "aws_sns_topic" "audit" {
  name              = "audit"
  kms_master_key_id = "arn:aws:kms:us-east-1:111122223333:key/shared"
}
"""


@pytest.mark.parametrize("name,text", [("template.yaml", KEYED_TEMPLATE),
                                       ("main.tf", KEYED_TERRAFORM)])
def test_resources_encrypted_with_a_key_of_the_template_share_its_price(tmp_path, name, text):
    """A key is $1.00 a month (https://aws.amazon.com/kms/pricing/) whatever it encrypts:
    resources naming a key the template declares are priced with that key, and only one
    encrypted with a key from elsewhere is assumed to bring a key of its own."""
    from advisor.importers import load_any

    (tmp_path / name).write_text(text, "utf-8")
    target = tmp_path / name if name.endswith(".yaml") else tmp_path
    arch = load_any(str(target))
    est = estimate(arch)
    keys = sorted(c["node"] for c in est.components if c["unit"] == "key-months")
    key_node = next(iter(arch.nodes_of_kind("kms")))
    assert len([k for k in keys if k == key_node]) == 1
    assumed = [k for k in keys if k != key_node]
    assert len(assumed) == 1 and "audit" in assumed[0].lower()
    assert all(arch.props(n).get("kms_key") == key_node for n in arch.node_names()
               if arch.props(n).get("encryption") == "sse-kms" and "audit" not in n.lower())


MANAGED_KEY_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: alias/aws/sqs
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sns"
  Audit:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

MANAGED_KEY_TERRAFORM = """\
resource "aws_sqs_queue" "jobs" {
  name              = "jobs"
  kms_master_key_id = "alias/aws/sqs"
}
resource "aws_sns_topic" "alerts" {
  name              = "alerts"
  kms_master_key_id = "arn:aws:kms:us-east-1:111122223333:alias/aws/sns"
}
resource "aws_sns_topic" "audit" {
  name              = "audit"
  kms_master_key_id = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
"""


@pytest.mark.parametrize("name,text", [("template.yaml", MANAGED_KEY_TEMPLATE),
                                       ("main.tf", MANAGED_KEY_TERRAFORM)])
def test_an_aws_managed_key_has_no_monthly_charge(tmp_path, name, text):
    """AWS managed keys (`alias/aws/<service>`) cost nothing a month; requests made with
    them are charged (https://aws.amazon.com/kms/pricing/, "You are not charged for ...
    AWS managed or AWS owned KMS keys"). Only the topic with a key of its own pays one."""
    from advisor.importers import load_any

    (tmp_path / name).write_text(text, "utf-8")
    arch = load_any(str(tmp_path / name if name.endswith(".yaml") else tmp_path))
    est = estimate(arch)
    keys = [c["node"] for c in est.components if c["unit"] == "key-months"]
    assert [k.lower() for k in keys] == ["audit"]
    # requests are still priced (the topics' publishes: the queue here has no traffic)
    requests = {c["node"].lower() for c in est.components if c["name"].startswith("KMS requests")}
    assert {"alerts", "audit"} <= requests
    assert {n.lower() for n in arch.node_names() if arch.props(n).get("kms_managed")} == {
        "jobs", "alerts"}
