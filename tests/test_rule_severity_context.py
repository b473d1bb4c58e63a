"""A rule's severity follows what the design already has: REL-EB-TARGET-DLQ on a function
target that keeps its own failures (an on-failure destination or DLQ) is a warning that
says so, an error otherwise (SAM and the DSL)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from advisor.pipeline import Options, analyze_source

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


def _target_dlq(path: Path, text: str) -> list[tuple[str, str]]:
    path.write_text(dedent(text).lstrip(), "utf-8")
    result = analyze_source(str(path), Options(estimates=False))
    assert not result.errors, result.errors
    return [(f.severity, f.message) for f in result.findings if f.rule == "REL-EB-TARGET-DLQ"]


def test_a_function_target_with_its_own_failure_destination_is_a_warning(tmp_path: Path) -> None:
    ((severity, message),) = _target_dlq(tmp_path / "kept.yaml",
                                          SAM.replace("{destination}", DESTINATION))
    assert severity == "warning"
    assert "its own failure destination Failed keeps the events its code fails on" in message
    ((severity, message),) = _target_dlq(tmp_path / "bare.yaml", SAM.replace("{destination}", ""))
    assert severity == "error"
    assert message.endswith("events that cannot be delivered are dropped")


def test_the_same_in_the_dsl(tmp_path: Path) -> None:
    design = ('architecture "a"\neventbridge bus { pattern = "{}" }\nsqs failed\n'
              "lambda worker {on_failure}\nbus -> worker\n")
    ((severity, _),) = _target_dlq(tmp_path / "a.arch",
                                   design.replace("{on_failure}", "{ on_failure = failed }"))
    assert severity == "warning"
    ((severity, _),) = _target_dlq(tmp_path / "b.arch", design.replace("{on_failure}", ""))
    assert severity == "error"
