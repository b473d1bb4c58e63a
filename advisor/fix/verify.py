"""Checks a patch must pass before it is offered as verified (`advisor fix --verify`).

1. `parses`: the patched input imports without error;
2. `cfn-lint` (templates): no error the original did not have (errors compared by rule
   and message, line numbers aside, since the patch moves lines);
3. `after`: re-importing the patched input gives the engine's "after" architecture:
   the same nodes and kinds, edges and modes, and props, nodes the patch added compared
   by what the engine gave them (the importer may read more, such as their retention),
   and new nodes matched by the names the patch gave them;
4. `findings`: re-analyzing it raises none of the findings the patch fixed;
5. `idempotent`: fixing the patched input again changes nothing.

A check that fails names what differs; every patched rewrite of the input then carries
`verified = False` and the check's name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from advisor.fix.context import group_changes
from advisor.model import Architecture

# what importers read for "encrypted with the service's own (AWS managed) key"
MANAGED_ENCRYPTION = ("default", "sse-sqs", "sse-s3", "sse-kms")
CHECKS = ("parses", "cfn-lint", "after", "findings", "idempotent")
_LINE = re.compile(r"\b(line|lines) \d+(:\d+)?|\d+:\d+")


def verify_fix(result: Any, fix: Any, options: Any = None) -> None:
    from advisor.fix.runner import PATCHED

    texts = {f.path: f.new for f in fix.changed}
    checks: dict[str, str] = {}
    blame: dict[str, Any] = {}  # check -> what it found wrong (see _implicated)
    try:
        checks.update(_run_checks(result, fix, texts, options, blame))
    except Exception as exc:  # a check that cannot run is a failed check, never a crash
        checks.setdefault("parses", f"could not check: {type(exc).__name__}: {exc}")
    fix.checks = checks
    rewrites = {rw.finding: rw for rw in group_changes(list(result.changes))}
    for r in fix.rewrites:
        if r.status == PATCHED:
            failed = next((name for name in CHECKS if checks.get(name, "ok") != "ok"
                           and _implicated(rewrites.get(r.finding), r.finding,
                                           blame.get(name))), "")
            r.verified = not failed
            r.failed_check = failed


def _implicated(rw: Any, finding: str, blame: Any) -> bool:
    """Whether a failed check concerns this rewrite. `blame`: None (the whole file: it
    does not parse, a new cfn-lint error, not idempotent), the finding ids still raised,
    or the `after` problems, each naming its nodes: a node problem concerns the rewrites
    that matched or added that node, an edge problem those that added one of its ends or
    matched both."""
    if blame is None or rw is None:
        return True
    if isinstance(blame, set):
        return finding in blame
    own, match = set(rw.added), set(rw.match)
    for p in blame:
        nodes = set(getattr(p, "nodes", ()))
        if not nodes:
            return True  # a problem that names no node concerns every rewrite
        if getattr(p, "edge", False):
            if nodes & own or nodes <= match:
                return True
        elif nodes & (own | match):
            return True
    return False


class Problem(str):
    """One difference the `after` check found, with the (engine) nodes it is about."""

    nodes: tuple[str, ...] = ()
    edge: bool = False

    @classmethod
    def of(cls, text: str, *nodes: str, edge: bool = False) -> Problem:
        p = cls(text)
        p.nodes, p.edge = tuple(nodes), edge
        return p


def _run_checks(result: Any, fix: Any, texts: dict[str, str],
                options: Any, blame: dict[str, Any]) -> dict[str, str]:
    from advisor.errors import AdvisorError
    from advisor.pipeline import FileResult, Options, analyze_architecture

    options = options or Options()
    checks: dict[str, str] = {}
    try:
        arch = _reimport(result, texts)
    except AdvisorError as exc:
        checks["parses"] = exc.render().splitlines()[0] if exc.diagnostics else str(exc)
        return checks
    checks["parses"] = "ok"
    if result.format == "cloudformation":
        checks["cfn-lint"] = _cfn_lint(fix)
    problems = compare(_expected_after(result, fix, options), arch, fix.names, fix.support,
                       fix.granted)
    blame["after"] = problems
    checks["after"] = "ok" if not problems else "; ".join(problems[:6]) + (
        f" (+{len(problems) - 6} more)" if len(problems) > 6 else "")
    again = analyze_architecture(arch, _no_estimates(options),
                                 FileResult(source=result.source, format=result.format))
    fixed = {r.finding for r in fix.rewrites if r.status == "patched"}
    still = sorted(f.id for f in again.findings if f.id in fixed)
    checks["findings"] = "ok" if not still else "still raised: " + ", ".join(still)
    blame["findings"] = set(still)
    from advisor.fix.runner import fix_result

    second = fix_result(again, texts=texts)
    diff = second.diff()
    checks["idempotent"] = "ok" if not diff else (
        f"a second fix changes {len(second.changed)} file(s) again")
    return checks


def _expected_after(result: Any, fix: Any, options: Any) -> Architecture:
    """The engine's after with only the rewrites that were patched applied."""
    from advisor.fix.runner import PATCHED

    if all(r.status == PATCHED for r in fix.rewrites):
        return result.after  # type: ignore[no-any-return]
    from advisor.fix.context import group_changes
    from advisor.pipeline import _engine

    chosen = {}
    status = {r.finding: r.status for r in fix.rewrites}
    for rw in group_changes(list(result.changes)):
        if status.get(rw.finding) == PATCHED:
            chosen[rw.finding] = rw.alternative
    engine = _engine(tuple(options.pattern_dirs), tuple(options.select), tuple(options.ignore))
    return engine.run(result.before, apply=chosen).after  # type: ignore[no-any-return]


def _no_estimates(options: Any) -> Any:
    import dataclasses

    return dataclasses.replace(options, estimates=False)


def _reimport(result: Any, texts: dict[str, str]) -> Architecture:
    from advisor.importers import load_any

    if result.format == "terraform" or set(texts) - {result.source}:
        # several files (a module, a template and its definition file): read in a copy
        from advisor.fix.terraform.target import load_patched

        return load_patched(result.source, texts, result.before)
    text = texts.get(result.source)
    return load_any(result.source, text)


# ------------------------------------------------------------------ cfn-lint
CFN_LINT_MISSING = "cfn-lint not installed: not verified"
CFN_LINT_CRASH = "E0002"  # cfn-lint's "Unknown exception while processing rule X"


def _cfn_lint(fix: Any) -> str:
    """"ok" only when cfn-lint ran on every patched file and found no error the original
    did not have. cfn-lint missing, or crashing (raising, or a rule of it failing, which
    it reports as E0002) on the original or the patched file, is a failed check that says
    so: a check that did not run verifies nothing."""
    try:
        from cfnlint.api import ManualArgs, lint
    except ImportError:
        return CFN_LINT_MISSING
    problems = []
    for f in fix.changed:
        config = ManualArgs(regions=["us-east-1"])
        name = Path(f.path).name
        try:
            old = list(lint(f.old, config=config))
        except Exception as exc:
            return f"cfn-lint crashed on the original {name} ({_what(exc)}): not verified"
        try:
            new_matches = list(lint(f.new, config=config))
        except Exception as exc:
            return f"cfn-lint crashed on the patched {name} ({_what(exc)}): not verified"
        crashed = [m for m in new_matches if str(m.rule.id) == CFN_LINT_CRASH]
        if crashed:
            return (f"cfn-lint crashed on the patched {name} ({crashed[0].message}): "
                    "not verified")
        before = {_key(m) for m in old if _is_error(m)}
        new = sorted({_key(m) for m in new_matches if _is_error(m)} - before)
        problems.extend(f"{rule} {msg}" for rule, msg in new)
    return "ok" if not problems else "new cfn-lint errors: " + "; ".join(problems[:4])


def _what(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_error(m: Any) -> bool:
    return str(m.rule.id).startswith("E")


def _key(m: Any) -> tuple[str, str]:
    return str(m.rule.id), _LINE.sub("", str(m.message))


# ------------------------------------------------------------------ after
def compare(after: Architecture, got: Architecture, names: dict[str, str],
            support: set[str] | frozenset[str] = frozenset(),
            granted: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What differs between the engine's after and the re-imported design. `support`:
    source ids of resources the patch added that the engine models as a prop (a log
    group): their nodes in the re-import are representation, not compared."""
    if support:
        got = got.copy() if hasattr(got, "copy") else got
        drop = [n for n, d in got.graph.nodes(data=True)
                if str(d.get("source_id") or n) in support]
        got.graph.remove_nodes_from(drop)
    by_sid = {str(d.get("source_id") or n): n for n, d in got.graph.nodes(data=True)}

    def m(n: str) -> str:
        lid = names.get(n)
        return by_sid.get(lid, lid) if lid else n

    def mv(v: Any) -> Any:
        if isinstance(v, str) and v in names:
            return m(v)
        return v

    grants = {"sqs:SendMessage", *granted}
    problems: list[str] = []
    skip_after, skip_got = _failure_edges(after), _failure_edges(got)
    expected = {m(n): n for n in after.graph.nodes}
    new_nodes = {m(n) for n in names}
    got_nodes = set(got.graph.nodes)
    missing = sorted(set(expected) - got_nodes)
    extra = sorted(got_nodes - set(expected))

    def engine(*ns: str) -> tuple[str, ...]:
        return tuple(expected.get(n, n) for n in ns)

    if missing:
        problems.append(Problem.of("missing nodes: " + ", ".join(missing), *engine(*missing)))
    if extra:
        problems.append(Problem.of("unexpected nodes: " + ", ".join(extra), *extra))
    for name in sorted(set(expected) & got_nodes):
        a = after.graph.nodes[expected[name]]
        b = got.graph.nodes[name]
        if a["kind"] != b["kind"]:
            problems.append(Problem.of(f"{name}: kind {b['kind']} instead of {a['kind']}",
                                       expected[name]))
        got_props = {k: v for k, v in b["props"].items() if k != "is_dlq"}
        strip, granted = _granted(a["props"].get("permissions"), got_props.get("permissions"),
                                  grants)
        if strip:
            got_props["permissions"] = granted
        diff = _prop_diff({k: mv(v) for k, v in a["props"].items() if k != "is_dlq"},
                          got_props, subset=name in new_nodes)
        if diff:
            problems.append(Problem.of(f"{name}: {diff}", expected[name]))
    exp_edges = {(m(a), m(b)): d for a, b, d in after.graph.edges(data=True)
                 if (a, b) not in skip_after}
    got_edges = {(a, b): d for a, b, d in got.graph.edges(data=True)
                 if (a, b) not in skip_got}
    for e in sorted(set(exp_edges) - set(got_edges)):
        problems.append(Problem.of(f"missing edge {e[0]} -> {e[1]}", *engine(*e), edge=True))
    for e in sorted(set(got_edges) - set(exp_edges)):
        problems.append(Problem.of(f"unexpected edge {e[0]} -> {e[1]}", *engine(*e),
                                   edge=True))
    for e in sorted(set(exp_edges) & set(got_edges)):
        a, b = exp_edges[e], got_edges[e]
        new_edge = a.get("loc") is None  # drawn by a rewrite: its details come from the
        # concrete integration the patch wrote (an API action, a transform)
        if a.get("mode") != b.get("mode"):
            problems.append(Problem.of(f"edge {e[0]} -> {e[1]}: mode {b.get('mode')} instead "
                                       f"of {a.get('mode')}", *engine(*e), edge=True))
        want = {k: mv(v) for k, v in (a.get("props") or {}).items()}
        got_p = dict(b.get("props") or {})
        if want.get("integration") == "native" and "integration" not in got_p:
            want.pop("integration")  # the importers say native only where it is not plain
        diff = _prop_diff(want, got_p, subset=new_edge or bool(new_nodes & set(e)))
        if diff:
            problems.append(Problem.of(f"edge {e[0]} -> {e[1]}: {diff}", *engine(*e),
                                       edge=True))
    return problems


def _granted(want: Any, got: Any, grants: set[str]) -> tuple[bool, Any]:
    """`permissions` read back without what a patch grants a role so the new setting
    works (`sqs:SendMessage` on a new failure queue, X-Ray writes): the engine's design
    implies those grants, it does not list them. (whether to replace, the value to
    compare)."""
    wanted = set(want) if isinstance(want, list | tuple) else set()
    extra = grants - wanted
    if not isinstance(got, list | tuple) or not extra & set(got):
        return False, None
    rest = [p for p in got if p not in extra]
    return True, (rest or (None if want is None else rest))


def _failure_edges(arch: Architecture) -> set[tuple[str, str]]:
    """Edges that only restate a node's own `dlq` / `on_failure` prop. The engine draws
    one for every DLQ it adds; the importers draw one for some sources (a function's
    DeadLetterConfig) and not others (a queue's RedrivePolicy). The prop is compared; the
    edge is representation. `is_dlq` is skipped for the same reason: it follows from the
    props that name the queue."""
    out = set()
    g = arch.graph
    for a, b, _ in g.edges(data=True):
        props = g.nodes[a]["props"]
        named = {props.get("dlq"), props.get("on_failure")}
        # a stream or queue event source's failure destination, named on the edge into a
        named |= {(d.get("props") or {}).get(k) for _, _, d in g.in_edges(a, data=True)
                  for k in ("dlq", "on_failure")}
        if b in named:
            out.add((a, b))
    return out


def _prop_diff(want: dict[str, Any], got: dict[str, Any], subset: bool) -> str:
    keys = set(want) if subset else set(want) | set(got)
    out = []
    for k in sorted(keys):
        a, b = _norm(want.get(k)), _norm(got.get(k))
        if k == "code" and isinstance(a, str) and isinstance(b, str) and _same_file(a, b):
            continue
        if k == "encryption" and a == "default" and b in MANAGED_ENCRYPTION:
            continue  # on with an AWS managed key: importers name the mechanism
        if k == "kms_managed" and a is None and b is True and want.get("encryption") == "default":
            continue  # ... and mark a key named `alias/aws/...` as one
        if a != b:
            out.append(f"{k} = {b!r} instead of {a!r}")
    return ", ".join(out)


def _same_file(a: str, b: str) -> bool:
    """Handler paths are shown relative to where the input was read from: the patched copy
    is read elsewhere, so the shorter path must be the end of the longer one."""
    pa, pb = Path(a).parts, Path(b).parts
    n = min(len(pa), len(pb))
    return n > 0 and pa[-n:] == pb[-n:]


def _norm(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list | tuple | set | frozenset):
        return sorted(map(str, v))
    return v
