"""One design, four formats: the DSL, SAM, plain CloudFormation and Terraform give one graph.

Each folder of `samples/designs/` holds one architecture an architect would deploy,
written four times by hand: `design.arch` (the DSL), `sam.yaml` (SAM: its events,
policies, `DefinitionBody`, Globals where SAM has them), `cloudformation.yaml|.json`
(plain CloudFormation, no transform: event source mappings, methods, subscriptions, roles)
and `terraform/main.tf` (the AWS provider v5). Importing the four must give the same
graph; any difference is a bug of an importer (or of the DSL), fixed there for the general
case, never here.

**Names.** Each tool names resources its own way, so nodes are matched on a key: the name
lower-cased with everything but letters and digits removed. The DSL and Terraform use
snake_case (`order_queue`, the Terraform resource name, not its address), CloudFormation
and SAM the PascalCase logical id (`OrderQueue`); all three give `orderqueue`. A
resource that SAM generates keeps the name SAM gives it and the other formats use that
name (the state machine `RecordOrder` with an `EventBridgeRule` event `Placed` creates the
rule `RecordOrderPlaced`, `record_order_placed` in Terraform and the DSL). The entry node
is `clients` everywhere. Two nodes of one format with the same key fail the test.

**What is compared**, on every node and edge:
- the nodes (by key) and their kind;
- every node prop, internal units (bytes, ms), with props naming a node (`dlq`,
  `on_failure`, `on_success`, `enrichment`) compared by that node's key; except
  `NOT_COMPARED_NODE_PROPS` below, each with the reason it is not comparable;
- the edges (by the keys of their ends), their mode and every edge prop (batch, window,
  bisect, retries, max_age, on_failure, dlq, integration, action, wait, invocation,
  transform, ...), node-valued ones by key;
- the edge label where it means something the engine and estimates read: a failure path
  (`on failure`, `on success`), an `authorizer` call, an `enrichment`, a `filtered`
  delivery. Other labels (`env TABLE_NAME`, the name of a Step Functions state, the event
  types of an S3 notification) say where the edge was read from; they are left out.

What a format cannot say is not compared, and which one is stated here:
- `permissions` (the IAM actions a function's role grants) is read from Terraform only:
  SAM policy templates (`DynamoDBCrudPolicy`) expand into actions at deploy time, so the
  SAM and CloudFormation sides would disagree by construction; the edges those
  permissions imply are compared on every side.
- `description` is free text.
- `code`, `glue`, `glue_evidence`, `glue_target` come from handler inspection, which
  depends on the code beside the template, not on the format (the samples ship none).

Each SAM and CloudFormation sample must also pass cfn-lint (no error), and each SAM sample
must agree with SAM's own expansion of it (aws-sam-translator): the samples are templates
the tools would deploy, not shapes written to please the importers.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from advisor.importers import edge_labels

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "samples" / "designs"
FORMATS = ("dsl", "sam", "cloudformation", "terraform")

NOT_COMPARED_NODE_PROPS = frozenset({
    "permissions",  # Terraform only (see the module docstring)
    "description",  # free text
    "code", "glue", "glue_evidence", "glue_target",  # handler inspection, not the format
})
NODE_VALUED_PROPS = frozenset({"dlq", "on_failure", "on_success", "enrichment"})
# labels with a meaning downstream (failure paths, authorizer calls, enrichment, filters)
MEANINGFUL_LABELS = edge_labels.MEANINGFUL
_TF_ADDRESS = re.compile(r"^(?:module\.[^.]+(?:\[[^\]]*\])?\.)*(?:data\.)?[a-z0-9_]+\.([A-Za-z0-9_-]+)"
                         r"(?:\[\"?([^\]\"]*)\"?\])?$")


def key_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def design_files(folder: Path) -> dict[str, Path]:
    """The four inputs of one design folder."""
    cfn = folder / "cloudformation.yaml"
    if not cfn.exists():
        cfn = folder / "cloudformation.json"
    return {"dsl": folder / "design.arch", "sam": folder / "sam.yaml",
            "cloudformation": cfn, "terraform": folder / "terraform"}


@dataclass
class Graph:
    """One imported design, seen through keys."""

    nodes: dict[str, dict[str, Any]]  # key -> {"kind", "props"}
    edges: dict[tuple[str, str], dict[str, Any]]  # (key, key) -> {"mode", "label", "props"}
    clashes: list[str]


def _source_name(data: dict[str, Any], name: str) -> str:
    """The name the author wrote: the Terraform resource name (with its instance key), the
    logical id, or the DSL name."""
    sid = str(data.get("source_id") or name)
    m = _TF_ADDRESS.match(sid)
    if m and "." in sid:
        return m.group(1) + (f"_{m.group(2)}" if m.group(2) else "")
    return sid


def canonical(arch: Any) -> Graph:
    g = arch.graph
    key: dict[str, str] = {}
    clashes: list[str] = []
    seen: dict[str, str] = {}
    for name in sorted(g.nodes):
        k = key_of(_source_name(g.nodes[name], name))
        if k in seen:
            clashes.append(f"{seen[k]} and {name} both have the key {k!r}")
        seen[k] = name
        key[name] = k

    def by_key(prop: str, value: Any) -> Any:
        if prop in NODE_VALUED_PROPS and isinstance(value, str) and value in key:
            return key[value]
        return value

    nodes = {}
    for name in g.nodes:
        data = g.nodes[name]
        props = {p: by_key(p, v) for p, v in data["props"].items()
                 if p not in NOT_COMPARED_NODE_PROPS}
        nodes[key[name]] = {"kind": data["kind"], "props": props}
    edges = {}
    for a, b, data in g.edges(data=True):
        label = str(data.get("label") or "").lower()
        edges[(key[a], key[b])] = {
            "mode": data.get("mode"),
            "label": label if label in MEANINGFUL_LABELS else None,
            "props": {p: by_key(p, v) for p, v in (data.get("props") or {}).items()},
        }
    return Graph(nodes, edges, clashes)


def load(path: Path) -> Graph:
    from advisor.importers import load_any

    return canonical(load_any(str(path)))


def differences(reference: Graph, other: Graph, ref_label: str, label: str) -> list[str]:
    """Every way `other` differs from `reference`, one line each."""
    out = [f"{label}: {c}" for c in other.clashes]
    for k in sorted(set(reference.nodes) | set(other.nodes)):
        a, b = reference.nodes.get(k), other.nodes.get(k)
        if a is None or b is None:
            where = label if a is None else ref_label
            kind = (b or a or {}).get("kind")
            out.append(f"node {k} ({kind}) only in {where}")
            continue
        if a["kind"] != b["kind"]:
            out.append(f"node {k}: kind {ref_label} {a['kind']} vs {label} {b['kind']}")
        for p in sorted(set(a["props"]) | set(b["props"])):
            va, vb = a["props"].get(p), b["props"].get(p)
            if va != vb:
                out.append(f"node {k}: prop {p} {ref_label} {va!r} vs {label} {vb!r}")
    for e in sorted(set(reference.edges) | set(other.edges)):
        a, b = reference.edges.get(e), other.edges.get(e)
        edge = f"{e[0]} -> {e[1]}"
        if a is None or b is None:
            out.append(f"edge {edge} only in {label if a is None else ref_label}")
            continue
        for field in ("mode", "label"):
            if a[field] != b[field]:
                out.append(f"edge {edge}: {field} {ref_label} {a[field]!r} vs {label} "
                           f"{b[field]!r}")
        for p in sorted(set(a["props"]) | set(b["props"])):
            va, vb = a["props"].get(p), b["props"].get(p)
            if va != vb:
                out.append(f"edge {edge}: prop {p} {ref_label} {va!r} vs {label} {vb!r}")
    return out


def compare_design(folder: Path) -> list[str]:
    files = design_files(folder)
    graphs = {fmt: load(files[fmt]) for fmt in FORMATS}
    out = [f"dsl: {c}" for c in graphs["dsl"].clashes]
    for fmt in FORMATS[1:]:
        out.extend(differences(graphs["dsl"], graphs[fmt], "dsl", fmt))
    return out


DESIGN_DIRS = sorted(p for p in DESIGNS.iterdir() if p.is_dir()) if DESIGNS.is_dir() else []


def test_designs_cover_the_issue() -> None:
    """At least 5 designs, together using API integrations, queues, topics, rules, streams
    and state machines, each written in all four formats."""
    assert len(DESIGN_DIRS) >= 5
    kinds: set[str] = set()
    for folder in DESIGN_DIRS:
        files = design_files(folder)
        assert all(p.exists() for p in files.values()), folder
        assert (files["terraform"] / "main.tf").is_file(), folder
        kinds |= {n["kind"] for n in load(files["dsl"]).nodes.values()}
    assert {"apigw", "sqs", "sns", "eventbridge", "kinesis", "sfn"} <= kinds


@pytest.mark.parametrize("folder", DESIGN_DIRS, ids=[p.name for p in DESIGN_DIRS])
def test_four_formats_give_one_graph(folder: Path) -> None:
    assert compare_design(folder) == []


def test_cross_format_figure(record_figure: Any) -> None:
    """The figure CI prints: designs whose four formats give one graph."""
    agreeing = sum(1 for folder in DESIGN_DIRS if not compare_design(folder))
    record_figure("designs giving one graph in DSL, SAM, CloudFormation and Terraform",
                  f"{agreeing}/{len(DESIGN_DIRS)}")
    assert agreeing == len(DESIGN_DIRS)


@pytest.mark.parametrize("folder", DESIGN_DIRS, ids=[p.name for p in DESIGN_DIRS])
def test_design_is_not_trivial(folder: Path) -> None:
    """A comparison of empty graphs would pass: each design has nodes with props and
    edges, some of them with props."""
    graph = load(design_files(folder)["dsl"])
    assert len(graph.nodes) >= 5 and len(graph.edges) >= 4
    assert sum(1 for n in graph.nodes.values() if n["props"]) >= 4
    assert any(e["props"] for e in graph.edges.values())


def _sam_templates() -> list[Path]:
    return [design_files(d)["sam"] for d in DESIGN_DIRS]


def _cfn_templates() -> list[Path]:
    return [design_files(d)[fmt] for d in DESIGN_DIRS for fmt in ("sam", "cloudformation")]


@pytest.mark.parametrize("template", _cfn_templates(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cloudformation_and_sam_samples_pass_cfn_lint(template: Path) -> None:
    """The samples are templates CloudFormation would take: cfn-lint (in the dev extra)
    reports no error on them."""
    api = pytest.importorskip("cfnlint.api", reason="cfn-lint is in the dev extra")
    errors = [f"{m.rule.id} {m.message} ({m.linenumber}:{m.columnnumber})"
              for m in api.lint_file(template) if m.rule.id.startswith("E")]
    assert errors == []


@pytest.mark.parametrize("template", _sam_templates(), ids=lambda p: p.parent.name)
def test_sam_sample_agrees_with_sams_own_expansion(template: Path, tmp_path: Path) -> None:
    """SAM's translator (`aws-sam-translator`, dev extra) is the oracle for what the SAM
    sample deploys. A state machine's local `DefinitionUri` is inlined first, which is
    what `sam package` makes of it (the translator itself accepts only S3 URIs)."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is in the dev extra")
    import json

    from samtranslator.yaml_helper import yaml_parse

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import sam_equivalence
    finally:
        sys.path.pop(0)
    data = yaml_parse(template.read_text("utf-8"))
    for res in data["Resources"].values():
        props = res.get("Properties") or {}
        uri = props.get("DefinitionUri")
        if res["Type"] == "AWS::Serverless::StateMachine" and isinstance(uri, str) \
                and not uri.startswith("s3://"):
            props["Definition"] = json.loads((template.parent / props.pop("DefinitionUri"))
                                             .read_text("utf-8"))
    packaged, expanded = tmp_path / "packaged.json", tmp_path / "expanded.json"
    packaged.write_text(json.dumps(data), "utf-8")
    assert sam_equivalence.expand_with_sam(packaged, expanded) is None  # SAM accepts it
    result = sam_equivalence.compare_files(template.parent.name, template, expanded)
    assert result is not None
    assert [f"{d.category}: {d.detail}" for d in result.differences] == []


if __name__ == "__main__":  # print the differences of the designs named (or all)
    names = sys.argv[1:] or [p.name for p in DESIGN_DIRS]
    for name in names:
        diffs = compare_design(DESIGNS / name)
        print(f"{name}: {len(diffs)} difference(s)")
        for d in diffs:
            print(f"  {d}")
