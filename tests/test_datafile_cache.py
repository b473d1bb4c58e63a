"""The package's YAML data files are parsed once per content (advisor/datafiles.py): a
later run reads what the text parsed to from the user cache directory, the same data,
without YAML; a changed text is parsed again; data JSON cannot give back exactly (a YAML
date) is never cached; an unusable cache directory is only slower."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from advisor import datafiles, usercache
from advisor.batch.unit import Task, warm_formats


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(usercache.CACHE_ENV, str(where))
    return where


def _refuse_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the text was parsed again")

    monkeypatch.setattr(yaml, "load", refuse)  # the module datafiles imports when it parses


TEXT = "kinds:\n  lambda: {memory: 128, ratio: 0.5, tags: [a, b], enabled: true, none: null}\n"


def test_second_load_reads_the_cache_and_gives_the_same_data(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = datafiles.safe_load(TEXT, remember=True)
    assert first == yaml.safe_load(TEXT)
    assert len(list(cache_dir.glob("data-*.json"))) == 1
    _refuse_yaml(monkeypatch)
    second = datafiles.safe_load(TEXT, remember=True)
    assert second == first
    assert type(second["kinds"]["lambda"]["ratio"]) is float
    with pytest.raises(AssertionError, match="parsed again"):
        datafiles.safe_load(TEXT + "other: 1\n", remember=True)  # another text: not cached


def test_data_json_cannot_keep_is_parsed_every_time(cache_dir: Path) -> None:
    text = "as_of: 2026-12-01\n"
    assert datafiles.safe_load(text, remember=True) == {"as_of": datetime.date(2026, 12, 1)}
    assert datafiles.safe_load("200: ok\n", remember=True) == {200: "ok"}
    assert not list(cache_dir.glob("data-*.json"))
    assert datafiles.safe_load(text, remember=True) == {"as_of": datetime.date(2026, 12, 1)}


def test_a_damaged_or_foreign_entry_is_ignored(cache_dir: Path) -> None:
    expected = datafiles.safe_load(TEXT, remember=True)
    (entry,) = cache_dir.glob("data-*.json")
    for garbage in (b"{not json", b"[]", b'{"digest": "other", "value": {"x": 1}}'):
        entry.write_bytes(garbage)
        assert datafiles.safe_load(TEXT, remember=True) == expected


def test_an_unwritable_or_disabled_cache_still_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(usercache.CACHE_ENV, str(blocker / "cache"))
    assert datafiles.safe_load(TEXT, remember=True) == yaml.safe_load(TEXT)
    monkeypatch.setenv(usercache.CACHE_ENV, "")
    assert datafiles.safe_load(TEXT, remember=True) == yaml.safe_load(TEXT)
    assert usercache.entry_path("x") is None


def test_workers_set_up_only_the_parsers_a_batch_needs(tmp_path: Path) -> None:
    def tasks(*paths: str, kind: str = "file") -> list[Task]:
        return [Task(i, p, kind=kind) for i, p in enumerate(paths)]

    assert warm_formats(tasks("a/template.yaml", "b.json")) == ("cloudformation",)
    assert warm_formats(tasks("main.tf", "x.arch")) == ("dsl", "terraform")
    assert warm_formats(tasks("infra", kind="module")) == ("terraform",)
    assert warm_formats([Task(0, "bad.yaml", error="unreadable")]) == ("dsl",)
    assembly = tmp_path / "cdk.out"  # a CDK cloud assembly is CloudFormation templates
    assembly.mkdir()
    (assembly / "manifest.json").write_text('{"version": "36.0.0", "artifacts": {}}')
    assert warm_formats(tasks(str(assembly), kind="module")) == ("cloudformation",)


def test_a_users_own_file_is_never_kept(cache_dir: Path) -> None:
    """A pattern pack or pricing file of the user's is parsed, not kept in the cache."""
    assert datafiles.safe_load(TEXT) == yaml.safe_load(TEXT)
    assert not cache_dir.exists() or not list(cache_dir.glob("data-*.json"))


def test_old_entries_of_a_kind_go_when_a_new_one_is_written(cache_dir: Path) -> None:
    import os
    import time

    datafiles.safe_load(TEXT, remember=True)
    (old,) = cache_dir.glob("data-*.json")
    stale = time.time() - (usercache.MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (stale, stale))
    pattern_entry = cache_dir / "patterns-0000.json"
    pattern_entry.write_text("{}")
    os.utime(pattern_entry, (stale, stale))
    datafiles.safe_load(TEXT + "other: 1\n", remember=True)
    assert not old.exists() and len(list(cache_dir.glob("data-*.json"))) == 1
    assert pattern_entry.exists()  # another kind: left to its own writes
