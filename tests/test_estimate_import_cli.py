"""`advisor pricing import` (AWS Price List offer files) and `advisor cost`."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from advisor.errors import AdvisorError
from advisor.estimate import estimate
from advisor.estimate.priceimport import import_offer
from advisor.model import Architecture

SEED = """architecture "clickstream"
workload { requests = 50M/month, payload = 2KB }
client   browser
apigw    ingest    { type = rest, auth = none }
lambda   forward   { memory = 1024MB, duration = 120ms, runtime = python3.12 }
firehose delivery
s3       lake
browser -> ingest -> forward -> delivery -> lake
"""


def offer(region_code: str = "eu-west-1", prefix: str = "EU-") -> dict:
    """A minimal Lambda offer in the Price List bulk format (products / terms.OnDemand /
    priceDimensions), with the region-prefixed usage types AWS uses outside us-east-1
    and a free first tier as some offers express it."""

    def product(sku, usagetype):
        return {
            "sku": sku,
            "productFamily": "Serverless",
            "attributes": {
                "servicecode": "AWSLambda",
                "regionCode": region_code,
                "location": "EU (Ireland)",
                "usagetype": prefix + usagetype,
                "group": "AWS-Lambda-Requests",
            },
        }

    def term(sku, dims):
        return {
            f"{sku}.JRTCKXETXF": {
                "offerTermCode": "JRTCKXETXF",
                "sku": sku,
                "priceDimensions": {
                    f"{sku}.JRTCKXETXF.{i}": {
                        "rateCode": f"{sku}.JRTCKXETXF.{i}",
                        "unit": unit,
                        "beginRange": begin,
                        "endRange": end,
                        "pricePerUnit": {"USD": usd},
                    }
                    for i, (begin, end, unit, usd) in enumerate(dims)
                },
            }
        }

    return {
        "formatVersion": "v1.0",
        "offerCode": "AWSLambda",
        "publicationDate": "2026-11-01T00:00:00Z",
        "products": {
            "REQ": product("REQ", "Request"),
            "GBS": product("GBS", "Lambda-GB-Second"),
            "ARM": product("ARM", "Lambda-GB-Second-ARM"),
        },
        "terms": {
            "OnDemand": {
                "REQ": term("REQ", [("0", "Inf", "Requests", "0.0000002")]),
                "GBS": term(
                    "GBS",
                    [
                        ("0", "6000000000", "Lambda-GB-Second", "0.0000166667"),
                        ("6000000000", "15000000000", "Lambda-GB-Second", "0.0000150000"),
                        ("15000000000", "Inf", "Lambda-GB-Second", "0.0000133334"),
                    ],
                ),
                "ARM": term("ARM", [("0", "Inf", "Lambda-GB-Second", "0.0000133334")]),
            }
        },
    }


def test_import_offer_builds_tiers_in_our_units():
    doc = import_offer(offer(), "eu-west-1")
    assert doc["region"] == "eu-west-1"
    req = doc["prices"]["lambda.requests"]
    assert req["per"] == 1_000_000 and req["tiers"] == [{"upto": None, "price": 0.2}]
    gbs = doc["prices"]["lambda.duration.x86"]["tiers"]
    assert [t["upto"] for t in gbs] == [6e9, 15e9, None]
    assert gbs[1]["price"] == pytest.approx(0.000015)
    assert all(p["source"].startswith("AWS Price List offer") for p in doc["prices"].values())
    assert doc["read"] == "2026-11-01"


def test_region_without_data_is_an_error():
    with pytest.raises(AdvisorError, match="no prices for region 'ap-south-1'"):
        import_offer(offer(), "ap-south-1")


def test_import_then_estimate_in_that_region(tmp_path):
    path = tmp_path / "offer.json"
    path.write_text(json.dumps(offer()), "utf-8")
    out = tmp_path / "eu-west-1.yaml"
    from advisor.cli import _register_all, cli

    _register_all()
    res = CliRunner().invoke(cli, ["pricing", "import", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = yaml.safe_load(out.read_text("utf-8"))
    assert "lambda.requests" in data["prices"] and data["rules"]

    arch = Architecture()
    arch.workload = {"requests": 3e6}
    arch.add_node("f", "lambda", {"memory": 1536 * 1024**2, "duration": 120})
    est = estimate(arch, region="eu-west-1", pricing_file=str(out))
    assert round(est.monthly_usd, 2) == 9.60
    # a service the imported file has no prices for is an error, not a guess
    arch.add_node("q", "sqs")
    arch.add_edge("f", "q")
    with pytest.raises(AdvisorError, match=r"no price for 'sqs\.standard\.requests'"):
        estimate(arch, region="eu-west-1", pricing_file=str(out))


def test_pricing_import_bad_file_exits_2(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json", "utf-8")
    from advisor.cli import _register_all, cli

    _register_all()
    res = CliRunner().invoke(cli, ["pricing", "import", str(bad)])
    assert res.exit_code == 2
    assert "not JSON" in res.output


def test_cost_command_json_and_sweep(tmp_path):
    f = tmp_path / "seed.arch"
    f.write_text(SEED, "utf-8")
    from advisor.cli import _register_all, cli

    _register_all()
    res = CliRunner().invoke(cli, ["cost", str(f), "--requests", "10M/month", "--sweep", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    rest = [c for c in data["cost"]["components"]
            if c["node"] == "ingest" and c["name"] == "REST API requests"]
    assert rest[0]["monthly_usd"] == pytest.approx(35.0)  # 10M x $3.50/M
    assert len(data["sweep"]["rows"]) == 8
    titles = {c["title"] for c in data["sweep"]["comparisons"]}
    assert "API Gateway REST vs HTTP API" in titles
    assert "Lambda glue vs direct integration" in titles
    text = CliRunner().invoke(cli, ["cost", str(f), "--sweep"])
    assert text.exit_code == 0 and "break-even" in text.output and "total" in text.output


def test_cost_command_unknown_region_exits_2(tmp_path):
    f = tmp_path / "seed.arch"
    f.write_text(SEED, "utf-8")
    from advisor.cli import _register_all, cli

    _register_all()
    res = CliRunner().invoke(cli, ["cost", str(f), "--region", "mars-north-1"])
    assert res.exit_code == 2
    assert "no pricing data for region 'mars-north-1'" in res.output
