"""A `judge` for `Engine.run` built from an estimate function.

The engine never imports the estimates (data flows one way: engine -> estimates), so
the caller hands the estimate function in:

    from advisor.estimate import estimate
    from advisor.engine.judge import estimate_judge

    outcome = engine.run(arch, apply="default",
                         judge=estimate_judge(estimate, region="us-east-1", requests=None))

The latency delta follows the report's rule (advisor.estimate.attach_alternative_deltas):
the response p50 when both designs have a client-facing response path, minus the old
response p50 when the rewrite removes that path, else the delivery p50.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor.engine.core import Judge
from advisor.model import Architecture


def latency_delta(before: Any, after: Any) -> float | None:
    """After minus before, in ms, by the estimates' own rule (`latency_delta_from` on the
    estimate object, duck-typed so the engine never imports the estimates)."""
    try:
        return float(after.latency_delta_from(before))
    except (AttributeError, KeyError, TypeError):
        return None


def estimate_judge(estimate: Callable[..., Any], **kwargs: Any) -> Judge:
    """`judge(before, after) -> (cost delta USD/month, latency delta ms)` that calls
    `estimate(arch, **kwargs)` (an object with `monthly_usd`) on both designs. The last
    `before` estimate is reused: the engine asks about many alternatives of one design."""
    last: list[Any] = [None, None]  # [before architecture, its estimate]

    def judge(before: Architecture, after: Architecture) -> tuple[float | None, float | None]:
        if last[0] is not before:
            last[0], last[1] = before, estimate(before, **kwargs)
        b = last[1]
        a = estimate(after, **kwargs)
        cost = float(a.monthly_usd) - float(b.monthly_usd)
        return cost, latency_delta(b, a)

    return judge
