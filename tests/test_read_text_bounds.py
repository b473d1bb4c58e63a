"""`read_text` reads at most its limit: a file at the limit is read whole, one byte over
is refused, a large file (and an empty one) comes back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import AdvisorError
from advisor.importers.reading import read_text

TEMPLATE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def test_file_at_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, "utf-8")
    assert read_text(path, len(TEMPLATE)) == TEMPLATE


def test_one_byte_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, "utf-8")
    with pytest.raises(AdvisorError) as exc:
        read_text(path, len(TEMPLATE) - 1)
    assert "too large" in exc.value.diagnostics[0].message


def test_a_file_longer_than_one_read_comes_back_whole(tmp_path: Path) -> None:
    body = "".join(f"  Queue{i}:\n    Type: AWS::SQS::Queue\n" for i in range(20_000))
    text = "Resources:\n" + body  # about 0.7 MB, far more than one 64 KiB chunk
    path = tmp_path / "template.yaml"
    path.write_text(text, "utf-8")
    assert read_text(path) == text


def test_an_empty_file_is_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert read_text(path) == ""
