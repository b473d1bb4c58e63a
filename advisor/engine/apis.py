"""What only a REST API has, and which integrations an HTTP API lacks (data layer).

COST-APIGW-REST-TO-HTTP asks `rest_only` of a REST API (it fires only when the answer is
empty, and `--show-blocked` lists the answer otherwise); the safety invariants ask it of
an API a rewrite makes an HTTP API. The features and targets are data:
integration_limits.yaml, `http_api`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from advisor.datafiles import safe_load
from advisor.engine.conditions import check_condition

# (successor kind, successor category, edge props) of one API's integrations
Integration = tuple[str, str, dict[str, Any]]
# neighbours that configure the API (an authorizer's user pool, logs, keys), not integrations
INCIDENTAL = frozenset({"observability", "security", "identity"})


@cache
def http_api_data() -> dict[str, Any]:
    path = Path(__file__).with_name("integration_limits.yaml")
    raw = safe_load(path.read_text("utf-8"), remember=True) or {}
    return dict(raw.get("http_api") or {})


def rest_only(props: dict[str, Any], integrations: Iterable[Integration]) -> list[str]:
    """What a REST API with these props and integrations uses that an HTTP API lacks
    (empty: an HTTP API would serve it)."""
    data = http_api_data()
    out = []
    for feature in data.get("rest_only", ()):
        cond = {k: v for k, v in feature.items() if k != "why"}
        if props.get(cond["prop"]) is not None and check_condition(
                props, "apigw", {**cond, "default": False}):
            out.append(str(feature["why"]))
    if props.get("endpoint") is None:
        out.append(str(data.get("unstated_endpoint")))
    integrations = list(integrations)
    if not any(category not in INCIDENTAL for _, category, _ in integrations):
        out.append(str(data.get("unknown_integrations")))
    out.extend(http_api_lacks(integrations))
    return sorted(set(out), key=out.index)


def http_api_lacks(integrations: Iterable[Integration]) -> list[str]:
    """The integrations an HTTP API cannot make: a service integration outside its
    subtypes (or an action outside a subtype's), mapping templates (VTL), a non-proxy
    Lambda integration."""
    data = http_api_data()
    proxies = set(data.get("proxy_targets", ()))
    actions = {k: {a.lower() for a in v} for k, v in (data.get("subtype_actions") or {}).items()}
    out = []
    for kind, category, eprops in integrations:
        if category in INCIDENTAL:
            continue
        if eprops.get("transform") is True:
            out.append(f"a mapping template (VTL) on its {kind} integration")
            continue
        if kind in proxies:
            if kind == "lambda" and eprops.get("integration") == "service":
                out.append("a non-proxy Lambda integration (VTL mapping)")
            continue
        if kind not in actions:
            out.append(f"a {kind} service integration (HTTP APIs have none)")
            continue
        action = str(eprops.get("action") or "")
        bare = action.split(":")[-1].split("-")[-1].lower()
        if action and bare not in actions[kind]:
            out.append(f"the {kind} {action} action (HTTP API subtypes:"
                       f" {', '.join(sorted(data['subtype_actions'][kind]))})")
    return out
