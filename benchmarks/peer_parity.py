"""Parity with cfn-lint + cfn-lint-serverless (awslabs serverless-rules) on real templates.

For every CloudFormation/SAM template of the corpus, run cfn-lint with the serverless rules
(one process, all files), keep the serverless-rules findings (ES*/WS* ids), and check that
archadvisor reports a finding whose pattern lists that id among its `equivalents` on the
same resource (the node whose `source_id` is the resource's logical ID; for resources SAM
generates, such as `MyFunctionRole` or `MyFunctionStreamEvent`, the declared resource whose
logical ID is the longest prefix of it).

Run: `.venv/bin/python benchmarks/peer_parity.py [CORPUS_DIR]`; prints per-rule coverage.
tests/test_peer_parity.py runs the same comparison in CI.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "serverless-patterns"

# Peer findings that are known false positives (reference/peer-rules.md): a rule whose
# resource is of these shapes is not counted against us.
PEER_PREFIXES = ("ES", "WS")
IMPLICIT_APIS = frozenset({"ServerlessRestApi", "ServerlessHttpApi"})


@dataclass
class Parity:
    """Per-rule counts: peer findings, and how many archadvisor matched on the same resource."""

    peer: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (file, rule, resource)
    templates: int = 0
    peer_false_positives: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        total = sum(self.peer.values())
        return sum(self.matched.values()) / total if total else 1.0


def cfn_templates(corpus: Path) -> list[Path]:
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    out = []
    for entry in manifest["entries"]:
        if entry["format"] == "terraform":
            continue
        for name in entry["templates"]:
            path = corpus / entry["folder"] / name
            if path.is_file():
                out.append(path)
    return sorted(out)


def _lint_one(path: Path) -> tuple[str, list[tuple[str, str]] | None]:
    import cfnlint.api as cfnlint_api

    config = cfnlint_api.ManualArgs(append_rules=["cfn_lint_serverless.rules"])
    try:
        matches = cfnlint_api.lint_file(path, config=config)
    except Exception:  # cfn-lint's own crash on a template: not ours to judge
        return str(path.resolve()), None
    found = []
    for match in matches:
        rule = str(match.rule.id)
        loc = list(getattr(match, "path", None) or [])
        if rule.startswith(PEER_PREFIXES) and len(loc) >= 2 and loc[0] == "Resources":
            found.append((rule, str(loc[1])))
    return str(path.resolve()), found


def run_cfn_lint(paths: list[Path], jobs: int = 2) -> dict[str, list[tuple[str, str]]]:
    """(rule id, resource logical ID) per template, from cfn-lint's Python API.

    One template that crashes cfn-lint (it happens: a `Parameters:` with no value) is
    skipped and counted, instead of losing the whole run as the CLI does.
    """
    from concurrent.futures import ProcessPoolExecutor

    out: dict[str, list[tuple[str, str]]] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for name, found in pool.map(_lint_one, paths, chunksize=4):
            if found is None:
                CFN_LINT_CRASHES.append(name)
            else:
                out[name] = found
    return out


CFN_LINT_CRASHES: list[str] = []


def _owner(resource: str, by_source: dict[str, str], aliases: dict[str, str]) -> str | None:
    """The node a peer's resource id belongs to: itself, a folded resource, or (for resources
    SAM generates, `FnRole`, `FnStreamEvent`) the declared resource with the longest prefix."""
    if resource in by_source:
        return by_source[resource]
    if resource in aliases:
        return aliases[resource]
    prefixes = [s for s in by_source if resource.startswith(s)]
    return by_source[max(prefixes, key=len)] if prefixes else None


def _peer_false_positive(rule: str, node: str | None, arch: Any) -> str | None:
    """Why a peer finding is wrong, for the cases reference/peer-rules.md lists."""
    if node is None:
        return None
    graph = arch.graph
    kind = graph.nodes[node]["kind"]
    if rule == "ES6000" and kind == "sqs":
        referenced = any(
            node in (d.get("props", {}).get(k) for k in ("dlq", "on_failure"))
            for _, d in graph.nodes(data=True)
        ) or any(
            node in (d.get("props", {}).get(k) for k in ("dlq", "on_failure"))
            for _, _, d in graph.edges(data=True)
        )
        if graph.nodes[node]["props"].get("is_dlq") or referenced:
            return "queue is itself a dead-letter queue (serverless-rules issues 79, 153)"
    if rule == "ES2003" and kind == "apigw" and graph.nodes[node]["props"].get("throttling"):
        # serverless-rules reads only the stage's MethodSettings; a usage plan with a
        # Throttle limits every request of a stage whose routes require API keys
        return "the stage is throttled by a usage plan (every route requires an API key)"
    if rule in ("ES1005", "ES1006") and kind == "lambda":
        # issue 13: "not set" alone was debatable in 29 of 31 hand-audited cases; we flag
        # memory/timeout only where a consequence shows (PERF-LAMBDA-MEMORY/-TIMEOUT)
        return "MemorySize/Timeout merely not set: peer noise, flagged here only with a consequence"
    if rule == "ES1001" and kind == "lambda":
        sources = {graph.nodes[p]["kind"] for p in graph.predecessors(node)}
        if "sqs" in sources and not sources & {"kinesis", "dynamodb"}:
            return "SQS event source mappings take no on-failure destination (redrive instead)"
    return None


def compare(corpus: Path = DEFAULT_CORPUS) -> Parity:
    from advisor.engine import Engine
    from advisor.pipeline import Options, analyze_source

    paths = cfn_templates(corpus)
    parity = Parity(templates=len(paths))
    peer_by_file = run_cfn_lint(paths)
    equivalents: dict[str, set[str]] = {}
    for pattern in Engine.default().patterns:
        for peer_id in pattern.equivalents:
            equivalents.setdefault(peer_id, set()).add(pattern.id)
    options = Options(estimates=False)
    for path in paths:
        peers = sorted(set(peer_by_file.get(str(path.resolve()), [])))
        if not peers:
            continue
        result = analyze_source(str(path), options)
        if result.before is None:
            for rule, resource in peers:
                parity.peer[rule] += 1
                parity.misses.append((str(path), rule, resource + " (import failed)"))
            continue
        arch = result.before
        graph = arch.graph
        by_source = {graph.nodes[n].get("source_id") or n: n for n in graph.nodes}
        aliases = dict(getattr(arch, "aliases", {}) or {})
        flagged: set[tuple[str, str]] = set()
        for finding in result.findings:
            for node in finding.nodes:
                flagged.add((finding.rule, node))
        for rule, resource in peers:
            owner = _owner(resource, by_source, aliases)
            why = _peer_false_positive(rule, owner, arch)
            if why:
                parity.peer_false_positives.append((str(path.relative_to(corpus)), rule, resource, why))
                continue
            parity.peer[rule] += 1
            ours = equivalents.get(rule, set())
            # SAM builds an implicit API (ServerlessRestApi/ServerlessHttpApi) from a
            # function's Api events, and cfn-lint reports that API's stage at the function
            candidates = {owner} if owner is not None else set()
            if owner is not None:
                candidates |= {
                    n for n in graph.predecessors(owner)
                    if graph.nodes[n].get("source_id") in IMPLICIT_APIS
                }
            if any((r, c) in flagged for r in ours for c in candidates):
                parity.matched[rule] += 1
            else:
                parity.misses.append((str(path.relative_to(corpus)), rule, resource))
    return parity


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    parity = compare(corpus)
    print(f"templates: {parity.templates} (cfn-lint crashed on {len(CFN_LINT_CRASHES)})")
    print(f"{'peer rule':10} {'peer':>5} {'ours':>5}")
    for rule in sorted(parity.peer):
        print(f"{rule:10} {parity.peer[rule]:>5} {parity.matched[rule]:>5}")
    print(f"coverage: {parity.coverage:.3f} "
          f"({sum(parity.matched.values())}/{sum(parity.peer.values())})")
    print(f"peer false positives left out: {len(parity.peer_false_positives)}")
    for fp in parity.peer_false_positives:
        print("  peer FP:", *fp)
    for miss in parity.misses[:60]:
        print("  missed:", *miss)


if __name__ == "__main__":
    main()
