"""The checks of issue 13 item 7 (non-handler part), each in every input language that can
say it: the DSL, SAM, CloudFormation and Terraform give the same finding on the same node,
and the compliant version of each input stays silent (semgrep-style pairs).

Inputs are written here in the real input language (templates and HCL the tools would
deploy), analyzed through `advisor.pipeline.analyze_source` like the CLI does.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from advisor.pipeline import Options, analyze_source

FILES = {"dsl": "design.arch", "sam": "template.yaml", "cloudformation": "template.yaml",
         "terraform": "main.tf"}


def findings(tmp_path: Path, fmt: str, text: str, rule: str) -> list[tuple[str, int | None]]:
    """(subject node, line) of each `rule` finding of `text` written as a `fmt` input."""
    folder = tmp_path / fmt
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILES[fmt]
    path.write_text(dedent(text).lstrip(), "utf-8")
    result = analyze_source(str(folder if fmt == "terraform" else path), Options(estimates=False))
    assert not result.errors, result.errors
    return sorted((f.subject, f.location.line if f.location else None)
                  for f in result.findings if f.rule == rule)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` (dedented) containing `needle`."""
    lines = dedent(text).lstrip().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# ------------------------------------------------------------------ IAM on every role
# A state machine whose role may pass any role: the finding is on the state machine (the
# node the role belongs to), at the role or policy resource that grants it.
IAM_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
      Policies:
        - Statement:
            - Effect: Allow
              Action: iam:PassRole
              Resource: "{resource}"
"""
IAM_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  FlowRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: states.amazonaws.com}
            Action: sts:AssumeRole
  FlowPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: flow
      Roles: [!Ref FlowRole]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: "{resource}"
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt FlowRole.Arn
      DefinitionString: '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
"""
IAM_TF = """
resource "aws_iam_role" "flow" {
  name = "flow"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { Service = "states.amazonaws.com" } }]
  })
}

data "aws_iam_policy_document" "flow" {
  statement {
    actions   = ["iam:PassRole"]
    resources = ["{resource}"]
  }
}

resource "aws_iam_role_policy" "flow" {
  role   = aws_iam_role.flow.id
  policy = data.aws_iam_policy_document.flow.json
}

resource "aws_sfn_state_machine" "flow" {
  name       = "flow"
  role_arn   = aws_iam_role.flow.arn
  definition = jsonencode({ StartAt = "Done", States = { Done = { Type = "Succeed" } } })
}
"""
IAM_DSL = """
sfn flow { wide_grants = ["{resource}"] }
"""
SCOPED = "arn:aws:iam::123456789012:role/worker"


@pytest.mark.parametrize(("fmt", "text", "node", "at"), [
    ("sam", IAM_SAM, "Flow", "Policies:"),
    ("cloudformation", IAM_CFN, "Flow", "FlowPolicy:"),
    ("terraform", IAM_TF, "flow", 'resource "aws_iam_role_policy"'),
])
def test_passrole_on_any_role_is_reported_at_the_policy(tmp_path: Path, fmt: str, text: str,
                                                        node: str, at: str) -> None:
    bad = text.replace("{resource}", "*")
    got = findings(tmp_path, fmt, bad, "SEC-IAM-WILDCARD")
    line = line_of(bad, at) if fmt != "sam" else line_of(bad, "Flow:")
    assert got == [(node, line)]
    good = text.replace("{resource}", SCOPED)
    assert findings(tmp_path / "good", fmt, good, "SEC-IAM-WILDCARD") == []


def test_the_message_names_the_grant(tmp_path: Path) -> None:
    folder = tmp_path / "cfn"
    folder.mkdir()
    (folder / "template.yaml").write_text(dedent(IAM_CFN).replace("{resource}", "*"), "utf-8")
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    [finding] = [f for f in result.findings if f.rule == "SEC-IAM-WILDCARD"]
    assert "iam:PassRole on *" in finding.message


def test_dsl_states_wide_grants_on_any_node(tmp_path: Path) -> None:
    got = findings(tmp_path, "dsl", IAM_DSL.replace("{resource}", "iam:PassRole on *"),
                   "SEC-IAM-WILDCARD")
    assert [n for n, _ in got] == ["flow"]
    assert findings(tmp_path / "good", "dsl", "sfn flow\n", "SEC-IAM-WILDCARD") == []


def test_log_delivery_actions_on_any_resource_are_not_wide(tmp_path: Path) -> None:
    """Step Functions logging needs the CloudWatch Logs delivery actions on `*`."""
    text = IAM_CFN.replace("Action: iam:PassRole", "Action: [logs:CreateLogDelivery, "
                           "logs:GetLogDelivery, logs:DescribeLogGroups]")
    assert findings(tmp_path, "cloudformation", text.replace("{resource}", "*"),
                    "SEC-IAM-WILDCARD") == []
