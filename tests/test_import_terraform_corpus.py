"""Every Terraform entry of the serverless-patterns corpus imports, with its real edges.

The manifest's `direct_integrations` are hand-checked labels (`apigateway->sqs`,
`pipes:dynamodb->stepfunctions` = source -> pipe -> target); each must appear as an edge
between nodes of those kinds. Glue labels are checked against handler inspection.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from conftest import SHARED, shared_path

from advisor.importers.terraform import import_terraform

CORPUS = SHARED / "corpus" / "serverless-patterns"

# manifest service names -> catalog kinds
SERVICE_KIND = {
    "apigateway": "apigw",
    "apigatewayv2": "apigw",
    "stepfunctions": "sfn",
    "states": "sfn",
    "events": "eventbridge",
    "eventbridge": "eventbridge",
    "lambda": "lambda",
    "sqs": "sqs",
    "sns": "sns",
    "s3": "s3",
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "firehose": "firehose",
    "logs": "logs",
    "scheduler": "scheduler",
    "pipes": "pipes",
}


def _entries() -> list[dict]:
    shared_path("corpus", "serverless-patterns", marker="manifest.yaml")
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
    return [e for e in manifest["entries"] if e["format"] == "terraform"]


@functools.cache
def _imported(path: str):
    """One import per module for the whole file (the tests only read the result)."""
    return import_terraform(path)


def _module_dir(entry: dict) -> Path:
    """The root module: the folder of the first template (e.g. `tf/` for some patterns)."""
    return CORPUS / entry["folder"] / Path(entry["templates"][0]).parent


def expected_kind_pairs(label: str) -> list[tuple[str, str]]:
    """`a->b (note)` -> [(a, b)]; `pipes:a->b` -> [(a, pipes), (pipes, b)]."""
    text = label.split(" ")[0]
    via = None
    if ":" in text:
        via, text = text.split(":", 1)
    a, b = (SERVICE_KIND[s] for s in text.split("->"))
    if via:
        return [(a, SERVICE_KIND[via]), (SERVICE_KIND[via], b)]
    return [(a, b)]


def test_every_terraform_entry_imports():
    entries = _entries()
    assert len(entries) >= 20
    for entry in entries:
        arch = _imported(str(_module_dir(entry)))
        assert arch.format == "terraform"
        assert len(arch.graph) > 0, entry["folder"]
        for _a, _b, data in arch.graph.edges(data=True):
            assert data["mode"] in ("sync", "async", "stream", "poll")


def test_direct_integrations_are_edges():
    found = total = 0
    missing = []
    for entry in _entries():
        arch = _imported(str(_module_dir(entry)))
        pairs = {(arch.kind(a), arch.kind(b)) for a, b in arch.graph.edges}
        for label in entry.get("direct_integrations") or []:
            total += 1
            if all(p in pairs for p in expected_kind_pairs(label)):
                found += 1
            else:
                missing.append(f"{entry['folder']}: {label}")
    assert total >= 15
    # measured 23/23 when written; allow a little slack for corpus refreshes
    assert found / total >= 0.9, missing


def test_core_wiring_edges_seen_in_corpus():
    """The edge families the issue names each appear somewhere in the corpus import."""
    seen: set[tuple[str, str]] = set()
    for entry in _entries():
        arch = _imported(str(_module_dir(entry)))
        seen |= {(arch.kind(a), arch.kind(b)) for a, b in arch.graph.edges}
    for pair in [
        ("apigw", "lambda"),
        ("sqs", "lambda"),
        ("sns", "sqs"),
        ("s3", "lambda"),
        ("eventbridge", "sfn"),
        ("kinesis", "lambda"),
        ("dynamodb", "lambda"),
        ("firehose", "s3"),
    ]:
        assert pair in seen, pair


def test_glue_labels_agree_with_handler_inspection():
    """Labelled glue functions come out glue=true; none of the others does."""
    true_pos = false_pos = false_neg = 0
    for entry in _entries():
        arch = _imported(str(_module_dir(entry)))
        labels = {g["function"] for g in entry.get("lambda_glue") or []}
        for name in arch.nodes_of_kind("lambda"):
            sid = arch.graph.nodes[name]["source_id"]
            # a module's function is labelled by its module call (`module.x`)
            labelled = sid in labels or any(sid.startswith(lab + ".") for lab in labels)
            glue = arch.props(name).get("glue") is True
            true_pos += glue and labelled
            false_pos += glue and not labelled
            false_neg += labelled and not glue
    assert true_pos + false_neg > 0
    precision = true_pos / max(true_pos + false_pos, 1)
    recall = true_pos / (true_pos + false_neg)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_every_component_resource_is_a_node_or_noted():
    """No silently dropped resource: each aws_* resource is a node, consumed, or noted."""
    from advisor import catalog
    from advisor.importers.terraform.importer import is_consumed
    from advisor.importers.terraform.module import load_workspace

    for entry in _entries():
        path = str(_module_dir(entry))
        arch = _imported(path)
        ids = {arch.graph.nodes[n].get("source_id") for n in arch.graph}
        noted = " ".join(n.message for n in arch.notes)
        for res in load_workspace(path).resources():
            if catalog.kind_for_terraform(res.type) or not is_consumed(res.type):
                # a node, a note, or folded into a node (a function's log group)
                assert res.address in ids or res.address.split(".", 1)[-1] in noted or (
                    f"{res.type}.{res.name}" in noted
                ) or arch.aliases.get(res.address) in arch.graph, (entry["folder"], res.address)
            else:
                assert res.type in noted, (entry["folder"], res.type)
