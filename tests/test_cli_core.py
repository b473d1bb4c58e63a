"""`advisor check`, `fmt`, `graph`: exit codes, messages, and no traceback on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import _register_all, cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.arch"))


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register_all()
    return CliRunner()


def test_there_are_enough_samples_and_all_are_valid(runner: CliRunner) -> None:
    assert len(SAMPLES) >= 8
    result = runner.invoke(cli, ["check", *map(str, SAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (dsl,") == len(SAMPLES)


def test_check_reports_every_bad_file_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.arch"
    good.write_text("lambda f\nsqs q\nf -> q\n")
    bad = tmp_path / "bad.arch"
    bad.write_text("lambda f\nsqs q\nf -> qq\nlamda g\n")
    result = runner.invoke(cli, ["check", str(bad), str(good)])
    assert result.exit_code == 2
    assert "good.arch: ok" in result.output
    assert "bad.arch: 2 error(s)" in result.output
    assert "bad.arch:3:6: error: undefined node 'qq'" in result.output
    assert "Traceback" not in result.output


def test_fmt_check_detects_non_canonical_files(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "d.arch"
    path.write_text("sqs   q\nlambda f {memory=512MB}\nf->q\n")
    assert runner.invoke(cli, ["fmt", "--check", str(path)]).exit_code == 1
    assert runner.invoke(cli, ["fmt", str(path)]).exit_code == 0
    assert "lambda f { memory = 512MB }" in path.read_text()
    assert runner.invoke(cli, ["fmt", "--check", str(path)]).exit_code == 0


def test_samples_are_kept_in_canonical_form_or_parse_identically(runner: CliRunner) -> None:
    from advisor.dsl import parse_file, parse_text, to_text

    for sample in SAMPLES:
        arch = parse_file(sample)
        assert parse_text(to_text(arch), str(sample)).signature() == arch.signature()


def test_graph_json_and_dot(runner: CliRunner) -> None:
    sample = str(ROOT / "samples" / "clickstream.arch")
    out = runner.invoke(cli, ["graph", sample, "--format", "json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert {n["name"] for n in data["nodes"]} == {"browser", "ingest", "forward", "delivery", "lake"}
    assert {"source": "ingest", "target": "forward", "mode": "sync", "props": {}} in data["edges"]
    dot = runner.invoke(cli, ["graph", sample, "--format", "dot"])
    assert dot.exit_code == 0
    assert "digraph" in dot.output and "forward" in dot.output


def test_real_process_shows_no_traceback_on_junk(tmp_path: Path) -> None:
    junk = tmp_path / "junk.arch"
    junk.write_bytes(b"\xff\xfe\x00\x01binary" * 100)
    proc = subprocess.run([sys.executable, "-m", "advisor", "check", str(junk)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "junk.arch:1:1" in proc.stderr


def test_unwritable_output_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    sample = str(ROOT / "samples" / "clickstream.arch")
    target = tmp_path / "missing-dir" / "out.json"
    proc = subprocess.run([sys.executable, "-m", "advisor", "analyze", sample, "--format", "json",
                           "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot write" in proc.stderr


@pytest.mark.parametrize(("name", "content", "words"), [
    ("k8s.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n", "YAML with no top-level"),
    ("list.json", "[1, 2]\n", "JSON with no top-level"),
    ("empty.yaml", "", "empty file"),
])
def test_data_files_that_are_not_templates_say_so(runner: CliRunner, tmp_path: Path,
                                                   name: str, content: str, words: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert "not a CloudFormation/SAM template" in result.output or "empty file" in result.output
    assert words in result.output
