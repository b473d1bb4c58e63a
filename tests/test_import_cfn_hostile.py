"""Hostile templates: each gives a clear AdvisorError (never a crash or a hang).

No timing assertions here (speed belongs in benchmarks/); bounded work is what the
loader's limits guarantee, and each case would blow up memory or recursion without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import AdvisorError
from advisor.importers import MAX_BYTES, load_any
from advisor.importers.cloudformation.template import MAX_DEPTH, load_yaml


def error_of(path: Path) -> str:
    with pytest.raises(AdvisorError) as exc:
        load_any(str(path))
    return exc.value.render()


def test_billion_laughs_is_refused(tmp_path):
    lines = ["Resources: {}", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for i in range(1, 12):
        name = f"l{i}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = name
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "alias" in error_of(path)


def test_many_aliases_are_refused():
    text = "Resources: {}\nx: &x 1\ny: [" + ", ".join(["*x"] * 5000) + "]\n"
    with pytest.raises(AdvisorError, match="aliases"):
        load_yaml(text)


def test_recursive_alias_is_refused():
    with pytest.raises(AdvisorError, match="recursive"):
        load_yaml("Resources: &r\n  self: *r\n")


def test_deep_nesting_yaml_and_json(tmp_path):
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("Resources: " + "[" * (MAX_DEPTH * 20) + "]" * (MAX_DEPTH * 20) + "\n")
    assert "nesting" in error_of(deep_yaml)
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nesting" in error_of(deep_json)


def test_python_object_tags_are_rejected(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("Resources:\n  X: !!python/object/apply:os.system ['echo pwned']\n")
    message = error_of(path)
    assert "not allowed" in message and ":2:" in message


def test_unknown_short_tag_is_a_clear_error():
    with pytest.raises(AdvisorError, match="unknown tag !Bogus"):
        load_yaml("Resources:\n  X: !Bogus y\n")


def test_invalid_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"Resources:\n  Q:\n    Type: AWS::SQS::\xff\xfeQueue\n")
    message = error_of(path)
    assert "UTF-8" in message and ":3:" in message


def test_binary_file(tmp_path):
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"\x00\x01\x02Resources")
    assert "binary" in error_of(path)


def test_file_over_the_size_limit_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: 50 MB on paper, nothing on disk
        handle.truncate(50 * 1024 * 1024)
    assert MAX_BYTES < 50 * 1024 * 1024
    assert "too large" in error_of(path)


def test_yaml_syntax_error_has_position(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("Resources:\n  Q:\n    Type: [unclosed\n")
    message = error_of(path)
    assert "invalid YAML" in message


def test_empty_directory_is_a_clear_error(tmp_path):
    assert "no .tf files" in error_of(tmp_path)


@pytest.mark.parametrize(("text", "name", "where", "hint"), [
    # the parser notices an unclosed bracket at the end of the file: report its opening
    ("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [unclosed\n", "t.yaml",
     (4, 17), "add the missing ']'"),
    ("Resources:\n\tQ: 1\n", "t.yaml", (2, 1), "indent with spaces"),
    ('{"Resources": {"Q": {"Type": "AWS::SQS::Queue",}}}\n', "t.json", (1, 48),
     "trailing ','"),
    ('{"Resources": {} // none\n}\n', "t.json", (1, 18), "no comments"),
])
def test_syntax_errors_point_where_to_look_and_say_why(text, name, where, hint):
    with pytest.raises(AdvisorError) as err:
        load_any(name, text)
    d = err.value.diagnostics[0]
    assert (d.line, d.column) == where
    assert d.suggestion and hint in d.suggestion
