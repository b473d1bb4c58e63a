"""SARIF 2.1.0: valid against the shipped schema, rules with help text, real locations."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from test_report import SEED, broken_result, seed_result

from advisor.pipeline import Report
from advisor.report import write
from advisor.report.sarif import build


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    text = resources.files("advisor.report.schemas").joinpath("sarif-schema-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def errors_of(validator: jsonschema.Draft4Validator, log: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_sarif_validates_against_the_schema(validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(write(Report([seed_result(), broken_result()]), "sarif"))
    assert errors_of(validator, log) == []
    assert log["version"] == "2.1.0"


def test_the_schema_catches_broken_logs(validator: jsonschema.Draft4Validator) -> None:
    """The shipped schema is strict enough to matter: it rejects what SARIF forbids."""
    log = build(Report([seed_result()]))
    bad_level = json.loads(json.dumps(log))
    bad_level["runs"][0]["results"][0]["level"] = "warn"
    assert errors_of(validator, bad_level)
    bad_line = json.loads(json.dumps(log))
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert errors_of(validator, bad_line)
    extra = json.loads(json.dumps(log))
    extra["runs"][0]["results"][0]["severity"] = "high"
    assert errors_of(validator, extra)
    no_driver = json.loads(json.dumps(log))
    del no_driver["runs"][0]["tool"]["driver"]
    assert errors_of(validator, no_driver)


def test_results_point_at_the_source_lines() -> None:
    log = build(Report([seed_result()]))
    run = log["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    glue = by_rule["GLUE-APIGW-FIREHOSE"]
    phys = glue["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "samples/seed.arch", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 5, "startColumn": 10}
    assert glue["level"] == "warning"
    assert by_rule["SEC-APIGW-AUTH"]["level"] == "error"
    assert by_rule["OPS-TRACING"]["level"] == "note"
    # a finding without a location still points at the file (code scanning needs one)
    assert by_rule["OPS-TRACING"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert glue["locations"][0]["logicalLocations"] == [{"name": "forward", "kind": "resource"}]
    assert "-$110.00/month" in glue["message"]["text"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    fps = {r["partialFingerprints"]["archadvisorFinding/v1"] for r in run["results"]}
    assert len(fps) == len(run["results"])


def test_rules_carry_help_from_the_pattern_docs() -> None:
    """Rule help comes from the pattern catalog when the rule is a built-in pattern."""
    from advisor.engine.loader import builtin_patterns

    patterns = {p.id: p for p in builtin_patterns()}
    if "GLUE-APIGW-FIREHOSE" not in patterns:
        pytest.fail("the built-in pattern GLUE-APIGW-FIREHOSE should load")
    pattern = patterns["GLUE-APIGW-FIREHOSE"]
    rule = next(r for r in build(Report([seed_result()]))["runs"][0]["tool"]["driver"]["rules"]
                if r["id"] == "GLUE-APIGW-FIREHOSE")
    assert rule["shortDescription"]["text"] == pattern.title
    assert pattern.description.strip()[:40] in rule["help"]["text"]
    if pattern.references:
        assert rule["helpUri"] == pattern.references[0]
    assert "cost-optimization" in rule["properties"]["tags"]
    # a rule unknown to the catalog falls back to the finding's own title
    auth = next(r for r in build(Report([seed_result()]))["runs"][0]["tool"]["driver"]["rules"]
                if r["id"] == "SEC-APIGW-AUTH")
    if "SEC-APIGW-AUTH" not in patterns:
        assert auth["shortDescription"]["text"] == "API without authorization"


def test_input_errors_are_notifications_with_locations() -> None:
    log = build(Report([broken_result()]))
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "error"
    assert notes[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 7}
    assert "did you mean 'lambda'?" in notes[0]["message"]["text"]
    assert log["runs"][0]["results"] == []


def test_sarif_of_the_real_pipeline_is_valid(validator: jsonschema.Draft4Validator) -> None:
    from advisor.pipeline import Options, analyze_source

    result = analyze_source("samples/seed.arch", Options(), text=SEED)
    log = json.loads(write(Report([result]), "sarif"))
    assert errors_of(validator, log) == []
    assert len(log["runs"][0]["results"]) == len(result.findings)
    assert write(Report([result]), "sarif") == write(Report([result]), "sarif")
