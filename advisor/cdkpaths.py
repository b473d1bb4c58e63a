"""Where a CDK cloud assembly is: `cdk.out` (its `manifest.json`), or an app folder that
holds one, or an app folder (`cdk.json`) not synthesized yet.

Path checks only, apart from `advisor.system`: the commands ask them of every path on the
command line before anything is read, and a rerun that reads every result from the cache
must not import the importers, the model and networkx to ask (advisor/batch/files.py).
"""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST = "manifest.json"


def find_assembly(path: str) -> str | None:
    """The cloud assembly `path` is (a `cdk.out`) or holds (a CDK app's folder)."""
    p = Path(path)
    for cand in (p, p / "cdk.out"):
        if (cand / MANIFEST).is_file() and _is_manifest(cand / MANIFEST):
            return str(cand)
    return None


def is_unsynthesized_app(path: str) -> bool:
    """A CDK app's folder (`cdk.json`) with no synthesized `cdk.out` in it."""
    p = Path(path)
    return p.is_dir() and (p / "cdk.json").is_file() and find_assembly(path) is None


def looked_at(path: str) -> list[str]:
    """The files `find_assembly` and `is_unsynthesized_app` look for in `path` (a replay of
    a run checks that none appeared or changed, advisor.batch.replay)."""
    return [os.path.join(path, MANIFEST), os.path.join(path, "cdk.out", MANIFEST),
            os.path.join(path, "cdk.json")]


def _is_manifest(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"artifacts"' in head or b'"version"' in head


__all__ = ["MANIFEST", "find_assembly", "is_unsynthesized_app", "looked_at"]
