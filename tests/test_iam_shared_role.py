"""SEC-IAM-WILDCARD on functions that share one role: every function acting with the
role carries the same description of what is wide, at the same policy resource (the
audit's shopping cart: four functions on two roles, the wide statement in a separate
`AWS::IAM::Policy` naming the role)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from advisor.pipeline import Options, analyze_source

CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  CartRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  CartLogs:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: logs
      Roles: [!Ref CartRole]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: "*"
  ListCart:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return e"
      Role: !GetAtt CartRole.Arn
  UpdateCart:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return e"
      Role: !GetAtt CartRole.Arn
  CheckoutCart:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): return e"}
      Role: !GetAtt CartRole.Arn
"""
TF = """
resource "aws_iam_role" "cart" {
  name               = "cart"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole",
    Principal = {Service = "lambda.amazonaws.com"}}]})
}
resource "aws_iam_role_policy" "logs" {
  role   = aws_iam_role.cart.id
  policy = jsonencode({Statement = [{Effect = "Allow",
    Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "*"}]})
}
resource "aws_lambda_function" "ListCart" {
  function_name = "list"
  role          = aws_iam_role.cart.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "fn.zip"
}
resource "aws_lambda_function" "UpdateCart" {
  function_name = "update"
  role          = aws_iam_role.cart.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "fn.zip"
}
resource "aws_lambda_function" "CheckoutCart" {
  function_name = "checkout"
  role          = aws_iam_role.cart.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "fn.zip"
}
"""


def wildcard_findings(tmp_path: Path, name: str, text: str) -> dict[str, tuple[str, int | None]]:
    """subject -> (message, line) of each SEC-IAM-WILDCARD finding."""
    path = tmp_path / name
    path.write_text(dedent(text).lstrip(), "utf-8")
    result = analyze_source(str(tmp_path if name.endswith(".tf") else path),
                            Options(estimates=False))
    assert not result.errors, result.errors
    return {f.subject: (f.message, f.location.line if f.location else None)
            for f in result.findings if f.rule == "SEC-IAM-WILDCARD"}


@pytest.mark.parametrize(("name", "text", "policy"), [("template.yaml", CFN, "CartLogs:"),
                                                      ("main.tf", TF, '"aws_iam_role_policy"')])
def test_every_function_on_a_shared_role_names_the_same_grants(tmp_path: Path, name: str,
                                                                text: str, policy: str) -> None:
    found = wildcard_findings(tmp_path, name, text)
    assert sorted(found) == ["CheckoutCart", "ListCart", "UpdateCart"]
    line = next(i for i, t in enumerate(dedent(text).lstrip().splitlines(), 1) if policy in t)
    for subject, (message, at) in found.items():
        assert message == (f"the role of {subject} grants wildcard permissions"
                           " (logs:CreateLogStream, logs:PutLogEvents on *)")
        assert at == line  # at the policy that grants it, for every function
