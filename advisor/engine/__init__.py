"""The pattern engine: Well-Architected patterns as data, matched on the graph, rewritten.

    engine = Engine.default(extra_dirs=(), select=(), ignore=())
    outcome = engine.run(arch, apply="default")   # "default" | "all" | "none"
    outcome = engine.run(arch, apply={finding.id: 1})   # exactly these, by alternative

See advisor/engine/core.py for the rewrite policy and docs/patterns-authoring.md for the
pattern file format.
"""

from advisor.engine.core import APPLY_CHOICES, Engine, finding_id
from advisor.engine.findings import Alternative, Change, Finding, Outcome
from advisor.engine.loader import Pattern, builtin_dir, load_all, load_dir, load_file

__all__ = [
    "APPLY_CHOICES",
    "Alternative",
    "Change",
    "Engine",
    "Finding",
    "Outcome",
    "Pattern",
    "builtin_dir",
    "finding_id",
    "load_all",
    "load_dir",
    "load_file",
]
