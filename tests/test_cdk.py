"""CDK cloud assemblies: the committed fixture, and one synthesized here from a real app.

The synthesizing test runs `node tests/cdk/app/app.js OUT` (aws-cdk-lib from the npm
registry, installed by `make test` into tests/cdk/app/node_modules; no AWS account). It
skips, saying why, when Node or the packages are missing, except in CI (CI=true), where
`make test` has installed them and a skip would hide a broken set-up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.errors import AdvisorError
from advisor.importers import load_any
from advisor.pipeline import Options, Report, analyze_source
from advisor.report import write

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "cdk" / "cdk.out"
APP = ROOT / "tests" / "cdk" / "app"
HASHED = re.compile(r"[0-9A-F]{8}$")

_register_all()


def check_assembly(arch) -> None:
    """What every synthesized copy of the test app must import to."""
    g = arch.graph
    assert sorted(g.nodes) == ["Api", "Ingest", "Orders", "OrdersTable", "Store.Audit",
                               "Worker", "clients"]
    assert not [n for n in g.nodes if HASHED.search(n)], "named from construct paths"
    # CDK's cross-stack references (exports/imports) and the nested stack's outputs
    for edge in [("Api", "Ingest"), ("Ingest", "Orders"), ("Orders", "Worker"),
                 ("Worker", "OrdersTable"), ("Worker", "Store.Audit")]:
        assert edge in g.edges, edge
    assert g.edges["Orders", "Worker"]["mode"] == "poll"
    assert g.nodes["Orders"]["stack"] == "DataStack"
    assert g.nodes["Ingest"]["stack"] == "ServiceStack"
    assert g.nodes["Store.Audit"]["stack"] == "ServiceStack/Store"
    assert g.nodes["Ingest"]["construct_path"] == "ServiceStack/Ingest/Resource"
    assert not [n for n, d in g.nodes(data=True) if d.get("imported")]
    assert not any("AWS::CDK::Metadata" in str(d["props"]) for _, d in g.nodes(data=True))
    # handler code is read from the function's asset folder
    assert g.nodes["Ingest"]["props"].get("glue_evidence")


def test_fixture_imports_as_one_system():
    arch = load_any(str(FIXTURE))
    check_assembly(arch)
    stacks = arch.graph.graph["system"]["stacks"]
    assert [s["name"] for s in stacks] == ["DataStack", "ServiceStack", "ServiceStack/Store"]


def test_findings_carry_construct_paths_beside_the_location():
    result = analyze_source(str(FIXTURE), Options(estimates=False))
    assert not result.errors
    by_rule = {f.rule: f for f in result.findings}
    auth = by_rule["SEC-APIGW-AUTH"]
    assert auth.construct_path == "ServiceStack/Api/Resource"
    assert auth.location.path.endswith("ServiceStack.template.json")
    dlq = [f for f in result.findings if f.rule == "REL-SQS-DLQ"]
    assert {f.construct_path for f in dlq} == {"DataStack/Orders/Resource",
                                               "ServiceStack/Store/Audit/Resource"}
    assert all(f.to_dict()["construct_path"] for f in result.findings)
    text = write(Report(results=[result]), "text", color=False, width=140)
    assert "ServiceStack/Api/Resource" in text and "ServiceStack.template.json:" in text


def test_cli_takes_cdk_out_and_the_app_folder_as_one_input():
    for path in (FIXTURE, FIXTURE.parent):
        res = CliRunner().invoke(cli, ["analyze", str(path), "--format", "json",
                                       "--no-estimates", "-j", "1"])
        doc = json.loads(res.output)
        assert len(doc["results"]) == 1, path
        assert doc["results"][0]["system"]["kind"] == "cdk"


def test_unsynthesized_app_is_a_clear_error(tmp_path):
    (tmp_path / "cdk.json").write_text('{"app": "node app.js"}')
    with pytest.raises(AdvisorError) as exc:
        load_any(str(tmp_path))
    assert "npx cdk synth" in exc.value.render()


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI is set, so `make test` must have installed it")
    pytest.skip(reason)


def synthesize(out: Path) -> None:
    node = shutil.which("node")
    _require(node is not None, "needs Node.js (`node`) to synthesize the CDK test app")
    _require((APP / "node_modules" / "aws-cdk-lib").is_dir(),
             "needs aws-cdk-lib in tests/cdk/app/node_modules: run `make test` (or "
             "`make cdk-deps`)")
    subprocess.run([node, "app.js", str(out)], cwd=APP, check=True, timeout=300,
                   capture_output=True)


def test_synthesized_app(tmp_path):
    out = tmp_path / "cdk.out"
    synthesize(out)
    arch = load_any(str(out))
    check_assembly(arch)
    result = analyze_source(str(out), Options(estimates=False))
    paths = {f.construct_path for f in result.findings}
    assert "ServiceStack/Api/Resource" in paths and None not in paths
    # the committed fixture is this app's output: same templates, byte for byte
    for name in ("DataStack.template.json", "ServiceStack.template.json"):
        assert json.loads((out / name).read_text()) == json.loads((FIXTURE / name).read_text())
