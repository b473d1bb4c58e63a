"""Import prices from an AWS Price List bulk offer file into our pricing YAML.

The offer file (products, terms.OnDemand, priceDimensions) is the form AWS publishes
for every service and region, so a user can refresh prices offline, or price a region
we do not ship, without anyone editing code. Which offer dimension feeds which of our
price keys is data (data/priceimport.yaml). A region the offer has no prices for is an
error, never a guess from another region.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import AdvisorError, Diagnostic

REGION_PREFIX = re.compile(r"^[A-Z]{2,4}[0-9]?-")
ON_DEMAND = "OnDemand"
# Price List `location` names for offers without `regionCode` (older files)
LOCATIONS = {
    "US East (N. Virginia)": "us-east-1",
    "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2",
    "EU (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2",
    "EU (Paris)": "eu-west-3",
    "EU (Frankfurt)": "eu-central-1",
    "EU (Stockholm)": "eu-north-1",
    "Asia Pacific (Tokyo)": "ap-northeast-1",
    "Asia Pacific (Seoul)": "ap-northeast-2",
    "Asia Pacific (Singapore)": "ap-southeast-1",
    "Asia Pacific (Sydney)": "ap-southeast-2",
    "Asia Pacific (Mumbai)": "ap-south-1",
    "Canada (Central)": "ca-central-1",
    "South America (Sao Paulo)": "sa-east-1",
}


def _err(path: str, message: str, suggestion: str | None = None) -> AdvisorError:
    return AdvisorError([Diagnostic(path, 1, 1, message, suggestion)])


@cache
def mapping() -> dict[str, Any]:
    text = resources.files("advisor.estimate").joinpath("data", "priceimport.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def read_offer(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise _err(path, f"cannot read offer file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AdvisorError(
            [Diagnostic(path, exc.lineno, exc.colno, f"offer file is not JSON: {exc.msg}")]
        ) from None
    if not isinstance(data, dict) or "products" not in data or "terms" not in data:
        raise _err(path, "not an AWS Price List offer file (needs 'products' and 'terms')")
    return data


def _region_of(attrs: dict[str, Any]) -> str | None:
    code = attrs.get("regionCode")
    if code:
        return str(code)
    loc = attrs.get("location")
    return LOCATIONS.get(str(loc)) if loc else None


def regions_in(offer: dict[str, Any]) -> list[str]:
    found = {_region_of(p.get("attributes") or {}) for p in (offer.get("products") or {}).values()}
    return sorted(r for r in found if r)


def _dimensions(offer: dict[str, Any], sku: str) -> list[dict[str, Any]]:
    terms = ((offer.get("terms") or {}).get(ON_DEMAND) or {}).get(sku) or {}
    dims: list[dict[str, Any]] = []
    for term in sorted(terms):
        dims += list((terms[term].get("priceDimensions") or {}).values())
    return dims


def _num(text: Any) -> float:
    if text in (None, "", "Inf", "inf"):
        return math.inf
    return float(text)


def _tiers(dims: list[dict[str, Any]], per: float, scale: float) -> tuple[list[dict[str, Any]], float]:
    """Our tiers from price dimensions, and the size of a leading free ($0) tier."""
    rows = sorted(
        (
            (_num(d.get("beginRange", 0)), _num(d.get("endRange")), float(d["pricePerUnit"]["USD"]))
            for d in dims
            if "USD" in (d.get("pricePerUnit") or {})
        ),
        key=lambda r: r[0],
    )
    free = 0.0
    if len(rows) > 1 and rows[0][2] == 0.0:
        free = rows[0][1] / scale
        rows = rows[1:]
    tiers = [
        {
            "upto": None if math.isinf(end) else round(end / scale, 6),
            "price": float(f"{price * per * scale:.10g}"),
        }
        for _begin, end, price in rows
    ]
    if tiers:
        tiers[-1]["upto"] = None
    return tiers, free


def import_offer(offer: dict[str, Any], region: str | None, path: str = "<offer>") -> dict[str, Any]:
    """A pricing document (our YAML format) for `region` from one offer file."""
    regions = regions_in(offer)
    if region is None:
        if len(regions) != 1:
            raise _err(
                path,
                f"the offer holds prices for {len(regions)} regions; choose one with --region",
                suggestion=", ".join(regions[:20]) or None,
            )
        region = regions[0]
    if region not in regions:
        raise _err(
            path,
            f"the offer has no prices for region '{region}'",
            suggestion=("regions in the file: " + ", ".join(regions[:20])) if regions else None,
        )
    date = str(offer.get("publicationDate") or _dt.date.today().isoformat())[:10]
    service_code = str(offer.get("offerCode") or "")
    products = offer.get("products") or {}
    prices: dict[str, Any] = {}
    free: dict[str, Any] = {}
    for key, rule in sorted(mapping()["keys"].items()):
        pattern = re.compile(str(rule["usagetype"]))
        matches = []
        for sku in sorted(products):
            attrs = products[sku].get("attributes") or {}
            if _region_of(attrs) != region:
                continue
            if str(attrs.get("servicecode") or service_code) != rule["service"]:
                continue
            usage = REGION_PREFIX.sub("", str(attrs.get("usagetype", "")))
            if pattern.search(usage):
                matches.append(sku)
        if not matches:
            continue
        sku = matches[0]
        per, scale = float(rule.get("per", 1)), float(rule.get("scale", 1))
        tiers, free_qty = _tiers(_dimensions(offer, sku), per, scale)
        if not tiers:
            continue
        prices[key] = {
            "unit": rule["unit"],
            "per": int(per) if per.is_integer() else per,
            "tiers": tiers,
            "region": region,
            "source": f"AWS Price List offer {rule['service']} (sku {sku})",
            "read": date,
        }
        if free_qty:
            free[key] = {"quantity": free_qty, "source": prices[key]["source"], "read": date}
    if not prices:
        raise _err(
            path,
            f"no known price dimension found for {region} in this offer",
            suggestion="supported services: "
            + ", ".join(sorted({r["service"] for r in mapping()["keys"].values()})),
        )
    return {
        "region": region,
        "currency": "USD",
        "read": date,
        "source": f"AWS Price List offer file {Path(path).name}",
        "prices": prices,
        "free_tier": free,
        "rules": _builtin_rules(),
    }


def _builtin_rules() -> dict[str, Any]:
    """Metering rules (chunk sizes, rounding) are the same in every region."""
    text = (
        resources.files("advisor.estimate").joinpath("data", "pricing", "us-east-1.yaml").read_text("utf-8")
    )
    return dict(yaml.safe_load(text).get("rules") or {})


def merge_into(existing: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Add `new` prices to a pricing document of the same region (new figures win)."""
    if not existing:
        return new
    if existing.get("region") != new["region"]:
        raise _err(
            "<output>",
            f"output file is for {existing.get('region')}, the offer for {new['region']}",
        )
    out = dict(existing)
    out["prices"] = {**(existing.get("prices") or {}), **new["prices"]}
    out["free_tier"] = {**(existing.get("free_tier") or {}), **new["free_tier"]}
    out["rules"] = existing.get("rules") or new["rules"]
    out["read"] = max(str(existing.get("read", "")), new["read"])
    return out


def write_pricing(doc: dict[str, Any], out_path: str) -> None:
    header = (
        "# Pricing data imported by `advisor pricing import` from AWS Price List offer files.\n"
        "# Format: see advisor/estimate/data/pricing/us-east-1.yaml.\n"
    )
    text = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True)
    Path(out_path).write_text(header + text, "utf-8")


def import_file(offer_path: str, out_path: str | None, region: str | None) -> tuple[str, dict[str, Any]]:
    """Read an offer, convert it, merge into `out_path` (default <region>.yaml), write."""
    from advisor.estimate.data import parse_pricing

    doc = import_offer(read_offer(offer_path), region, offer_path)
    target = out_path or f"{doc['region']}.yaml"
    existing = None
    if Path(target).is_file():
        try:
            existing = yaml.safe_load(Path(target).read_text("utf-8"))
        except yaml.YAMLError as exc:
            raise _err(target, f"existing output is not valid YAML: {exc}") from None
    merged = merge_into(existing, doc)
    parse_pricing(merged, target)  # validate before writing
    write_pricing(merged, target)
    return target, merged
