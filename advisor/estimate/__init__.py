"""Estimates: monthly cost and latency of an Architecture, from sourced data files.

    est = estimate(arch, region="us-east-1", requests=None, usage="infracost-usage.yml")
    est.monthly_usd; est.by_node; est.components; est.latency; est.assumptions; est.to_dict()
    attach_alternative_deltas(arch, findings, est, region=..., requests=...)
    assumptions_for(file_result)  # the workload and every default a report or the app shows

Prices: data/pricing/<region>.yaml (refresh with `advisor pricing import`); latency:
data/latency.yaml; modelling defaults: data/defaults.yaml; usage-file keys:
data/usage_keys.yaml. Every figure carries its unit, region, source page and date read.
"""

from advisor.estimate.assumptions import assumption_rows, assumptions_for
from advisor.estimate.estimator import Estimate, attach_alternative_deltas, estimate

__all__ = ["Estimate", "assumption_rows", "assumptions_for", "attach_alternative_deltas", "estimate"]
