"""Targets a handler names by their physical name, resolved to the declared resources.

Handler inspection (advisor/importers/handlers/) records, for each forwarding call whose
target parameter is one string literal (`EventBusName="orders-bus"`, a queue URL, a topic
ARN, `TableName="orders"`), that literal. Each importer resolves it with its own index
of the physical names its resources declare (CloudFormation `Ctx.by_physical_name`,
Terraform `Context.by_literal`): a match is the resource the code reaches, so the edge
is drawn (when the template did not show it already) and the match becomes evidence
(`target: ...`). A literal no declared resource of the call's kind has resolves to
nothing: the target may be outside the template, and none is invented.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.importers.handlers.verdict import HandlerReport, service_kind


def named_targets(report: HandlerReport, node: str,
                  resolve: Callable[[str, str], str | None]) -> list[tuple[str, str]]:
    """(target node, evidence item) for each literal target `resolve(literal, kind)`
    finds among the declared resources (never the function itself)."""
    out = []
    for call, literal in report.target_literals:
        target = resolve(literal, service_kind(call.service))
        if target is None or target == node:
            continue
        out.append((target, f"target: {call.target_param} {literal!r} is the physical name "
                            f"of {target} at line {call.line}"))
    return out


def with_evidence(evidence: object, items: list[str]) -> str | None:
    """The node's `glue_evidence` with the resolved targets appended (the engine reads
    items after the first as observations, advisor/engine/evidence.py)."""
    if not items or not isinstance(evidence, str):
        return None
    return "; ".join([evidence, *items])
