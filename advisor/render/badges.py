"""Which nodes get the error badge: nodes with error-severity findings.

The diagram functions take `errors` as findings (counted per node), a mapping
node -> count, or plain node names (badge without a count). `found` is what the before
diagram shows; `remaining` is what the after and diff diagrams show: a finding counts as
resolved once a rewrite of its rule touched one of its nodes, or one of its nodes is gone
(a bypass removed the glue function it was about). Read by attribute, so any
finding-like object works.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

ERROR = "error"


def finding_node(finding: Any) -> str | None:
    """The node a finding is drawn on: its subject, else its first node."""
    subject = getattr(finding, "subject", None)
    nodes = list(getattr(finding, "nodes", None) or ())
    if subject:
        return str(subject)
    return str(nodes[0]) if nodes else None


def _errors(findings: Iterable[Any]) -> list[Any]:
    return [f for f in findings or () if getattr(f, "severity", None) == ERROR]


def found(findings: Iterable[Any]) -> dict[str, int]:
    """Error findings per node, as found on the design."""
    counts: Counter[str] = Counter()
    for f in _errors(findings):
        node = finding_node(f)
        if node is not None:
            counts[node] += 1
    return dict(sorted(counts.items()))


def remaining(findings: Iterable[Any], changes: Iterable[Any], after: Any) -> dict[str, int]:
    """Error findings per node that the applied rewrites left in place (see module doc)."""
    touched: dict[str, set[str]] = {}
    for c in changes or ():
        touched.setdefault(str(getattr(c, "rule", "")), set()).update(
            str(n) for n in getattr(c, "nodes", None) or ()
        )
    present = set(after.graph.nodes) if after is not None else set()
    counts: Counter[str] = Counter()
    for f in _errors(findings):
        nodes = {str(n) for n in getattr(f, "nodes", None) or ()}
        node = finding_node(f)
        if node is None or node not in present or not nodes <= present:
            continue
        if nodes & touched.get(str(getattr(f, "rule", "")), set()):
            continue
        counts[node] += 1
    return dict(sorted(counts.items()))


def normalize(errors: Any) -> dict[str, int | None]:
    """`errors` as given to a diagram function -> {node: count or None (count unknown)}."""
    if not errors:
        return {}
    if isinstance(errors, Mapping):
        return {str(k): (int(v) if v is not None else None) for k, v in errors.items() if v != 0}
    items = list(errors)
    if all(isinstance(e, str) for e in items):
        return dict.fromkeys(sorted(items), None)
    return dict(found(items))
