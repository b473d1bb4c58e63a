"""A function that answers a workflow's task token (states:SendTaskSuccess) resumes an
execution that waits for it: it is not glue that starts the workflow, and no rule target
or pipe could do its job (found on a public coffee-ordering template, where such a
function was called "only forwards ... an EventBridge rule target (StartExecution) does
this"). Starting an execution stays glue."""

from __future__ import annotations

import pytest

from advisor.engine import Engine
from advisor.importers import load_any

SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Workflow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Wait
        States:
          Wait: {Type: Pass, End: true}
  Resume:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://artifacts/resume.zip
      Events:
        Done:
          Type: EventBridgeRule
          Properties:
            Pattern:
              detail-type: [OrderDone]
      Policies:
        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: [ACTION]
              Resource: !Ref Workflow
"""

TF = """\
resource "aws_sfn_state_machine" "workflow" {
  name       = "workflow"
  role_arn   = "arn:aws:iam::111122223333:role/sfn"
  definition = jsonencode({ StartAt = "Wait", States = { Wait = { Type = "Pass", End = true } } })
}
resource "aws_cloudwatch_event_rule" "done" {
  event_pattern = jsonencode({ "detail-type" = ["OrderDone"] })
}
resource "aws_cloudwatch_event_target" "done" {
  rule = aws_cloudwatch_event_rule.done.name
  arn  = aws_lambda_function.resume.arn
}
resource "aws_iam_role" "resume" {
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
    Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
  inline_policy {
    name = "sfn"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",
      Action = ["ACTION"], Resource = aws_sfn_state_machine.workflow.arn }] })
  }
}
resource "aws_lambda_function" "resume" {
  function_name = "resume"
  role          = aws_iam_role.resume.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "resume.zip"
}
"""


SAM_TEMPLATE_POLICY = SAM.replace("""        - Version: '2012-10-17'
          Statement:
            - Effect: Allow
              Action: [ACTION]
              Resource: !Ref Workflow
""", """        - ACTION:
            StateMachineName: !GetAtt Workflow.Name
""")


@pytest.mark.parametrize("name,text", [("template.yaml", SAM), ("main.tf", TF),
                                       ("sam.yaml", SAM_TEMPLATE_POLICY)])
@pytest.mark.parametrize("action,glue", [("states:SendTaskSuccess", False),
                                         ("states:StartExecution", True)])
def test_answering_a_task_token_is_not_glue(tmp_path, name, text, action, glue):
    if text is SAM_TEMPLATE_POLICY:  # the SAM policy templates that grant the same
        action = {"states:SendTaskSuccess": "StepFunctionsCallbackPolicy",
                  "states:StartExecution": "StepFunctionsExecutionPolicy"}[action]
    (tmp_path / name).write_text(text.replace("ACTION", action), "utf-8")
    arch = load_any(str(tmp_path / name if name.endswith(".yaml") else tmp_path))
    rules = {f.rule for f in Engine.default().run(arch).findings}
    assert ("GLUE-EVENTBRIDGE-SFN" in rules) is glue
