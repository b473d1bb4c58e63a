"""The pattern engine: Well-Architected patterns as data, matched on the graph, rewritten.

    engine = Engine.default(extra_dirs=(), select=(), ignore=())
    outcome = engine.run(arch, apply="default")   # "default" | "all" | "none"
    outcome = engine.run(arch, apply={finding.id: 1})   # exactly these, by alternative
    outcome = engine.run(arch, judge=judge)   # skip rewrites that cost more and are not
                                              # faster (advisor/engine/choose.py)

The engine imports no estimates, no DSL and no writer: a judge and a traffic function
are handed in (advisor.pipeline wires them from the estimates). Layers, each reading
only those below: match (matcher.py, predicates.py) -> choose (choose.py) -> rewrite
(rewrite.py), over the pattern model (pattern.py, loader.py), the read view
(context.py) and the op interpreter (edit.py, rewriters.py, ops.py). See
docs/internals.md and docs/patterns-authoring.md.
"""

from advisor.engine.choose import Judge, finding_id
from advisor.engine.context import Traffic
from advisor.engine.core import APPLY_CHOICES, Engine
from advisor.engine.findings import Alternative, Change, Finding, Outcome
from advisor.engine.loader import builtin_dir, load_all, load_dir, load_file
from advisor.engine.pattern import Pattern

__all__ = [
    "APPLY_CHOICES",
    "Alternative",
    "Change",
    "Engine",
    "Finding",
    "Judge",
    "Outcome",
    "Pattern",
    "Traffic",
    "builtin_dir",
    "finding_id",
    "load_all",
    "load_dir",
    "load_file",
]
