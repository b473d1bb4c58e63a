"""What peers rightly flag on real templates, archadvisor flags too, on the same resource.

benchmarks/peer_parity.py does the comparison (cfn-lint + serverless-rules in-process,
checkov from its own venv through benchmarks/checkov_parity.py) and
benchmarks/peer_scope.yaml says which peer rules count and when a finding is a known false
positive. The corpus tests are slow (cfn-lint lints ~110 templates: about a minute on two
cores; checkov about 20 s, then cached under .cache/peer-parity/) and need the shared
corpus beside the repository: skipped without it, except in CI where that fails. The
judging itself is tested on templates written here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import checkov_parity
    import peer_parity
finally:
    sys.path.pop(0)

# checkov parity measured on the corpus with checkov 3.3.30 (2026-12-01): 233 of its 235
# in-scope findings matched (0.991; 0.957 before AppSync logging, Lambda permission
# sources and DynamoDB auto scaling; 0.703 before the roles of state machines, APIs, pipes
# and streams, DynamoDB PITR and S3 versioning were checked). The test fails when it drops
# below this floor; raise the floor when rules are added (README "Measured figures" has
# the current figure).
CHECKOV_COVERAGE_FLOOR = 0.98


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.mark.slow
def test_cfn_lint_findings_are_ours_too(record_figure) -> None:
    corpus = shared_path("corpus", "serverless-patterns", marker="manifest.yaml")
    pytest.importorskip("cfn_lint_serverless", reason="cfn-lint-serverless is in the dev extra")
    parity = peer_parity.compare(corpus)
    record_figure("peer parity (cfn-lint + serverless-rules findings we also flag)",
                  parity.figure())
    assert parity.total > 100  # the comparison really ran
    assert parity.matched_total == parity.total, parity.misses
    assert not parity.unclassified, parity.unclassified


@pytest.mark.slow
def test_checkov_findings_are_ours_too(record_figure) -> None:
    corpus = shared_path("corpus", "serverless-patterns", marker="manifest.yaml")
    if checkov_parity.checkov_command() is None:
        message = "checkov is not installed (`make peer-deps` creates .venv-peers/)"
        if _in_ci():
            pytest.fail(f"{message}; CI runs make test, which installs it")
        pytest.skip(message)
    parity = checkov_parity.compare(corpus)
    record_figure("peer parity (checkov in-scope findings we also flag)", parity.figure())
    assert parity.total > 150  # the comparison really ran
    # every checkov id it reports on the corpus is judged in peer_scope.yaml
    assert not parity.unclassified, parity.unclassified
    assert parity.coverage >= CHECKOV_COVERAGE_FLOOR, parity.misses
    # a rule we claim to cover (listed in some pattern's equivalents) is matched at least once
    claimed = peer_parity.equivalents_index()
    assert all(parity.matched[rule] > 0 for rule in parity.peer if rule in claimed), parity.misses


def test_peer_scope_is_complete_and_sourced() -> None:
    scope = peer_parity.load_scope()  # raises on an unknown condition
    assert {r.peer for r in scope.values()} == {"cfn-lint", "checkov"}
    for rule in scope.values():
        assert rule.title and rule.reason, rule.id
        assert rule.source.startswith("https://"), rule.id
        assert all(fp.why for fp in rule.false_positives), rule.id
        assert rule.in_scope or not rule.false_positives, f"{rule.id}: out of scope has no FPs"
    # what the brief and issue 13 name is decided, one way or the other
    for rid in ("CKV_AWS_116", "CKV_AWS_50", "CKV_AWS_115", "CKV_AWS_117", "CKV_AWS_173",
                "CKV_AWS_272", "CKV_AWS_28", "CKV_AWS_21", "CKV_AWS_53", "CKV_AWS_27"):
        assert rid in scope, rid


def test_unknown_condition_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "scope.yaml"
    bad.write_text("rules:\n  X1:\n    peer: checkov\n    title: t\n    scope: in\n"
                   "    reason: r\n    source: https://example.com\n"
                   "    false_positives:\n    - when: no_such_condition\n      why: w\n", "utf-8")
    with pytest.raises(ValueError, match="no_such_condition"):
        peer_parity.load_scope(bad)


SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: alias/aws/sns
  Notified:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context):\\n    return event\\n"
      Events:
        FromTopic:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context):\\n    return event\\n"
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items
            Method: get
  Jobs:
    Type: AWS::SQS::Queue
  Plain:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
  Quiet:
    Type: AWS::S3::Bucket
  Exposed:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: false
"""


def _judge(tmp_path: Path, input_path: Path, findings: list[tuple[str, str, Path]]):
    scope = peer_parity.load_scope()
    found = {input_path: [peer_parity.PeerFinding(r, res, f) for r, res, f in findings]}
    return peer_parity.compare_findings(tmp_path, "test peer", found, scope, 1)


def test_judging_on_a_sam_template(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(SAM, "utf-8")
    parity = _judge(tmp_path, template, [
        ("CKV_AWS_116", "Notified", template),   # SNS invokes it asynchronously: counts
        ("CKV_AWS_116", "Reader", template),     # behind an API: checkov issue 2194
        ("CKV_AWS_27", "Jobs", template),        # SSE-SQS by default
        ("CKV_AWS_27", "Plain", template),       # SSE turned off: counts
        ("CKV_AWS_53", "Quiet", template),       # Block Public Access left at its default
        ("CKV_AWS_53", "Exposed", template),     # turned off: counts
        ("CKV_AWS_117", "Reader", template),     # out of scope
        ("CKV_AWS_99999", "Reader", template),   # not in peer_scope.yaml
    ])
    left_out = {(rule, res): why for _, rule, res, why in parity.peer_false_positives}
    assert set(left_out) == {("CKV_AWS_116", "Reader"), ("CKV_AWS_27", "Jobs"),
                             ("CKV_AWS_53", "Quiet")}
    assert "2194" in left_out["CKV_AWS_116", "Reader"]
    assert "SSE-SQS" in left_out["CKV_AWS_27", "Jobs"]
    assert "April 2023" in left_out["CKV_AWS_53", "Quiet"]
    assert parity.peer == {"CKV_AWS_116": 1, "CKV_AWS_27": 1, "CKV_AWS_53": 1}
    # REL-LAMBDA-ASYNC-DLQ and SEC-ENCRYPTION-AT-REST list these ids as equivalents
    assert parity.matched["CKV_AWS_116"] == 1
    assert parity.matched["CKV_AWS_27"] == 1
    assert parity.out_of_scope == {"CKV_AWS_117": 1}
    assert parity.unclassified == {"CKV_AWS_99999": 1}
    assert parity.matched_total + len(parity.misses) == parity.total


TF = """\
resource "aws_apigatewayv2_api" "chat" {
  name                       = "chat"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

resource "aws_apigatewayv2_route" "connect" {
  api_id             = aws_apigatewayv2_api.chat.id
  route_key          = "$connect"
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_route" "disconnect" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$disconnect"
}

resource "aws_s3_bucket" "quiet" {
  bucket_prefix = "quiet-"
}

resource "aws_s3_bucket" "exposed" {
  bucket_prefix = "exposed-"
}

resource "aws_s3_bucket_public_access_block" "exposed" {
  bucket              = aws_s3_bucket.exposed.id
  block_public_acls   = false
  block_public_policy = false
}
"""


def test_judging_on_a_terraform_module(tmp_path: Path) -> None:
    module = tmp_path / "stack"
    module.mkdir()
    main = module / "main.tf"
    main.write_text(TF, "utf-8")
    parity = _judge(tmp_path, module, [
        ("CKV_AWS_309", "aws_apigatewayv2_route.connect", main),     # counts
        ("CKV_AWS_309", "aws_apigatewayv2_route.disconnect", main),  # no auth on $disconnect
        ("CKV2_AWS_6", "aws_s3_bucket.quiet", main),                 # AWS default blocks
        ("CKV2_AWS_6", "aws_s3_bucket.exposed", main),               # a block turns it off
    ])
    left_out = {(rule, res) for _, rule, res, _ in parity.peer_false_positives}
    assert left_out == {("CKV_AWS_309", "aws_apigatewayv2_route.disconnect"),
                        ("CKV2_AWS_6", "aws_s3_bucket.quiet")}
    assert parity.peer == {"CKV_AWS_309": 1, "CKV2_AWS_6": 1}
    assert parity.matched["CKV_AWS_309"] == 1  # SEC-APIGW-AUTH on the WebSocket API


def test_checkov_report_parsing(tmp_path: Path) -> None:
    """checkov's JSON -> (input, check, resource, file): CloudFormation ids lose their type
    prefix, a Terraform module file belongs to its root module, other files are dropped."""
    (tmp_path / "sam").mkdir()
    template = tmp_path / "sam" / "template.yaml"
    template.write_text("Resources: {}\n", "utf-8")
    root = tmp_path / "tf"
    (root / "modules" / "q").mkdir(parents=True)
    (root / "main.tf").write_text("", "utf-8")
    (root / "modules" / "q" / "main.tf").write_text("", "utf-8")
    raw = [
        {"check_type": "cloudformation", "results": {
            "failed_checks": [
                {"check_id": "CKV_AWS_27", "resource": "AWS::SQS::Queue.Jobs",
                 "file_abs_path": str(template)},
                {"check_id": "CKV_AWS_27", "resource": "AWS::SQS::Queue.Other",
                 "file_abs_path": str(tmp_path / "not-an-input.yaml")},
            ],
            "parsing_errors": ["sam/broken.yaml"]}},
        {"check_type": "terraform", "results": {"failed_checks": [
            {"check_id": "CKV_AWS_27", "resource": "module.q.aws_sqs_queue.this",
             "file_abs_path": str(root / "modules" / "q" / "main.tf")}]}},
    ]
    found, crashes = checkov_parity.parse_report(json.loads(json.dumps(raw)), tmp_path,
                                                 [template, root])
    assert found == [
        ("sam/template.yaml", "CKV_AWS_27", "Jobs", "sam/template.yaml"),
        ("tf", "CKV_AWS_27", "module.q.aws_sqs_queue.this", "tf/modules/q/main.tf"),
    ]
    assert crashes == ["sam/broken.yaml"]


def test_cache_key_follows_tool_and_corpus(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("Resources: {}\n", "utf-8")
    inputs = [tmp_path / "a.yaml"]
    first = peer_parity.cache_key(tmp_path, inputs, "checkov 3.3.30")
    assert peer_parity.cache_key(tmp_path, inputs, "checkov 3.3.30") == first
    assert peer_parity.cache_key(tmp_path, inputs, "checkov 3.3.31") != first
    (tmp_path / "a.yaml").write_text("Resources: {Q: {Type: AWS::SQS::Queue}}\n", "utf-8")
    assert peer_parity.cache_key(tmp_path, inputs, "checkov 3.3.30") != first


def test_cached_results_are_reused_and_pruned(tmp_path: Path) -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    assert peer_parity.cached("peer", "k1", compute, cache_dir=tmp_path) == ({"n": 1}, False)
    assert peer_parity.cached("peer", "k1", compute, cache_dir=tmp_path) == ({"n": 1}, True)
    assert peer_parity.cached("peer", "k1", compute, cache_dir=tmp_path,
                              use_cache=False) == ({"n": 2}, False)
    assert peer_parity.cached("peer", "k2", compute, cache_dir=tmp_path) == ({"n": 3}, False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["peer-k2.json"]


RUNTIMES_SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Old:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python2.7
      Handler: index.handler
      InlineCode: "x"
  Frozen:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.7
      Handler: index.handler
      InlineCode: "x"
  Aging:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "x"}
  Current:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      InlineCode: "x"
"""


def test_cfn_lint_deprecated_runtime_findings_are_ours_on_the_same_function(
        tmp_path: Path) -> None:
    # cfn-lint's own W2531/E2531/E2533, run as the benchmark runs it, all matched by
    # OPS-LAMBDA-DEPRECATED-RUNTIME on the same resource
    template = tmp_path / "template.yaml"
    template.write_text(RUNTIMES_SAM, "utf-8")
    _, found = peer_parity._lint_one(template)
    runtime_findings = [f for f in found or [] if f.rule in peer_parity.CFN_LINT_RULES]
    assert sorted(f.resource for f in runtime_findings) == ["Aging", "Frozen", "Old"]
    parity = _judge(tmp_path, template, [(f.rule, f.resource, template)
                                         for f in runtime_findings])
    assert parity.total == 3 and parity.matched_total == 3, parity.misses
