"""`estimate(arch)`: workload -> cost and latency, as one deterministic `Estimate`.

Before the workload is propagated, the design is completed into the one that is priced:
usage-file values become node props (advisor/estimate/usage.py), and services the
design's functions call without declaring them (a state machine started by ARN, the
default event bus) are added as nodes (advisor/estimate/semantics.implicit_services), so
a rewrite that makes such a service explicit is not charged for a service that was there
all along. The design passed in is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.estimate.assumptions import Assumption, Assumptions
from advisor.estimate.cost import compute_cost
from advisor.estimate.data import load_pricing
from advisor.estimate.incremental import base_of, estimate_change
from advisor.estimate.latency import LatencyResult, compute_latency
from advisor.estimate.propagate import Workload, propagate
from advisor.estimate.semantics import implicit_services
from advisor.estimate.usage import UsageFile, apply_usage, resolve_usage
from advisor.memo import by_identity
from advisor.model import Architecture
from advisor.overlay import drop_views

COST_DECIMALS = 4
PRICE_DECIMALS = 10


@dataclass
class Estimate:
    """Monthly cost (total, per node, per pricing dimension) and latency of one design."""

    monthly_usd: float
    by_node: dict[str, float]
    components: list[dict[str, Any]]
    latency: dict[str, Any]
    region: str = "us-east-1"
    entry_requests: float = 0.0
    notes: list[str] = field(default_factory=list)
    workload: Workload | None = field(default=None, repr=False)
    latency_result: LatencyResult | None = field(default=None, repr=False)
    assumptions: list[Assumption] = field(default_factory=list)
    workload_summary: dict[str, Any] = field(default_factory=dict)
    priced: Architecture | None = field(default=None, repr=False)  # the design as priced
    usages: list[Any] = field(default_factory=list, repr=False)  # its priced lines
    # an estimate of a rewrite made from its base design's (advisor/estimate/incremental):
    # the totals only, no per-node breakdown, notes or assumptions
    partial: bool = False

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (the result cache, worker processes) without what only an incremental
        estimate in this process reads (advisor/estimate/incremental.py): the bases worked
        out from it and its priced lines (`usages`, one per node and dimension)."""
        state = dict(self.__dict__)
        state.pop("_incremental_bases", None)
        state["usages"] = []
        return state

    @property
    def has_response(self) -> bool:
        return bool(self.latency_result and self.latency_result.has_response)

    def headline_latency_ms(self) -> float:
        """Response p50 when a client waits for one, else the delivery p50."""
        key = "response_p50_ms" if self.has_response else "delivery_p50_ms"
        return float(self.latency[key])

    def latency_delta_from(self, before: Estimate) -> float:
        """This design's latency minus `before`'s, in ms: the response p50 when both have a
        client-facing response path, minus the old response p50 when this design removed
        it (the client now writes directly), else the delivery p50. Reports and the
        engine's judge both use this one rule."""
        if before.has_response and self.has_response:
            return float(self.latency["response_p50_ms"] - before.latency["response_p50_ms"])
        if before.has_response:
            return -float(before.latency["response_p50_ms"])
        return float(self.latency["delivery_p50_ms"] - before.latency["delivery_p50_ms"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "cost": {
                "monthly_usd": round(self.monthly_usd, COST_DECIMALS),
                "by_node": {k: round(v, COST_DECIMALS) for k, v in self.by_node.items()},
                "components": [
                    {
                        "node": c["node"],
                        "name": c["name"],
                        "quantity": round(c["quantity"], 6),
                        "unit": c["unit"],
                        "price_usd": round(c["price_usd"], PRICE_DECIMALS),
                        "monthly_usd": round(c["monthly_usd"], COST_DECIMALS),
                        **({"free_source": c["free_source"]} if c.get("free_source") else {}),
                    }
                    for c in self.components
                ],
                "region": self.region,
                "entry_requests_month": round(self.entry_requests, 3),
                "notes": list(self.notes),
            },
            "latency": dict(self.latency),
            "workload": dict(self.workload_summary),
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


def priced_design(arch: Architecture, usage: UsageFile | None = None
                  ) -> tuple[Architecture, list[str], Assumptions]:
    """The design that is priced: usage-file values applied, undeclared services the
    functions call added (with the assumptions and notes that says)."""
    out, notes, _stated = apply_usage(arch, usage)
    stated = Assumptions()
    implicit = implicit_services(out)
    if implicit:
        out = out.copy() if out is arch else out  # a plain copy: the estimate keeps it
        for svc in implicit:
            group = tuple(out.graph.nodes[svc.caller].get("group", ()))
            out.add_node(svc.name, svc.kind, {}, group=group)
            out.add_edge(svc.caller, svc.name, mode="sync", label="handler call")
            stated.add("design.implicit_service",
                       "services the functions call but the design does not declare are priced "
                       "with default settings (they exist either way)",
                       nodes=(svc.name,), source="handler inspection (glue_target)",
                       state="declare the service as a node")
            notes.append(f"{svc.caller} calls {svc.kind}, which the design does not declare: "
                         f"priced as {svc.name} with default settings")
    return out, notes, stated


def _workload_summary(arch: Architecture, wl: Workload, requests: float | None) -> dict[str, Any]:
    stated = arch.workload or {}
    source = ("--requests" if requests is not None
              else "design" if stated.get("requests") is not None else "default")
    out: dict[str, Any] = {
        "requests_month": round(wl.entry_rate, 3),
        "requests_source": source,
        "payload_bytes": float(stated.get("payload") or 1024.0),
        "payload_source": "design" if stated.get("payload") else "default",
        "entries": sorted(wl.entries),
    }
    for key in ("peak", "users", "response"):
        if stated.get(key) is not None:
            out[key] = stated[key]
    return out


def estimate(
    arch: Architecture,
    region: str = "us-east-1",
    requests: float | None = None,
    *,
    free_tier: Any = False,
    pricing_file: str | None = None,
    usage: UsageFile | str | None = None,
) -> Estimate:
    """Cost and latency of `arch` per month; `requests` overrides the entry rate.

    `free_tier`: False (default), True / "always" (the always-free allowances) or
    "12-month" (those and the 12-month offers). `usage`: an Infracost-format usage file
    (path or `UsageFile`). Raises AdvisorError when the region has no pricing data (never
    guesses prices) or the usage file is invalid.
    """
    pricing = load_pricing(region, pricing_file)
    priced, design_notes, implicit_notes = priced_design(arch, resolve_usage(usage))
    wl = propagate(priced, requests)
    wl.assumptions.items.update(implicit_notes.items)
    cost = compute_cost(priced, wl, pricing, free_tier=free_tier, notes=wl.assumptions)
    lat = compute_latency(priced, wl)
    components = sorted(cost.components, key=lambda c: (c["node"], c["name"]))
    return Estimate(
        monthly_usd=cost.monthly_usd,
        by_node=dict(sorted(cost.by_node.items())),
        components=components,
        latency=lat.to_dict(),
        region=region,
        entry_requests=wl.entry_rate,
        notes=design_notes + wl.notes + cost.notes + lat.notes,
        workload=wl,
        latency_result=lat,
        assumptions=wl.assumptions.to_list(),
        workload_summary=_workload_summary(priced, wl, requests),
        priced=priced,
        usages=cost.usages,
    )


def estimate_rewrite(
    before: Architecture,
    before_est: Estimate,
    after: Architecture,
    region: str = "us-east-1",
    requests: float | None = None,
    *,
    free_tier: Any = False,
    pricing_file: str | None = None,
    usage: UsageFile | str | None = None,
    change: Any = None,
) -> Estimate:
    """The estimate of `after`, a rewrite of `before` (whose estimate is `before_est`,
    made with the same arguments): worked out from `before_est` for what the rewrite
    changes (advisor/estimate/incremental.py: the same monthly cost and latencies, a
    `partial` estimate without the per-node breakdown), else `after` estimated whole.
    `change`: what the rewrite changed (`incremental.Change`), when the caller knows."""
    if usage is None:
        base = base_of(before, before_est, region, requests, free_tier, pricing_file)
        got = estimate_change(base, after, change) if base is not None else None
        if got is not None:
            return got  # type: ignore[no-any-return]
    return estimate(after, region, requests, free_tier=free_tier, pricing_file=pricing_file,
                    usage=usage)


def attach_alternative_deltas(
    before_arch: Architecture,
    findings: Any,
    before_est: Estimate | None = None,
    region: str = "us-east-1",
    requests: float | None = None,
    estimate_of: Callable[[Architecture], Estimate] | None = None,
    release: bool = False,
    **kwargs: Any,
) -> None:
    """Set `cost_delta_usd_month` and `latency_delta_ms` (after minus before) on every
    alternative of every finding. The latency delta is on the response p50, or on the
    delivery p50 when the design has no client-facing response path
    (`Estimate.latency_delta_from`). `estimate_of(arch)`: how to estimate a design (the
    pipeline passes its per-analysis cache, so a design its judge already estimated is
    not estimated again); default: the rewrite's estimate made from the before design's
    (`estimate_rewrite`: for what each alternative changes, not the whole design again).
    `release`: each alternative forgets its design once its deltas are set
    (`Alternative.release`: built again when asked for), so they are not all held."""
    if estimate_of is None:
        full = before_est or estimate(before_arch, region=region, requests=requests, **kwargs)
        estimate_of = by_identity(lambda arch: estimate_rewrite(
            before_arch, full, arch, region=region, requests=requests, **kwargs))
        before_est = full

    before = before_est or estimate_of(before_arch)
    for finding in findings or ():
        for alt in getattr(finding, "alternatives", None) or ():
            after_arch = getattr(alt, "after", None)
            if after_arch is None:  # advice without a graph change: nothing to estimate
                alt.cost_delta_usd_month = 0.0
                alt.latency_delta_ms = 0.0
                continue
            after = estimate_of(after_arch)
            alt.cost_delta_usd_month = round(after.monthly_usd - before.monthly_usd, 2) + 0.0  # no -0.0
            alt.latency_delta_ms = round(after.latency_delta_from(before), 1) + 0.0
            if release and hasattr(alt, "release"):
                alt.release()
                if getattr(alt, "_after", None) is not after_arch and after_arch is not before_arch:
                    drop_views(after_arch)  # let go: freed now, not by a collection
