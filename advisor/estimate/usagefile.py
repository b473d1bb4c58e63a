"""Finding the usage file a run uses (`advisor.estimate.usage` reads and applies it).

Kept apart from the reader so that a run without a usage file (most runs, and every rerun
served from the result cache) does not import YAML, the catalog and the reader to learn
that there is none: `advisor analyze` asks this before anything else.
"""

from __future__ import annotations

from pathlib import Path

FILE_NAMES = ("infracost-usage.yml", "infracost-usage.yaml")


def find_usage_file(start: Path | None = None) -> Path | None:
    """The nearest infracost-usage.yml at or above `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in FILE_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def discover_usage_file(explicit: str | None = None, configured: str | None = None,
                        start: Path | None = None) -> str | None:
    """The usage file a run uses: `--usage-file`, else the config's `usage-file`, else the
    nearest infracost-usage.yml at or above the working directory; None when there is none.
    The file is read (and validated) here, so a mistake is one error up front."""
    chosen = explicit or configured
    if chosen is None:
        found = find_usage_file(start)
        chosen = str(found) if found else None
    if chosen is None:
        return None
    from advisor.estimate.usage import load_usage

    path = str(Path(chosen).resolve())
    load_usage(path)
    return path


__all__ = ["FILE_NAMES", "discover_usage_file", "find_usage_file"]
