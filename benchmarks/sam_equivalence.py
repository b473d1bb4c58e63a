"""SAM equivalence: a SAM template and SAM's own expansion of it must give one architecture.

The AWS SAM translator's test suite pairs each SAM input (`input/NAME.yaml`) with the plain
CloudFormation it expands to (`output/NAME.json`, SAM's answer to "what does this
deploy"). Importing both must give the same graph on the resources the user wrote, so any
difference is a bug in one of the two import paths (or a limit of SAM or of this
comparison, documented per pair in `sam_equivalence_limits.yaml`).

What is compared, for each pair whose output has `Resources`:
- nodes: the logical ids the user wrote (a node on one side only is a difference), and
  the ids SAM generates that both sides import as nodes (`ServerlessRestApi`, the rule of
  a Schedule event, the `clients` entry node); Connector resources are wiring and left out;
- node kind and props (`description` left out; props naming a node compare by logical id);
- edges between compared nodes, a path through nodes present on one side only (an
  external placeholder, a queue only one side creates) contracted into one edge;
- edge mode, label and props, where the edge is direct on both sides (a contracted path
  has no single mode to compare, only its existence).

Prints pairs compared, pairs agreeing, and each difference category with its count and
two examples. Usage:

    .venv/bin/python benchmarks/sam_equivalence.py [--corpus DIR] [--json] [--pair NAME]
    .venv/bin/python benchmarks/sam_equivalence.py --expand my/template.yaml ...

`--expand` runs the same comparison on any SAM templates, expanding each with the AWS SAM
translator (`aws-sam-translator`, in the dev extra) as the oracle.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from advisor.errors import AdvisorError  # noqa: E402
from advisor.importers import load_any  # noqa: E402
from advisor.importers.cloudformation.template import load_template  # noqa: E402
from advisor.model import Architecture  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "sam-translator"
LIMITS_FILE = Path(__file__).resolve().parent / "sam_equivalence_limits.yaml"
CONNECTOR = "AWS::Serverless::Connector"
IGNORED_NODE_PROPS = frozenset({"description"})
# props whose value is the name of another node: compared by that node's logical id
NODE_VALUED_PROPS = frozenset({"dlq", "on_failure", "on_success", "enrichment"})


@dataclass
class Difference:
    category: str
    detail: str


@dataclass
class PairResult:
    name: str
    differences: list[Difference] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences


# ---------------------------------------------------------------------- one side
@dataclass
class Side:
    """One imported architecture, seen through logical ids."""

    label: str
    arch: Architecture
    by_id: dict[str, str]  # source id -> node name
    id_of: dict[str, str]  # node name -> source id

    @classmethod
    def of(cls, label: str, arch: Architecture) -> Side:
        by_id: dict[str, str] = {}
        id_of: dict[str, str] = {}
        for name in arch.node_names():
            sid = str(arch.graph.nodes[name].get("source_id") or name)
            by_id.setdefault(sid, name)
            id_of[name] = sid
        return cls(label, arch, by_id, id_of)

    def kind(self, sid: str) -> str:
        return self.arch.kind(self.by_id[sid])

    def props(self, sid: str) -> dict[str, Any]:
        props = self.arch.graph.nodes[self.by_id[sid]]["props"]
        return {k: self._by_id(k, v) for k, v in props.items() if k not in IGNORED_NODE_PROPS}

    def _by_id(self, key: str, value: Any) -> Any:
        if key in NODE_VALUED_PROPS and isinstance(value, str):
            return self.id_of.get(value, value)
        return value

    def edges(self, keep: set[str]) -> dict[tuple[str, str], dict[str, Any] | None]:
        """Edges between kept ids; paths through other nodes contracted into one edge.

        The value is the edge's mode/label/props when the edge is direct, None for a
        contracted path (it has no single mode)."""
        g = self.arch.graph
        out: dict[tuple[str, str], dict[str, Any] | None] = {}
        for sid in sorted(keep):
            start = self.by_id[sid]
            for nxt in sorted(g.successors(start)):
                nsid = self.id_of[nxt]
                if nsid in keep:
                    data = g.edges[start, nxt]
                    out[(sid, nsid)] = {
                        "mode": data.get("mode"),
                        "label": data.get("label"),
                        "props": {k: self._by_id(k, v) for k, v in data["props"].items()},
                    }
            # contracted paths: walk through nodes that are not kept
            seen = {start}
            stack = [n for n in g.successors(start) if self.id_of[n] not in keep]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                for nxt in g.successors(node):
                    nsid = self.id_of[nxt]
                    if nsid in keep:
                        if nsid != sid:
                            out.setdefault((sid, nsid), None)
                    elif nxt not in seen:
                        stack.append(nxt)
        return out


# ---------------------------------------------------------------------- one pair
def user_ids(template: Any) -> dict[str, str]:
    """Logical id -> type of every resource the user wrote (Connectors left out)."""
    resources = template.get("Resources") if isinstance(template, dict) else None
    out: dict[str, str] = {}
    for lid, res in (resources or {}).items():
        rtype = res.get("Type") if isinstance(res, dict) else None
        if rtype != CONNECTOR:
            out[str(lid)] = str(rtype)
    return out


def _connectors(template: Any) -> set[str]:
    resources = template.get("Resources") if isinstance(template, dict) else None
    return {str(lid) for lid, res in (resources or {}).items()
            if isinstance(res, dict) and res.get("Type") == CONNECTOR}


def _load(path: Path) -> Architecture | str:
    try:
        return load_any(str(path))
    except AdvisorError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        return f"input error: {first.message if first else exc}"
    except Exception as exc:  # a crash is a finding of this benchmark
        return f"crash: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"


def compare_pair(corpus: Path, name: str) -> PairResult | None:
    """The differences between the two imports of pair `name`; None when SAM rejects it."""
    return compare_files(name, corpus / "input" / f"{name}.yaml",
                         corpus / "output" / f"{name}.json")


def compare_files(name: str, in_path: Path, out_path: Path) -> PairResult | None:
    """The differences between a SAM template and its expansion (a JSON file); None when
    the expansion has no Resources (SAM rejected the input)."""
    expanded = json.loads(out_path.read_text("utf-8"))
    if not isinstance(expanded.get("Resources"), dict):
        return None
    result = PairResult(name)
    sam_arch, cfn_arch = _load(in_path), _load(out_path)
    for label, got in (("SAM", sam_arch), ("CFN", cfn_arch)):
        if isinstance(got, str):
            result.differences.append(Difference(f"import fails on the {label} side",
                                                 got.splitlines()[0]))
    if not isinstance(sam_arch, Architecture) or not isinstance(cfn_arch, Architecture):
        return result
    template = load_template(in_path.read_text("utf-8"), str(in_path))
    written = user_ids(template)
    connectors = _connectors(template)
    sam, cfn = Side.of("SAM", sam_arch), Side.of("CFN", cfn_arch)
    both = (set(sam.by_id) & set(cfn.by_id)) - connectors
    diffs = result.differences
    for lid in sorted(written):
        on_sam, on_cfn = lid in sam.by_id, lid in cfn.by_id
        if on_sam != on_cfn:
            side, other = (sam, "CFN") if on_sam else (cfn, "SAM")
            diffs.append(Difference(
                f"node missing on the {other} side ({side.kind(lid)})",
                f"{lid} ({written[lid]})"))
    for sid in sorted(both):
        k1, k2 = sam.kind(sid), cfn.kind(sid)
        if k1 != k2:
            diffs.append(Difference(f"node kind differs ({k1} vs {k2})", sid))
            continue
        p1, p2 = sam.props(sid), cfn.props(sid)
        for key in sorted(set(p1) | set(p2)):
            if p1.get(key) != p2.get(key):
                diffs.append(Difference(
                    f"node prop `{key}` differs ({k1})",
                    f"{sid}: SAM {p1.get(key)!r} vs CFN {p2.get(key)!r}"))
    e1, e2 = sam.edges(both), cfn.edges(both)
    for a, b in sorted(set(e1) | set(e2)):
        kinds = f"{sam.kind(a)} -> {sam.kind(b)}"
        if (a, b) not in e2:
            diffs.append(Difference(f"edge only on the SAM side ({kinds})", f"{a} -> {b}"))
            continue
        if (a, b) not in e1:
            diffs.append(Difference(f"edge only on the CFN side ({kinds})", f"{a} -> {b}"))
            continue
        d1, d2 = e1[(a, b)], e2[(a, b)]
        if d1 is None or d2 is None:
            continue
        if d1["mode"] != d2["mode"]:
            diffs.append(Difference(f"edge mode differs ({kinds}: SAM {d1['mode']} vs CFN "
                                    f"{d2['mode']})", f"{a} -> {b}"))
        if d1["label"] != d2["label"]:
            diffs.append(Difference(f"edge label differs ({kinds})",
                                    f"{a} -> {b}: SAM {d1['label']!r} vs CFN {d2['label']!r}"))
        for key in sorted(set(d1["props"]) | set(d2["props"])):
            v1, v2 = d1["props"].get(key), d2["props"].get(key)
            if v1 != v2:
                diffs.append(Difference(f"edge prop `{key}` differs ({kinds})",
                                        f"{a} -> {b}: SAM {v1!r} vs CFN {v2!r}"))
    return result


# ---------------------------------------------------------------------- the corpus
@dataclass
class Report:
    results: list[PairResult]
    limits: dict[str, dict[str, Any]]
    # --expand: templates SAM's translator rejects (not pairs), name -> SAM's reason
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def compared(self) -> int:
        return len(self.results)

    @property
    def agreeing(self) -> int:
        return sum(1 for r in self.results if r.agrees)

    @property
    def share(self) -> float:
        return self.agreeing / self.compared if self.compared else 0.0

    def categories(self) -> dict[str, list[str]]:
        """Category -> 'pair: detail' examples, for every difference of every pair."""
        out: dict[str, list[str]] = defaultdict(list)
        for r in self.results:
            for d in r.differences:
                out[d.category].append(f"{r.name}: {d.detail}")
        return dict(out)

    def explained(self, r: PairResult) -> bool:
        """A disagreeing pair whose every difference category is a documented limit."""
        limit = self.limits.get(r.name)
        if not limit:
            return False
        allowed = set(limit.get("categories") or [])
        return all(d.category in allowed for d in r.differences)

    def unexplained(self) -> list[PairResult]:
        return [r for r in self.results if not r.agrees and not self.explained(r)]

    def stale_limits(self, only_run: bool = False) -> list[str]:
        """Documented limits whose pair now agrees (or is gone): the entry should go.
        `only_run`: judge only the limits of the templates this run compared (`--expand`
        is given any set of files)."""
        by_name = {r.name: r for r in self.results}
        return sorted(n for n in self.limits
                      if (n not in by_name and not only_run)
                      or (n in by_name and by_name[n].agrees))


def load_limits(path: Path = LIMITS_FILE, key: str = "limits") -> dict[str, dict[str, Any]]:
    """`sam_equivalence_limits.yaml`: pair -> {categories, reason}. `limits` documents
    pairs of the corpus, `expand_limits` other SAM templates (by file stem) that
    `--expand` compares."""
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    return {str(item["pair"]): item for item in raw.get(key) or []}


def expand_with_sam(template: Path, out_path: Path) -> str | None:
    """Expand a SAM template with the AWS SAM translator (`aws-sam-translator`, the
    library behind `sam build`/CloudFormation's transform) into `out_path`; the reason
    when it cannot. Region us-east-1 and an empty managed-policy map (policy names stay
    names), as SAM's own tests do."""
    import os

    try:
        from samtranslator.translator.transform import transform
        from samtranslator.yaml_helper import yaml_parse
    except ImportError:
        return "aws-sam-translator is not installed"

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    import logging

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its metrics chatter
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # never look for credentials
    try:
        expanded = transform(yaml_parse(template.read_text("utf-8")), {}, _NoManagedPolicies())
    except Exception as exc:  # SAM rejects the template: its own message says why
        return f"SAM rejects it: {exc}"
    out_path.write_text(json.dumps(expanded, indent=1, default=str), "utf-8")
    return None


def run_templates(paths: list[Path], workdir: Path) -> Report:
    """Expand each SAM template with SAM's translator and compare it with its expansion;
    a template SAM rejects is no pair: it is counted apart, with SAM's reason."""
    results = []
    rejected: dict[str, str] = {}
    for path in paths:
        out = workdir / f"{path.stem}.json"
        why = expand_with_sam(path, out)
        if why is not None:
            rejected[path.stem] = why
            continue
        got = compare_files(path.stem, path, out)
        if got is not None:
            results.append(got)
    return Report(results, load_limits(key="expand_limits"), rejected)


def pair_names(corpus: Path) -> list[str]:
    return sorted(p.stem for p in (corpus / "input").glob("*.yaml")
                  if (corpus / "output" / f"{p.stem}.json").exists())


def run(corpus: Path = DEFAULT_CORPUS, only: str | None = None) -> Report:
    results = []
    for name in pair_names(corpus):
        if only is not None and name != only:
            continue
        got = compare_pair(corpus, name)
        if got is not None:
            results.append(got)
    return Report(results, load_limits())


def figure(report: Report) -> str:
    return (f"{report.agreeing}/{report.compared} = {100 * report.share:.1f}% agree; "
            f"{len(report.results) - report.agreeing - len(report.unexplained())} documented "
            f"limits; {len(report.unexplained())} unexplained")


def print_report(report: Report, examples: int = 2, expand: bool = False) -> None:
    print(f"SAM translator pairs compared: {report.compared}")
    print(f"pairs agreeing:                {report.agreeing} ({100 * report.share:.1f}%)")
    print(f"documented limits:             "
          f"{sum(1 for r in report.results if not r.agrees and report.explained(r))}")
    print(f"unexplained disagreements:     {len(report.unexplained())}")
    cats = report.categories()
    pairs_per = Counter({c: len({e.split(':', 1)[0] for e in ex}) for c, ex in cats.items()})
    if cats:
        print("\ndifference categories (differences, pairs, examples):")
    for cat, _ in sorted(pairs_per.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {len(cats[cat]):4d} in {pairs_per[cat]:3d} pairs  {cat}")
        for ex in cats[cat][:examples]:
            print(f"        - {ex}")
    if report.rejected:
        print(f"\ntemplates SAM rejects (not pairs): {len(report.rejected)}")
        for name, why in sorted(report.rejected.items()):
            print(f"  {name}: {why.splitlines()[0][:160]}")
    stale = report.stale_limits(only_run=expand)
    if stale:
        print(f"\nlimits that no longer apply (remove them): {', '.join(stale)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--pair", help="compare one pair and print all its differences")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--examples", type=int, default=2)
    ap.add_argument("--expand", nargs="+", type=Path, metavar="TEMPLATE",
                    help="your own SAM templates: expand each with aws-sam-translator and "
                         "compare (instead of the corpus pairs)")
    args = ap.parse_args(argv)
    if args.expand:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            report = run_templates(args.expand, Path(tmp))
    else:
        report = run(args.corpus, args.pair)
    if args.json:
        print(json.dumps({
            "compared": report.compared, "agreeing": report.agreeing,
            "rejected": report.rejected,
            "pairs": {r.name: [d.__dict__ for d in r.differences] for r in report.results},
        }, indent=1, sort_keys=True))
        return 0
    print_report(report, 10_000 if args.pair else args.examples, expand=bool(args.expand))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the output was piped into `head`
        sys.exit(0)
