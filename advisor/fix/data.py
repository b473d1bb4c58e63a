"""The fix generators' own figures (advisor/fix/data.yaml), read once."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml


@functools.cache
def _data() -> dict[str, Any]:
    with open(Path(__file__).with_name("data.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)  # type: ignore[no-any-return]


def throttling_limits() -> tuple[int, int, str]:
    """(rate limit rps, burst limit, the assumption to state beside the patch)."""
    d = _data()["apigw_throttling"]
    return int(d["rate_limit_rps"]), int(d["burst_limit"]), str(d["note"]).strip()
