"""Sensitivity: cost over traffic from 1K to 10B requests/month, and break-even points.

A sweep re-runs the estimate at each traffic level (the entry rate is the only thing
that changes) for the design, its optimized form, and the classic either/or choices the
design contains: Step Functions Standard vs Express, API Gateway REST vs HTTP API,
Lambda glue vs a direct integration, Kinesis on-demand vs provisioned. A break-even is a
traffic level where two curves cross, found by bisection in log space between sample
points whose cost difference changes sign. Curves that never cross in the range say so
(`break_even_requests` is empty) and, for Standard vs Express, the execution duration
at which the two would cost the same is given instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.estimate.estimator import estimate
from advisor.model import Architecture

DECADES = tuple(10.0**k for k in range(3, 11))  # 1K .. 10B
SAMPLES_PER_DECADE = 4
MAX_EXPRESS_MS = 300_000.0  # Express workflows run at most five minutes


def sample_points(lo: float = 1e3, hi: float = 1e10, per_decade: int = SAMPLES_PER_DECADE) -> list[float]:
    n = round(math.log10(hi / lo) * per_decade)
    return [lo * 10 ** (i / per_decade) for i in range(n + 1)]


@dataclass
class Comparison:
    """Two alternatives' monthly cost over traffic and where they cross."""

    title: str
    node: str
    a_label: str
    b_label: str
    rows: list[tuple[float, float, float]]  # (requests/month, cost a, cost b)
    break_even_requests: list[float]
    extra: dict[str, Any] = field(default_factory=dict)

    def cheaper_at(self, requests: float) -> str:
        for r, a, b in self.rows:
            if math.isclose(r, requests, rel_tol=1e-9):
                return self.a_label if a < b else self.b_label
        raise KeyError(requests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "node": self.node,
            "a": self.a_label,
            "b": self.b_label,
            "rows": [
                {"requests_month": r, "a_usd": round(a, 4), "b_usd": round(b, 4)} for r, a, b in self.rows
            ],
            "break_even_requests_month": [round(x, 0) for x in self.break_even_requests],
            **{k: v for k, v in sorted(self.extra.items())},
        }


Coster = Callable[[Architecture, float], float]


def _coster(region: str, **kw: Any) -> Coster:
    def cost(arch: Architecture, requests: float) -> float:
        return estimate(arch, region=region, requests=requests, **kw).monthly_usd

    return cost


def crossings(
    f: Callable[[float], float], points: list[float], values: list[float] | None = None
) -> list[float]:
    """Where f (a cost difference) changes sign between sample points, by bisection."""
    vals = values if values is not None else [f(p) for p in points]
    eps = 1e-9
    # points where the curves differ, with the sign of the difference (equal points skipped)
    signed = [(p, v) for p, v in zip(points, vals, strict=True) if abs(v) > eps]
    out: list[float] = []
    for (lo, flo), (hi, fhi) in itertools.pairwise(signed):
        if (flo < 0) == (fhi < 0):
            continue
        a, b, fa = math.log10(lo), math.log10(hi), flo
        for _ in range(40):
            mid = (a + b) / 2
            fm = f(10**mid)
            if abs(fm) > eps and (fm < 0) == (fa < 0):
                a, fa = mid, fm
            else:
                b = mid
        out.append(10 ** ((a + b) / 2))
    return out


def compare(
    title: str,
    node: str,
    a_label: str,
    a: Architecture,
    b_label: str,
    b: Architecture,
    cost: Coster,
    points: list[float],
) -> Comparison:
    ca = [cost(a, p) for p in points]
    cb = [cost(b, p) for p in points]
    diffs = [x - y for x, y in zip(ca, cb, strict=True)]
    be = crossings(lambda r: cost(a, r) - cost(b, r), points, diffs)
    return Comparison(title, node, a_label, b_label, list(zip(points, ca, cb, strict=True)), be)


# ------------------------------------------------------------------ variants
def _with_prop(arch: Architecture, node: str, **props: Any) -> Architecture:
    out = arch.copy()
    out.graph.nodes[node]["props"].update(props)
    return out


# Either/or choices a design makes with one prop: (kind, prop, default, a, b, title).
PROP_CHOICES = (
    ("sfn", "type", "standard", "standard", "express", "Step Functions Standard vs Express"),
    ("apigw", "type", "rest", "rest", "http", "API Gateway REST vs HTTP API"),
    ("kinesis", "mode", "on-demand", "on-demand", "provisioned", "Kinesis on-demand vs provisioned"),
)


def _prop_choices(arch: Architecture, kind: str, prop: str, default: str, a: str, b: str,
                  title: str) -> list[tuple[str, str, str, Architecture, str, Architecture]]:
    """The design as it is and with the other value, for each node of `kind` whose value
    is one of the two (a WebSocket API is neither REST nor HTTP: no comparison)."""
    out = []
    for n in arch.nodes_of_kind(kind):
        value = str(arch.graph.nodes[n]["props"].get(prop, default))
        if value not in (a, b):
            continue
        other = b if value == a else a
        pair = {value: arch, other: _with_prop(arch, n, **{prop: other})}
        out.append((title, n, a, pair[a], b, pair[b]))
    return out


def variants(
    arch: Architecture, glue_rewrites: list[tuple[str, Architecture]] | None = None
) -> list[tuple[str, str, str, Architecture, str, Architecture]]:
    """(title, node, label a, design a, label b, design b) for each either/or choice.

    `glue_rewrites` are (lambda node, design without it) pairs from the engine's glue
    findings, so the sweep prices exactly what `analyze` proposes (e.g. a switch to a REST
    API that a service integration needs); the estimates do not decide what glue is."""
    sfn, apigw, kinesis = (_prop_choices(arch, *choice) for choice in PROP_CHOICES)
    glue = [("Lambda glue vs direct integration", n, "lambda glue", arch, "direct", direct)
            for n, direct in sorted(glue_rewrites or (), key=lambda pair: pair[0])]
    return [*sfn, *apigw, *glue, *kinesis]


def express_break_even_duration(
    arch: Architecture, node: str, requests: float | None, region: str, **kw: Any
) -> float | None:
    """Execution duration (ms, 100 ms steps) at which Express costs what Standard does
    for `node` at this traffic; None when Express is dearer even at 100 ms or cheaper
    even at the five-minute Express limit."""
    std = _with_prop(arch, node, type="standard")
    std_cost = estimate(std, region=region, requests=requests, **kw).by_node[node]

    def express_cost(ms: float) -> float:
        exp = _with_prop(arch, node, type="express", duration=ms)
        return estimate(exp, region=region, requests=requests, **kw).by_node[node]

    lo, hi = 100.0, MAX_EXPRESS_MS
    if express_cost(lo) >= std_cost or express_cost(hi) <= std_cost:
        return None
    while hi - lo > 100.0:
        mid = math.floor((lo + hi) / 200.0) * 100.0
        if mid <= lo:
            break
        if express_cost(mid) <= std_cost:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass
class SweepResult:
    points: list[float]
    before: list[float]
    after: list[float] | None
    break_even_requests: list[float]
    comparisons: list[Comparison]

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for i, p in enumerate(self.points):
            row = {"requests_month": p, "before_usd": round(self.before[i], 4)}
            if self.after is not None:
                row["after_usd"] = round(self.after[i], 4)
            rows.append(row)
        return {
            "rows": rows,
            "break_even_requests_month": [round(x, 0) for x in self.break_even_requests],
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


def sweep(
    arch: Architecture,
    after: Architecture | None = None,
    region: str = "us-east-1",
    points: list[float] | None = None,
    requests: float | None = None,
    glue_rewrites: list[tuple[str, Architecture]] | None = None,
    **kw: Any,
) -> SweepResult:
    """Cost of `arch` (and `after`) over traffic, with every comparison's break-even."""
    pts = points or list(DECADES)
    cost = _coster(region, **kw)
    fine = sample_points(pts[0], pts[-1])
    before = [cost(arch, p) for p in pts]
    after_costs = [cost(after, p) for p in pts] if after is not None else None
    be: list[float] = []
    if after is not None:
        be = crossings(lambda r: cost(arch, r) - cost(after, r), fine)
    comps = []
    for title, node, la, a, lb, b in variants(arch, glue_rewrites):
        comp = compare(title, node, la, a, lb, b, cost, pts)
        if comp.rows and len(pts) > 1:
            comp.break_even_requests = crossings(lambda r, a=a, b=b: cost(a, r) - cost(b, r), fine)
        if title.startswith("Step Functions"):
            at = requests if requests is not None else None
            comp.extra["break_even_duration_ms"] = express_break_even_duration(arch, node, at, region, **kw)
            # Standard's 4,000 free transitions a month (a free tier that never expires)
            # make it the cheaper choice below some traffic level: that level.
            free_kw = {**kw, "free_tier": True}
            free_cost = _coster(region, **free_kw)
            comp.extra["break_even_requests_month_free_tier"] = [
                round(x, 0)
                for x in crossings(
                    lambda r, a=a, b=b, fc=free_cost: fc(a, r) - fc(b, r),
                    sample_points(1.0, pts[-1]),
                )
            ]
        comps.append(comp)
    return SweepResult(pts, before, after_costs, be, comps)
