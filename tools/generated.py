"""Writing a generated data file, or checking it is current (`--check`), for the
tools/gen_*.py scripts: one place for the stale-file message and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(out: Path, text: str, script: str, summary: str = "") -> int:
    """With `--check` on the command line: 1 (and a message) when `out` differs from
    `text`, else 0. Without: write `text` to `out`."""
    if "--check" in sys.argv:
        if not out.is_file() or out.read_text("utf-8") != text:
            print(f"{out} is stale: run python {script}", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, "utf-8")
    print(f"wrote {out}{summary}")
    return 0
