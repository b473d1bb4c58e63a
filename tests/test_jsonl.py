"""`--format jsonl`: one result per line in input order, then the summary; the same data
as `--format json`, also with a baseline applied, and written while the batch runs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cache import analyze, project


def test_jsonl_lines_are_the_json_report(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    common = [".", "-j", "1", "--no-cache"]
    code_json, out_json, _ = analyze([*common, "--format", "json"], root)
    code_lines, out_lines, _ = analyze([*common, "--format", "jsonl"], root)
    report = json.loads(out_json)
    lines = [json.loads(line) for line in out_lines.splitlines()]
    assert code_lines == code_json == 2
    assert lines[:-1] == report["results"]
    assert lines[-1] == {"schema_version": report["schema_version"],
                         "summary": report["summary"]}
    assert report["summary"]["skipped"] == 1 and report["summary"]["errors"] == 1


def test_jsonl_with_a_baseline_hides_the_same_findings(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    common = ["design.arch", "svc/template.yaml", "-j", "1", "--cache-dir", str(tmp_path / "c")]
    analyze([*common, "--write-baseline", "base.json", "--format", "json"], root)
    (root / "design.arch").write_text((root / "design.arch").read_text()
                                      + "sqs extra\nf -> extra\n")
    _, out_json, err_json = analyze([*common, "--baseline", "base.json", "--format", "json"],
                                    root)
    _, out_lines, err_lines = analyze([*common, "--baseline", "base.json", "--format",
                                       "jsonl"], root)
    lines = [json.loads(line) for line in out_lines.splitlines()]
    report = json.loads(out_json)
    assert lines[:-1] == report["results"]
    assert lines[-1]["summary"] == report["summary"]
    assert report["summary"]["findings"] > 0  # only the new node's findings are left
    assert all(f["nodes"] and "extra" in f["nodes"] for r in report["results"]
               for f in r["findings"])
    assert "hidden by the baseline" in err_lines and "hidden by the baseline" in err_json
