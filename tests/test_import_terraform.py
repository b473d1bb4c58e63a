"""Terraform importer: hand-written samples and small inline modules.

Expected values come from reading the sample .tf files (what each block states), not
from the importer's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import AdvisorError
from advisor.importers.terraform import import_terraform

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "terraform"


def edge(arch, a, b):
    assert arch.graph.has_edge(a, b), f"missing edge {a} -> {b}; edges: {sorted(arch.graph.edges)}"
    return arch.graph.edges[a, b]


def by_source(arch, source_id):
    found = [n for n in arch.graph.nodes if arch.graph.nodes[n].get("source_id") == source_id]
    assert found, f"no node for {source_id}"
    return found[0]


def write(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ----------------------------------------------------------------- samples
def test_clickstream_seed_shape():
    arch = import_terraform(str(SAMPLES / "clickstream"))
    assert arch.format == "terraform"
    assert arch.kind("ingest") == "apigw" and arch.kind("forward") == "lambda"
    assert edge(arch, "clients", "ingest")
    assert edge(arch, "ingest", "forward")["props"]["integration"] == "proxy"
    assert edge(arch, "forward", "delivery")["mode"] == "sync"  # environment names the stream
    assert edge(arch, "delivery", "lake")["mode"] == "async"
    props = arch.props("forward")
    assert props["memory"] == 1024 * 1024 * 1024 and props["timeout"] == 10_000
    assert props["runtime"] == "python3.12"
    assert props["glue"] is True and props["glue_target"] == "firehose"
    assert props["code"].endswith("forward.py")
    assert arch.props("lake")["encryption"] == "sse-kms"  # from the separate SSE resource
    assert arch.props("delivery")["buffer_size"] == 64 * 1024 * 1024
    loc = arch.graph.nodes["forward"]["loc"]
    assert loc.line == 36 and loc.path.endswith("main.tf")
    assert arch.graph.nodes["forward"]["source_id"] == "aws_lambda_function.forward"


def test_orders_modules_redrive_and_naming():
    arch = import_terraform(str(SAMPLES / "orders"))
    # `orders` is both an API and a table: the collision gives kind-prefixed names
    assert arch.kind("apigw_orders") == "apigw" and arch.kind("dynamodb_orders") == "dynamodb"
    # the local module is read twice, each instance with its own addresses
    intake = by_source(arch, "module.intake.aws_sqs_queue.queue")
    intake_dlq = by_source(arch, "module.intake.aws_sqs_queue.dlq")
    shipping = by_source(arch, "module.shipping.aws_sqs_queue.queue")
    assert intake != shipping
    assert arch.props(intake)["dlq"] == intake_dlq and arch.props(intake)["max_receives"] == 5
    assert arch.props(intake_dlq)["is_dlq"] is True
    assert arch.props(intake)["visibility"] == 60_000  # var.visibility = 60 from the call
    assert arch.props(shipping)["visibility"] == 30_000
    assert arch.props(intake)["encryption"] == "sse-sqs"
    # HTTP API subtype straight to the queue, auth and throttling from route and stage
    e = edge(arch, "apigw_orders", intake)
    assert e["props"]["action"] == "sqs:SendMessage"  # subtype SQS-SendMessage, as IAM names it
    api = arch.props("apigw_orders")
    assert api["type"] == "http" and api["auth"] == "jwt" and api["throttling"] is True
    # event source mapping and the worker's props
    # the worker's log group is part of it (log_retention), so no name collision
    assert "logs_worker" not in arch.graph and arch.aliases["aws_cloudwatch_log_group.worker"] == "worker"
    esm = edge(arch, intake, "worker")
    assert esm["mode"] == "poll" and esm["props"]["batch"] == 10
    worker = arch.props("worker")
    assert worker["arch"] == "arm64" and worker["tracing"] is True
    assert worker["iam_wildcard"] is True  # dynamodb:* on "*"
    assert worker["log_retention"] == 14
    assert edge(arch, "worker", "dynamodb_orders")  # env TABLE = local.table_name
    assert not arch.graph.has_edge("worker", "apigw_orders")  # name shared, not meant
    ignore = arch.graph.nodes["worker"]["ignore"]
    assert {"CKV_AWS_117", "PERF-LAMBDA-MEMORY"} <= set(ignore)
    # pipe from the table's stream to the workflow
    assert edge(arch, "dynamodb_orders", "pipes_fulfil")["mode"] == "stream"
    assert edge(arch, "pipes_fulfil", "sfn_fulfil")
    # workflow from templatefile(): three tasks, Express, callback on the queue
    sfn = arch.props("sfn_fulfil")
    assert sfn["type"] == "express" and sfn["states"] == 3
    assert edge(arch, "sfn_fulfil", "charge")["props"]["action"] == "lambda:invoke"
    assert edge(arch, "sfn_fulfil", shipping)["props"]["wait"] == "callback"
    assert edge(arch, "sfn_fulfil", "notifications")["props"]["action"] == "sns:publish"
    # SNS subscription, rule target with DLQ and retry policy
    assert edge(arch, "notifications", "email")["mode"] == "async"
    rule = edge(arch, "nightly", "sfn_fulfil")["props"]
    assert rule["retries"] == 2 and rule["dlq"] == by_source(arch, "module.shipping.aws_sqs_queue.dlq")
    assert arch.props("notifications")["encryption"] == "sse-kms"


def test_events_sample_integrations_auth_and_entries():
    arch = import_terraform(str(SAMPLES / "events"))
    api = arch.props("apigw_telemetry")
    assert api["auth"] == "cognito" and api["validation"] is True and api["throttling"] is True
    e = edge(arch, "apigw_telemetry", "kinesis_telemetry")
    assert e["props"]["integration"] == "service" and e["props"]["action"] == "kinesis:PutRecord"
    esm = edge(arch, "kinesis_telemetry", "consumer")
    assert esm["mode"] == "stream"
    assert esm["props"] == {"batch": 100, "bisect": True, "retries": 3, "on_failure": "failed"}
    # Lambda sends the failed batch there: a failure path, not a queue's dead-letter queue
    assert edge(arch, "consumer", "failed")["label"] == "on failure"
    assert "failed" in arch.failure_destinations() and "is_dlq" not in arch.props("failed")
    assert arch.props("kinesis_telemetry") == {"mode": "on-demand", "encryption": "sse-kms",
                                               "kms_managed": True}  # alias/aws/kinesis
    assert arch.props("uploads")["public"] is True  # bucket policy with Principal "*"
    assert edge(arch, "clients", "uploads") and edge(arch, "clients", "apigw_telemetry")
    assert edge(arch, "uploads", "thumbnail")["mode"] == "async"
    assert arch.props("thumbnail")["on_failure"] == "failed"
    assert arch.props("consumer")["iam_wildcard"] is True  # *FullAccess managed policy
    assert arch.props("sfn_export")["polling"] is True  # Wait -> Task -> Choice -> Wait
    assert edge(arch, "sfn_export", "uploads")["props"]["integration"] == "sdk"
    assert edge(arch, "scheduler_export", "sfn_export")


def test_samples_round_trip_through_the_dsl():
    from advisor.dsl import parse_text, to_text

    for name in ("clickstream", "orders", "events"):
        arch = import_terraform(str(SAMPLES / name))
        again = parse_text(to_text(arch))
        assert sorted(again.graph.edges) == sorted(arch.graph.edges)
        assert {n: again.kind(n) for n in again.graph} == {n: arch.kind(n) for n in arch.graph}


def test_single_file_does_not_read_siblings(tmp_path):
    write(tmp_path, 'resource "aws_sqs_queue" "a" {}\n', "a.tf")
    write(tmp_path, 'resource "aws_sns_topic" "b" {}\n', "b.tf")
    one = import_terraform(str(tmp_path / "a.tf"))
    both = import_terraform(str(tmp_path))
    assert "b" not in one.graph and "a" in one.graph
    assert {"a", "b"} <= set(both.graph)


# ----------------------------------------------------------------- mapping details
def test_redrive_policy_as_heredoc_string(tmp_path):
    write(
        tmp_path,
        '''resource "aws_sqs_queue" "dead" {}
resource "aws_sqs_queue" "work" {
  redrive_policy = <<EOF
{"deadLetterTargetArn": "${aws_sqs_queue.dead.arn}", "maxReceiveCount": 3}
EOF
}
''',
    )
    arch = import_terraform(str(tmp_path))
    assert arch.props("work")["dlq"] == "dead" and arch.props("work")["max_receives"] == 3
    assert arch.props("dead")["is_dlq"] is True


def test_unknown_type_kept_and_noted(tmp_path):
    write(tmp_path, 'resource "aws_glue_job" "etl" {\n  name = "x"\n}\nresource "random_id" "r" {}\n')
    arch = import_terraform(str(tmp_path))
    assert arch.kind("etl") == "resource" and arch.props("etl")["type"] == "aws_glue_job"
    messages = [n.message for n in arch.notes]
    assert any("aws_glue_job" in m for m in messages)
    assert any("random_id.r" in m for m in messages)  # non-AWS: reported, not silent


def test_unresolved_reference_is_noted_with_line(tmp_path):
    write(
        tmp_path,
        '''resource "aws_lambda_function" "f" {
  function_name = "f"
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_sqs_queue.missing.arn
  function_name    = aws_lambda_function.f.arn
}
''',
    )
    arch = import_terraform(str(tmp_path))
    notes = [n for n in arch.notes if "aws_sqs_queue.missing" in n.message]
    assert notes and notes[0].line == 5 and notes[0].severity == "info"
    assert arch.graph.number_of_edges() == 0


def test_rest_service_integration_by_uri_and_name(tmp_path):
    write(
        tmp_path,
        '''resource "aws_api_gateway_rest_api" "api" { name = "a" }
resource "aws_sqs_queue" "q" { name = "jobs" }
resource "aws_sqs_queue" "other" { name = "other" }
resource "aws_api_gateway_integration" "i" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  type        = "AWS"
  uri         = "arn:aws:apigateway:us-east-1:sqs:path/123456789012/jobs"
}
''',
    )
    arch = import_terraform(str(tmp_path))
    assert arch.graph.has_edge("api", "q") and not arch.graph.has_edge("api", "other")


def test_registry_lambda_module_best_effort(tmp_path):
    write(
        tmp_path,
        '''module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "fn"
  runtime       = "python3.12"
  memory_size   = 256
  event_source_mapping = {
    q = { event_source_arn = aws_sqs_queue.q.arn, batch_size = 5 }
  }
}
module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
}
resource "aws_sqs_queue" "q" {}
''',
    )
    arch = import_terraform(str(tmp_path))
    assert arch.graph.nodes["fn"]["source_id"] == "module.fn"
    assert arch.props("fn")["memory"] == 256 * 1024 * 1024
    assert arch.graph.edges["q", "fn"]["props"]["batch"] == 5
    assert any("module 'vpc'" in n.message for n in arch.notes)


@pytest.mark.parametrize("source_path", [
    '"src/fn"',
    '{\n    path             = "src/fn"\n    pip_requirements = true\n  }',
    '[\n    "shared",\n    { path = "src/fn" },\n  ]',
])
def test_registry_lambda_module_source_path_forms(tmp_path, source_path):
    """terraform-aws-modules/lambda/aws takes `source_path` as a string, a map with `path`
    or a list of either: each names where the handler's code is read from."""
    write(tmp_path, f'''module "fn" {{
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "fn"
  runtime       = "python3.12"
  handler       = "app.handler"
  source_path   = {source_path}
}}
''')
    write(tmp_path, "def handler(event, context):\n    return event\n", "src/fn/app.py")
    arch = import_terraform(str(tmp_path))
    assert arch.props("fn")["code"] == "src/fn/app.py"


def test_local_module_cycle_is_cut(tmp_path):
    write(tmp_path, 'module "a" {\n  source = "./mod"\n}\n')
    inner = 'module "again" {\n  source = "../mod"\n}\nresource "aws_sns_topic" "t" {}\n'
    write(tmp_path, inner, "mod/main.tf")
    arch = import_terraform(str(tmp_path))
    assert "t" in arch.graph
    assert any("cycle" in n.message for n in arch.notes)


def test_sns_subscription_with_redrive_and_lambda_permission(tmp_path):
    write(
        tmp_path,
        '''resource "aws_sns_topic" "t" {}
resource "aws_sqs_queue" "dlq" {}
resource "aws_lambda_function" "f" { function_name = "f" }
resource "aws_sns_topic_subscription" "s" {
  topic_arn      = aws_sns_topic.t.arn
  protocol       = "lambda"
  endpoint       = aws_lambda_function.f.arn
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })
}
''',
    )
    arch = import_terraform(str(tmp_path))
    assert arch.graph.edges["t", "f"]["props"]["dlq"] == "dlq"
    assert arch.graph.edges["t", "f"]["mode"] == "async"
    assert arch.graph.has_edge("clients", "t")  # a topic nobody in the config publishes to


# ----------------------------------------------------------------- hostile input
def test_bad_hcl_reports_line_and_column(tmp_path):
    write(tmp_path, 'resource "aws_sqs_queue" "q" {\n  name = \n}\n')
    with pytest.raises(AdvisorError) as err:
        import_terraform(str(tmp_path / "main.tf"))
    diag = err.value.diagnostics[0]
    assert diag.line == 2 and diag.column >= 1
    assert diag.path.endswith("main.tf")


def test_unclosed_block_points_at_end(tmp_path):
    write(tmp_path, 'resource "aws_sqs_queue" "q" {\n  name = "x"\n')
    with pytest.raises(AdvisorError) as err:
        import_terraform(str(tmp_path))
    assert "end of file" in err.value.diagnostics[0].message


def test_invalid_utf8(tmp_path):
    (tmp_path / "main.tf").write_bytes(b'resource "aws_sqs_queue" "q" {\n  name = "\xff"\n}\n')
    with pytest.raises(AdvisorError) as err:
        import_terraform(str(tmp_path))
    diag = err.value.diagnostics[0]
    assert "UTF-8" in diag.message and diag.line == 2


def test_huge_file_refused_without_parsing(tmp_path):
    path = tmp_path / "main.tf"
    with path.open("w") as handle:
        handle.write("# padding\n" * (6 * 1024 * 1024 // 10 + 1))
    with pytest.raises(AdvisorError) as err:
        import_terraform(str(path))
    assert "MB" in err.value.diagnostics[0].message


def test_deep_nesting_is_an_error_not_a_crash(tmp_path):
    write(tmp_path, "locals {\n  x = " + "[" * 5000 + "]" * 5000 + "\n}\n")
    try:
        import_terraform(str(tmp_path))
    except AdvisorError as exc:
        assert exc.diagnostics


def test_text_given_directly(tmp_path):
    """Pasted HCL (the app, load_any with text) needs no file on disk."""
    arch = import_terraform(
        str(tmp_path / "pasted.tf"), text='resource "aws_sqs_queue" "q" {\n  fifo_queue = true\n}\n'
    )
    assert arch.props("q")["fifo"] is True
    assert arch.graph.nodes["q"]["loc"].line == 1
