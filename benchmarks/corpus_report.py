"""Corpus report: import every template of the labelled corpus and measure.

Prints: templates imported (and failures), nodes/edges found, resource types without a
catalog kind, how many folded template resources `arch.aliases` maps to a node, agreement
of the handler inspection with the manifest's `lambda_glue`
labels (precision/recall on high+medium confidence; low confidence reported apart), and
import throughput in templates/s beside cfn-lint on the same CloudFormation files.

Usage: .venv/bin/python benchmarks/corpus_report.py [--corpus DIR] [--json] [--no-lint]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.errors import AdvisorError  # noqa: E402
from advisor.importers import load_any  # noqa: E402
from advisor.model import Architecture  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "serverless-patterns"


def inputs_of(corpus: Path, entry: dict[str, Any]) -> list[Path]:
    """The files (CloudFormation/SAM) or folder (Terraform: one module) an entry imports."""
    folder = corpus / entry["folder"]
    if entry["format"] == "terraform":
        # the root module: the shallowest folder holding the entry's .tf files
        dirs = sorted({(folder / t).parent for t in entry["templates"]},
                      key=lambda d: (len(d.parts), str(d)))
        return [dirs[0] if dirs else folder]
    return [folder / t for t in entry["templates"]]


def find_function(archs: list[Architecture], fid: str) -> tuple[Architecture, str] | None:
    for arch in archs:
        for name in arch.node_names():
            data = arch.graph.nodes[name]
            sid = data.get("source_id") or name
            if data["kind"] == "lambda" and (sid == fid or sid.startswith(fid + ".")
                                              or sid.endswith("." + fid)):
                return arch, name
    return None


KIND_OF = {"apigateway": "apigw", "apigatewayv2": "apigw", "stepfunctions": "sfn",
           "http": "http", "api-destination": "http", "httpendpoint": "http",
           "batch": "resource", "rekognition": "resource", "iot": "resource",
           "amazonmq": "resource"}


def expected_edges(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, source kind, target kind) for the manifest's direct integrations."""
    out = []
    for item in entry.get("direct_integrations") or []:
        text = item.split(" (")[0]
        if "mock" in text:
            continue
        if text.startswith("pipes:"):
            a, b = text[len("pipes:"):].split("->")
            out.append((item, KIND_OF.get(a, a), "pipes"))
            out.append((item, "pipes", KIND_OF.get(b, b)))
        else:
            a, b = text.split("->")
            out.append((item, KIND_OF.get(a, a), KIND_OF.get(b, b)))
    return out


def has_edge(archs: list[Architecture], src: str, dst: str) -> bool:
    return any(arch.kind(a) == src and arch.kind(b) == dst
               for arch in archs for a, b in arch.graph.edges)


def alias_coverage(arch: Architecture, path: Path, out: dict[str, Any]) -> None:
    """Count the template's resources that are not nodes, and those `arch.aliases` maps.

    CloudFormation: the ids under `Resources`; Terraform: every managed `aws_*` resource
    of the module tree. Ids in `aliases` that the template does not declare are the ones
    SAM generates (`FnRole`, `ServerlessRestApiProdStage`).
    """
    nodes = {str(d.get("source_id") or n) for n, d in arch.graph.nodes(data=True)}
    if arch.format == "terraform":
        from advisor.importers.terraform.module import load_workspace

        declared = {r.address: r.type for r in load_workspace(str(path)).resources()
                    if not r.data and r.type.startswith("aws_")}
    else:
        from advisor.importers.cloudformation.template import load_template

        res = load_template(path.read_text("utf-8"), str(path)).get("Resources") or {}
        declared = {str(k): str(v.get("Type")) for k, v in res.items() if isinstance(v, dict)}
    fmt = "terraform" if arch.format == "terraform" else "cloudformation"
    for rid, rtype in declared.items():
        if rid in nodes:
            continue
        out["alias_folded"][fmt] += 1
        if rid in arch.aliases:
            out["alias_mapped"][fmt] += 1
        else:
            out["alias_unmapped_types"][rtype] += 1
    out["alias_generated"] += sum(1 for k in arch.aliases if k not in declared)


def run(corpus: Path) -> dict[str, Any]:
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    out: dict[str, Any] = {"templates": 0, "imported": 0, "input_errors": [], "crashes": [],
                           "nodes": 0, "edges": 0, "unknown_types": Counter(),
                           "by_format": Counter(), "edges_expected": 0, "edges_found": 0,
                           "edges_missing": [], "alias_folded": Counter(),
                           "alias_mapped": Counter(), "alias_unmapped_types": Counter(),
                           "alias_generated": 0}
    glue_rows = []
    started = time.perf_counter()
    cfn_files: list[Path] = []
    for entry in manifest["entries"]:
        archs: list[Architecture] = []
        for path in inputs_of(corpus, entry):
            out["templates"] += 1
            if entry["format"] != "terraform":
                cfn_files.append(path)
            try:
                arch = load_any(str(path))
            except AdvisorError as exc:
                out["input_errors"].append(f"{path}: {exc}")
                continue
            except Exception:  # a crash: what this report exists to catch
                out["crashes"].append(f"{path}: {traceback.format_exc(limit=3)}")
                continue
            out["imported"] += 1
            out["by_format"][arch.format] += 1
            archs.append(arch)
            out["nodes"] += arch.graph.number_of_nodes()
            out["edges"] += arch.graph.number_of_edges()
            alias_coverage(arch, path, out)
            for _, data in arch.graph.nodes(data=True):
                if data["kind"] == "resource":
                    out["unknown_types"][str(data["props"].get("type", "?"))] += 1
        for label, src, dst in expected_edges(entry):
            out["edges_expected"] += 1
            if has_edge(archs, src, dst):
                out["edges_found"] += 1
            else:
                out["edges_missing"].append(f"{entry['folder']}: {label}")
        labels = {g["function"]: g for g in entry.get("lambda_glue") or []}
        seen: dict[tuple[int, str], dict[str, Any]] = {}
        for fn in entry.get("lambda_functions") or []:
            fid = fn["id"]
            found = find_function(archs, fid)
            props = found[0].props(found[1]) if found else {}
            label = labels.get(fid)
            key = (id(found[0]), found[1]) if found else None
            if key is not None and key in seen:
                # the manifest lists one function twice (a module and the function in it)
                if label:
                    seen[key]["label"] = label["confidence"]
                continue
            glue_rows.append({
                "entry": entry["folder"], "function": fid, "found": found is not None,
                "label": label["confidence"] if label else "none",
                "predicted": props.get("glue") is True,
                "verdict": props.get("glue"),
                "evidence": props.get("glue_evidence"),
                "direct_integration": bool(entry.get("direct_integration")),
            })
            if key is not None:
                seen[key] = glue_rows[-1]
    out["seconds"] = time.perf_counter() - started
    out["glue"] = glue_rows
    out["cfn_files"] = cfn_files
    return out


def glue_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    main = [r for r in rows if r["label"] in ("high", "medium", "none")]
    tp = sum(1 for r in main if r["predicted"] and r["label"] != "none")
    fp = sum(1 for r in main if r["predicted"] and r["label"] == "none")
    fn = sum(1 for r in main if not r["predicted"] and r["label"] != "none")
    low = [r for r in rows if r["label"] == "low"]
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "tp": tp, "fp": fp, "fn": fn,
        "low_flagged": sum(1 for r in low if r["predicted"]), "low_total": len(low),
        "false_glue_with_native": sum(
            1 for r in main if r["predicted"] and r["label"] == "none" and r["direct_integration"]
        ),
        "missing_functions": [r["function"] for r in rows if not r["found"]],
        "false_positives": [f"{r['entry']}:{r['function']}" for r in main
                            if r["predicted"] and r["label"] == "none"],
        "false_negatives": [f"{r['entry']}:{r['function']} ({r['verdict']}, {r['evidence']})"
                            for r in main if not r["predicted"] and r["label"] != "none"],
    }


def throughput(files: list[Path], lint: bool, rounds: int = 3) -> dict[str, Any]:
    """Templates/s of `load_any` and of cfn-lint over the same CloudFormation files."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for f in files:
            with contextlib.suppress(AdvisorError):
                load_any(str(f))
        best = min(best, time.perf_counter() - t0)
    result: dict[str, Any] = {"files": len(files), "import_seconds": round(best, 3),
                              "import_per_s": round(len(files) / best, 1)}
    if not lint:
        return result
    exe = Path(sys.executable).with_name("cfn-lint")
    if not exe.exists():
        result["cfn_lint"] = "not installed"
        return result
    # One cfn-lint process over all files, the way it is run in CI (start-up included once).
    t0 = time.perf_counter()
    subprocess.run([str(exe), "--format", "quiet", *map(str, files)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    lint_s = time.perf_counter() - t0
    result["cfn_lint_seconds"] = round(lint_s, 3)
    result["cfn_lint_per_s"] = round(len(files) / lint_s, 2)
    result["ratio"] = round((len(files) / best) / (len(files) / lint_s), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--no-lint", action="store_true", help="skip the cfn-lint comparison")
    args = ap.parse_args(argv)
    if not (args.corpus / "manifest.yaml").is_file():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    res = run(args.corpus)
    scores = glue_scores(res["glue"])
    speed = throughput(res["cfn_files"], lint=not args.no_lint)
    summary = {
        "templates": res["templates"], "imported": res["imported"],
        "input_errors": res["input_errors"], "crashes": res["crashes"],
        "by_format": dict(res["by_format"]),
        "nodes": res["nodes"], "edges": res["edges"],
        "direct_integration_edges": {"expected": res["edges_expected"],
                                     "found": res["edges_found"],
                                     "missing": res["edges_missing"]},
        "unknown_types": dict(sorted(res["unknown_types"].items())),
        "aliases": {"folded": dict(res["alias_folded"]), "mapped": dict(res["alias_mapped"]),
                    "unmapped_types": dict(sorted(res["alias_unmapped_types"].items())),
                    "sam_generated": res["alias_generated"]},
        "glue": scores, "throughput": speed,
    }
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(f"templates imported: {res['imported']}/{res['templates']} "
          f"(input errors {len(res['input_errors'])}, crashes {len(res['crashes'])}); "
          f"by format {dict(res['by_format'])}")
    for line in res["input_errors"] + res["crashes"]:
        print("  ", line.splitlines()[0])
    print(f"nodes: {res['nodes']}  edges: {res['edges']}")
    print(f"labelled native-integration edges found: {res['edges_found']}/"
          f"{res['edges_expected']}")
    for line in res["edges_missing"]:
        print(f"  missing: {line}")
    print(f"types without a catalog kind ({sum(res['unknown_types'].values())} nodes): "
          + ", ".join(f"{t} x{n}" for t, n in sorted(res["unknown_types"].items())))
    folded, mapped = res["alias_folded"], res["alias_mapped"]
    print(f"aliases: {sum(mapped.values())}/{sum(folded.values())} folded template resources map "
          f"to a node (CloudFormation {mapped['cloudformation']}/{folded['cloudformation']}, "
          f"Terraform {mapped['terraform']}/{folded['terraform']}); "
          f"{res['alias_generated']} SAM-generated ids")
    if res["alias_unmapped_types"]:
        print("  not mapped: " + ", ".join(
            f"{t} x{n}" for t, n in sorted(res["alias_unmapped_types"].items())))
    s = scores
    print(f"glue (high+medium labels): precision {s['precision']:.2f}  recall {s['recall']:.2f}"
          f"  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    print(f"glue (low labels, reported apart): flagged {s['low_flagged']}/{s['low_total']}")
    print(f"false glue where the template already integrates natively: "
          f"{s['false_glue_with_native']}")
    for label, items in (("false positives", s["false_positives"]),
                         ("false negatives", s["false_negatives"]),
                         ("functions not found", s["missing_functions"])):
        if items:
            print(f"  {label}: " + "; ".join(items))
    print(f"throughput: {speed['import_per_s']} templates/s over {speed['files']} CFN/SAM files"
          + (f"; cfn-lint {speed['cfn_lint_per_s']} templates/s; ratio x{speed['ratio']}"
             if "ratio" in speed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
