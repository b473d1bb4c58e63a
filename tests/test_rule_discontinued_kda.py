"""OPS-KINESIS-ANALYTICS-SQL: a Kinesis Data Analytics for SQL application (the version 1
API) is a discontinued service; the same finding from CloudFormation and Terraform, once
per application (not again on its output resource), and none on a version 2 (Flink)
application."""

from __future__ import annotations

from pathlib import Path

from conftest import analyse_input

RULE = "OPS-KINESIS-ANALYTICS-SQL"

CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Stats:
    Type: AWS::KinesisAnalytics::Application
    Properties:
      ApplicationName: stats
      Inputs:
        - NamePrefix: SOURCE_SQL_STREAM
          InputSchema:
            RecordFormat: {RecordFormatType: JSON}
            RecordColumns: [{Name: v, SqlType: INTEGER}]
          KinesisStreamsInput:
            ResourceARN: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
            RoleARN: arn:aws:iam::123456789012:role/kda
  StatsOutput:
    Type: AWS::KinesisAnalytics::ApplicationOutput
    Properties:
      ApplicationName: stats
      Output:
        Name: OUT
        DestinationSchema: {RecordFormatType: JSON}
  Flink:
    Type: AWS::KinesisAnalyticsV2::Application
    Properties:
      RuntimeEnvironment: FLINK-1_18
      ServiceExecutionRole: arn:aws:iam::123456789012:role/flink
"""

TF = """
resource "aws_kinesis_analytics_application" "stats" {
  name = "stats"
}

resource "aws_kinesisanalyticsv2_application" "flink" {
  name                   = "flink"
  runtime_environment    = "FLINK-1_18"
  service_execution_role = "arn:aws:iam::123456789012:role/flink"
}
"""


def _subjects(result) -> list[str]:
    return sorted(f.subject for f in result.findings if f.rule == RULE)


def test_cloudformation_sql_application_is_reported_once(tmp_path: Path) -> None:
    assert _subjects(analyse_input(tmp_path, "cloudformation", CFN)) == ["Stats"]


def test_terraform_sql_application_is_reported(tmp_path: Path) -> None:
    assert _subjects(analyse_input(tmp_path, "terraform", TF)) == ["stats"]
