"""Estimates: monthly cost and latency of an Architecture, from sourced data files.

    est = estimate(arch, region="us-east-1", requests=None)
    est.monthly_usd; est.by_node; est.components; est.latency; est.to_dict()
    attach_alternative_deltas(arch, findings, est, region=..., requests=...)

Prices: data/pricing/<region>.yaml (refresh with `advisor pricing import`); latency:
data/latency.yaml. Every figure carries its unit, region, source page and date read.
"""

from advisor.estimate.estimator import Estimate, attach_alternative_deltas, estimate

__all__ = ["Estimate", "attach_alternative_deltas", "estimate"]
