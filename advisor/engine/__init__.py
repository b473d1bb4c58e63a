"""The pattern engine: Well-Architected patterns as data, matched on the graph, rewritten.

    engine = Engine.default(extra_dirs=(), select=(), ignore=())
    outcome = engine.run(arch, apply="default")   # "default" | "all" | "none"
    outcome = engine.run(arch, apply={finding.id: 1})   # exactly these, by alternative
    outcome = engine.run(arch, judge=estimate_judge(estimate))  # skip rewrites that cost
                                                    # more and are not faster (core.worse)

See advisor/engine/core.py for the rewrite policy and docs/patterns-authoring.md for the
pattern file format.
"""

from advisor.engine.core import APPLY_CHOICES, Engine, Judge, finding_id
from advisor.engine.findings import Alternative, Change, Finding, Outcome
from advisor.engine.judge import estimate_judge
from advisor.engine.loader import Pattern, builtin_dir, load_all, load_dir, load_file

__all__ = [
    "APPLY_CHOICES",
    "Alternative",
    "Change",
    "Engine",
    "Finding",
    "Judge",
    "Outcome",
    "Pattern",
    "builtin_dir",
    "estimate_judge",
    "finding_id",
    "load_all",
    "load_dir",
    "load_file",
]
