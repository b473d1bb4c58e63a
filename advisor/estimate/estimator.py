"""`estimate(arch)`: workload -> cost and latency, as one deterministic `Estimate`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.estimate.cost import compute_cost
from advisor.estimate.data import load_pricing
from advisor.estimate.latency import LatencyResult, compute_latency
from advisor.estimate.propagate import Workload, propagate
from advisor.memo import by_identity
from advisor.model import Architecture

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
                    }
                    for c in self.components
                ],
                "region": self.region,
                "entry_requests_month": round(self.entry_requests, 3),
                "notes": list(self.notes),
            },
            "latency": dict(self.latency),
        }


def estimate(
    arch: Architecture,
    region: str = "us-east-1",
    requests: float | None = None,
    *,
    free_tier: bool = False,
    pricing_file: str | None = None,
) -> Estimate:
    """Cost and latency of `arch` per month; `requests` overrides the entry rate.

    Raises AdvisorError when the region has no pricing data (never guesses prices).
    """
    pricing = load_pricing(region, pricing_file)
    wl = propagate(arch, requests)
    cost = compute_cost(arch, wl, pricing, free_tier=free_tier)
    lat = compute_latency(arch, wl)
    components = sorted(cost.components, key=lambda c: (c["node"], c["name"]))
    return Estimate(
        monthly_usd=cost.monthly_usd,
        by_node=dict(sorted(cost.by_node.items())),
        components=components,
        latency=lat.to_dict(),
        region=region,
        entry_requests=wl.entry_rate,
        notes=wl.notes + cost.notes + lat.notes,
        workload=wl,
        latency_result=lat,
    )


def attach_alternative_deltas(
    before_arch: Architecture,
    findings: Any,
    before_est: Estimate | None = None,
    region: str = "us-east-1",
    requests: float | None = None,
    estimate_of: Callable[[Architecture], Estimate] | None = None,
    **kwargs: Any,
) -> None:
    """Set `cost_delta_usd_month` and `latency_delta_ms` (after minus before) on every
    alternative of every finding. The latency delta is on the response p50, or on the
    delivery p50 when the design has no client-facing response path
    (`Estimate.latency_delta_from`). `estimate_of(arch)`: how to estimate a design (the
    pipeline passes its per-analysis cache, so a design its judge already estimated is
    not estimated again); default `estimate(arch, region=, requests=, **kwargs)`."""
    if estimate_of is None:
        estimate_of = by_identity(
            lambda arch: estimate(arch, region=region, requests=requests, **kwargs))

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
