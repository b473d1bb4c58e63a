"""`advisor patterns`, `advisor explain`, `advisor optimize` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from advisor.cli import _register_all, cli
from advisor.dsl import parse_text

SEED = """client browser
apigw ingest { type = rest, auth = none }
lambda forward { glue = true }
firehose delivery
s3 lake
browser -> ingest -> forward -> delivery -> lake
"""

_register_all()


def test_patterns_json_lists_the_catalog() -> None:
    res = CliRunner().invoke(cli, ["patterns", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) >= 35 and {"id", "pillar", "severity"} <= set(rows[0])


def test_explain_by_peer_id_and_unknown_rule() -> None:
    res = CliRunner().invoke(cli, ["explain", "ES6000"])
    assert res.exit_code == 0 and "REL-SQS-DLQ" in res.output and "Why it matters" in res.output
    bad = CliRunner().invoke(cli, ["explain", "REL-SQS-DLW"])
    assert bad.exit_code == 2 and "REL-SQS-DLQ" in bad.output


def test_optimize_writes_dsl_and_a_change_log(tmp_path: Path) -> None:
    src = tmp_path / "seed.arch"
    src.write_text(SEED)
    out = tmp_path / "optimized.arch"
    res = CliRunner().invoke(cli, ["optimize", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "GLUE-APIGW-FIREHOSE" in res.output  # change log (stderr is mixed in here)
    after = parse_text(out.read_text())
    assert "forward" not in after.graph and after.graph.has_edge("ingest", "delivery")


def test_optimize_reports_input_errors_with_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "bad.arch"
    src.write_text("lambda f\nf -> nowhere\n")
    res = CliRunner().invoke(cli, ["optimize", str(src)])
    assert res.exit_code == 2 and "nowhere" in res.output


def test_optimize_choose_applies_a_non_first_alternative(tmp_path: Path) -> None:
    src = tmp_path / "seed.arch"
    src.write_text(SEED)
    out = tmp_path / "chosen.arch"
    fid = "GLUE-APIGW-FIREHOSE:ingest/forward/delivery"
    res = CliRunner().invoke(cli, ["optimize", str(src), "-o", str(out), "--choose", f"{fid}=1"])
    assert res.exit_code == 0, res.output
    after = parse_text(out.read_text())
    # alternative 1: the clients write to Firehose directly; the API goes too
    assert "ingest" not in after.graph and after.graph.has_edge("browser", "delivery")
    only = CliRunner().invoke(cli, ["optimize", str(src), "--choose", "SEC-APIGW-AUTH:ingest=1"])
    assert only.exit_code == 0, only.output
    assert "auth = iam" in only.output and "forward" in only.output  # nothing else applied
    bad = CliRunner().invoke(cli, ["optimize", str(src), "--choose", f"{fid}=7"])
    assert bad.exit_code == 2 and "alternative 7" in bad.output
