"""Shared test plumbing: figures that tests measure are printed at the end of the run.

CI must "report the label agreement" on the corpus: tests that compute such figures call
`record_figure(name, value)`, and the terminal summary lists them under "figures", so they
appear in CI's log next to the pass/fail line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def record_figure() -> Callable[[str, Any], None]:
    def record(name: str, value: Any) -> None:
        _FIGURES[name] = value

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("figures")
    for name in sorted(_FIGURES):
        terminalreporter.write_line(f"{name}: {_FIGURES[name]}")


SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_path(*parts: str, marker: str | None = None) -> Path:
    """A path under ../shared (the corpus and references that live beside the repository).

    A fresh clone has nothing beside it: the test skips, saying what is missing. In CI
    (CI=true) the shared folder is always there, so its absence fails the test instead of
    hiding it behind a skip. `marker` names a file that must exist inside the path.
    """
    path = SHARED.joinpath(*parts)
    probe = path / marker if marker else path
    if not probe.exists():
        message = f"needs {probe} (the shared corpus beside the repository)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI is set, so it must be there")
        pytest.skip(message)
    return path


INPUT_FILES = {"dsl": "design.arch", "sam": "template.yaml", "cloudformation": "template.yaml",
               "terraform": "main.tf"}


def analyse_input(folder: Path, fmt: str, text: str) -> Any:
    """`text` written in `folder` as a `fmt` input (the file name that format is read
    from; a Terraform module is its folder) and analysed as the CLI does, without
    estimates; the test fails on an input error (the input is the test's own)."""
    from textwrap import dedent

    from advisor.pipeline import Options, analyze_source

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / INPUT_FILES[fmt]
    path.write_text(dedent(text).lstrip(), "utf-8")
    result = analyze_source(str(folder if fmt == "terraform" else path), Options(estimates=False))
    assert not result.errors, result.errors
    return result
