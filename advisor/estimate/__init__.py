"""Estimates: monthly cost and latency of an Architecture, from sourced data files.

    est = estimate(arch, region="us-east-1", requests=None, usage="infracost-usage.yml")
    est.monthly_usd; est.by_node; est.components; est.latency; est.assumptions; est.to_dict()
    attach_alternative_deltas(arch, findings, est, region=..., requests=...)
    assumptions_for(file_result)  # the workload and every default a report or the app shows

Prices: data/pricing/<region>.yaml (refresh with `advisor pricing import`); latency:
data/latency.yaml; modelling defaults: data/defaults.yaml; usage-file keys:
data/usage_keys.yaml. Every figure carries its unit, region, source page and date read.

The names below are loaded when first used: a run that only needs a light module of the
package (`advisor.estimate.usage`, to find the usage file before a rerun reads every
result from the cache) does not import the estimator, the model and networkx with it.
"""

from __future__ import annotations

from advisor.lazynames import lazy_getattr

_WHERE = {
    "Estimate": "advisor.estimate.estimator",
    "attach_alternative_deltas": "advisor.estimate.estimator",
    "estimate": "advisor.estimate.estimator",
    "assumption_rows": "advisor.estimate.assumptions",
    "assumptions_for": "advisor.estimate.assumptions",
}


__getattr__ = lazy_getattr(__name__, globals(), _WHERE)


__all__ = ["Estimate", "assumption_rows", "assumptions_for", "attach_alternative_deltas", "estimate"]
