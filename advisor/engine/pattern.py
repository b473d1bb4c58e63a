"""`Pattern`: one validated pattern file, as every engine layer reads it.

Loading and checking the YAML is advisor/engine/loader.py; this module is only the shape,
so matching and rewriting can name a pattern without depending on how it was loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

APPLY_LEVELS = ("default", "opt-in", "manual")


@dataclass(frozen=True)
class Pattern:
    """One validated pattern; `match` and `fix` stay as the (validated) YAML mappings."""

    id: str
    title: str
    pillar: str
    severity: str
    description: str
    rationale: str
    match: dict[str, Any]
    fix: dict[str, Any]
    references: tuple[str, ...]
    examples: dict[str, str]
    message: str = ""
    priority: int = 100
    caveats: tuple[str, ...] = ()
    # rule docs: when the rule is wrong, and what `--apply default` may change
    known_problems: tuple[str, ...] = ()
    fix_safety: str = ""
    equivalents: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def chain(self) -> list[dict[str, Any]]:
        return list(self.match["chain"])

    @cached_property
    def subject(self) -> int:
        return int(self.match.get("subject", 0))

    @property
    def location_prop(self) -> str | None:
        """The prop whose setting the finding is about: it points where that is set."""
        prop = self.match.get("location_prop")
        return str(prop) if prop else None

    @cached_property
    def apply(self) -> str:
        return str(self.fix.get("apply", "manual"))

    @cached_property
    def alternatives(self) -> list[dict[str, Any]]:
        return list(self.fix["alternatives"])

    @cached_property
    def rewrites(self) -> bool:
        """True when the first alternative changes the graph (is not advice only)."""
        return bool(self.alternatives[0].get("ops"))
