"""Pattern files are input: a broken one is reported with file, line, key path and what
is wrong; user packs load beside the built-in catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.dsl import parse_text
from advisor.engine import Engine, builtin_dir, load_file
from advisor.errors import AdvisorError

GOOD = yaml.safe_load((builtin_dir() / "REL-SQS-DLQ.yaml").read_text())


def write(tmp_path: Path, data: dict, name: str = "X.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def diag(path: Path) -> str:
    with pytest.raises(AdvisorError) as exc:
        load_file(path)
    return exc.value.render()


def test_bad_enum_names_file_line_and_key(tmp_path: Path) -> None:
    data = dict(GOOD, severity="fatal")
    path = write(tmp_path, data)
    text = diag(path)
    assert str(path) in text and "severity" in text and "fatal" in text
    line = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.startswith("severity")]
    assert f":{line[0]}:" in text


def test_unknown_kind_gets_a_suggestion(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["match"]["chain"][0]["kind"] = "sqss"
    text = diag(write(tmp_path, data))
    assert "match.chain[0].kind" in text and "did you mean 'sqs'" in text


def test_unknown_predicate_and_chain_index(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["match"]["chain"][0]["where"] = ["not_a_dlqq"]
    data["fix"]["alternatives"][0]["ops"][1]["node"] = 4
    text = diag(write(tmp_path, data))
    assert "no predicate named 'not_a_dlqq'" in text
    assert "chain index 4" in text


def test_unknown_key_in_op(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["fix"]["alternatives"][0]["ops"][1]["colour"] = "red"
    assert "colour" in diag(write(tmp_path, data))


def test_user_pack_loads_and_duplicates_are_errors(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data.update(id="TEAM-SQS-FIFO", title="Queues must be FIFO", severity="info",
                equivalents=[])
    data["match"] = {"chain": [{"kind": "sqs", "props": [{"prop": "fifo", "equals": False}]}]}
    data["fix"] = {"apply": "opt-in", "alternatives": [
        {"title": "Make {n0} FIFO", "ops": [{"op": "set", "node": 0, "props": {"fifo": True}}]}]}
    write(tmp_path, data, "TEAM-SQS-FIFO.yaml")
    engine = Engine.default(extra_dirs=[str(tmp_path)], select=["TEAM"])
    out = engine.run(parse_text("sqs q\n"), apply="all")
    assert [f.rule for f in out.findings] == ["TEAM-SQS-FIFO"]
    assert out.after.graph.nodes["q"]["props"]["fifo"] is True
    write(tmp_path, GOOD, "dup.yaml")
    with pytest.raises(AdvisorError, match="duplicate pattern id"):
        Engine.default(extra_dirs=[str(tmp_path)])
