"""Shared test plumbing: figures that tests measure are printed at the end of the run.

CI must "report the label agreement" on the corpus: tests that compute such figures call
`record_figure(name, value)`, and the terminal summary lists them under "figures", so they
appear in CI's log next to the pass/fail line.
"""

from __future__ import annotations

from collections.abc import Callable
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
