"""A rule's severity follows what the design already has: REL-EB-TARGET-DLQ on a function
target that keeps its own failures (an on-failure destination or DLQ) is a warning that
says so, an error otherwise (SAM and the DSL); on a log group target (a copy of the events
to read) a warning too (CloudFormation)."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Failed:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(event, context): return event"
{destination}
      Events:
        Orders:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [shop.orders]}
"""
DESTINATION = """      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Failed.Arn}"""


def _target_dlq(folder: Path, fmt: str, text: str) -> list[tuple[str, str]]:
    result = analyse_input(folder, fmt, text)
    return [(f.severity, f.message) for f in result.findings if f.rule == "REL-EB-TARGET-DLQ"]


def test_a_function_target_with_its_own_failure_destination_is_a_warning(tmp_path: Path) -> None:
    ((severity, message),) = _target_dlq(tmp_path / "kept", "sam",
                                          SAM.replace("{destination}", DESTINATION))
    assert severity == "warning"
    assert "its own failure destination Failed keeps the events its code fails on" in message
    ((severity, message),) = _target_dlq(tmp_path / "bare", "sam",
                                          SAM.replace("{destination}", ""))
    assert severity == "error"
    assert message.endswith("events that cannot be delivered are dropped")


def test_the_same_in_the_dsl(tmp_path: Path) -> None:
    design = ('architecture "a"\neventbridge bus { pattern = "{}" }\nsqs failed\n'
              "lambda worker {on_failure}\nbus -> worker\n")
    ((severity, _),) = _target_dlq(tmp_path / "a", "dsl",
                                   design.replace("{on_failure}", "{ on_failure = failed }"))
    assert severity == "warning"
    ((severity, _),) = _target_dlq(tmp_path / "b", "dsl", design.replace("{on_failure}", ""))
    assert severity == "error"


LOG_TARGET = """
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}
  Audit:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 30}
  Queue:
    Type: AWS::SQS::Queue
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [shop.orders]}
      Targets:
        - {Id: audit, Arn: !GetAtt Audit.Arn}
        - {Id: work, Arn: !GetAtt Queue.Arn}
"""


def test_a_log_group_target_is_a_warning_a_processing_target_an_error(tmp_path: Path) -> None:
    # a log group holds a copy of the events to read; the queue's consumers process them
    found = dict((m.split(" of ")[0].removeprefix("target "), s)
                 for s, m in _target_dlq(tmp_path, "cloudformation", LOG_TARGET))
    assert found == {"Audit": "warning", "Queue": "error"}
