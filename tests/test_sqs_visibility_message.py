"""REL-SQS-VISIBILITY names both figures: the function's timeout and the 6x it needs
(the audit read "under 6x the timeout of F (30 s)" as F's timeout being 30 s)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from advisor.pipeline import Options, analyze_source

SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 20
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return e"
      Timeout: 5
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
"""


def test_message_names_the_function_timeout_and_the_needed_visibility(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(dedent(SAM).lstrip(), "utf-8")
    result = analyze_source(str(path), Options(estimates=False))
    assert not result.errors, result.errors
    [message] = [f.message for f in result.findings if f.rule == "REL-SQS-VISIBILITY"]
    assert message == ("queue Jobs has a visibility timeout of 20 s, under 6x Worker's"
                       " timeout of 5 s (30 s)")
