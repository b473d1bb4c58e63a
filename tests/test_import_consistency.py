"""The CloudFormation and Terraform importers read one concept the same way.

Each test states a small piece of infrastructure in both languages, as a user would write
it, and checks both imports against what the infrastructure does (read off the snippet,
not copied from an importer's output). The whole-design version of this is
tests/test_cross_format.py; these pin each rule on its own.
"""

from __future__ import annotations

from pathlib import Path

from advisor.importers.cloudformation import import_template
from advisor.importers.terraform import import_terraform

ROLE_TF = '''
resource "aws_iam_role" "fn" {
  name               = "fn"
  assume_role_policy = "{}"
}
'''


def cfn(text: str):
    return import_template("<t>", "Resources:\n" + text)


def tf(tmp_path: Path, text: str):
    (tmp_path / "main.tf").write_text(ROLE_TF + text)
    return import_terraform(str(tmp_path))


def edge(arch, a, b):
    assert arch.graph.has_edge(a, b), f"missing edge {a} -> {b}; edges: {sorted(arch.graph.edges)}"
    return arch.graph.edges[a, b]


# ---------------------------------------------------------------- log groups
LOGS_CFN = '''
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: a, ProtocolType: HTTP}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: $default
      AccessLogSettings: {DestinationArn: !GetAtt ApiLogs.Arn, Format: x}
  ApiLogs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 90}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  WorkerLogs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Worker}", RetentionInDays: 30}
  Orphan:
    Type: AWS::Logs::LogGroup
'''
LOGS_TF = '''
resource "aws_apigatewayv2_api" "api" {
  name          = "a"
  protocol_type = "HTTP"
}
resource "aws_apigatewayv2_stage" "stage" {
  api_id = aws_apigatewayv2_api.api.id
  name   = "$default"
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_logs.arn
    format          = "x"
  }
}
resource "aws_cloudwatch_log_group" "api_logs" {
  retention_in_days = 90
}
resource "aws_lambda_function" "worker" {
  function_name = "worker"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "a.b"
  filename      = "x.zip"
}
resource "aws_cloudwatch_log_group" "worker" {
  name              = "/aws/lambda/${aws_lambda_function.worker.function_name}"
  retention_in_days = 30
}
resource "aws_cloudwatch_log_group" "orphan" {}
'''


def test_a_functions_log_group_is_part_of_it_other_log_groups_are_nodes(tmp_path: Path) -> None:
    c, t = cfn(LOGS_CFN), tf(tmp_path, LOGS_TF)
    for arch, fn, api_logs, orphan, fn_logs in ((c, "Worker", "ApiLogs", "Orphan", "WorkerLogs"),
                                                (t, "worker", "api_logs", "orphan", "logs_worker")):
        assert arch.props(fn)["log_retention"] == 30
        assert sorted(n for n in arch.graph if arch.kind(n) == "logs") == sorted([api_logs, orphan])
        assert fn_logs not in arch.graph
        assert arch.kind(api_logs) == "logs" and arch.props(api_logs)["retention"] == 90
        assert arch.kind(orphan) == "logs" and "retention" not in arch.props(orphan)
    # no `logs_worker` node, so the function keeps its plain name in Terraform
    assert t.aliases["aws_cloudwatch_log_group.worker"] == "worker"
    assert t.location_of("worker", "log_retention").line > t.location_of("worker").line


def test_a_log_group_that_is_a_target_keeps_its_retention() -> None:
    arch = cfn('''
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [a]}
      Targets: [{Id: t, Arn: !GetAtt Sink.Arn}]
  Sink:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 7}
''')
    assert arch.kind("Sink") == "logs" and arch.props("Sink")["retention"] == 7
    edge(arch, "Rule", "Sink")


# ---------------------------------------------------------------- entry point
def test_the_entry_node_is_clients_in_both(tmp_path: Path) -> None:
    c = cfn("  T:\n    Type: AWS::SNS::Topic\n")
    t = tf(tmp_path, 'resource "aws_sns_topic" "t" {}\n')
    assert c.kind("clients") == "client" and edge(c, "clients", "T")
    assert t.kind("clients") == "client" and edge(t, "clients", "t")
