"""Loading the package's own YAML data files (catalog, patterns, prices, styles) fast.

These files are ours and trusted, but they are still read with a *safe* loader (plain
data, never Python objects). libyaml's CSafeLoader is used when PyYAML was built with it:
it parses the ~70 data files in about 50 ms instead of about 500 ms, which is most of a
worker process's start-up in batch runs.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = (
    getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
) or yaml.SafeLoader


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when available."""
    return yaml.load(text, Loader=_LOADER)
