"""The built-in pattern pack is checked once per content (advisor/engine/loader.py): a
run whose pack, schema and checks are unchanged reads the checked data from the user
cache directory and validates nothing; any change, a broken cache file or an unwritable
directory falls back to the full check, with the same errors as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from advisor import usercache
from advisor.engine import loader
from advisor.errors import AdvisorError


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in pack as the built-in directory, a fresh cache directory."""
    copy = tmp_path / "patterns"
    shutil.copytree(loader.builtin_dir(), copy)
    monkeypatch.setattr(loader, "builtin_dir", lambda: copy)
    monkeypatch.setenv(loader.CACHE_ENV, str(tmp_path / "cache"))
    loader.builtin_patterns.cache_clear()
    yield copy
    loader.builtin_patterns.cache_clear()


def _fresh() -> tuple[loader.Pattern, ...]:
    loader.builtin_patterns.cache_clear()
    return loader.builtin_patterns()


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the pack was validated again")

    monkeypatch.setattr(loader, "_validator", refuse)


def test_second_run_reads_the_checked_pack_without_validating(
        pack: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = _fresh()
    files = list((tmp_path / "cache").glob("patterns-*.json"))
    assert len(files) == 1
    checked = loader.load_dir(pack)  # the uncached path, for comparison
    _no_validation(monkeypatch)
    second = _fresh()
    assert list(second) == list(first) == checked
    assert [p.raw for p in second] == [p.raw for p in checked]
    assert [p.path for p in second] == [p.path for p in checked]


def test_a_changed_pattern_is_checked_again_with_the_same_errors(
        pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh()
    target = sorted(pack.glob("*.yaml"))[0]
    target.write_text(target.read_text("utf-8").replace("severity:", "severity: bogus\nx:", 1),
                      "utf-8")
    with pytest.raises(AdvisorError) as cached_run:
        _fresh()
    with pytest.raises(AdvisorError) as plain_run:
        loader.load_dir(pack)
    assert cached_run.value.render() == plain_run.value.render()
    assert str(target) in cached_run.value.render()


def test_a_changed_schema_or_check_invalidates(pack: Path, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    _fresh()
    schema = pack / "schema.json"
    data = json.loads(schema.read_text("utf-8"))
    schema.write_text(json.dumps(data, indent=3), "utf-8")  # same meaning, other bytes
    _fresh()
    assert len(list((tmp_path / "cache").glob("patterns-*.json"))) == 2
    monkeypatch.setitem(loader.predicates.NODE_PREDICATES, "zz_new_predicate", lambda *a: True)
    _fresh()
    assert len(list((tmp_path / "cache").glob("patterns-*.json"))) == 3


def test_a_corrupt_cache_file_is_ignored(pack: Path, tmp_path: Path) -> None:
    expected = _fresh()
    (cache,) = (tmp_path / "cache").glob("patterns-*.json")
    for garbage in (b"{not json", b'{"digest": "x", "files": []}', b"[]",
                    json.dumps({"digest": cache.stem, "files": 3}).encode()):
        cache.write_bytes(garbage)
        assert _fresh() == expected


def test_an_unwritable_or_disabled_cache_still_loads(pack: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(loader.CACHE_ENV, str(blocker / "cache"))
    assert len(_fresh()) == len(list(pack.glob("*.yaml")))
    monkeypatch.setenv(loader.CACHE_ENV, "")  # empty: no cache at all
    assert len(_fresh()) == len(list(pack.glob("*.yaml")))
    assert not (tmp_path / "cache").exists()


def test_plain_json_types() -> None:
    """Only data JSON gives back with the same types is cached (a YAML date is not)."""
    import datetime

    assert usercache.is_plain({"a": [1, 2.5, "x", None, True, {"b": []}]})
    assert not usercache.is_plain({"a": datetime.date(2024, 1, 1)})
    assert not usercache.is_plain({1: "int key"})
    assert not usercache.is_plain({"a": (1, 2)})
    assert not usercache.is_plain({"a": float("nan")})
