"""`data "template_file"` (the hashicorp/template provider, the predecessor of
`templatefile()`): its `rendered` attribute is the file with `vars` substituted, so a
state machine definition or an API body given through it is read like `templatefile()`."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

ASL = """{
  "StartAt": "Record",
  "States": {
    "Record": {
      "Type": "Task",
      "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "${TableName}", "Item": {"id": {"S.$": "$.id"}}},
      "Next": "Notify"
    },
    "Notify": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {"TopicArn": "${TopicArn}", "Message.$": "$"},
      "End": true
    }
  }
}
"""

OPENAPI = """openapi: "3.0.1"
info:
  title: forms
  version: "1.0"
paths:
  /:
    post:
      x-amazon-apigateway-integration:
        integrationSubtype: StepFunctions-StartSyncExecution
        credentials: "${ApiRole}"
        requestParameters:
          Input: $request.body
          StateMachineArn: "${MachineArn}"
        payloadFormatVersion: "1.0"
        type: aws_proxy
        connectionType: INTERNET
"""

TF = """
resource "aws_dynamodb_table" "forms" {
  name         = "forms"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}

resource "aws_iam_role" "flow" {
  name               = "flow"
  assume_role_policy = "{}"
}

data "template_file" "definition" {
  template = file("${path.module}/flow.asl.json")
  vars = {
    TableName = aws_dynamodb_table.forms.id
    TopicArn  = aws_sns_topic.alerts.arn
  }
}

resource "aws_sfn_state_machine" "flow" {
  name       = "flow"
  role_arn   = aws_iam_role.flow.arn
  definition = data.template_file.definition.rendered
  type       = "EXPRESS"
}

data "template_file" "api" {
  template = file("${path.module}/api.yaml")
  vars = {
    ApiRole    = aws_iam_role.flow.arn
    MachineArn = aws_sfn_state_machine.flow.arn
  }
}

resource "aws_apigatewayv2_api" "form_api" {
  name          = "forms"
  protocol_type = "HTTP"
  body          = data.template_file.api.rendered
}
"""


def test_template_file_rendered_is_read_like_templatefile(tmp_path: Path) -> None:
    (tmp_path / "flow.asl.json").write_text(ASL)
    (tmp_path / "api.yaml").write_text(OPENAPI)
    arch = analyse_input(tmp_path, "terraform", TF).before
    assert sorted(arch.graph.successors("flow")) == ["alerts", "forms"]
    assert arch.graph.has_edge("form_api", "flow")
    assert arch.graph.edges["form_api", "flow"]["props"].get("integration") == "service"


def test_yaml_openapi_body_from_templatefile(tmp_path: Path) -> None:
    """The same YAML body through `templatefile()` (no data source): read as OpenAPI."""
    (tmp_path / "flow.asl.json").write_text(ASL)
    (tmp_path / "api.yaml").write_text(OPENAPI)
    tf = TF.replace("body          = data.template_file.api.rendered",
                    'body          = templatefile("${path.module}/api.yaml", '
                    "{ ApiRole = aws_iam_role.flow.arn, "
                    "MachineArn = aws_sfn_state_machine.flow.arn })")
    assert "templatefile(" in tf
    arch = analyse_input(tmp_path, "terraform", tf).before
    assert arch.graph.edges["form_api", "flow"]["props"].get("integration") == "service"
