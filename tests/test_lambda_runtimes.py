"""Lambda runtimes judged from advisor/engine/lambda_runtimes.yaml: COST-LAMBDA-ARM64 only
on runtimes that have an arm64 build, OPS-LAMBDA-DEPRECATED-RUNTIME on deprecated ones,
each in the real input languages (SAM, CloudFormation, Terraform, the DSL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_rules_new_checks import findings

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
def test_arm64_silent_on_an_unknown_runtime(tmp_path: Path, fmt: str) -> None:
    assert subjects(tmp_path, fmt, "python9.99", "COST-LAMBDA-ARM64") == []
