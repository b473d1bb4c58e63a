"""Parity with peer tools on real templates: what they rightly flag, archadvisor flags too.

For every input of the corpus (CloudFormation/SAM templates; Terraform root modules for
peers that read Terraform), a peer's findings are read as (rule id, resource id) and each
is judged with `benchmarks/peer_scope.yaml`, the data that says which peer rules are in
the Serverless Lens scope and when a rule's finding is a known false positive:

- out of scope, or a false positive by one of the rule's stated conditions: left out
  (counted and listed, with the reason);
- in scope: matched when archadvisor reports a finding on the same resource whose pattern
  lists the peer rule among its `equivalents` (patterns/*.yaml). "The same resource" is
  the node the peer's resource id belongs to (`advisor.importers.aliases.owner_of`:
  itself, a folded resource such as a Stage, Permission or Role, a SAM-generated id; as
  a last resort the declared resource whose logical ID is the longest prefix of it).

Peers here: cfn-lint + cfn-lint-serverless (awslabs serverless-rules, ids ES*/WS*), run
in-process below, and checkov (benchmarks/checkov_parity.py, from its own venv).

Run: `.venv/bin/python benchmarks/peer_parity.py [CORPUS_DIR] [--peer cfn-lint|checkov]`;
prints, per peer rule, the peer's count, how many we matched and examples of misses.
tests/test_peer_parity.py runs the same comparisons in CI.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus_report import inputs_of  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "serverless-patterns"
SCOPE_FILE = HERE / "peer_scope.yaml"

PEER_PREFIXES = ("ES", "WS")
# cfn-lint's own rules counted beside serverless-rules: the deprecated Lambda runtime
# (W2531: deprecated, E2531: creation blocked, E2533: updates blocked), which
# OPS-LAMBDA-DEPRECATED-RUNTIME reports
CFN_LINT_RULES = ("E2531", "E2533", "W2531")
# SAM builds an implicit API from a function's Api/HttpApi events, and cfn-lint reports
# that API's stage at the function.
IMPLICIT_APIS = frozenset({"ServerlessRestApi", "ServerlessHttpApi"})
EXAMPLES = 2  # misses and left-out findings shown per rule


# ------------------------------------------------------------------------------- scope
@dataclass(frozen=True)
class FalsePositive:
    """A peer finding is wrong when `condition` holds (`unless`: when it does not)."""

    condition: str
    negate: bool
    why: str


@dataclass(frozen=True)
class PeerRule:
    id: str
    peer: str
    title: str
    in_scope: bool
    reason: str
    source: str
    false_positives: tuple[FalsePositive, ...] = ()


def load_scope(path: Path = SCOPE_FILE) -> dict[str, PeerRule]:
    """peer_scope.yaml as PeerRule objects; every condition must be a known one."""
    data = yaml.safe_load(path.read_text("utf-8"))
    rules: dict[str, PeerRule] = {}
    for rid, entry in (data.get("rules") or {}).items():
        fps = []
        for fp in entry.get("false_positives") or ():
            negate = "unless" in fp
            name = fp["unless"] if negate else fp["when"]
            if name not in CONDITIONS:
                raise ValueError(f"{path}: {rid}: unknown condition {name!r}; "
                                 f"known: {', '.join(sorted(CONDITIONS))}")
            fps.append(FalsePositive(name, negate, str(fp["why"])))
        if entry["scope"] not in ("in", "out"):
            raise ValueError(f"{path}: {rid}: scope is 'in' or 'out', not {entry['scope']!r}")
        rules[str(rid)] = PeerRule(
            id=str(rid), peer=str(entry["peer"]), title=str(entry["title"]),
            in_scope=entry["scope"] == "in", reason=str(entry["reason"]),
            source=str(entry.get("source") or ""), false_positives=tuple(fps))
    return rules


# -------------------------------------------------------------- false-positive conditions
@dataclass
class Subject:
    """What a condition may look at: the node the peer finding belongs to, the imported
    architecture, and the resource's own settings as written in its file."""

    arch: Any
    ctx: Any
    node: str | None
    resource: str
    file: Path | None

    def kind(self) -> str | None:
        return self.arch.graph.nodes[self.node]["kind"] if self.node else None

    def props(self) -> dict[str, Any]:
        return dict(self.arch.graph.nodes[self.node].get("props") or {}) if self.node else {}

    def properties(self) -> dict[str, Any] | None:
        """The resource's settings as written: a CloudFormation resource's `Properties`,
        a Terraform resource block's attributes (unevaluated). None when not found."""
        if self.file is None or not self.file.is_file():
            return None
        if self.file.suffix == ".tf":
            return _tf_attributes(str(self.file), self.resource)
        resources = _template(str(self.file)).get("Resources") or {}
        res = resources.get(self.resource)
        if not isinstance(res, dict):
            return None
        props = res.get("Properties")
        return props if isinstance(props, dict) else {}


@cache
def _template(path: str) -> dict[str, Any]:
    from advisor.importers.cloudformation.template import load_template

    data = load_template(Path(path).read_text("utf-8"), path)
    return data if isinstance(data, dict) else {}


@cache
def _tf_blocks(path: str) -> tuple[Any, ...]:
    from advisor.importers.terraform.hcl import parse_hcl

    return tuple(parse_hcl(Path(path).read_text("utf-8"), path))


def _tf_attributes(path: str, address: str) -> dict[str, Any] | None:
    """Attributes of `resource "TYPE" "NAME"` in the file, for an address such as
    `module.m.TYPE.NAME[0]` (module path and instance key dropped)."""
    parts = address.split("[", 1)[0].split(".")
    if len(parts) < 2:
        return None
    rtype, name = _tf_type(address), parts[-1]
    for block in _tf_blocks(path):
        if block.type == "resource" and block.labels[:2] == (rtype, name):
            return dict(block.attrs)
    return None


Condition = Callable[[Subject], bool]
CONDITIONS: dict[str, Condition] = {}


def condition(fn: Condition) -> Condition:
    CONDITIONS[fn.__name__] = fn
    return fn


@condition
def async_invoked(s: Subject) -> bool:
    """Some caller invokes the function asynchronously (the engine's own predicate: SNS,
    S3, EventBridge, Scheduler, or an edge stated async)."""
    from advisor.engine.predicates import NODE_PREDICATES

    return s.kind() == "lambda" and bool(NODE_PREDICATES["async_invoked"](s.ctx, s.node, {}))


@condition
def throttled_by_usage_plan(s: Subject) -> bool:
    """The API is throttled although no stage sets MethodSettings: the importer reads a
    usage plan's Throttle (which limits every request of a stage whose routes all require
    an API key) as throttling, and serverless-rules reads only the stage's MethodSettings."""
    return s.kind() == "apigw" and bool(s.props().get("throttling"))


@condition
def has_failure_destination(s: Subject) -> bool:
    """The function sends failed async events somewhere: an on-failure destination
    (EventInvokeConfig / SAM EventInvokeConfig.DestinationConfig) or a DLQ."""
    props = s.props()
    return s.kind() == "lambda" and bool(props.get("on_failure") or props.get("dlq"))


@condition
def is_dead_letter_queue(s: Subject) -> bool:
    """The queue is itself another resource's dead-letter queue or failure destination."""
    return s.kind() == "sqs" and (bool(s.props().get("is_dlq"))
                                  or s.node in s.arch.failure_destinations())


@condition
def sqs_event_source_only(s: Subject) -> bool:
    """The function's event sources are SQS queues (no stream): an SQS event source
    mapping has no on-failure destination, the queue's redrive policy does that job."""
    if s.kind() != "lambda":
        return False
    sources = {s.arch.graph.nodes[p]["kind"] for p in s.arch.graph.predecessors(s.node)}
    return "sqs" in sources and not sources & {"kinesis", "dynamodb"}


@condition
def encrypted_by_default(s: Subject) -> bool:
    """The store is encrypted at rest without saying so: its `encryption` (as imported,
    else the catalog default, e.g. SSE-SQS for queues created since 2022-10) is not none."""
    from advisor import catalog

    kind = s.kind()
    value = catalog.prop_value(s.props(), kind, "encryption") if kind else None
    return value is not None and value != "none"


@condition
def websocket_route_without_auth(s: Subject) -> bool:
    """A WebSocket route other than `$connect`: API Gateway authorizes a WebSocket
    connection on `$connect` only, no other route takes an authorization type."""
    props = s.properties() or {}
    key = props.get("route_key", props.get("RouteKey"))
    return isinstance(key, str) and key != "$connect" and s.props().get("type") == "websocket"


@condition
def public_access_block_unstated(s: Subject) -> bool:
    """The bucket's Block Public Access is left unset: no `PublicAccessBlockConfiguration`
    (CloudFormation), no `aws_s3_bucket_public_access_block` for it (Terraform). S3 turns
    all four settings on for every new bucket since April 2023, so nothing is off."""
    if s.kind() != "s3":
        return False
    if s.file is not None and s.file.suffix == ".tf":
        return not any(_tf_type(address) == "aws_s3_bucket_public_access_block"
                       for address, node in s.arch.aliases.items() if node == s.node)
    props = s.properties()
    return props is not None and "PublicAccessBlockConfiguration" not in props


@condition
def items_expire(s: Subject) -> bool:
    """The table deletes its items by Time to Live: it holds data meant to go away
    (sessions, connections, locks, idempotency keys), which REL-DYNAMODB-PITR leaves out."""
    return s.kind() == "dynamodb" and s.props().get("ttl") is True


@condition
def express_workflow(s: Subject) -> bool:
    """An Express state machine (the only kind with no execution history of its own)."""
    from advisor import catalog

    return s.kind() == "sfn" and catalog.prop_value(s.props(), "sfn", "type") == "express"


def _tf_type(address: str) -> str:
    """`module.m.aws_x.name[0]` -> `aws_x`."""
    parts = address.split("[", 1)[0].split(".")
    return parts[-2] if len(parts) >= 2 else ""


# ------------------------------------------------------------------------- comparison
class PeerFinding(NamedTuple):
    """One peer finding: its rule id, the resource id it names (a logical ID or a
    Terraform address) and the file that declares the resource."""

    rule: str
    resource: str
    file: Path


@dataclass
class Parity:
    """Per-rule counts of in-scope peer findings and how many archadvisor matched."""

    peer_name: str = ""
    peer: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (file, rule, resource)
    templates: int = 0
    peer_false_positives: list[tuple[str, str, str, str]] = field(default_factory=list)
    out_of_scope: Counter[str] = field(default_factory=Counter)
    unclassified: Counter[str] = field(default_factory=Counter)
    peer_crashes: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.peer.values())

    @property
    def matched_total(self) -> int:
        return sum(self.matched.values())

    @property
    def coverage(self) -> float:
        return self.matched_total / self.total if self.total else 1.0

    def figure(self) -> str:
        return (f"{self.matched_total}/{self.total} = {self.coverage:.3f}; "
                f"{len(self.peer_false_positives)} peer false positives and "
                f"{sum(self.out_of_scope.values())} out-of-scope findings left out")


def equivalents_index() -> dict[str, set[str]]:
    """Peer rule id -> our pattern ids that list it among their `equivalents`."""
    from advisor.engine import Engine

    index: dict[str, set[str]] = {}
    for pattern in Engine.default().patterns:
        for peer_id in pattern.equivalents:
            index.setdefault(peer_id, set()).add(pattern.id)
    return index


def _owner(arch: Any, resource: str, by_source: dict[str, str]) -> str | None:
    """The node a peer's resource id belongs to (see the module docstring)."""
    from advisor.importers.aliases import owner_of

    node = owner_of(arch, resource)
    if node is not None:
        return node
    prefixes = [s for s in by_source if resource.startswith(s)]
    return by_source[max(prefixes, key=len)] if prefixes else None


def false_positive(rule: PeerRule, subject: Subject) -> str | None:
    """Why this in-scope finding is wrong, by the rule's stated conditions, or None."""
    if subject.node is None:
        return None
    for fp in rule.false_positives:
        if CONDITIONS[fp.condition](subject) != fp.negate:
            return fp.why
    return None


def compare_findings(
    corpus: Path, peer_name: str, found: dict[Path, list[PeerFinding]],
    scope: dict[str, PeerRule], inputs: int,
) -> Parity:
    """Judge every peer finding per input (a template, or a Terraform root module
    folder) and match it to ours."""
    from advisor.engine.context import Ctx
    from advisor.pipeline import Options, analyze_source

    parity = Parity(peer_name=peer_name, templates=inputs)
    equivalents = equivalents_index()
    options = Options(estimates=False)
    for path in sorted(found):
        peers = sorted(set(found[path]))
        rel = str(path.relative_to(corpus))
        judged = []
        for rule_id, resource, file in peers:
            rule = scope.get(rule_id)
            if rule is None:
                parity.unclassified[rule_id] += 1
            elif not rule.in_scope:
                parity.out_of_scope[rule_id] += 1
            else:
                parity.titles[rule_id] = rule.title
                judged.append((rule, resource, file))
        if not judged:
            continue
        result = analyze_source(str(path), options)
        if result.before is None:
            for rule, resource, _ in judged:
                parity.peer[rule.id] += 1
                parity.misses.append((rel, rule.id, resource + " (import failed)"))
            continue
        arch = result.before
        graph = arch.graph
        ctx = Ctx(arch)
        by_source = {str(graph.nodes[n].get("source_id") or n): n for n in graph.nodes}
        flagged = {(f.rule, node) for f in result.findings for node in f.nodes}
        for rule, resource, file in judged:
            owner = _owner(arch, resource, by_source)
            why = false_positive(rule, Subject(arch, ctx, owner, resource, file))
            if why:
                parity.peer_false_positives.append((rel, rule.id, resource, why))
                continue
            parity.peer[rule.id] += 1
            candidates = {owner} if owner is not None else set()
            if owner is not None:
                candidates |= {n for n in graph.predecessors(owner)
                               if graph.nodes[n].get("source_id") in IMPLICIT_APIS}
            ours = equivalents.get(rule.id, set())
            if any((r, c) in flagged for r in ours for c in candidates):
                parity.matched[rule.id] += 1
            else:
                parity.misses.append((rel, rule.id, resource))
    return parity


# ------------------------------------------------------------------------------- cache
CACHE_DIR = ROOT / ".cache" / "peer-parity"
CACHE_FORMAT = 2  # bump when a cached record changes shape


def cache_key(corpus: Path, inputs: list[Path], tool: str) -> str:
    """Digest of what a peer's findings depend on: the tool (name, version, flags), the
    inputs judged, and the bytes of every file of the corpus folder (what it reads)."""
    import hashlib

    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{tool}\0".encode())
    for path in inputs:
        digest.update(f"input {path.relative_to(corpus)}\0".encode())
    for f in sorted(p for p in corpus.rglob("*") if p.is_file()):
        digest.update(f"{f.relative_to(corpus)}\0".encode())
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()[:32]


def cached(name: str, key: str, compute: Callable[[], Any], *, use_cache: bool = True,
           cache_dir: Path | None = None) -> tuple[Any, bool]:
    """`compute()`'s JSON-able result, kept in `.cache/peer-parity/NAME-KEY.json`; returns
    (result, read from the cache). Older results of the same peer are removed."""
    import json

    folder = cache_dir or CACHE_DIR
    path = folder / f"{name}-{key}.json"
    if use_cache and path.is_file():
        return json.loads(path.read_text("utf-8")), True
    result = compute()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=0), "utf-8")
    tmp.replace(path)
    for old in folder.glob(f"{name}-*.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return result, False


# ---------------------------------------------------------------------------- cfn-lint
def cfn_templates(corpus: Path) -> list[Path]:
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    out = []
    for entry in manifest["entries"]:
        if entry["format"] == "terraform":
            continue
        out.extend(p for p in inputs_of(corpus, entry) if p.is_file())
    return sorted(out)


def corpus_inputs(corpus: Path) -> list[Path]:
    """Every input the corpus has: templates, and Terraform root module folders."""
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text("utf-8"))
    out: list[Path] = []
    for entry in manifest["entries"]:
        out.extend(p for p in inputs_of(corpus, entry) if p.exists())
    return sorted(out)


def _lint_one(path: Path) -> tuple[str, list[PeerFinding] | None]:
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
        counted = rule.startswith(PEER_PREFIXES) or rule in CFN_LINT_RULES
        if counted and len(loc) >= 2 and loc[0] == "Resources":
            found.append(PeerFinding(rule, str(loc[1]), path))
    return str(path.resolve()), found


def run_cfn_lint(paths: list[Path], jobs: int = 2) -> tuple[dict[str, list[PeerFinding]], list[str]]:
    """Serverless-rules findings per template (by resolved path), from cfn-lint's Python
    API, and the templates cfn-lint crashed on.

    One template that crashes cfn-lint (it happens: a `Parameters:` with no value) is
    skipped and counted, instead of losing the whole run as the CLI does.
    """
    from concurrent.futures import ProcessPoolExecutor

    out: dict[str, list[PeerFinding]] = {}
    crashes: list[str] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for name, found in pool.map(_lint_one, paths, chunksize=4):
            if found is None:
                crashes.append(name)
            else:
                out[name] = found
    return out, crashes


def cfn_lint_tool() -> str:
    from importlib.metadata import version

    return (f"cfn-lint {version('cfn-lint')} + cfn-lint-serverless "
            f"{version('cfn-lint-serverless')} {' '.join(PEER_PREFIXES + CFN_LINT_RULES)}")


def compare(corpus: Path = DEFAULT_CORPUS, *, use_cache: bool = True) -> Parity:
    """cfn-lint + serverless-rules parity on the corpus's CloudFormation/SAM templates.

    cfn-lint's findings are cached like checkov's (keyed by both packages' versions and
    the corpus's bytes): linting takes a minute or more on two cores."""
    paths = cfn_templates(corpus)

    def lint() -> dict[str, Any]:
        linted, crashes = run_cfn_lint(paths)
        return {"found": {str(p.relative_to(corpus)): [[f.rule, f.resource] for f in linted[key]]
                          for p in paths if (key := str(p.resolve())) in linted},
                "crashes": sorted(str(Path(c).relative_to(corpus.resolve())) for c in crashes)}

    data, _ = cached("cfn-lint", cache_key(corpus, paths, cfn_lint_tool()), lint,
                     use_cache=use_cache)
    found = {corpus / rel: [PeerFinding(rule, res, corpus / rel) for rule, res in items]
             for rel, items in data["found"].items()}
    scope = {k: v for k, v in load_scope().items() if v.peer == "cfn-lint"}
    parity = compare_findings(corpus, "cfn-lint + serverless-rules", found, scope, len(paths))
    parity.peer_crashes = list(data["crashes"])
    return parity


# ------------------------------------------------------------------------------ output
def print_parity(parity: Parity, examples: int = EXAMPLES) -> None:
    print(f"== {parity.peer_name}: {parity.templates} inputs "
          f"({len(parity.peer_crashes)} the peer could not read)")
    misses: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for miss in parity.misses:
        misses[miss[1]].append(miss)
    print(f"{'peer rule':14} {'peer':>5} {'ours':>5}  title")
    for rule in sorted(parity.peer):
        print(f"{rule:14} {parity.peer[rule]:>5} {parity.matched[rule]:>5}  "
              f"{parity.titles.get(rule, '')}")
        for file, _, resource in misses[rule][:examples]:
            print(f"{'':16}missed: {file} {resource}")
    print(f"coverage: {parity.coverage:.3f} ({parity.matched_total}/{parity.total})")
    by_rule: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for fp in parity.peer_false_positives:
        by_rule[fp[1]].append(fp)
    print(f"peer false positives left out: {len(parity.peer_false_positives)}")
    for rule in sorted(by_rule):
        why = Counter(fp[3] for fp in by_rule[rule])
        for reason, n in sorted(why.items()):
            first = next(fp for fp in by_rule[rule] if fp[3] == reason)
            print(f"  {rule:12} {n:>4}  {reason}  (e.g. {first[0]} {first[2]})")
    if parity.out_of_scope:
        print("out of scope (left out): " + ", ".join(
            f"{r} {n}" for r, n in sorted(parity.out_of_scope.items())))
    for name in parity.peer_crashes:
        print(f"the peer could not read: {name}")
    if parity.unclassified:
        print("NOT CLASSIFIED in peer_scope.yaml: " + ", ".join(
            f"{r} {n}" for r, n in sorted(parity.unclassified.items())))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--peer", choices=("cfn-lint", "checkov", "all"), default="all")
    parser.add_argument("--examples", type=int, default=EXAMPLES)
    parser.add_argument("--no-cache", action="store_true", help="run the peers even if cached")
    args = parser.parse_args(argv)
    if args.peer in ("cfn-lint", "all"):
        print_parity(compare(args.corpus, use_cache=not args.no_cache), args.examples)
    if args.peer in ("checkov", "all"):
        import checkov_parity

        if checkov_parity.checkov_command() is None:
            print("== checkov: not installed (make peer-deps creates .venv-peers/)")
        else:
            print_parity(checkov_parity.compare(args.corpus, use_cache=not args.no_cache),
                         args.examples)


if __name__ == "__main__":
    main()
