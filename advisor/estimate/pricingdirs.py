"""Where pricing files are looked for besides the built-in data: `ADVISOR_PRICING_PATH`.

Its own module because the result cache keys a run on the content of these folders and
must learn them without importing the pricing reader (and YAML with it).
"""

from __future__ import annotations

import os

PRICING_PATH_ENV = "ADVISOR_PRICING_PATH"  # extra directories holding <region>.yaml


def search_dirs() -> list[str]:
    """The folders `ADVISOR_PRICING_PATH` names, in its order (empty parts left out)."""
    return [p for p in os.environ.get(PRICING_PATH_ENV, "").split(os.pathsep) if p]


__all__ = ["PRICING_PATH_ENV", "search_dirs"]
