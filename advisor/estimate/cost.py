"""Monthly cost per node, broken down like Infracost's cost components.

Each kind turns its propagated load into usage lines (a node, a component name, a price
key, a quantity in the price's unit): advisor/estimate/services.py, one function per
kind. Dimensions every serverless bill has whatever the kind (log ingestion, data
transfer out, KMS keys and requests, X-Ray traces) come from
advisor/estimate/dimensions.py. Prices are tiered on the account's monthly total of a
dimension (all Lambda x86 GB-seconds together, all REST API requests together), so the
lines are first summed per price key, charged once over the tiers (after the free tier
when it is switched on), and the charge is shared back to the lines in proportion to
their quantity. Kinds without a price model cost 0 with a note saying so.

Every default the usage functions fall back on is recorded as an assumption on the
context (`ctx.notes`), so the output can say what the figure rests on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from advisor.catalog import prop_value
from advisor.estimate.assumptions import Assumptions
from advisor.estimate.data import Pricing
from advisor.estimate.propagate import Load, Workload, peak_factor
from advisor.model import Architecture
from advisor.units import SECONDS_PER_MONTH

GIB = 1024.0**3
HOURS_PER_MONTH = 730.0
MS_PER_MONTH = SECONDS_PER_MONTH * 1000.0
UNPRICED = frozenset({"client", "http", "resource", "ecs", "alb", "rds", "opensearch", "cloudfront"})
FREE_TIER_TERMS = {False: (), None: (), True: ("always",), "always": ("always",),
                   "12-month": ("always", "12-month"), "all": ("always", "12-month")}


@cache
def _default(kind: str, name: str) -> Any:
    return prop_value({}, kind, name)


@dataclass
class Usage:
    node: str
    name: str
    key: str
    quantity: float  # in the price's unit
    optional: bool = False  # a cross-cutting dimension: skipped (with a note) when unpriced


def chunks(size: float, chunk: float) -> int:
    """How many metering chunks a payload of `size` bytes is billed as (at least 1)."""
    return max(1, math.ceil(size / chunk)) if chunk > 0 else 1


def round_up(value: float, step: float) -> float:
    return math.ceil(value / step) * step if step > 0 else value


class Ctx:
    """What a usage function reads: the design, its workload, metering rules, and where
    it records the defaults it falls back on."""

    def __init__(self, arch: Architecture, wl: Workload, pricing: Pricing,
                 notes: Assumptions | None = None) -> None:
        self.arch = arch
        self.wl = wl
        self.pricing = pricing
        self.g = arch.graph
        self.nodes: dict[str, dict[str, Any]] = arch.graph._node  # read only
        self.notes = notes if notes is not None else Assumptions()

    def prop(self, node: str, name: str) -> Any:
        """The node's prop, else the catalog default."""
        data = self.nodes[node]
        props = data["props"]
        if name in props:
            return props[name]
        return _default(data["kind"], name)

    def stated(self, node: str, name: str) -> Any:
        """The prop only when the design (or a usage file) states it."""
        return self.nodes[node]["props"].get(name)

    def kind(self, node: str) -> str:
        return str(self.nodes[node]["kind"])

    def load(self, node: str) -> Load:
        return self.wl.nodes[node]

    def out_flows(self, node: str) -> list[tuple[str, float, dict[str, Any]]]:
        adj = self.g._succ[node]
        return [(s, self.wl.edges.get((node, s), 0.0), adj[s].get("props") or {}) for s in self.wl.succ[node]]

    def in_flows(self, node: str) -> list[tuple[str, float, dict[str, Any]]]:
        """(predecessor, records per month, edge data) for every edge into `node`."""
        adj = self.g._pred[node]
        return [(p, self.wl.edges.get((p, node), 0.0), adj[p]) for p in sorted(adj)]

    def looped_in(self, node: str) -> list[str]:
        """The functions whose write-back into `node` closes a cycle (a consumer
        re-queueing into its queue: `FlowRules.counted_once`): their calls reach `node`'s
        incoming flows, but not its load (they are not fed around again)."""
        back = self.wl.back_edges
        return [p for p in sorted(self.g._pred[node])
                if (p, node) in back and self.arch.writes_back(p, node)]

    def written_back(self, node: str) -> float:
        """Records per month written back into `node` (`looped_in`): a service priced by
        its load adds them."""
        return sum(self.wl.edges.get((p, node), 0.0) for p in self.looped_in(node))

    def rule(self, name: str, default: float) -> float:
        return self.pricing.rule(name, default)

    def peak(self, node: str) -> float:
        return peak_factor(self.arch, self.notes, (node,))

    def default(self, section: str, name: str, text: str, node: str | tuple[str, ...],
                state: str = "") -> Any:
        nodes = (node,) if isinstance(node, str) else tuple(node)
        return self.notes.default(section, name, text, nodes=nodes, state=state)


UsageFn = Callable[[Ctx, str], list[Usage]]


@dataclass
class CostResult:
    monthly_usd: float
    by_node: dict[str, float]
    components: list[dict[str, Any]]
    notes: list[str]
    usages: list[Usage] = field(default_factory=list)  # the priced lines


def _per_label(per: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if per >= step and per % step == 0:
            return f"{int(per // step)}{suffix} "
    return "" if per == 1 else f"{per:g} "


def free_terms(free_tier: Any) -> tuple[str, ...]:
    """Which free-tier allowances to subtract: none (default), the always-free ones
    (`True` / "always"), or those and the 12-month offers ("12-month")."""
    try:
        return FREE_TIER_TERMS[free_tier]
    except (KeyError, TypeError):
        raise ValueError("free_tier must be False, True, 'always' or '12-month', "
                         f"not {free_tier!r}") from None


def _free_allowance(pricing: Pricing, totals: dict[str, float], terms: tuple[str, ...]) -> dict[str, float]:
    """Free units per price key; a shared allowance is spent on keys in sorted order."""
    out: dict[str, float] = {}
    for key, spec in sorted(pricing.free_tier.items()):
        if str(spec.get("term", "always")) not in terms:
            continue
        left = float(spec.get("quantity", 0))
        group = [key, str(spec["shared_with"])] if spec.get("shared_with") else [key]
        for k in group:
            use = min(left, totals.get(k, 0.0))
            out[k] = out.get(k, 0.0) + use
            left -= use
    return out


# the props of a node that another node's usage lines read (a traced caller, an account
# boundary, a bus rule's pattern or schedule, a Firehose's buffer behind a bucket, the log
# lines written into a log group): a change of other props alters only the node's own
# lines, which the incremental estimate relies on (tests/test_estimate_prop_reads.py checks
# the list against what `node_lines` reads of each node's neighbours)
NEIGHBOUR_PROPS = frozenset({
    "tracing", "account", "pattern", "schedule", "buffer_interval", "buffer_size",
    "log_bytes", "access_log_bytes", "access_logging",
})


def node_lines(ctx: Ctx, n: str) -> list[Usage]:
    """Every priced usage line node `n` is charged: its kind's and the cross-cutting
    dimensions' (advisor/estimate/dimensions.py), without empty lines and without
    optional ones the pricing data has no price for. A node's lines depend only on its
    own kind, props and load, on the edges it has (their data, flows and batches) and on
    its neighbours' kinds, loads and `NEIGHBOUR_PROPS` (what the incremental estimate
    relies on)."""
    usage, dimension_lines_of = _line_functions()
    fn = usage.get(ctx.nodes[n]["kind"])
    lines = [*(fn(ctx, n) if fn is not None else ()), *dimension_lines_of(ctx, n)]
    prices = ctx.pricing.prices
    return [u for u in lines if u.quantity > 0 and not (u.optional and u.key not in prices)]


@cache
def _line_functions() -> tuple[dict[str, UsageFn], Callable[[Ctx, str], list[Usage]]]:
    """The per-kind usage functions and the dimensions' lines of one node (modules that
    import this one: looked up once, not on each of an analysis's many calls)."""
    from advisor.estimate.dimensions import dimension_lines_of
    from advisor.estimate.services import USAGE

    return USAGE, dimension_lines_of


def collect_usage(arch: Architecture, wl: Workload, pricing: Pricing,
                  notes: Assumptions) -> tuple[list[Usage], list[str]]:
    """Every usage line of the design (per kind, then the cross-cutting dimensions)."""
    from advisor.estimate.dimensions import DIMENSIONS
    from advisor.estimate.services import USAGE

    ctx = Ctx(arch, wl, pricing, notes)
    usages: list[Usage] = []
    out_notes: list[str] = []
    unpriced: dict[str, list[str]] = defaultdict(list)
    for n in arch.node_names():
        kind = ctx.nodes[n]["kind"]
        fn = USAGE.get(kind)
        lines = fn(ctx, n) if fn is not None else []
        if not lines:
            if fn is None or kind == "resource":
                unpriced[kind].append(n)
            continue
        usages += [u for u in lines if u.quantity > 0]
    for dimension in DIMENSIONS:  # the same lines `node_lines` gives each node
        usages += [u for u in dimension(ctx) if u.quantity > 0]
    for kind in sorted(unpriced):
        why = "" if kind in UNPRICED else " (no price model)"
        out_notes.append(f"not priced{why}, counted as $0: {kind} ({', '.join(unpriced[kind])})")
    missing = sorted({u.key for u in usages if u.optional and not pricing.has(u.key)})
    if missing:
        usages = [u for u in usages if not (u.optional and u.key in missing)]
        out_notes.append(f"not priced (no price in the {pricing.region} pricing data): "
                         + ", ".join(missing))
    return usages, out_notes


def compute_cost(arch: Architecture, wl: Workload, pricing: Pricing, free_tier: Any = False,
                 notes: Assumptions | None = None) -> CostResult:
    """Every node's monthly cost and its components, tiers applied to account totals."""
    terms = free_terms(free_tier)
    usages, out_notes = collect_usage(arch, wl, pricing, notes if notes is not None else Assumptions())

    totals = key_totals(usages)
    charge = charges(pricing, totals, terms)

    by_node = {n: 0.0 for n in arch.node_names()}
    components: list[dict[str, Any]] = []
    prices = {k: pricing.price(k) for k in totals}
    labels = {k: f"{_per_label(p.per)}{p.unit}" for k, p in prices.items()}
    free_keys = {k for k, p in prices.items() if all(t == 0 for _upto, t in p.tiers)}
    for u in usages:
        price = prices[u.key]
        total = totals[u.key]
        share = charge[u.key] * (u.quantity / total) if total else 0.0
        by_node[u.node] = by_node.get(u.node, 0.0) + share
        qty = u.quantity / price.per
        component = {
            "node": u.node,
            "name": u.name,
            "quantity": qty,
            "unit": labels[u.key],
            "price_usd": share / qty if qty else price.first_price,
            "monthly_usd": share,
            "price_key": u.key,
            "raw_quantity": u.quantity,  # in the price's unit, before `per`
        }
        if u.key in free_keys:
            component["free_source"] = price.source  # a dimension AWS does not charge for
        components.append(component)
    if terms:
        out_notes.append("free tier applied: " + (
            "always-free allowances" if terms == ("always",)
            else "always-free allowances and the 12-month offers for new accounts"))
    weak = sorted(k for k, p in prices.items() if p.weak)
    if weak:
        out_notes.append("weakly sourced prices used: " + ", ".join(weak))
    # a design without nodes costs 0 (an int, as the sum of its no shares always was)
    monthly = monthly_total(charge) if by_node else 0
    return CostResult(monthly_usd=monthly, by_node=by_node, components=components,
                      notes=out_notes, usages=usages)


def key_totals(usages: list[Usage]) -> dict[str, float]:
    """Each price key's account total: the exact sum of its lines, rounded once
    (`math.fsum`), so it does not depend on the order the lines come in."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for u in usages:
        by_key[u.key].append(u.quantity)
    return {k: math.fsum(q) for k, q in by_key.items()}


def charges(pricing: Pricing, totals: dict[str, float], terms: tuple[str, ...],
            ) -> dict[str, float]:
    """Each price key's monthly charge: its total over the tiers, after the free tier."""
    free = _free_allowance(pricing, totals, terms) if terms else {}
    return {key: pricing.price(key).charge(max(0.0, qty - free.get(key, 0.0)))
            for key, qty in totals.items()}


def monthly_total(charge: dict[str, float]) -> float:
    """The monthly cost: the exact sum of the keys' charges, rounded once (the nodes'
    shares add up to it)."""
    return math.fsum(charge.values())

