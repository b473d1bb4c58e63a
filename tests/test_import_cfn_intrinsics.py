"""Every intrinsic and condition function CloudFormation accepts loads, in its long and
short (`!Tag`) forms; `Fn::ForEach` (LanguageExtensions) expands; `Fn::FindInMap` reads
Mappings and its DefaultValue."""

from __future__ import annotations

import json

import pytest

from advisor.importers import load_any
from advisor.importers.cloudformation.template import INTRINSIC_TAGS, load_template

# (short form, argument as YAML) for each function
FUNCTIONS = {
    "Ref": "Env",
    "Condition": "IsProd",
    "GetAtt": "Q.Arn",
    "Sub": "'${Env}-x'",
    "Join": "['-', [a, b]]",
    "If": "[IsProd, a, b]",
    "Select": "[0, [a, b]]",
    "Split": "[',', 'a,b']",
    "ImportValue": "shared-vpc",
    "FindInMap": "[M, prod, Size, {DefaultValue: 1}]",
    "Base64": "abc",
    "GetAZs": "''",
    "Cidr": "['10.0.0.0/16', 4, 8]",
    "Equals": "[a, b]",
    "Not": "[!Equals [a, b]]",
    "And": "[!Equals [a, a], !Equals [b, b]]",
    "Or": "[!Equals [a, a], !Equals [b, b]]",
    "Transform": "{Name: AWS::Include, Parameters: {Location: s3://b/k}}",
    "ToJsonString": "{a: 1}",
    "Length": "[a, b]",
    "Contains": "[[a, b], !Ref Env]",
    "EachMemberEquals": "[!RefAll 'AWS::EC2::VPC::Id', vpc-1]",
    "EachMemberIn": "[!ValueOfAll ['AWS::EC2::Subnet::Id', VpcId], [vpc-1]]",
    "RefAll": "'AWS::EC2::VPC::Id'",
    "ValueOf": "[Env, Tag]",
    "ValueOfAll": "['AWS::EC2::Subnet::Id', VpcId]",
    "GetParam": "[artifact, config.json, key]",
}


def _template(short: bool) -> str:
    lines = ["AWSTemplateFormatVersion: '2010-09-09'",
             "Parameters: {Env: {Type: String, Default: prod}}",
             "Mappings: {M: {prod: {Size: 2}}}",
             "Conditions: {IsProd: !Equals [!Ref Env, prod]}",
             "Resources:", "  Q:", "    Type: AWS::SQS::Queue", "    Metadata:"]
    for name, arg in FUNCTIONS.items():
        long = INTRINSIC_TAGS[name]
        value = f"!{name} {arg}" if short else f"{{{json.dumps(long)}: {arg}}}"
        lines.append(f"      {name}: {value}")
    return "\n".join(lines) + "\n"


def test_every_function_has_a_short_form() -> None:
    assert set(FUNCTIONS) == set(INTRINSIC_TAGS) - {"ForEach"}  # ForEach is a key, below


@pytest.mark.parametrize("short", [True, False], ids=["short", "long"])
def test_every_function_loads(short: bool) -> None:
    data = load_template(_template(short), "t.yaml")
    meta = data["Resources"]["Q"]["Metadata"]
    for name in FUNCTIONS:
        assert INTRINSIC_TAGS[name] in meta[name], name
    arch = load_any("t.yaml", _template(short))
    assert arch.kind("Q") == "sqs"


def test_rules_section_with_rule_functions_imports() -> None:
    text = """AWSTemplateFormatVersion: '2010-09-09'
Parameters: {Env: {Type: String, Default: prod}}
Rules:
  ProdOnly:
    RuleCondition: !Contains [[prod, staging], !Ref Env]
    Assertions:
    - Assert: !EachMemberIn [!ValueOfAll ['AWS::EC2::Subnet::Id', VpcId], [vpc-1]]
      AssertDescription: subnets in the VPC
Resources:
  Q: {Type: AWS::SQS::Queue}
"""
    assert load_any("t.yaml", text).kind("Q") == "sqs"


FOR_EACH = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "Orders,Pay-ments"}
Resources:
  Fn::ForEach::Queues:
  - Name
  - !Ref Names
  - '&{Name}Queue':
      Type: AWS::SQS::Queue
      Properties:
        QueueName: !Sub '${Name}-queue'
      Fn::ForEach::Unused: [X, [], {}]
  Fn::ForEach::Grid:
  - Env
  - [dev, prod]
  - Fn::ForEach::Inner:
    - Part
    - [a, b]
    - 'T${Env}${Part}':
        Type: AWS::SNS::Topic
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Handler: a.h
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: x}
      Environment: {Variables: {Q: !Ref OrdersQueue}}
"""


def test_for_each_expands_with_nesting_and_alphanumeric_keys() -> None:
    arch = load_any("t.yaml", FOR_EACH)
    nodes = set(arch.graph.nodes)
    assert {"OrdersQueue", "PaymentsQueue", "Tdeva", "Tdevb", "Tproda", "Tprodb"} <= nodes
    assert not [n for n in nodes if "ForEach" in n]
    assert arch.graph.has_edge("Worker", "OrdersQueue")
    line = next(i for i, t in enumerate(FOR_EACH.splitlines(), 1) if "Fn::ForEach::Queues" in t)
    assert arch.graph.nodes["OrdersQueue"]["loc"].line == line


def test_for_each_over_an_unknown_collection_is_reported() -> None:
    text = FOR_EACH.replace('Default: "Orders,Pay-ments"', "Description: none")
    arch = load_any("t.yaml", text)
    assert "OrdersQueue" not in arch.graph
    assert any("collection of Fn::ForEach::Queues is not known" in n.message for n in arch.notes)


def test_find_in_map_and_its_default_value() -> None:
    text = """AWSTemplateFormatVersion: '2010-09-09'
Parameters: {Env: {Type: String, Default: prod}}
Mappings: {Sizes: {prod: {Memory: 1024}}}
Resources:
  F:
    Type: AWS::Lambda::Function
    Properties:
      Handler: a.h
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: x}
      MemorySize: !FindInMap [Sizes, !Ref Env, Memory]
      Timeout: !FindInMap [Sizes, dev, Timeout, {DefaultValue: 30}]
"""
    props = load_any("t.yaml", text).props("F")
    assert props["memory"] == 1024 * 1024 * 1024 and props["timeout"] == 30_000
