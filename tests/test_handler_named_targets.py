"""A handler that names its target by a literal physical name reaches the declared
resource of that name: the importers draw the edge and record the evidence; a literal no
declared resource has draws nothing (CloudFormation/SAM and Terraform)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.pipeline import Options, analyze_source

PY = ("import boto3\n\nclient = boto3.client({service!r})\n{const}\n\n"
      "def handler(event, context):\n    for r in event['Records']:\n        {call}\n")
JS = ("const {{ {client}, {command} }} = require('@aws-sdk/client-{pkg}');\n"
      "const c = new {client}({{}});\n"
      "exports.handler = async (event) => {{\n  for (const r of event.Records) {{\n"
      "    await c.send(new {command}({{ {param}: '{literal}', {payload} }}));\n  }}\n}};\n")

# (kind, CloudFormation resource, physical name prop, boto3 service, call with {name})
TARGETS = {
    "eventbridge": ("AWS::Events::EventBus", "Name", "events",
                    "client.put_events(Entries=[{{'EventBusName': {name}, 'Source': 's', "
                    "'DetailType': 'd', 'Detail': r['body']}}])"),
    "sqs": ("AWS::SQS::Queue", "QueueName", "sqs",
            "client.send_message(QueueUrl={name}, MessageBody=r['body'])"),
    "sns": ("AWS::SNS::Topic", "TopicName", "sns",
            "client.publish(TopicArn={name}, Message=r['body'])"),
    "dynamodb": ("AWS::DynamoDB::Table", "TableName", "dynamodb",
                 "client.put_item(TableName={name}, Item={{'id': {{'S': r['body']}}}})"),
}
LITERAL = {  # how code writes the physical name "orders-target"
    "eventbridge": "orders-target",
    "sqs": "https://sqs.us-east-1.amazonaws.com/123456789012/orders-target",
    "sns": "arn:aws:sns:us-east-1:123456789012:orders-target",
    "dynamodb": "orders-target",
}


def _template(tmp_path: Path, kind: str, declared: str) -> Path:
    rtype, prop, _, _ = TARGETS[kind]
    extra = "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n" \
        "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n" \
        "      BillingMode: PAY_PER_REQUEST\n" if kind == "dynamodb" else ""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Orders:\n    Type: AWS::SQS::Queue\n"
        f"  Target:\n    Type: {rtype}\n    Properties:\n      {prop}: {declared}\n{extra}"
        "  Relay:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: relay.handler\n      CodeUri: src/\n"
        "      Events:\n        Q:\n          Type: SQS\n"
        "          Properties:\n            Queue: !GetAtt Orders.Arn\n")
    return path


def _handler(directory: Path, kind: str, via_constant: bool = False) -> None:
    _, _, service, call = TARGETS[kind]
    directory.mkdir(parents=True, exist_ok=True)
    literal = repr(LITERAL[kind])
    const = f"TARGET = {literal}" if via_constant else ""
    (directory / "relay.py").write_text(PY.format(
        service=service, const=const, call=call.format(name="TARGET" if via_constant
                                                       else literal)))


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_cloudformation_literal_physical_name_is_the_declared_resource(
        tmp_path: Path, kind: str) -> None:
    path = _template(tmp_path, kind, "orders-target")
    _handler(tmp_path / "src", kind, via_constant=kind == "sqs")
    result = analyze_source(str(path), Options(estimates=False))
    assert not result.errors, result.errors
    g = result.before.graph
    assert g.has_edge("Relay", "Target"), list(g.edges)
    evidence = g.nodes["Relay"]["props"]["glue_evidence"]
    assert "is the physical name of Target at line 8" in evidence
    if kind in ("eventbridge", "sns", "sqs"):  # a pipe can send there: applied, not refused
        rules = {f.rule for f in result.findings}
        assert "GLUE-STREAM-PIPES" in rules and "GLUE-UNSHOWN-TARGET" not in rules, rules


def test_a_literal_nothing_declares_draws_nothing(tmp_path: Path) -> None:
    path = _template(tmp_path, "eventbridge", "another-bus")
    _handler(tmp_path / "src", "eventbridge")
    result = analyze_source(str(path), Options(estimates=False))
    g = result.before.graph
    assert not g.has_edge("Relay", "Target")
    assert "physical name" not in g.nodes["Relay"]["props"].get("glue_evidence", "")
    assert "GLUE-STREAM-PIPES" not in {f.rule for f in result.findings}


def test_javascript_handler_literal(tmp_path: Path) -> None:
    path = _template(tmp_path, "sns", "orders-target")
    text = path.read_text().replace("python3.12", "nodejs20.x").replace("relay.handler",
                                                                          "relay.handler")
    path.write_text(text)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "relay.js").write_text(JS.format(
        client="SNSClient", command="PublishCommand", pkg="sns", param="TopicArn",
        literal=LITERAL["sns"], payload="Message: r.body"))
    result = analyze_source(str(path), Options(estimates=False))
    assert result.before.graph.has_edge("Relay", "Target")


def test_terraform_literal_physical_name(tmp_path: Path) -> None:
    _handler(tmp_path, "eventbridge")
    (tmp_path / "main.tf").write_text(
        'resource "aws_sqs_queue" "orders" {\n  name = "orders"\n}\n\n'
        'resource "aws_cloudwatch_event_bus" "bus" {\n  name = "orders-target"\n}\n\n'
        'resource "aws_iam_role" "relay" {\n  name = "relay"\n  assume_role_policy = "{}"\n}\n\n'
        'resource "aws_lambda_function" "relay" {\n  function_name = "relay"\n'
        '  role = aws_iam_role.relay.arn\n  runtime = "python3.12"\n'
        '  handler = "relay.handler"\n  filename = "relay.zip"\n}\n\n'
        'resource "aws_lambda_event_source_mapping" "relay" {\n'
        '  event_source_arn = aws_sqs_queue.orders.arn\n'
        '  function_name = aws_lambda_function.relay.arn\n}\n')
    result = analyze_source(str(tmp_path), Options(estimates=False))
    assert not result.errors, result.errors
    g = result.before.graph
    assert g.has_edge("relay", "bus"), list(g.edges)
    assert "is the physical name of bus" in g.nodes["relay"]["props"]["glue_evidence"]
    assert "GLUE-STREAM-PIPES" in {f.rule for f in result.findings}
