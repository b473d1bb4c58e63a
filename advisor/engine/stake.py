"""Severity and order by stake: a finding's saving grades it (advisor/engine/stake.yaml).

The engine has no estimates; the pipeline attaches each alternative's deltas and then
calls `grade(findings)`, which sets `Finding.stake_usd_month` (the best monthly saving of
its alternatives, 0 when none saves) and raises an `info` finding to `warning` when the
saving reaches the threshold. Writers order findings of a pillar by severity, then by
stake (largest first), then by location.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from advisor.datafiles import safe_load
from advisor.engine.findings import Finding


@cache
def data() -> dict[str, Any]:
    path = Path(__file__).with_name("stake.yaml")
    return safe_load(path.read_text("utf-8"), remember=True) or {}  # type: ignore[no-any-return]


def saving(f: Finding) -> float:
    """The best monthly saving of `f`'s alternatives (USD, >= 0)."""
    deltas = [a.cost_delta_usd_month for a in f.alternatives
              if a.cost_delta_usd_month is not None]
    best = min(deltas, default=0.0)
    return round(-best, 2) if best < 0 else 0.0


def grade(findings: Iterable[Finding]) -> None:
    """Set each finding's stake; raise `info` to `warning` at the threshold."""
    threshold = float(data().get("warning_usd_month", 100))
    for f in findings:
        f.stake_usd_month = saving(f)
        if f.severity == "info" and f.stake_usd_month >= threshold:
            f.severity = "warning"
            f.message += (f" (warning: saves ${f.stake_usd_month:,.2f}/month, at least"
                          f" ${threshold:,.0f})")


__all__ = ["grade", "saving"]
