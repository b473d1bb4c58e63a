"""Pricing and latency data: loading, validation, tier arithmetic.

Prices live in YAML (one file per region, `data/pricing/<region>.yaml`, or a file the
user imported with `advisor pricing import`), so refreshing a figure is a data change.
A region with no pricing file is an `AdvisorError`: an estimate must never silently use
another region's prices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from advisor.datafiles import safe_load
from advisor.errors import AdvisorError, Diagnostic
from advisor.estimate.pricingdirs import PRICING_PATH_ENV, search_dirs


@dataclass(frozen=True)
class Price:
    """One priced dimension with its tiers (cumulative upper bounds in `unit`)."""

    key: str
    unit: str
    per: float
    tiers: tuple[tuple[float, float], ...]  # (upto or inf, price per `per` units)
    source: str = ""
    read: str = ""
    weak: bool = False

    def charge(self, quantity: float, start: float = 0.0) -> float:
        """Cost of `quantity` units that come after `start` units already billed."""
        if quantity <= 0:
            return 0.0
        total = 0.0
        lo = 0.0
        pos, end = start, start + quantity
        for upto, price in self.tiers:
            hi = upto
            seg_lo, seg_hi = max(lo, pos), min(hi, end)
            if seg_hi > seg_lo:
                total += (seg_hi - seg_lo) * price / self.per
            lo = hi
            if hi >= end:
                break
        return total

    @property
    def first_price(self) -> float:
        return self.tiers[0][1] if self.tiers else 0.0


@dataclass
class Pricing:
    """A region's prices, free-tier allowances and metering rules."""

    region: str
    prices: dict[str, Price]
    free_tier: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, float] = field(default_factory=dict)
    path: str = ""

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise AdvisorError(
                [
                    Diagnostic(
                        self.path or "<pricing>",
                        1,
                        1,
                        f"no price for '{key}' in the {self.region} pricing data",
                        suggestion="import the service's AWS Price List offer with "
                        "`advisor pricing import OFFER.json`",
                    )
                ]
            ) from None

    def rule(self, name: str, default: float) -> float:
        return float(self.rules.get(name, default))

    def has(self, key: str) -> bool:
        return key in self.prices


def _tiers(raw: Any, key: str, path: str) -> tuple[tuple[float, float], ...]:
    out = []
    for t in raw or []:
        upto = t.get("upto")
        out.append((math.inf if upto is None else float(upto), float(t["price"])))
    if not out:
        raise _bad(path, f"price '{key}' has no tiers")
    return tuple(out)


def _bad(path: str, message: str) -> AdvisorError:
    return AdvisorError([Diagnostic(path, 1, 1, message)])


def parse_pricing(data: Any, path: str) -> Pricing:
    """Validate a pricing document (our YAML format) and build a `Pricing`."""
    if not isinstance(data, dict) or not isinstance(data.get("prices"), dict):
        raise _bad(path, "not a pricing file: expected a mapping with 'region' and 'prices'")
    region = str(data.get("region") or "")
    if not region:
        raise _bad(path, "pricing file has no 'region'")
    prices: dict[str, Price] = {}
    for key, raw in sorted(data["prices"].items()):
        if not isinstance(raw, dict):
            raise _bad(path, f"price '{key}' must be a mapping")
        for required in ("unit", "tiers", "source"):
            if required not in raw:
                raise _bad(path, f"price '{key}' lacks '{required}'")
        prices[key] = Price(
            key=key,
            unit=str(raw["unit"]),
            per=float(raw.get("per", 1)),
            tiers=_tiers(raw["tiers"], key, path),
            source=str(raw.get("source", "")),
            read=str(raw.get("read", data.get("read", ""))),
            weak=bool(raw.get("weak", False)),
        )
    rules = {k: float(v["value"] if isinstance(v, dict) else v) for k, v in (data.get("rules") or {}).items()}
    free = {k: dict(v) for k, v in (data.get("free_tier") or {}).items()}
    return Pricing(region=region, prices=prices, free_tier=free, rules=rules, path=path)


@cache
def _load_file(path: str) -> Pricing:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise _bad(path, f"cannot read pricing file: {exc.strerror}") from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise _bad(path, f"pricing file is not valid YAML: {exc}") from None
    return parse_pricing(data, path)


@cache
def _load_builtin(region: str) -> Pricing | None:
    res = resources.files("advisor.estimate").joinpath("data", "pricing", f"{region}.yaml")
    if not res.is_file():
        return None
    data = safe_load(res.read_text("utf-8"), remember=True)
    return parse_pricing(data, f"advisor/estimate/data/pricing/{region}.yaml")


def builtin_regions() -> list[str]:
    base = resources.files("advisor.estimate").joinpath("data", "pricing")
    return sorted(p.name[: -len(".yaml")] for p in base.iterdir() if p.name.endswith(".yaml"))


def load_pricing(region: str = "us-east-1", path: str | None = None) -> Pricing:
    """Prices for `region`: an explicit file, else $ADVISOR_PRICING_PATH, else built in."""
    if path:
        pricing = _load_file(str(Path(path).resolve()))
        if pricing.region != region:
            raise _bad(path, f"pricing file is for {pricing.region}, not {region}")
        return pricing
    for d in map(Path, search_dirs()):
        candidate = d / f"{region}.yaml"
        if candidate.is_file():
            return _load_file(str(candidate.resolve()))
    builtin = _load_builtin(region)
    if builtin is None:
        known = ", ".join(builtin_regions())
        raise AdvisorError(
            [
                Diagnostic(
                    "<pricing>",
                    1,
                    1,
                    f"no pricing data for region '{region}' (built in: {known})",
                    suggestion="download the AWS Price List offer files for the region and run "
                    f"`advisor pricing import OFFER.json --region {region}`, then put the "
                    f"file in ${PRICING_PATH_ENV} or pass --pricing FILE",
                )
            ]
        )
    return builtin


@cache
def latency_data() -> dict[str, Any]:
    text = resources.files("advisor.estimate").joinpath("data", "latency.yaml").read_text("utf-8")
    return safe_load(text, remember=True)  # type: ignore[no-any-return]


@cache
def _model_defaults() -> dict[str, Any]:
    text = resources.files("advisor.estimate").joinpath("data", "defaults.yaml").read_text("utf-8")
    return safe_load(text, remember=True)  # type: ignore[no-any-return]


def model_default(section: str, name: str) -> dict[str, Any]:
    """A modelling default of data/defaults.yaml: {value, unit, source, read, weak, note}."""
    return dict(_model_defaults()[section][name])


def default_value(section: str, name: str) -> Any:
    return _model_defaults()[section][name]["value"]
