"""Lambda runtimes judged from advisor/engine/lambda_runtimes.yaml: COST-LAMBDA-ARM64 only
on runtimes that have an arm64 build, OPS-LAMBDA-DEPRECATED-RUNTIME on deprecated ones,
each in the real input languages (SAM, CloudFormation, Terraform, the DSL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from advisor.pipeline import Options, analyze_source
from tests.test_rules_new_checks import FILES, findings

SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {runtime}
      Handler: index.handler
      InlineCode: "def handler(e, c): return e"
      MemorySize: 256
      Timeout: 10
"""
CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: {runtime}
      Handler: index.handler
      Role: !GetAtt FnRole.Arn
      Code: {{ZipFile: "def handler(e, c): return e"}}
      MemorySize: 256
      Timeout: 10
"""
TF = """
resource "aws_iam_role" "r" {{
  name               = "r"
  assume_role_policy = jsonencode({{Statement = [{{Effect = "Allow", Action = "sts:AssumeRole",
    Principal = {{Service = "lambda.amazonaws.com"}}}}]}})
}}
resource "aws_lambda_function" "Fn" {{
  function_name = "fn"
  role          = aws_iam_role.r.arn
  runtime       = "{runtime}"
  handler       = "index.handler"
  filename      = "fn.zip"
  memory_size   = 256
  timeout       = 10
}}
"""
DSL = """
lambda Fn {{ memory = 256MB, timeout = 10s, runtime = "{runtime}" }}
"""
TEMPLATES = {"sam": SAM, "cloudformation": CFN, "terraform": TF, "dsl": DSL}


def subjects(tmp_path: Path, fmt: str, runtime: str, rule: str) -> list[str]:
    return [s for s, _ in findings(tmp_path, fmt, TEMPLATES[fmt].format(runtime=runtime), rule)]


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["python3.7", "python3.6", "nodejs8.10", "java8"])
def test_arm64_silent_on_x86_only_runtimes(tmp_path: Path, fmt: str, runtime: str) -> None:
    # these runtimes have no arm64 build: moving the function to arm64 fails the deploy
    assert subjects(tmp_path, fmt, runtime, "COST-LAMBDA-ARM64") == []


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["python3.12", "java8.al2", "nodejs22.x"])
def test_arm64_reported_on_runtimes_with_an_arm64_build(tmp_path: Path, fmt: str,
                                                        runtime: str) -> None:
    assert subjects(tmp_path, fmt, runtime, "COST-LAMBDA-ARM64") == ["Fn"]


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["nodejs12.x", "dotnetcore3.1"])
def test_arm64_silent_where_aws_blocks_updates(tmp_path: Path, fmt: str, runtime: str) -> None:
    # an arm64 build exists, but any update of the function (its architecture too) fails:
    # the deprecated-runtime finding says what to do first
    assert subjects(tmp_path, fmt, runtime, "COST-LAMBDA-ARM64") == []
    assert [s for s, _sev, _m in deprecated(tmp_path / "dep", fmt, runtime)] == ["Fn"]


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
def test_arm64_silent_on_an_unknown_runtime(tmp_path: Path, fmt: str) -> None:
    assert subjects(tmp_path, fmt, "python9.99", "COST-LAMBDA-ARM64") == []


def deprecated(tmp_path: Path, fmt: str, runtime: str) -> list[tuple[str, str, str]]:
    """(subject, severity, message) of each OPS-LAMBDA-DEPRECATED-RUNTIME finding."""
    folder = tmp_path / fmt
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILES[fmt]
    path.write_text(dedent(TEMPLATES[fmt].format(runtime=runtime)).lstrip(), "utf-8")
    result = analyze_source(str(folder if fmt == "terraform" else path), Options(estimates=False))
    assert not result.errors, result.errors
    return [(f.subject, f.severity, f.message) for f in result.findings
            if f.rule == "OPS-LAMBDA-DEPRECATED-RUNTIME"]


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["python2.7", "python3.6", "nodejs12.x", "dotnetcore3.1"])
def test_deprecated_runtime_is_an_error_once_updates_are_blocked(tmp_path: Path, fmt: str,
                                                                 runtime: str) -> None:
    [(subject, severity, message)] = deprecated(tmp_path, fmt, runtime)
    assert (subject, severity) == ("Fn", "error")
    assert f"runs on {runtime}, deprecated since" in message
    assert "blocks creating and updating" in message


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["go1.x", "python3.7", "nodejs16.x", "java8", "python3.9"])
def test_deprecated_runtime_still_updatable_is_a_warning(tmp_path: Path, fmt: str,
                                                         runtime: str) -> None:
    # AWS moved these runtimes' update block to 2027-03-03 (lambda_runtimes.yaml)
    [(subject, severity, message)] = deprecated(tmp_path, fmt, runtime)
    assert (subject, severity) == ("Fn", "warning")
    assert "no more security patches; AWS blocks updates from 2027-03-03" in message


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("runtime", ["python3.13", "java8.al2", "nodejs22.x", "python9.99"])
def test_supported_or_unknown_runtime_is_not_reported(tmp_path: Path, fmt: str,
                                                      runtime: str) -> None:
    assert deprecated(tmp_path, fmt, runtime) == []


def test_deprecated_but_not_yet_blocked_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # judged against the data file's `as_of` date: before the block date, a warning
    from advisor.engine import predicates

    data = dict(predicates.lambda_runtimes())
    entry = data["runtimes"]["nodejs12.x"]
    monkeypatch.setattr(predicates, "lambda_runtimes",
                        lambda: {**data, "as_of": entry["deprecated"]})
    from advisor.dsl import parse_text
    from advisor.engine.context import Ctx

    ctx = Ctx(parse_text('lambda f { runtime = "nodejs12.x" }'))
    found = predicates.deprecated_runtime(ctx, "f", {})
    assert found["severity"] == "warning"
    assert f"AWS blocks updates from {entry['block_update']}" in found["status"]
    # and before its deprecation date, nothing
    monkeypatch.setattr(predicates, "lambda_runtimes", lambda: {**data, "as_of": date(2000, 1, 1)})
    assert predicates.deprecated_runtime(ctx, "f", {}) is None
