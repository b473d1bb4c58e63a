"""Sub-type limits of native integrations (integration_limits.yaml).

The catalog lists the target *kinds* each native mechanism reaches. Some mechanisms reach
only some sub-types of a kind (EventBridge Pipes, EventBridge rules and Scheduler invoke
API Gateway REST APIs, never HTTP or WebSocket APIs). `allows` is asked for every native
hop the engine plans, with the props of the nodes at both ends when they are known, so a
glue rewrite never targets something its mechanism cannot reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from advisor.datafiles import safe_load
from advisor.engine.conditions import check_condition

ANY_SERVICE = "any_service"  # the `glue_any_service` mechanisms (SDK tasks, universal targets)


@dataclass(frozen=True)
class Limit:
    """One limit: hops by `integration` to `targets` need these props (or never work)."""

    integration: str
    targets: tuple[str, ...]
    target_props: tuple[dict[str, Any], ...] = ()
    source_props: tuple[dict[str, Any], ...] = ()
    never: bool = False
    why: str = ""
    source_url: str = ""


@cache
def limits() -> tuple[Limit, ...]:
    """Every limit in the data file, in file order."""
    path = Path(__file__).with_name("integration_limits.yaml")
    raw = safe_load(path.read_text("utf-8"), remember=True) or {}
    out = []
    for item in raw.get("limits", ()):
        targets = item["target"] if isinstance(item["target"], list) else [item["target"]]
        out.append(Limit(
            integration=str(item["integration"]), targets=tuple(str(t) for t in targets),
            target_props=tuple(item.get("target_props", ())),
            source_props=tuple(item.get("source_props", ())),
            never=bool(item.get("never", False)), why=str(item.get("why", "")),
            source_url=str(item.get("source_url", "")),
        ))
    return tuple(out)


@cache
def _by_hop() -> dict[tuple[str, str], tuple[Limit, ...]]:
    table: dict[tuple[str, str], list[Limit]] = {}
    for lim in limits():
        for t in lim.targets:
            table.setdefault((lim.integration, t), []).append(lim)
    return {k: tuple(v) for k, v in table.items()}


def blocking(integration: str, source_kind: str, target_kind: str,
             source_props: dict[str, Any] | None = None,
             target_props: dict[str, Any] | None = None) -> Limit | None:
    """The first limit that stops this hop, or None when the hop is possible.

    Unknown props (None: a node the rewrite will create) are judged by catalog defaults.
    """
    for lim in _by_hop().get((integration, target_kind), ()):
        if lim.never:
            return lim
        if any(not check_condition(target_props or {}, target_kind, c) for c in lim.target_props):
            return lim
        if any(not check_condition(source_props or {}, source_kind, c) for c in lim.source_props):
            return lim
    return None


def allows(integration: str, source_kind: str, target_kind: str,
           source_props: dict[str, Any] | None = None,
           target_props: dict[str, Any] | None = None) -> bool:
    """True when no limit stops `integration` from reaching this target."""
    return blocking(integration, source_kind, target_kind, source_props, target_props) is None
