"""Native routes: which service reaches which natively, and by what mechanism.

The catalog lists each service's native integrations; integration_limits.yaml narrows
them to the sub-types a mechanism really reaches (advisor/engine/limits.py). Matching
(the glue rules: can the trigger reach the target without the function?) and rewriting
(the route a glue function is replaced by) both ask here, so they never disagree.
"""

from __future__ import annotations

import itertools
from typing import Any

from advisor import catalog
from advisor.engine import limits
from advisor.engine.context import Ctx

# Kinds that are not an AWS service API a native integration could call.
NOT_AWS_APIS = frozenset({"client", "http", "resource"})


def forward_targets(ctx: Ctx, fn: str) -> list[str]:
    """The successors `fn` really forwards to.

    Its work successors (`Ctx.work_out`); when its handler was read and its single SDK
    call targets a kind (`glue_target`) that exactly one of them has, only that one: the
    others are reached through IAM policies or environment variables the code never uses.
    """
    return code_targets(ctx.props(fn), ctx.work_out(fn), ctx.kind)


def code_targets(props: dict[str, Any], work: list[str], kind_of: Any) -> list[str]:
    """Of a function's work successors, those its code sends to: when its handler was
    read and its single call targets a kind (`glue_target`) exactly one of them has,
    only that one (the rest come from IAM policies or environment variables)."""
    target = props.get("glue_target")
    if len(work) > 1 and target and props.get("glue_evidence"):
        named = [s for s in work if kind_of(s) == target]
        if len(named) == 1:
            return named
    return work


def _routes(via: Any) -> list[list[str]]:
    """`glue_via` as a list of hop sequences: None -> [[]] (direct), "pipes" -> [["pipes"]],
    [[sfn], [pipes, sfn]] as given."""
    if not via:
        return [[]]
    if isinstance(via, str):
        return [[via]]
    return [[v] if isinstance(v, str) else list(v) for v in via]


def hop_ok(source_kind: str, target_kind: str, any_service: Any = (),
           source_props: dict[str, Any] | None = None,
           target_props: dict[str, Any] | None = None) -> bool:
    """One native hop: the catalog's integrations, or a source that calls any AWS API
    (`any_service` kinds, e.g. a REST API's AWS integration, a Step Functions AWS SDK task),
    within the sub-type limits of integration_limits.yaml (a pipe reaches a REST API, not
    an HTTP or WebSocket API). Props of the two ends are checked when known (None: a node
    the rewrite creates, judged by catalog defaults)."""
    return hop_mechanism(source_kind, target_kind, any_service, source_props,
                         target_props) is not None


def hop_mechanism(source_kind: str, target_kind: str, any_service: Any = (),
                  source_props: dict[str, Any] | None = None,
                  target_props: dict[str, Any] | None = None) -> str | None:
    """The mechanism text of the first allowed native hop (see `hop_ok`), or None."""
    for integ in catalog.native_integrations(source_kind, target_kind):
        if limits.allows(integ.id, source_kind, target_kind, source_props, target_props):
            return integ.mechanism
    if source_kind in (any_service or ()) and target_kind not in NOT_AWS_APIS and \
            limits.allows(limits.ANY_SERVICE, source_kind, target_kind, source_props,
                          target_props):
        return str(any_service[source_kind]) if isinstance(any_service, dict) else source_kind
    return None


def route_to(source_kind: str, target_kind: str, params: dict[str, Any],
             source_props: dict[str, Any] | None = None,
             target_props: dict[str, Any] | None = None) -> list[str] | None:
    """The first route (intermediate kinds) by which `source_kind` reaches `target_kind`
    natively under the pattern's `glue_via` / `glue_any_service` params, or None. The
    props of the source and the target (when known) are checked against the limits of
    the first and the last hop."""
    any_service = params.get("glue_any_service") or ()
    for seq in _routes(params.get("glue_via")):
        hops = [source_kind, *seq, target_kind]
        last = len(hops) - 2
        if all(hop_ok(a, b, any_service, source_props if i == 0 else None,
                      target_props if i == last else None)
               for i, (a, b) in enumerate(itertools.pairwise(hops))):
            return seq
    return None


def one_hop(source_kind: str, target_kind: str, source_props: dict[str, Any] | None = None,
             target_props: dict[str, Any] | None = None) -> bool:
    return route_to(source_kind, target_kind, {"glue_via": [[], ["pipes"]]}, source_props,
                    target_props) is not None


def describe_route(source_kind: str, route: list[str], target: str,
                   params: dict[str, Any], source_props: dict[str, Any] | None = None,
                   target_props: dict[str, Any] | None = None) -> str:
    """'an EventBridge Pipes source ... then EventBridge Pipes target', from the catalog:
    the mechanism of each hop that the limits allow."""
    hops = [source_kind, *route, target]
    any_service = params.get("glue_any_service") or {}
    parts = []
    last = len(hops) - 2
    for i, (a, b) in enumerate(itertools.pairwise(hops)):
        found = hop_mechanism(a, b, any_service, source_props if i == 0 else None,
                              target_props if i == last else None)
        if found:
            parts.append(found)
    return " then ".join(parts)


def http_api_subtypes() -> list[str]:
    for integ in catalog.integrations():
        if integ.id == "apigw_service_integration":
            data = catalog._data()["integrations"][integ.id]
            return list(data.get("http_api_subtypes", []))
    return []
