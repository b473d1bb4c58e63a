"""The JSON report: `Report.to_dict()` (contract: docs/internals.md, "The JSON report"),
sorted keys, stable bytes."""

from __future__ import annotations

import json
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def write(report: Any, *, indent: int = 2, **_: Any) -> str:
    return (
        json.dumps(
            report.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False, default=_default
        )
        + "\n"
    )
