"""`advisor analyze`: exit codes, per-file results in input order, formats, config,
baselines, byte-identical output across runs and job counts.

Expected exit codes are derived from the report itself (the severities it lists) and
the documented rule (3 internal > 2 input errors > 1 findings at/above --fail-on > 0),
not copied from a previous run, so new patterns do not break these tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli

REPO = Path(__file__).resolve().parents[1]
ADVISOR = [sys.executable, "-m", "advisor"]

# The seed example: an API -> Lambda -> Firehose -> S3 design the advisor always comments on.
SEED = """architecture "seed"
workload { requests = 10M/month, payload = 2KB }
client   browser
apigw    ingest  { type = rest, auth = none }
lambda   forward { memory = 1024MB, duration = 120ms, runtime = python3.12 }
firehose delivery
s3       lake
browser -> ingest -> forward -> delivery -> lake
"""
BROKEN = "architecture \"broken\"\nlambda f {\n"
RANK = {"info": 0, "warning": 1, "error": 2}

_register_all()


def run(args: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """In-process run (fast); cwd switched for config discovery."""
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        res = CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout, res.stderr


def run_sub(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([*ADVISOR, "analyze", *args], cwd=cwd, capture_output=True,
                          env=env, timeout=300, check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a_seed.arch").write_text(SEED)
    (tmp_path / "b_broken.arch").write_text(BROKEN)
    (tmp_path / "c_seed.arch").write_text(SEED.replace('"seed"', '"seed2"'))
    return tmp_path


def severities(stdout: str) -> list[str]:
    doc = json.loads(stdout)
    return [f["severity"] for r in doc["results"] for f in r["findings"]]


# ------------------------------------------------------------------ exit codes

@pytest.mark.parametrize("threshold", ["error", "warning", "info"])
def test_exit_code_follows_fail_on(tmp_path: Path, threshold: str) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    code, out, _ = run([str(design), "--format", "json", "-j", "1", "--fail-on", threshold])
    sev = severities(out)
    assert sev, "the seed design must produce findings"
    expected = 1 if any(RANK[s] >= RANK[threshold] for s in sev) else 0
    assert code == expected


def test_exit_0_when_the_selected_rules_find_nothing(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    code, out, _ = run([str(design), "--format", "json", "-j", "1", "--fail-on", "info",
                        "--select", "COST-SFN-EXPRESS"])
    assert code == 0 and severities(out) == []


def test_unknown_rule_prefix_is_an_input_error_not_silence(tmp_path: Path) -> None:
    # a typo in --select would otherwise turn every rule off and pass CI
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    code, _, err = run([str(design), "--format", "json", "-j", "1", "--select", "NO-SUCH-RULE"])
    assert code == 2
    assert "unknown rule prefix" in err


def test_exit_1_on_warning_threshold_for_seed(tmp_path: Path) -> None:
    # The seed design's Lambda glue and open API are at least warnings by design.
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    code, _, _ = run([str(design), "-j", "1", "--fail-on", "warning", "--format", "json"])
    assert code == 1


def test_input_errors_win_and_every_file_is_reported_in_order(tree: Path) -> None:
    code, out, _ = run([str(tree), "--format", "json", "-j", "1", "--fail-on", "info"])
    assert code == 2
    doc = json.loads(out)
    names = [Path(r["source"]).name for r in doc["results"]]
    assert names == ["a_seed.arch", "b_broken.arch", "c_seed.arch"]
    errs = [bool(r["errors"]) for r in doc["results"]]
    assert errs == [False, True, False]
    err = doc["results"][1]["errors"][0]
    assert err["line"] >= 1 and err["column"] >= 1
    assert doc["results"][2]["findings"], "the file after the broken one was analysed"
    assert doc["summary"]["files"] == 3 and doc["summary"]["errors"] == 1


def test_missing_file_is_exit_2_with_a_result(tmp_path: Path) -> None:
    code, out, _ = run([str(tmp_path / "nope.yaml"), "--format", "json", "-j", "1"])
    assert code == 2
    (res,) = json.loads(out)["results"]
    assert "no such file" in res["errors"][0]["message"]


def test_internal_error_is_exit_3_and_others_still_reported(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import pipeline

    real = pipeline.analyze_source

    def flaky(path: str, options: object = None, text: object = None) -> object:
        if path.endswith("c_seed.arch"):
            raise KeyError("simulated bug")
        return real(path, options)

    monkeypatch.setattr(pipeline, "analyze_source", flaky)
    code, out, _ = run([str(tree / "a_seed.arch"), str(tree / "c_seed.arch"),
                        "--format", "json", "-j", "1"])
    assert code == 3
    results = json.loads(out)["results"]
    assert results[0]["findings"] and not results[0]["errors"]
    assert "internal error: KeyError" in results[1]["errors"][0]["message"]


def test_no_inputs_is_a_warning_and_exit_0(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("nothing here")
    code, out, err = run([str(tmp_path), "--format", "json", "-j", "1"])
    assert code == 0
    assert json.loads(out)["results"] == []
    assert "no architecture inputs" in err


# ------------------------------------------------------------------ determinism

def test_second_run_and_job_counts_give_byte_identical_json(tree: Path) -> None:
    (tree / "sub").mkdir()
    (tree / "sub" / "t.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    (tree / "sub" / "bin.json").write_bytes(b'{"Resources": 1}\x00\xff\xfe')
    # Two separate runs (two processes), one with a worker pool and one in-process.
    first = run_sub([".", "--format", "json", "--jobs", "2"], tree)
    second = run_sub([".", "--format", "json", "--jobs", "1"], tree)
    assert first.returncode == second.returncode == 2, first.stderr.decode()
    assert first.stdout == second.stdout
    assert b"Traceback" not in first.stderr
    assert len(json.loads(first.stdout)["results"]) == 5


# ------------------------------------------------------------------ formats and output

def test_text_format_has_summary_table(tree: Path) -> None:
    code, out, _ = run([str(tree), "-j", "1"])
    assert code == 2
    assert "Summary" in out
    for label in ("files", "files with errors", "findings", "warning"):
        assert label in out
    assert "b_broken.arch" in out and "a_seed.arch" in out


def test_sarif_and_junit_are_well_formed(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    _, sarif, _ = run([str(design), "--format", "sarif", "-j", "1"])
    doc = json.loads(sarif)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
    _, junit, _ = run([str(design), "--format", "junit", "-j", "1", "--fail-on", "warning"])
    root = ET.fromstring(junit)
    assert root.tag in ("testsuites", "testsuite")


def test_output_file(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    out_file = tmp_path / "out" / "r.json"
    out_file.parent.mkdir()
    code, out, _ = run([str(design), "--format", "json", "-o", str(out_file), "-j", "1"])
    assert out == ""
    assert json.loads(out_file.read_text())["summary"]["files"] == 1
    assert code in (0, 1)


def test_no_estimates_leaves_costs_out(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    _, out, _ = run([str(design), "--format", "json", "-j", "1", "--no-estimates"])
    before = json.loads(out)["results"][0]["before"]
    assert "cost" not in before
    _, out, _ = run([str(design), "--format", "json", "-j", "1"])
    assert json.loads(out)["results"][0]["before"]["cost"]["monthly_usd"] > 0


def test_requests_flag_changes_cost(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    _, low, _ = run([str(design), "--format", "json", "-j", "1", "--requests", "1M/month"])
    _, high, _ = run([str(design), "--format", "json", "-j", "1", "--requests", "100M/month"])
    cost = [json.loads(x)["results"][0]["before"]["cost"]["monthly_usd"] for x in (low, high)]
    assert cost[1] > cost[0]
    code, _, err = run([str(design), "-j", "1", "--requests", "lots"])
    assert code == 2 and "not a rate" in err


# ------------------------------------------------------------------ config

def test_pyproject_config_found_walking_up_and_flags_override(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.archadvisor]\nfail-on = "info"\n'
        'ignore = ["SEC-"]\n')
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    (work / "seed.arch").write_text(SEED)
    code, out, _ = run(["seed.arch", "--format", "json", "-j", "1"], cwd=work)
    rules = [f["rule"] for r in json.loads(out)["results"] for f in r["findings"]]
    assert rules and not any(r.startswith("SEC-") for r in rules)
    assert code == 1  # fail-on info from the config: any finding fails
    code, _, _ = run(["seed.arch", "--format", "json", "-j", "1", "--fail-on", "error",
                      "--select", "COST-SFN-EXPRESS"], cwd=work)
    assert code == 0


def test_yaml_config_default_workload_and_unknown_key(tmp_path: Path) -> None:
    no_workload = "\n".join(line for line in SEED.splitlines() if "workload" not in line)
    (tmp_path / "d.arch").write_text(no_workload + "\n")
    costs = []
    for rate in ("1M/month", "50M/month"):
        (tmp_path / ".archadvisor.yaml").write_text(f"requests: {rate}\npayload: 2KB\n")
        _, out, _ = run(["d.arch", "--format", "json", "-j", "1"], cwd=tmp_path)
        costs.append(json.loads(out)["results"][0]["before"]["cost"]["monthly_usd"])
    assert costs[1] > costs[0]
    (tmp_path / ".archadvisor.yaml").write_text("fail_on: warning\nselekt: [SEC]\n")
    code, _, err = run(["d.arch", "-j", "1"], cwd=tmp_path)
    assert code == 2
    assert "unknown setting 'selekt'" in err and "select" in err
    assert ".archadvisor.yaml:2:" in err


def test_explicit_config_and_exclude(tmp_path: Path) -> None:
    (tmp_path / "keep.arch").write_text(SEED)
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "broken.arch").write_text(BROKEN)
    cfg = tmp_path / "ci.yaml"
    cfg.write_text("exclude: [skip/]\n")
    code, out, _ = run([str(tmp_path), "--config", str(cfg), "--format", "json", "-j", "1"])
    results = json.loads(out)["results"]
    # the config file is YAML found by the walk: listed as skipped (not a template)
    assert [(Path(r["source"]).name, r.get("skipped")) for r in results] == [
        ("ci.yaml", "not a template (YAML with no top-level Resources)"), ("keep.arch", None)]
    assert code in (0, 1)
    code, out, _ = run([str(tmp_path), "--exclude", "keep.arch", "--exclude", "*.yaml",
                        "--format", "json", "-j", "1"])
    assert [Path(r["source"]).name for r in json.loads(out)["results"]] == ["broken.arch"]


# ------------------------------------------------------------------ baseline

def test_baseline_hides_known_findings_survives_line_moves_shows_new(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    base = tmp_path / "ci" / "baseline.json"
    code, _, err = run([str(design), "--format", "json", "-j", "1", "--fail-on", "info",
                        "--write-baseline", str(base)])
    assert code == 0 and "wrote" in err
    entries = json.loads(base.read_text())["findings"]
    assert entries and all(e["source"] == "../seed.arch" for e in entries)

    # Same design, lines moved down by comments: nothing new.
    design.write_text("# a comment\n# another\n\n" + SEED)
    code, out, err = run([str(design), "--format", "json", "-j", "1", "--fail-on", "info",
                          "--baseline", str(base)])
    assert code == 0, out
    assert severities(out) == []
    assert f"{len(entries)} finding(s) hidden" in err

    # A new unencrypted store is a new finding about a new node.
    design.write_text(SEED + "dynamodb orders { encryption = none }\nforward -> orders\n")
    code, out, _ = run([str(design), "--format", "json", "-j", "1", "--fail-on", "info",
                        "--baseline", str(base)])
    new_nodes = {n for r in json.loads(out)["results"] for f in r["findings"]
                 for n in f["nodes"]}
    assert code == 1 and "orders" in new_nodes


def test_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    design = tmp_path / "seed.arch"
    design.write_text(SEED)
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    code, _, err = run([str(design), "-j", "1", "--baseline", str(bad)])
    assert code == 2 and "not valid JSON" in err
