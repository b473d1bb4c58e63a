"""Regenerate docs/patterns.md from patterns/*.yaml.

    python tools/gen_pattern_docs.py            # write docs/patterns.md
    python tools/gen_pattern_docs.py --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.engine.loader import load_dir  # noqa: E402
from advisor.ruledocs import render_markdown  # noqa: E402

TARGET = ROOT / "docs" / "patterns.md"


def render() -> str:
    return render_markdown(load_dir(ROOT / "patterns"))


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text("utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date; run python tools/gen_pattern_docs.py")
            return 1
        return 0
    TARGET.write_text(text, "utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
