"""The checks of issue 13 item 7 (non-handler part), each in every input language that can
say it: the DSL, SAM, CloudFormation and Terraform give the same finding on the same node,
and the compliant version of each input stays silent (semgrep-style pairs).

Inputs are written here in the real input language (templates and HCL the tools would
deploy), analyzed through `advisor.pipeline.analyze_source` like the CLI does.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from conftest import INPUT_FILES, analyse_input

from advisor.pipeline import Options, analyze_source

FILES = INPUT_FILES


def findings(tmp_path: Path, fmt: str, text: str, rule: str) -> list[tuple[str, int | None]]:
    """(subject node, line) of each `rule` finding of `text` written as a `fmt` input."""
    result = analyse_input(tmp_path / fmt, fmt, text)
    return sorted((f.subject, f.location.line if f.location else None)
                  for f in result.findings if f.rule == rule)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` (dedented) containing `needle`."""
    lines = dedent(text).lstrip().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# ------------------------------------------------------------------ IAM on every role
# A state machine whose role may pass any role: the finding is on the state machine (the
# node the role belongs to), at the role or policy resource that grants it.
IAM_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
      Policies:
        - Statement:
            - Effect: Allow
              Action: iam:PassRole
              Resource: "{resource}"
"""
IAM_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  FlowRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: states.amazonaws.com}
            Action: sts:AssumeRole
  FlowPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: flow
      Roles: [!Ref FlowRole]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: "{resource}"
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: !GetAtt FlowRole.Arn
      DefinitionString: '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
"""
IAM_TF = """
resource "aws_iam_role" "flow" {
  name = "flow"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { Service = "states.amazonaws.com" } }]
  })
}

data "aws_iam_policy_document" "flow" {
  statement {
    actions   = ["iam:PassRole"]
    resources = ["{resource}"]
  }
}

resource "aws_iam_role_policy" "flow" {
  role   = aws_iam_role.flow.id
  policy = data.aws_iam_policy_document.flow.json
}

resource "aws_sfn_state_machine" "flow" {
  name       = "flow"
  role_arn   = aws_iam_role.flow.arn
  definition = jsonencode({ StartAt = "Done", States = { Done = { Type = "Succeed" } } })
}
"""
IAM_DSL = """
sfn flow { wide_grants = ["{resource}"] }
"""
SCOPED = "arn:aws:iam::123456789012:role/worker"


@pytest.mark.parametrize(("fmt", "text", "node", "at"), [
    ("sam", IAM_SAM, "Flow", "Policies:"),
    ("cloudformation", IAM_CFN, "Flow", "FlowPolicy:"),
    ("terraform", IAM_TF, "flow", 'resource "aws_iam_role_policy"'),
])
def test_passrole_on_any_role_is_reported_at_the_policy(tmp_path: Path, fmt: str, text: str,
                                                        node: str, at: str) -> None:
    bad = text.replace("{resource}", "*")
    got = findings(tmp_path, fmt, bad, "SEC-IAM-WILDCARD")
    line = line_of(bad, at) if fmt != "sam" else line_of(bad, "Flow:")
    assert got == [(node, line)]
    good = text.replace("{resource}", SCOPED)
    assert findings(tmp_path / "good", fmt, good, "SEC-IAM-WILDCARD") == []


def test_the_message_names_the_grant(tmp_path: Path) -> None:
    folder = tmp_path / "cfn"
    folder.mkdir()
    (folder / "template.yaml").write_text(dedent(IAM_CFN).replace("{resource}", "*"), "utf-8")
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    [finding] = [f for f in result.findings if f.rule == "SEC-IAM-WILDCARD"]
    assert "iam:PassRole on *" in finding.message


def test_state_machines_sharing_a_role_all_carry_its_grants(tmp_path: Path) -> None:
    """Like functions, every state machine acting with a wide role is reported (not only
    the one the role is read as belonging to), each at the role's policy."""
    text = IAM_CFN.replace("{resource}", "*") + dedent("""
      Other:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          RoleArn: !GetAtt FlowRole.Arn
          Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
    """).replace("\n", "\n  ")
    found = findings(tmp_path, "cloudformation", text, "SEC-IAM-WILDCARD")
    assert [n for n, _ in found] == ["Flow", "Other"]
    assert len({line for _, line in found}) == 1
    machines = "".join(
        f'resource "aws_sfn_state_machine" "{name}" {{\n  name       = "{name}"\n'
        f"  role_arn   = aws_iam_role.flow.arn\n"
        f'  definition = jsonencode({{ StartAt = "Done", States = {{ Done = {{ Type = '
        f'"Succeed" }} }} }})\n}}\n' for name in ("a", "b"))
    tf = IAM_TF.replace("{resource}", "*")
    tf = tf[:tf.index('resource "aws_sfn_state_machine"')] + machines
    found = findings(tmp_path / "tf", "terraform", tf, "SEC-IAM-WILDCARD")
    assert [n for n, _ in found] == ["a", "b"]


def test_dsl_states_wide_grants_on_any_node(tmp_path: Path) -> None:
    got = findings(tmp_path, "dsl", IAM_DSL.replace("{resource}", "iam:PassRole on *"),
                   "SEC-IAM-WILDCARD")
    assert [n for n, _ in got] == ["flow"]
    assert findings(tmp_path / "good", "dsl", "sfn flow\n", "SEC-IAM-WILDCARD") == []


def test_log_delivery_actions_on_any_resource_are_not_wide(tmp_path: Path) -> None:
    """Step Functions logging needs the CloudWatch Logs delivery actions on `*`."""
    text = IAM_CFN.replace("Action: iam:PassRole", "Action: [logs:CreateLogDelivery, "
                           "logs:GetLogDelivery, logs:DescribeLogGroups]")
    assert findings(tmp_path, "cloudformation", text.replace("{resource}", "*"),
                    "SEC-IAM-WILDCARD") == []


@pytest.mark.parametrize("fmt,text,old", [
    ("cloudformation", IAM_CFN, "Action: iam:PassRole"),
    ("terraform", IAM_TF, 'actions   = ["iam:PassRole"]'),
])
@pytest.mark.parametrize("actions,wide", [
    # the Service Authorization Reference lists these with no resource type: `*` is the
    # only resource they can be granted on
    (["rekognition:DetectLabels", "secretsmanager:GetRandomPassword"], False),
    (["xray:Put*"], False),  # every action of the family takes none
    # a family that also covers an action taking a resource (DetectCustomLabels: a
    # project version) could have been narrowed; so could PutItem (a table)
    (["rekognition:Detect*"], True),
    (["rekognition:DetectLabels", "dynamodb:PutItem"], True),
])
def test_actions_that_take_no_resource_are_not_wide_on_any(
        tmp_path: Path, fmt: str, text: str, old: str, actions: list[str], wide: bool) -> None:
    listed = ", ".join(actions) if fmt == "cloudformation" else \
        ", ".join(f'"{a}"' for a in actions)
    new = f"Action: [{listed}]" if fmt == "cloudformation" else f"actions   = [{listed}]"
    got = findings(tmp_path, fmt, text.replace(old, new).replace("{resource}", "*"),
                   "SEC-IAM-WILDCARD")
    assert bool(got) is wide, got


def test_the_unscoped_actions_match_the_installed_cfn_lint() -> None:
    import sys

    pytest.importorskip("cfnlint", reason="cfn-lint is in the dev extra")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    try:
        import gen_iam_unscoped_actions as gen
    finally:
        sys.path.pop(0)
    assert gen.OUT.read_text("utf-8") == gen.render(), \
        "stale: run python tools/gen_iam_unscoped_actions.py"


# ------------------------------------------------------------- DynamoDB PITR, S3 buckets
def _cfn(resources: str, sam: bool = False) -> str:
    head = 'AWSTemplateFormatVersion: "2010-09-09"\n'
    if sam:
        head += "Transform: AWS::Serverless-2016-10-31\n"
    return head + "Resources:\n" + dedent(resources).strip("\n").replace("\n", "\n  ").join(
        ["  ", "\n"])


TABLE_CFN = """
Orders:
  Type: AWS::DynamoDB::Table
  Properties:
    BillingMode: PAY_PER_REQUEST
    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
    KeySchema: [{AttributeName: id, KeyType: HASH}]
{extra}
"""
TABLE_TF = """
resource "aws_dynamodb_table" "orders" {
  name         = "orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
{extra}
}
"""
PITR_ON = {"cfn": "    PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}",
           "tf": "  point_in_time_recovery {\n    enabled = true\n  }"}
TTL_ON = {"cfn": "    TimeToLiveSpecification: {AttributeName: expires, Enabled: true}",
          "tf": '  ttl {\n    attribute_name = "expires"\n    enabled        = true\n  }'}


def _table(fmt: str, extra: str) -> str:
    if fmt == "terraform":
        return TABLE_TF.replace("{extra}", extra)
    return _cfn(TABLE_CFN.replace("{extra}", extra), sam=fmt == "sam")


@pytest.mark.parametrize(("fmt", "node"), [("sam", "Orders"), ("cloudformation", "Orders"),
                                           ("terraform", "orders")])
def test_pitr_off_is_reported_and_on_or_ttl_is_silent(tmp_path: Path, fmt: str, node: str) -> None:
    side = "tf" if fmt == "terraform" else "cfn"
    assert [n for n, _ in findings(tmp_path / "bad", fmt, _table(fmt, ""),
                                   "REL-DYNAMODB-PITR")] == [node]
    assert findings(tmp_path / "on", fmt, _table(fmt, PITR_ON[side]), "REL-DYNAMODB-PITR") == []
    # items that expire: sessions, connections, idempotency keys (see the rule's docs)
    assert findings(tmp_path / "ttl", fmt, _table(fmt, TTL_ON[side]), "REL-DYNAMODB-PITR") == []


def test_pitr_in_the_dsl(tmp_path: Path) -> None:
    assert [n for n, _ in findings(tmp_path, "dsl", "dynamodb orders\n",
                                   "REL-DYNAMODB-PITR")] == ["orders"]
    for good in ("dynamodb orders { pitr = true }\n", "dynamodb sessions { ttl = true }\n"):
        assert findings(tmp_path / "good", "dsl", good, "REL-DYNAMODB-PITR") == []


def test_global_table_needs_pitr_on_every_replica(tmp_path: Path) -> None:
    text = _cfn("""
    Orders:
      Type: AWS::DynamoDB::GlobalTable
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        Replicas:
          - Region: eu-west-1
            PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
          - Region: us-east-1
            {second}
    """)
    one = text.replace("{second}", "Tags: []")
    both = text.replace("{second}", "PointInTimeRecoverySpecification: "
                        "{PointInTimeRecoveryEnabled: true}")
    assert [n for n, _ in findings(tmp_path / "one", "cloudformation", one,
                                   "REL-DYNAMODB-PITR")] == ["Orders"]
    assert findings(tmp_path / "both", "cloudformation", both, "REL-DYNAMODB-PITR") == []


BUCKET_CFN = """
Uploads:
  Type: AWS::S3::Bucket
{props}
"""
BUCKET_TF = """
resource "aws_s3_bucket" "uploads" {
  bucket = "uploads-123456789012"
}
{extra}
"""
VERSIONING = {
    "cfn": "  Properties:\n    VersioningConfiguration: {Status: Enabled}",
    "tf": 'resource "aws_s3_bucket_versioning" "uploads" {\n  bucket = aws_s3_bucket.uploads.id\n'
          '  versioning_configuration {\n    status = "Enabled"\n  }\n}',
}


def _bucket(fmt: str, cfn_props: str, tf_extra: str) -> str:
    if fmt == "terraform":
        return BUCKET_TF.replace("{extra}", tf_extra)
    return _cfn(BUCKET_CFN.replace("{props}", cfn_props), sam=fmt == "sam")


@pytest.mark.parametrize(("fmt", "node"), [("sam", "Uploads"), ("cloudformation", "Uploads"),
                                           ("terraform", "uploads")])
def test_versioning_off_is_reported_and_enabled_is_silent(tmp_path: Path, fmt: str,
                                                          node: str) -> None:
    assert [n for n, _ in findings(tmp_path / "bad", fmt, _bucket(fmt, "", ""),
                                   "REL-S3-VERSIONING")] == [node]
    good = _bucket(fmt, VERSIONING["cfn"], VERSIONING["tf"])
    assert findings(tmp_path / "good", fmt, good, "REL-S3-VERSIONING") == []


def test_versioning_in_the_dsl(tmp_path: Path) -> None:
    assert [n for n, _ in findings(tmp_path, "dsl", "s3 uploads\n",
                                   "REL-S3-VERSIONING")] == ["uploads"]
    assert findings(tmp_path / "good", "dsl", "s3 uploads { versioning = true }\n",
                    "REL-S3-VERSIONING") == []


BPA_OFF = {
    "cfn": "  Properties:\n    PublicAccessBlockConfiguration:\n      BlockPublicAcls: true\n"
           "      BlockPublicPolicy: false\n      IgnorePublicAcls: true\n"
           "      RestrictPublicBuckets: true",
    "tf": 'resource "aws_s3_bucket_public_access_block" "uploads" {\n'
          "  bucket                  = aws_s3_bucket.uploads.id\n  block_public_acls       = true\n"
          "  block_public_policy     = false\n  ignore_public_acls      = true\n"
          "  restrict_public_buckets = true\n}",
}
BPA_ON = {k: v.replace("false", "true") for k, v in BPA_OFF.items()}


@pytest.mark.parametrize(("fmt", "node"), [("sam", "Uploads"), ("cloudformation", "Uploads"),
                                           ("terraform", "uploads")])
def test_public_access_block_turned_off_is_reported(tmp_path: Path, fmt: str, node: str) -> None:
    rule = "SEC-S3-PUBLIC-ACCESS-BLOCK"
    bad = _bucket(fmt, BPA_OFF["cfn"], BPA_OFF["tf"])
    got = findings(tmp_path / "bad", fmt, bad, rule)
    at = "PublicAccessBlockConfiguration" if fmt != "terraform" else "aws_s3_bucket_public"
    assert [n for n, _ in got] == [node]
    if fmt == "terraform":  # the finding points at the block that turns it off
        assert got[0][1] == line_of(bad, at)
    assert findings(tmp_path / "on", fmt, _bucket(fmt, BPA_ON["cfn"], BPA_ON["tf"]), rule) == []
    # unstated: S3 turns all four settings on for every new bucket since April 2023
    assert findings(tmp_path / "unset", fmt, _bucket(fmt, "", ""), rule) == []


def test_a_stated_configuration_that_leaves_a_setting_out_turns_it_off(tmp_path: Path) -> None:
    partial = _bucket("cloudformation", "  Properties:\n    PublicAccessBlockConfiguration:\n"
                      "      BlockPublicAcls: true", "")
    assert [n for n, _ in findings(tmp_path, "cloudformation", partial,
                                   "SEC-S3-PUBLIC-ACCESS-BLOCK")] == ["Uploads"]


def test_public_access_block_in_the_dsl(tmp_path: Path) -> None:
    rule = "SEC-S3-PUBLIC-ACCESS-BLOCK"
    assert [n for n, _ in findings(tmp_path, "dsl", "s3 site { block_public_access = false }\n",
                                   rule)] == ["site"]
    assert findings(tmp_path / "good", "dsl", "s3 site\n", rule) == []


# --------------------------------------------------- deploy-breaking: placeholders, paths
ASL_FILE = """{
  "StartAt": "Save",
  "States": {
    "Save": {
      "Type": "Task",
      "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "${OrdersTabel}", "Item": {"id": {"S.$": "$.id"}}},
      "End": true
    }
  }
}
"""
SFN_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/flow.asl.json
      DefinitionSubstitutions:
        OrdersTable: !Ref Orders
      Policies:
        - DynamoDBWritePolicy: {TableName: !Ref Orders}
"""
SFN_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/flow
      DefinitionString: >-
        {"StartAt": "Save", "States": {"Save": {"Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "${OrdersTabel}"}, "End": true}}}
      DefinitionSubstitutions:
        OrdersTable: !Ref Orders
"""


def test_unsubstituted_placeholder_in_a_definition_file_is_reported_there(tmp_path: Path) -> None:
    folder = tmp_path / "sam"
    (folder / "statemachine").mkdir(parents=True)
    (folder / "statemachine" / "flow.asl.json").write_text(ASL_FILE, "utf-8")
    (folder / "template.yaml").write_text(dedent(SFN_SAM).lstrip(), "utf-8")
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    [f] = [f for f in result.findings if f.rule == "OPS-SFN-UNSUBSTITUTED"]
    assert f.subject == "Flow" and f.severity == "error" and "OrdersTabel" in f.message
    assert f.location is not None and f.location.path.endswith("statemachine/flow.asl.json")
    assert f.location.line == 7  # the line naming the placeholder
    (folder / "statemachine" / "flow.asl.json").write_text(
        ASL_FILE.replace("OrdersTabel", "OrdersTable"), "utf-8")
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    assert not [f for f in result.findings if f.rule == "OPS-SFN-UNSUBSTITUTED"]


def test_unsubstituted_placeholder_in_a_definition_string(tmp_path: Path) -> None:
    rule = "OPS-SFN-UNSUBSTITUTED"
    assert [n for n, _ in findings(tmp_path, "cloudformation", SFN_CFN, rule)] == ["Flow"]
    good = SFN_CFN.replace("OrdersTabel", "OrdersTable")
    assert findings(tmp_path / "good", "cloudformation", good, rule) == []
    # inside Fn::Sub a ${Name} is a CloudFormation reference, not a placeholder
    sub = good.replace("DefinitionString: >-", "DefinitionString: !Sub >-").replace(
        "${OrdersTable}", "${Orders}")
    assert findings(tmp_path / "sub", "cloudformation", sub, rule) == []


def test_unsubstituted_placeholder_in_the_dsl(tmp_path: Path) -> None:
    rule = "OPS-SFN-UNSUBSTITUTED"
    got = findings(tmp_path, "dsl", 'sfn flow { unsubstituted = ["OrdersTabel"] }\n', rule)
    assert [n for n, _ in got] == ["flow"]
    assert findings(tmp_path / "good", "dsl", "sfn flow\n", rule) == []


FN_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: {uri}
"""
FN_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {uri}
"""


@pytest.mark.parametrize(("fmt", "text", "key"), [("sam", FN_SAM, "CodeUri:"),
                                                  ("cloudformation", FN_CFN, "Code:")])
def test_code_path_missing_or_in_another_case_is_an_error(tmp_path: Path, fmt: str, text: str,
                                                          key: str) -> None:
    rule = "OPS-LOCAL-PATH-MISSING"
    folder = tmp_path / fmt
    (folder / "src" / "Worker").mkdir(parents=True)
    (folder / "src" / "Worker" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    path = folder / "template.yaml"
    cases = {"src/worker": "is spelt src/Worker on disk", "src/gone": "does not exist"}
    for uri, why in cases.items():
        bad = dedent(text).lstrip().replace("{uri}", uri)
        path.write_text(bad, "utf-8")
        result = analyze_source(str(path), Options(estimates=False))
        [f] = [f for f in result.findings if f.rule == rule]
        assert f.subject == "Worker" and f.severity == "error" and why in f.message
        assert f.location is not None and f.location.line == line_of(bad, key)
    path.write_text(dedent(text).lstrip().replace("{uri}", "src/Worker"), "utf-8")
    result = analyze_source(str(path), Options(estimates=False))
    assert not [f for f in result.findings if f.rule == rule]


def test_paths_outside_the_template_folder_are_not_looked_at(tmp_path: Path) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (folder / "link").symlink_to(tmp_path / "elsewhere")
    for uri in ("../src/gone", "/abs/gone", "link/gone"):
        (folder / "template.yaml").write_text(dedent(FN_SAM).lstrip().replace("{uri}", uri))
        result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
        assert not [f for f in result.findings if f.rule == "OPS-LOCAL-PATH-MISSING"], uri
    # the same missing path inside the folder is reported (the check did run)
    (folder / "template.yaml").write_text(dedent(FN_SAM).lstrip().replace("{uri}", "gone"))
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    assert [f.subject for f in result.findings if f.rule == "OPS-LOCAL-PATH-MISSING"] == ["Worker"]


def test_a_definition_uri_that_is_a_folder_is_not_a_definition(tmp_path: Path) -> None:
    folder = tmp_path / "sam"
    (folder / "statemachine" / "flow.asl.json").mkdir(parents=True)  # a folder, not a file
    (folder / "template.yaml").write_text(dedent(SFN_SAM).lstrip(), "utf-8")
    result = analyze_source(str(folder / "template.yaml"), Options(estimates=False))
    [f] = [f for f in result.findings if f.rule == "OPS-LOCAL-PATH-MISSING"]
    assert f.subject == "Flow" and "not a regular file" in f.message


def test_missing_path_in_the_dsl(tmp_path: Path) -> None:
    rule = "OPS-LOCAL-PATH-MISSING"
    text = 'lambda worker { missing_path = "CodeUri src/w: src/w does not exist" }\n'
    assert [n for n, _ in findings(tmp_path, "dsl", text, rule)] == ["worker"]
    assert findings(tmp_path / "good", "dsl", "lambda worker\n", rule) == []


# ------------------------------------------------- Step Functions: callbacks and retries
CALLBACK_STATE = {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "Parameters": {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/approvals",
                   "MessageBody": {"token.$": "$$.Task.Token"}},
    "End": True,
}
RETRY_STATE = {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:save"},
    "End": True,
}


def _machine(state: dict) -> dict:
    return {"StartAt": "Step", "States": {"Step": state}}


def _sfn_inputs(definition: dict, express: bool) -> dict[str, str]:
    """The same state machine in SAM, CloudFormation and Terraform."""
    import json

    text = json.dumps(definition)
    kind = "EXPRESS" if express else "STANDARD"
    sam = ('AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'
           "Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
           f"      Type: {kind}\n      Definition: {text}\n")
    cfn = ('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Flow:\n'
           "    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
           f"      StateMachineType: {kind}\n"
           "      RoleArn: arn:aws:iam::123456789012:role/flow\n"
           f"      DefinitionString: {json.dumps(text)}\n")
    tf = ('resource "aws_sfn_state_machine" "flow" {\n  name     = "flow"\n'
          f'  type     = "{kind}"\n  role_arn = "arn:aws:iam::123456789012:role/flow"\n'
          f"  definition = <<EOF\n{text}\nEOF\n}}\n")
    return {"sam": sam, "cloudformation": cfn, "terraform": tf}


NODE = {"sam": "Flow", "cloudformation": "Flow", "terraform": "flow"}


@pytest.mark.parametrize("fmt", ["sam", "cloudformation", "terraform"])
def test_callback_without_timeout_or_heartbeat(tmp_path: Path, fmt: str) -> None:
    rule = "REL-SFN-CALLBACK-TIMEOUT"
    bad = _sfn_inputs(_machine(CALLBACK_STATE), False)[fmt]
    assert [n for n, _ in findings(tmp_path / "bad", fmt, bad, rule)] == [NODE[fmt]]
    for i, bound in enumerate(({"HeartbeatSeconds": 600}, {"TimeoutSeconds": 86400})):
        good = _sfn_inputs(_machine({**CALLBACK_STATE, **bound}), False)[fmt]
        assert findings(tmp_path / f"good{i}", fmt, good, rule) == []
    whole = _sfn_inputs({**_machine(CALLBACK_STATE), "TimeoutSeconds": 3600}, False)[fmt]
    assert findings(tmp_path / "whole", fmt, whole, rule) == []


def test_callback_timeout_in_the_dsl(tmp_path: Path) -> None:
    rule = "REL-SFN-CALLBACK-TIMEOUT"
    text = 'sfn approval { untimed_callbacks = ["WaitForApproval"] }\n'
    assert [n for n, _ in findings(tmp_path, "dsl", text, rule)] == ["approval"]
    assert findings(tmp_path / "good", "dsl", "sfn approval\n", rule) == []


# 10 attempts from 2 s doubling: 2 + 4 + ... + 1024 = 2046 s; capped at 20 s: 2+4+8+16+6x20 = 150 s
LONG_RETRY = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 10}
CAPPED_RETRY = {**LONG_RETRY, "MaxDelaySeconds": 20}


@pytest.mark.parametrize("fmt", ["sam", "cloudformation", "terraform"])
def test_express_retry_schedule_that_cannot_fit(tmp_path: Path, fmt: str) -> None:
    rule = "REL-SFN-EXPRESS-RETRY"
    bad = _sfn_inputs(_machine({**RETRY_STATE, "Retry": [LONG_RETRY]}), True)[fmt]
    folder = tmp_path / "bad"
    assert [n for n, _ in findings(folder, fmt, bad, rule)] == [NODE[fmt]]
    result = analyze_source(str(folder / fmt if fmt == "terraform" else
                                folder / fmt / FILES[fmt]), Options(estimates=False))
    [f] = [f for f in result.findings if f.rule == rule]
    assert "2046 s" in f.message and "Step" in f.message
    capped = _sfn_inputs(_machine({**RETRY_STATE, "Retry": [CAPPED_RETRY]}), True)[fmt]
    assert findings(tmp_path / "capped", fmt, capped, rule) == []
    standard = _sfn_inputs(_machine({**RETRY_STATE, "Retry": [LONG_RETRY]}), False)[fmt]
    assert findings(tmp_path / "standard", fmt, standard, rule) == []


def test_express_retry_in_the_dsl(tmp_path: Path) -> None:
    rule = "REL-SFN-EXPRESS-RETRY"
    bad = "sfn ingest { type = express, longest_retry_wait = 10min }\n"
    assert [n for n, _ in findings(tmp_path, "dsl", bad, rule)] == ["ingest"]
    good = "sfn ingest { type = express, longest_retry_wait = 4min }\n"
    assert findings(tmp_path / "good", "dsl", good, rule) == []


def test_retry_wait_arithmetic() -> None:
    from advisor.importers.asl import retry_wait_seconds

    assert retry_wait_seconds({}) == 1 + 2 + 4  # the defaults: 1 s, 3 attempts, rate 2.0
    assert retry_wait_seconds(LONG_RETRY) == 2046
    assert retry_wait_seconds(CAPPED_RETRY) == 150
    assert retry_wait_seconds({"MaxAttempts": 0}) == 0
    assert retry_wait_seconds({"IntervalSeconds": "{% $x %}"}) is None  # JSONata: not judged


# ------------------------------------------------------------ DynamoDB stream readers
def _stream_inputs(readers: int) -> dict[str, str]:
    table = ("  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
             "      BillingMode: PAY_PER_REQUEST\n"
             "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
             "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
             "      StreamSpecification: {StreamViewType: NEW_IMAGE}\n")
    sam = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n' \
          "Resources:\n" + table
    cfn = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + table
    tf = ('resource "aws_dynamodb_table" "orders" {\n  name = "orders"\n'
          '  billing_mode = "PAY_PER_REQUEST"\n  hash_key = "id"\n'
          '  stream_enabled = true\n  stream_view_type = "NEW_IMAGE"\n'
          '  attribute {\n    name = "id"\n    type = "S"\n  }\n}\n')
    for i in range(readers):
        sam += (f"  Reader{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                "      Runtime: python3.12\n      Handler: index.handler\n"
                "      InlineCode: 'def handler(e, c): return 1'\n      Events:\n"
                "        Stream:\n          Type: DynamoDB\n          Properties:\n"
                "            Stream: !GetAtt Orders.StreamArn\n"
                "            StartingPosition: LATEST\n")
        cfn += (f"  Reader{i}:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                "      Runtime: python3.12\n      Handler: index.handler\n"
                "      Role: arn:aws:iam::123456789012:role/reader\n"
                "      Code: {ZipFile: 'def handler(e, c): return 1'}\n"
                f"  Reader{i}Mapping:\n    Type: AWS::Lambda::EventSourceMapping\n"
                "    Properties:\n      EventSourceArn: !GetAtt Orders.StreamArn\n"
                f"      FunctionName: !Ref Reader{i}\n      StartingPosition: LATEST\n")
        tf += (f'resource "aws_lambda_function" "reader{i}" {{\n'
               f'  function_name = "reader{i}"\n  runtime = "python3.12"\n'
               '  handler = "index.handler"\n  filename = "reader.zip"\n'
               '  role = "arn:aws:iam::123456789012:role/reader"\n}\n'
               f'resource "aws_lambda_event_source_mapping" "reader{i}" {{\n'
               "  event_source_arn  = aws_dynamodb_table.orders.stream_arn\n"
               f"  function_name     = aws_lambda_function.reader{i}.arn\n"
               '  starting_position = "LATEST"\n}\n')
    dsl = "dynamodb orders { stream = true }\n" + "".join(
        f"lambda reader{i}\norders -> reader{i}\n" for i in range(readers))
    return {"sam": sam, "cloudformation": cfn, "terraform": tf, "dsl": dsl}


@pytest.mark.parametrize(("fmt", "node"), [("dsl", "orders"), ("sam", "Orders"),
                                           ("cloudformation", "Orders"),
                                           ("terraform", "orders")])
def test_more_than_two_stream_readers(tmp_path: Path, fmt: str, node: str) -> None:
    rule = "PERF-DYNAMODB-STREAM-READERS"
    assert [n for n, _ in findings(tmp_path / "three", fmt, _stream_inputs(3)[fmt],
                                   rule)] == [node]
    assert findings(tmp_path / "two", fmt, _stream_inputs(2)[fmt], rule) == []


# ------------------------------------------------------------------ authorizer caching
AUTHZ_SAM = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: TokenAuth
        Authorizers:
          TokenAuth:
            FunctionArn: !GetAtt Authz.Arn
            Identity: {ReauthorizeEvery: {ttl}}
  Authz:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return {}"
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return {}"
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /orders, Method: get}
"""
AUTHZ_CFN = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: orders}
  Authz:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/authz
      Code: {ZipFile: "def handler(e, c): return {}"}
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      AuthorizerResultTtlInSeconds: {ttl}
      AuthorizerUri: !Sub >-
        arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authz.Arn}/invocations
"""
AUTHZ_TF = """
resource "aws_api_gateway_rest_api" "api" {
  name = "orders"
}

resource "aws_lambda_function" "authz" {
  function_name = "authz"
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "authz.zip"
  role          = "arn:aws:iam::123456789012:role/authz"
}

resource "aws_api_gateway_authorizer" "token" {
  name                             = "token"
  rest_api_id                      = aws_api_gateway_rest_api.api.id
  authorizer_uri                   = aws_lambda_function.authz.invoke_arn
  authorizer_result_ttl_in_seconds = {ttl}
}
"""


@pytest.mark.parametrize(("fmt", "text", "api"), [("sam", AUTHZ_SAM, "Api"),
                                                  ("cloudformation", AUTHZ_CFN, "Api"),
                                                  ("terraform", AUTHZ_TF, "api")])
def test_authorizer_caching_off(tmp_path: Path, fmt: str, text: str, api: str) -> None:
    rule = "PERF-AUTHORIZER-CACHE-OFF"
    assert [n for n, _ in findings(tmp_path / "off", fmt, text.replace("{ttl}", "0"),
                                   rule)] == [api]
    assert findings(tmp_path / "on", fmt, text.replace("{ttl}", "300"), rule) == []


def test_authorizer_caching_in_the_dsl(tmp_path: Path) -> None:
    rule = "PERF-AUTHORIZER-CACHE-OFF"
    text = ('apigw api { auth = lambda }\nlambda authz\n'
            'api -> authz [label = "authorizer", auth_cache_ttl = {ttl}]\n')
    assert [n for n, _ in findings(tmp_path, "dsl", text.replace("{ttl}", "0s"),
                                   rule)] == ["api"]
    assert findings(tmp_path / "good", "dsl", text.replace("{ttl}", "300s"), rule) == []


def test_account_wide_listings_on_any_resource_are_not_wide() -> None:
    """A pipe reading a DynamoDB stream needs `dynamodb:ListStreams` on `*` (the action
    has no resource type); a write action on `*` still is wide."""
    from advisor.importers.iam_policies import wide_grants

    assert wide_grants(["dynamodb:ListStreams"], ["*"]) == []
    assert wide_grants(["dynamodb:ListStreams", "dynamodb:PutItem"], ["*"]) == \
        ["dynamodb:PutItem on *"]
    assert wide_grants(["iam:PassRole", "sqs:*"], ["*"]) == ["sqs:*", "iam:PassRole on *"]
