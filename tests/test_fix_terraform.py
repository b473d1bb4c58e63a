"""`advisor fix` on Terraform: HCL written as `terraform fmt` would, local modules patched
in their own files, verified by re-import."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor.fix import fix_source
from advisor.fix.terraform.hcl import Call, HclFile, Nested, Raw, body_lines, resource_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "fix" / "terraform"


def test_fmt_alignment_rules() -> None:
    # the aws_sqs_queue example of the provider docs, as `terraform fmt` prints it: a run
    # of one-line attributes is aligned, a multi-line value starts its own line unaligned,
    # objects inside jsonencode are aligned the same way
    text = resource_text("aws_sqs_queue", "q", [
        ("name", "terraform-example-queue"),
        ("delay_seconds", 90),
        ("message_retention_seconds", 86400),
        ("redrive_policy", Call("jsonencode", {
            "deadLetterTargetArn": Raw("aws_sqs_queue.dlq.arn"), "maxReceiveCount": 4})),
        ("tags", {"Environment": "production"}),
    ])
    assert text == (
        'resource "aws_sqs_queue" "q" {\n'
        '  name                      = "terraform-example-queue"\n'
        "  delay_seconds             = 90\n"
        "  message_retention_seconds = 86400\n"
        "  redrive_policy = jsonencode({\n"
        "    deadLetterTargetArn = aws_sqs_queue.dlq.arn\n"
        "    maxReceiveCount     = 4\n"
        "  })\n"
        "  tags = {\n"
        '    Environment = "production"\n'
        "  }\n"
        "}\n")


def test_nested_blocks_end_runs_and_keys_are_quoted_when_needed() -> None:
    lines = body_lines([("a", 1), ("bbb", 2), ("cfg", Nested([("x", True)])), ("d", 3),
                        ("m", {"aws:SourceArn": Raw("x.arn"), "k": 1})], 2)
    assert lines == ["  a   = 1", "  bbb = 2", "  cfg {", "    x = true", "  }", "  d = 3",
                     "  m = {", '    "aws:SourceArn" = x.arn', "    k               = 1",
                     "  }"]


def test_insert_keeps_existing_alignment() -> None:
    src = ('resource "aws_sqs_queue" "q" {\n  name = "x" # keep\n  delay_seconds = 5\n}\n'
           'locals {\n  s = "}"\n}\n')
    f = HclFile("t.tf", src)
    block = f.resource("aws_sqs_queue", "q")
    f.insert(block, [("fifo_queue", True)])
    f.set_value(block, "delay_seconds", 10)
    assert f.render() == ('resource "aws_sqs_queue" "q" {\n  name = "x" # keep\n'
                          '  delay_seconds = 10\n\n  fifo_queue = true\n}\n'
                          'locals {\n  s = "}"\n}\n')


def test_local_module_patched_in_its_own_file(tmp_path: Path) -> None:
    root = tmp_path / "terraform"
    shutil.copytree(SAMPLE, root)
    fix = fix_source(str(root), verify=True)
    assert fix.rewrites and all(r.status == "patched" for r in fix.rewrites), \
        [r.to_dict() for r in fix.rewrites]
    assert fix.verified, fix.checks
    by_file = {Path(f.path).relative_to(root).as_posix(): f for f in fix.changed}
    module = by_file["modules/worker/main.tf"].new
    assert 'resource "aws_sqs_queue" "jobs_dlq" {\n  name                      = ' \
        '"orders-jobs-dlq"\n' in module
    assert "deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn" in module  # module-local ref
    assert "visibility_timeout_seconds = 180 # the worker's timeout is 30 s too" in module
    assert "role = aws_iam_role.worker.id" in module
    root_file = by_file["main.tf"].new
    assert '"aws:SourceArn" = aws_cloudwatch_event_rule.nightly.arn' in root_file
    # untouched lines stay: every original line is still there except the one value
    old = by_file["modules/worker/main.tf"].old.splitlines()
    new_lines = module.splitlines()
    assert [x for x in old if x not in new_lines] == [
        "  visibility_timeout_seconds = 30 # the worker's timeout is 30 s too"]


def test_registry_module_is_listed_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "queue" {\n  source = "terraform-aws-modules/sqs/aws"\n  name = "jobs"\n}\n'
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "arn:x"\n'
        '  runtime = "python3.12"\n  handler = "a.b"\n  filename = "f.zip"\n}\n'
        'resource "aws_lambda_event_source_mapping" "m" {\n'
        '  event_source_arn = module.queue.queue_arn\n'
        '  function_name = aws_lambda_function.f.arn\n}\n')
    fix = fix_source(str(tmp_path))
    reasons = {r.rule: r.reason for r in fix.rewrites if r.status != "patched"}
    assert "terraform-aws-modules/sqs/aws" in reasons["REL-SQS-DLQ"]
    assert "inputs" in reasons["REL-SQS-DLQ"]
    assert not fix.changed


def _two_streams_on_one_role(tmp_path: Path) -> None:
    streams = "".join(
        f'resource "aws_kinesis_stream" "s{i}" {{\n  name = "s{i}"\n  shard_count = 1\n}}\n'
        f'resource "aws_lambda_function" "f{i}" {{\n  function_name = "f{i}"\n'
        f'  role = aws_iam_role.shared.arn\n  runtime = "python3.12"\n  handler = "a.b"\n'
        f'  filename = "f.zip"\n}}\n'
        f'resource "aws_lambda_event_source_mapping" "m{i}" {{\n'
        f'  event_source_arn = aws_kinesis_stream.s{i}.arn\n'
        f'  function_name = aws_lambda_function.f{i}.arn\n  starting_position = "LATEST"\n}}\n'
        for i in (1, 2))
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "shared" {\n  name = "shared"\n'
        '  assume_role_policy = "{}"\n}\n' + streams)


def test_failure_queues_granted_through_a_shared_role_verify(tmp_path: Path) -> None:
    """Two functions share a role: granting it sqs:SendMessage on each function's failure
    queue lets the role write to both queues, but each grant is a failure delivery, not a
    call: the re-import draws no edge from one function to the other's queue, and both
    patches verify (they did not while the importer drew those edges)."""
    _two_streams_on_one_role(tmp_path)
    fix = fix_source(str(tmp_path), verify=True)
    poison = [r for r in fix.rewrites if r.rule == "REL-STREAM-POISON"]
    assert len(poison) == 2 and all(r.status == "patched" for r in poison)
    assert fix.checks["after"] == "ok"
    assert all(r.verified for r in poison)


def test_a_failed_check_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the re-import of the patched module differs from the engine's "after" (here
    an importer that reads one more edge), the patch is offered, not as verified, and says
    which check failed."""
    from advisor.fix import verify

    reimport = verify._reimport

    def one_more_edge(result: Any, texts: dict[str, str]) -> Any:
        arch = reimport(result, texts)
        arch.graph.add_edge("f1", "s1", mode="sync", props={})
        return arch

    monkeypatch.setattr(verify, "_reimport", one_more_edge)
    _two_streams_on_one_role(tmp_path)
    fix = fix_source(str(tmp_path), verify=True)
    poison = [r for r in fix.rewrites if r.rule == "REL-STREAM-POISON"]
    assert len(poison) == 2 and all(r.status == "patched" for r in poison)
    assert fix.checks["after"] != "ok" and "unexpected edge f1 -> s1" in fix.checks["after"]
    # the rewrite that matched both ends of that edge is the one not verified
    assert [(r.verified, r.failed_check) for r in poison] == [(False, "after"), (True, "")]
