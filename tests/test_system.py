"""System mode: several CloudFormation/SAM stacks analyzed as one architecture.

The shop sample (samples/systems/shop) is three stacks (a bus stack, a data stack, an
orders service) plus a nested dead-letter-queue template and a nested SAM application;
the other cases are written here, each small and aimed at one kind of link.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from advisor.cli import _register_all
from advisor.cli import cli as main
from advisor.importers import load_any
from advisor.pipeline import analyze_system
from advisor.system import load_system
from advisor.system.values import Evaluator, matches

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "samples" / "systems" / "shop"

_register_all()


def shop_paths() -> list[str]:
    return sorted(str(p) for p in SHOP.rglob("*.yaml"))


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), "utf-8")
    return str(path)


def test_shop_stacks_nested_templates_are_children_only():
    system = load_system(shop_paths())
    names = [s.name for s in system.stacks]
    assert names == ["bus", "data", "orders", "orders/Dlq", "orders/Notifier"]
    child = {s.name: s for s in system.stacks}["orders/Dlq"]
    assert child.parent is not None and child.parent.name == "orders"
    # the literal the parent passes (a !Sub of its own parameter) replaces the default
    assert child.values["QueueName"] == "orders-dev-dlq"


def test_shop_edges_cross_stacks_and_no_opaque_node():
    arch = load_system(shop_paths()).arch
    assert arch is not None
    g = arch.graph
    stack = {n: d["stack"] for n, d in g.nodes(data=True)}
    expected = {
        ("CreateOrderFunction", "OrdersTable"),  # !ImportValue !Sub "${Env}-orders-table-name"
        ("OrdersTable", "PublishFunction"),  # stream export as a DynamoDB event source
        ("PublishFunction", "ShopBus"),  # an AWS::SSM::Parameter::Value<String> parameter
        ("ShopBus", "FulfilFunctionPlaced"),  # {{resolve:ssm:...}}
        ("ShopBus", "AuditRule"),  # ${AWS::StackName} export, stack name from samconfig.toml
        ("FulfilFunction", "Queue"),  # !GetAtt Dlq.Outputs.QueueArn of the nested stack
        ("AlertsTopic", "NotifyFunction"),  # parameter passed to a nested SAM application
    }
    assert expected <= set(g.edges)
    assert stack["OrdersTable"] == "data" and stack["ShopBus"] == "bus"
    assert stack["Queue"] == "orders/Dlq" and stack["NotifyFunction"] == "orders/Notifier"
    assert g.edges["OrdersTable", "PublishFunction"]["mode"] == "stream"
    assert g.nodes["FulfilFunction"]["props"].get("dlq") == "Queue"
    # no placeholder, no "outside this template" node, no nested-stack resource node
    assert not [n for n, d in g.nodes(data=True) if d.get("imported")]
    assert not [n for n, d in g.nodes(data=True)
                if "outside" in str(d["props"].get("description", ""))]
    assert "Dlq" not in g and "Notifier" not in g
    # the SSM parameter that only carries the bus name is folded into the bus
    assert "ShopBusNameParameter" not in g and arch.aliases["ShopBusNameParameter"] == "ShopBus"
    # every node keeps its own template line
    assert g.nodes["OrdersTable"]["loc"].path.endswith("data/template.yaml")
    assert g.nodes["Queue"]["loc"].path.endswith("shared/dlq.yaml")


def test_shop_unresolved_import_is_a_note_with_its_line():
    arch = load_system(shop_paths()).arch
    notes = [n for n in arch.notes if "shop-payments-ApiUrl" in n.message]
    assert len(notes) == 1
    assert notes[0].path.endswith("orders/template.yaml")
    text = (SHOP / "orders" / "template.yaml").read_text().splitlines()
    assert text[notes[0].line - 1].strip() == "FulfilFunction:"


def test_single_file_import_unchanged_and_records_import_name():
    arch = load_any(str(SHOP / "orders" / "template.yaml"))
    opaque = {n: d["imported"] for n, d in arch.graph.nodes(data=True) if d.get("imported")}
    assert opaque, "the per-file import keeps an opaque node for the imported stream"
    assert "${Env}-orders-stream" in opaque.values()
    assert all(d.get("stack") is None for _, d in arch.graph.nodes(data=True))


def test_stack_name_wildcard_and_parameter_default(tmp_path):
    net = write(tmp_path, "queues.yaml", """\
        Resources:
          Jobs:
            Type: AWS::SQS::Queue
        Outputs:
          JobsArn:
            Value: !GetAtt Jobs.Arn
            Export:
              Name: !Sub "${AWS::StackName}-JobsArn"
        """)
    worker = write(tmp_path, "worker.yaml", """\
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          QueueStack:
            Type: String
            Default: prod-queues
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              InlineCode: "def handler(e, c): return len(e['Records'])"
              Events:
                Jobs:
                  Type: SQS
                  Properties:
                    Queue: !ImportValue
                      Fn::Sub: "${QueueStack}-JobsArn"
        """)
    system = load_system([net, worker])
    g = system.arch.graph
    assert ("Jobs", "Worker") in g.edges and g.edges["Jobs", "Worker"]["mode"] == "poll"
    assert g.nodes["Jobs"]["stack"] == "queues"
    assert [link.name for link in system.links] == ["prod-queues-JobsArn"]
    assert sorted(g.nodes) == ["Jobs", "Worker"]


def test_ambiguous_and_unknown_names_are_notes(tmp_path):
    for name in ("a", "b"):
        write(tmp_path, f"{name}.yaml", """\
            Resources:
              Bus:
                Type: AWS::Events::EventBus
                Properties: {Name: shared}
            Outputs:
              BusName:
                Value: !Ref Bus
                Export: {Name: !Sub "${AWS::StackName}-Bus"}
            """)
    write(tmp_path, "c.yaml", """\
        Parameters:
          Missing: {Type: String}
        Resources:
          Rule:
            Type: AWS::Events::Rule
            Properties:
              EventBusName: !ImportValue {"Fn::Sub": "x-Bus"}
              EventPattern: {source: [x]}
          Rule2:
            Type: AWS::Events::Rule
            Properties:
              EventBusName: !ImportValue {"Fn::Sub": "${Missing}-Bus"}
              EventPattern: {source: [y]}
        """)
    arch = load_system(sorted(str(p) for p in tmp_path.glob("*.yaml"))).arch
    messages = " | ".join(n.message for n in arch.notes)
    assert "could come from several stacks (a, b)" in messages
    assert "not known before deployment" in messages
    # the same logical id in two stacks: both get their stack in front, nothing else does
    assert {"a.Bus", "b.Bus", "Rule", "Rule2"} <= set(arch.graph.nodes)


def test_nested_parameter_reference_links_child_to_parent(tmp_path):
    write(tmp_path, "child.yaml", """\
        Parameters:
          TopicArn: {Type: String}
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: arn:aws:iam::123456789012:role/x
              Code: {ZipFile: "def handler(e, c): return 1"}
          Sub:
            Type: AWS::SNS::Subscription
            Properties:
              TopicArn: !Ref TopicArn
              Protocol: lambda
              Endpoint: !GetAtt Fn.Arn
        """)
    parent = write(tmp_path, "parent.yaml", """\
        Resources:
          Topic:
            Type: AWS::SNS::Topic
          Child:
            Type: AWS::CloudFormation::Stack
            Properties:
              TemplateURL: child.yaml
              Parameters:
                TopicArn: !Ref Topic
          Remote:
            Type: AWS::CloudFormation::Stack
            Properties:
              TemplateURL: https://s3.amazonaws.com/bucket/other.yaml
        """)
    system = load_system([parent])
    g = system.arch.graph
    assert ("Topic", "Fn") in g.edges
    assert g.nodes["Fn"]["stack"] == "parent/Child"
    assert "Child" not in g  # the followed nested stack is its nodes, not a box
    assert "Remote" in g  # not followed: stays what the per-file import makes of it
    assert any("Remote" in n.message and "S3" in n.message for n in system.arch.notes)


def test_evaluator_and_wildcard_matching():
    ev = Evaluator({"Env": {"Type": "String", "Default": "dev"},
                    "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"}},
                   {}, {"M": {"dev": {"name": "d"}}})
    assert ev.text({"Fn::Sub": "${Env}-${AWS::Region}"}) == "dev-${AWS::Region}"
    assert ev.text({"Fn::Join": [":", [{"Ref": "Env"}, "a"]]}) == "dev:a"
    assert ev.text({"Fn::FindInMap": ["M", {"Ref": "Env"}, "name"]}) == "d"
    assert ev.text({"Ref": "Ssm"}) is None  # its value is in SSM, not in the template
    assert ev.text({"Fn::If": ["C", "a", "b"]}) is None
    pattern = ev.text({"Fn::Sub": "${AWS::StackName}-Bus"})
    assert matches(pattern, "shop-bus-Bus") and not matches(pattern, "-Bus")


def test_cli_system_flag_config_and_default(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(ROOT)
    per_file = json.loads(runner.invoke(main, ["analyze", str(SHOP), "--format", "json",
                                               "--no-estimates", "-j", "1"]).output)
    assert len(per_file["results"]) == 5  # off by default: one result per template
    out = runner.invoke(main, ["analyze", "--system", str(SHOP), "--format", "json",
                               "--no-estimates", "-j", "1"])
    doc = json.loads(out.output)
    assert len(doc["results"]) == 1
    result = doc["results"][0]
    assert [s["name"] for s in result["system"]["stacks"]][:3] == ["bus", "data", "orders"]
    paths = {f["location"]["path"] for f in result["findings"] if f["location"]}
    assert any(p.endswith("notifier/template.yaml") for p in paths)  # a nested stack's line
    assert any(p.endswith("orders/template.yaml") for p in paths)
    assert {n["stack"] for n in result["before"]["nodes"] if n.get("stack")} >= {"bus", "data"}
    cfg = tmp_path / ".archadvisor.yaml"
    cfg.write_text("system: true\n")
    monkeypatch.chdir(tmp_path)
    by_config = json.loads(runner.invoke(main, ["analyze", str(SHOP), "--format", "json",
                                                "--no-estimates", "-j", "1"]).output)
    assert len(by_config["results"]) == 1


def test_broken_member_gets_its_own_error_result(tmp_path):
    good = write(tmp_path, "good.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    bad = write(tmp_path, "bad.yaml", "Resources:\n  Q: [unclosed\n")
    results = analyze_system([good, bad])
    assert [bool(r.errors) for r in results] == [False, True]
    assert results[1].source == bad and results[1].errors[0].line >= 1
    assert "Q" in results[0].before.graph


def test_diagram_draws_a_cluster_per_stack():
    from advisor.render.build import diagram

    arch = load_system(shop_paths()).arch
    dot = diagram(arch).to_string()
    for name in ("bus", "data", "orders", "orders/Dlq"):
        # a cluster labelled with the stack's name and the word "stack"
        assert f"label=<<B>{name}</B>&#160;<FONT POINT-SIZE=\"9\" COLOR=\"#545B64\">stack</FONT>>" in dot
