"""Resources a template names but does not declare (a parameter, an import, an ARN): the
importer draws them as `external` nodes. Their own settings (tracing, PITR, encryption,
a queue's redrive policy or visibility timeout, a function's destinations) are not in the
template, so no rule judges them; what this template declares about its links to them
(an event source mapping without failure handling, a subscription without a DLQ) is
still judged.
"""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

# Every resource it links to is outside the template except its own function, topic and
# failure queue, which are configured as the rules want them.
OUTSIDE_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  QueueArn: {Type: String}
  TableStreamArn: {Type: String}
  WorkerArn: {Type: String}
  StreamArn: {Type: String}
  OtherStreamArn: {Type: String}
Resources:
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Architectures: [arm64]
      Tracing: Active
      Timeout: 60
      Handler: app.handler
      InlineCode: "def handler(e, c): return e"
      LoggingConfig: {LogGroup: !Ref ConsumerLogs}
      Events:
        Q:
          Type: SQS
          Properties: {Queue: !Ref QueueArn}
        T:
          Type: DynamoDB
          Properties:
            Stream: !Ref TableStreamArn
            StartingPosition: LATEST
            MaximumRetryAttempts: 2
            BisectBatchOnFunctionError: true
            DestinationConfig: {OnFailure: {Destination: !GetAtt Failures.Arn}}
        K:
          Type: Kinesis
          Properties:
            Stream: !Ref StreamArn
            StartingPosition: LATEST
            MaximumRetryAttempts: 2
            BisectBatchOnFunctionError: true
            DestinationConfig: {OnFailure: {Destination: !GetAtt Failures.Arn}}
        Unguarded:
          Type: Kinesis
          Properties:
            Stream: !Ref OtherStreamArn
            StartingPosition: LATEST
  ConsumerLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 14}
  Failures:
    Type: AWS::SQS::Queue
    Properties: {SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: alias/aws/sns}
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: lambda
      Endpoint: !Ref WorkerArn
"""


def test_outside_resources_are_external_nodes(tmp_path: Path) -> None:
    result = analyse_input(tmp_path, "sam", OUTSIDE_SAM)
    arch = result.before
    outside = {"QueueArn", "TableStreamArn", "WorkerArn", "StreamArn", "OtherStreamArn"}
    assert {n for n in arch.graph.nodes if arch.props(n).get("external")} == outside
    assert not arch.props("Consumer").get("external")


def test_no_rule_judges_the_settings_of_an_outside_resource(tmp_path: Path) -> None:
    result = analyse_input(tmp_path, "sam", OUTSIDE_SAM)
    outside = {"QueueArn", "TableStreamArn", "WorkerArn", "StreamArn", "OtherStreamArn"}
    on_settings = sorted((f.rule, f.subject) for f in result.findings
                         if f.subject in outside and len(f.nodes) == 1)
    assert on_settings == []
    # a queue's visibility timeout is its own setting: unknown here, not the 30 s default
    assert not [f for f in result.findings if f.rule == "REL-SQS-VISIBILITY"]


def test_links_this_template_declares_are_still_judged(tmp_path: Path) -> None:
    result = analyse_input(tmp_path, "sam", OUTSIDE_SAM)
    got = sorted((f.rule, tuple(f.nodes)) for f in result.findings
                 if set(f.nodes) & {"OtherStreamArn", "WorkerArn"})
    assert ("REL-STREAM-POISON", ("OtherStreamArn", "Consumer")) in got
    assert ("REL-SNS-SUB-DLQ", ("Topic", "WorkerArn")) in got
