"""Report writers: one module per format, each `write(report, **opts) -> str`.

    from advisor.report import write, FORMATS
    print(write(report, "markdown", diagrams={"diff": "diff.svg"}), end="")

Writers only read a `Report` (advisor.pipeline); they never run the engine.

| format   | module    | options |
|----------|-----------|---------|
| text     | text      | color (None = only on a TTY), width |
| json     | jsonout   | indent |
| markdown | markdown  | diagrams (name -> href, or callable result -> dict), title |
| sarif    | sarif     | — |
| junit    | junit     | fail_on (error, warning, info; default warning) |
| html     | htmlout   | diagrams (bool, default True: inline SVG via Graphviz), title, icons (bool) |
| mermaid  | mermaid   | side ("after" default, "before", or "diff": the union with the diff marks) |
| github   | github    | verify (run the fix checks), title: a pull-request comment |
"""

from __future__ import annotations

import importlib
from typing import Any

WRITERS = {
    "text": "advisor.report.text",
    "json": "advisor.report.jsonout",
    "markdown": "advisor.report.markdown",
    "sarif": "advisor.report.sarif",
    "junit": "advisor.report.junit",
    "html": "advisor.report.htmlout",
    "mermaid": "advisor.report.mermaid",
    "github": "advisor.report.github",
}
FORMATS = tuple(WRITERS)
ALIASES = {"md": "markdown", "xml": "junit", "txt": "text", "htm": "html", "mmd": "mermaid"}


def write(report: Any, fmt: str, **opts: Any) -> str:
    """The report in format `fmt` (see FORMATS; md, xml, txt, mmd are accepted too)."""
    name = ALIASES.get(fmt, fmt)
    if name not in WRITERS:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    module = importlib.import_module(WRITERS[name])
    return str(module.write(report, **opts))


__all__ = ["FORMATS", "WRITERS", "write"]
