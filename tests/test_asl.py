"""One reading of Amazon States Language for both template importers.

The same definition is written into a CloudFormation template (`Definition` with
`DefinitionSubstitutions`) and a Terraform configuration (`jsonencode`), once per ARN
partition; both must give the same edges, the same integration pattern props and the same
polling verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.importers import asl
from advisor.importers.cloudformation import import_template
from advisor.importers.terraform import import_terraform


def _definition(partition: str, queue: str, table: str, fn: str) -> dict:
    """A Parallel branch with a .sync job and a callback, a Map with a Lambda call, and a
    poll loop (Task -> Choice -> Wait -> Task) at the top level."""
    states = f"arn:{partition}:states:::"
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Next": "Each",
                "Branches": [{
                    "StartAt": "Ask",
                    "States": {
                        "Ask": {"Type": "Task", "Resource": f"{states}sqs:sendMessage.waitForTaskToken",
                                "Parameters": {"QueueUrl": queue, "MessageBody.$": "$"},
                                "TimeoutSeconds": 300, "End": True},
                    },
                }, {
                    "StartAt": "Child",
                    "States": {
                        "Child": {"Type": "Task", "Resource": f"{states}states:startExecution.sync:2",
                                  "Parameters": {"StateMachineArn": "arn:aws:states:x", "Input.$": "$"},
                                  "End": True},
                    },
                }],
            },
            "Each": {
                "Type": "Map",
                "Next": "Check",
                "ItemProcessor": {
                    "StartAt": "Work",
                    "States": {"Work": {"Type": "Task", "Resource": f"{states}lambda:invoke",
                                        "Parameters": {"FunctionName": fn, "Payload.$": "$"},
                                        "End": True}},
                },
            },
            "Check": {"Type": "Task", "Resource": f"{states}aws-sdk:dynamodb:getItem",
                      "Parameters": {"TableName": table, "Key": {}}, "Next": "Done?"},
            "Done?": {"Type": "Choice", "Default": "Pause",
                      "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "End"}]},
            "Pause": {"Type": "Wait", "Seconds": 30, "Next": "Check"},
            "Reply": {"Type": "Task", "Resource": f"{states}aws-sdk:sfn:sendTaskSuccess",
                      "Parameters": {"TaskToken.$": "$.token", "Output": "{}"}, "Next": "End"},
            "End": {"Type": "Succeed"},
        },
    }


def _cfn(tmp_path: Path, partition: str) -> Path:
    definition = _definition(partition, "${Queue}", "${Table}", "${Fn}")
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "app.handler", "Code": {"ZipFile": "x"},
                "Role": "arn:aws:iam::123456789012:role/r"}},
            "Flow": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "Definition": definition,
                "DefinitionSubstitutions": {"Queue": {"Ref": "Queue"}, "Table": {"Ref": "Table"},
                                            "Fn": {"Fn::GetAtt": ["Fn", "Arn"]}}}},
        },
    }
    path = tmp_path / f"cfn-{partition}.json"
    path.write_text(json.dumps(template, indent=2))
    return path


def _tf(tmp_path: Path, partition: str) -> Path:
    definition = json.dumps(_definition(partition, "QUEUE", "TABLE", "FN"), indent=2)
    hcl_definition = (definition.replace('"QUEUE"', "aws_sqs_queue.queue.url")
                      .replace('"TABLE"', "aws_dynamodb_table.table.name")
                      .replace('"FN"', "aws_lambda_function.fn.arn"))
    folder = tmp_path / f"tf-{partition}"
    folder.mkdir()
    (folder / "main.tf").write_text(f"""
resource "aws_sqs_queue" "queue" {{
  name = "queue"
}}

resource "aws_dynamodb_table" "table" {{
  name         = "table"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"
  attribute {{
    name = "id"
    type = "S"
  }}
}}

resource "aws_lambda_function" "fn" {{
  function_name = "fn"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = "arn:aws:iam::123456789012:role/r"
  filename      = "fn.zip"
}}

resource "aws_sfn_state_machine" "flow" {{
  name       = "flow"
  role_arn   = "arn:aws:iam::123456789012:role/r"
  definition = jsonencode({hcl_definition})
}}
""")
    return folder


def _flow_edges(arch, flow: str) -> dict[tuple[str, str], dict]:
    return {(arch.kind(b), str(arch.graph.nodes[b].get("source_id") or b).split(".")[-1].lower()):
            dict(d["props"]) for a, b, d in arch.graph.edges(data=True) if a == flow}


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_both_importers_read_the_same_definition_alike(tmp_path: Path, partition: str) -> None:
    cfn = import_template(str(_cfn(tmp_path, partition)))
    tf = import_terraform(str(_tf(tmp_path, partition)))
    cfn_edges = _flow_edges(cfn, "Flow")
    tf_edges = _flow_edges(tf, "flow")
    assert cfn_edges == tf_edges
    assert cfn_edges[("sqs", "queue")] == {"integration": "optimized", "action": "sqs:sendMessage",
                                           "wait": "callback"}
    assert cfn_edges[("lambda", "fn")] == {"integration": "optimized", "action": "lambda:invoke"}
    assert cfn_edges[("dynamodb", "table")] == {"integration": "sdk", "action": "dynamodb:getItem"}
    # the callback reply names no resource: no phantom state machine
    assert not any(kind == "sfn" for kind, _ in cfn_edges)
    for arch, flow in ((cfn, "Flow"), (tf, "flow")):
        props = arch.graph.nodes[flow]["props"]
        assert props["polling"] is True
        # transitions per execution, on the longest path: Fan, Ask, Child, Each, Work,
        # Check, Done?, then Pause (back to Check) or End; Reply is on no path
        assert props["states"] == 8


def test_task_resources_of_every_partition_and_pattern() -> None:
    sync = asl.parse_resource("arn:aws-us-gov:states:::ecs:runTask.sync")
    assert sync is not None and (sync.service, sync.action, sync.pattern) == ("ecs", "runTask", "sync")
    assert sync.edge_props()["wait"] == "poll"
    cb = asl.parse_resource("arn:aws-cn:states:::aws-sdk:sfn:sendTaskFailure")
    assert cb is not None and cb.sdk and cb.answers_a_callback
    assert asl.parse_resource("arn:aws:lambda:us-east-1:123456789012:function:f") is None
    unread = asl.parse_resource("arn:${data.aws_partition.current.partition}:states:::sns:publish")
    assert unread is not None and unread.service == "sns"


def test_a_wait_loop_without_a_task_is_not_polling() -> None:
    timer = {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "Next": "C"},
        "C": {"Type": "Choice", "Default": "W",
              "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "E"}]},
        "E": {"Type": "Succeed"}}}
    assert not asl.has_polling_loop(timer)
    nested = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "Iterator": {
        "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 5, "Next": "T"}}}}}}
    assert asl.has_polling_loop(nested)
    assert asl.count_states(nested) == 3


TASK = "arn:aws:states:::lambda:invoke"


def test_transitions_follow_the_longest_successful_path() -> None:
    # a router: one Choice, three single-task branches; each run takes one of them
    router = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Scan", "Choices": [
            {"Variable": "$.m", "StringEquals": "PUT", "Next": "Put"},
            {"Variable": "$.m", "StringEquals": "GET", "Next": "Check"}]},
        "Put": {"Type": "Task", "Resource": TASK, "End": True},
        "Scan": {"Type": "Task", "Resource": TASK, "End": True},
        "Check": {"Type": "Pass", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": TASK, "End": True}}}
    assert asl.transitions_per_execution(router) == 3  # Route, Check, Get
    assert asl.count_states(router) == 5
    # an error handler is not on the path of a run that succeeds
    caught = {"StartAt": "Save", "States": {
        "Save": {"Type": "Pass", "Next": "Work"},
        "Work": {"Type": "Task", "Resource": TASK, "End": True,
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "ToDlq"}]},
        "ToDlq": {"Type": "Task", "Resource": TASK, "Next": "Failed"},
        "Failed": {"Type": "Fail"}}}
    assert asl.transitions_per_execution(caught) == 2


def test_transitions_of_parallel_map_and_loops() -> None:
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                          "B": {"Type": "Pass", "End": True}}}
    parallel = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [branch, branch], "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    assert asl.transitions_per_execution(parallel) == 1 + 2 + 2 + 1
    mapped = {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": branch, "End": True}}}
    assert asl.transitions_per_execution(mapped) == 1 + 2  # one iteration
    # a poll loop (check, wait, check again) is counted once round
    poll = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": TASK, "Next": "C"},
        "C": {"Type": "Choice", "Default": "W",
              "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "E"}]},
        "W": {"Type": "Wait", "Seconds": 5, "Next": "T"},
        "E": {"Type": "Succeed"}}}
    assert asl.transitions_per_execution(poll) == 3  # T, C, then W (back to T) or E


def test_a_chain_past_the_walk_limit_counts_every_state() -> None:
    n = asl.CHAIN_LIMIT + 50
    chain = {"StartAt": "S0", "States": {
        f"S{i}": ({"Type": "Pass", "Next": f"S{i + 1}"} if i < n - 1 else
                  {"Type": "Succeed"}) for i in range(n)}}
    assert asl.transitions_per_execution(chain) == n
    assert asl.transitions_per_execution("not a definition") == 0


def test_a_state_machine_is_priced_by_its_path_not_its_state_count() -> None:
    from advisor.estimate import estimate

    definition = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "B", "Choices": [
            {"Variable": "$.k", "StringEquals": "a", "Next": "A"}]},
        "A": {"Type": "Pass", "End": True},
        "B": {"Type": "Pass", "End": True}}}
    template = {"Resources": {"Flow": {"Type": "AWS::StepFunctions::StateMachine",
                                       "Properties": {"RoleArn": "arn:aws:iam::1:role/r",
                                                      "Definition": definition}}}}
    arch = import_template("flow.json", json.dumps(template))
    assert arch.graph.nodes["Flow"]["props"]["states"] == 2

    def transitions() -> Any:
        (line,) = [c for c in estimate(arch).components
                   if c["node"] == "Flow" and c["name"].startswith("State transitions")]
        return line

    two = transitions()
    assert two["name"] == "State transitions (2 per execution)"  # the figure's assumption
    arch.graph.nodes["Flow"]["props"]["states"] = 1
    one = transitions()
    assert one["quantity"] > 0 and two["quantity"] == pytest.approx(2 * one["quantity"])
