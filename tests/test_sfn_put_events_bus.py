"""A Step Functions `events:putEvents` task sends to the bus each entry's `EventBusName`
names (by name or ARN); only entries that name none go to the account's default bus.
Both template importers read it alike."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersBus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders-bus}
  AuditBus:
    Type: AWS::Events::EventBus
    Properties: {Name: audit-bus}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Policies:
        - EventBridgePutEventsPolicy: {EventBusName: !Ref OrdersBus}
      Definition:
        StartAt: Publish
        States:
          Publish:
            Type: Task
            Resource: arn:aws:states:::events:putEvents
            Parameters:
              Entries:
                - Detail: {Message: hello}
                  DetailType: OrderPlaced
                  EventBusName: orders-bus
                  Source: my.flow
            End: true
"""

TF = """
resource "aws_cloudwatch_event_bus" "orders" {
  name = "orders-bus"
}

resource "aws_cloudwatch_event_bus" "audit" {
  name = "audit-bus"
}

resource "aws_iam_role" "flow" {
  name               = "flow"
  assume_role_policy = "{}"
}

resource "aws_sfn_state_machine" "flow" {
  name     = "flow"
  role_arn = aws_iam_role.flow.arn
  definition = jsonencode({
    StartAt = "Publish"
    States = {
      Publish = {
        Type     = "Task"
        Resource = "arn:aws:states:::events:putEvents"
        Parameters = {
          Entries = [{
            Detail       = { Message = "hello" }
            DetailType   = "OrderPlaced"
            EventBusName = "arn:aws:events:us-east-1:123456789012:event-bus/orders-bus"
            Source       = "my.flow"
          }]
        }
        End = true
      }
    }
  })
}
"""


def _bus_edges(arch, machine: str) -> list[str]:
    return sorted(t for t in arch.graph.successors(machine) if arch.kind(t) == "eventbridge")


def test_sam_put_events_names_its_bus(tmp_path: Path) -> None:
    arch = analyse_input(tmp_path, "sam", SAM).before
    assert _bus_edges(arch, "Flow") == ["OrdersBus"]


def test_terraform_put_events_names_its_bus(tmp_path: Path) -> None:
    arch = analyse_input(tmp_path, "terraform", TF).before
    assert _bus_edges(arch, "flow") == ["orders"]
