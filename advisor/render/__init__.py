"""Diagrams through pydot and the real Graphviz `dot`: before, after, diff, side by side.

    from advisor.render import diagram, diff_diagram, compare_diagram, render_bytes
    svg = render_bytes(diff_diagram(before, after, before_estimate=b, after_estimate=a), "svg")

One visual language per service category (style.yaml), edge style per mode, diff status
as colour + mark + outline so it reads in greyscale. `render_result` writes the files
`advisor report` ships.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.render.build import compare_diagram, diagram, diff_diagram
from advisor.render.diff import GraphDiff, diff
from advisor.render.output import FORMATS, clean_svg, dot_available, inline_svg, render_bytes, write

__all__ = [
    "FORMATS",
    "GraphDiff",
    "clean_svg",
    "compare_diagram",
    "diagram",
    "diff",
    "diff_diagram",
    "dot_available",
    "inline_svg",
    "render_bytes",
    "render_result",
    "result_diagrams",
    "write",
]

DIAGRAM_NAMES = ("before", "after", "diff", "compare")


def result_diagrams(result: Any) -> dict[str, Any]:
    """The four pydot graphs of a FileResult (empty when it did not parse)."""
    before, after = getattr(result, "before", None), getattr(result, "after", None)
    if before is None:
        return {}
    after = after if after is not None else before
    b_est, a_est = getattr(result, "before_estimate", None), getattr(result, "after_estimate", None)
    title = f"{before.name} ({getattr(result, 'source', before.source)})"
    return {
        "before": diagram(before, estimate=b_est, title=f"{before.name}: before"),
        "after": diagram(after, estimate=a_est, title=f"{after.name}: after"),
        "diff": diff_diagram(before, after, before_estimate=b_est, after_estimate=a_est, title=title),
        "compare": compare_diagram(before, after, before_estimate=b_est, after_estimate=a_est, title=title),
    }


def render_result(
    result: Any, out_dir: Path | str, formats: tuple[str, ...] = ("svg",), stem: str = ""
) -> list[Path]:
    """Write before/after/diff/compare in each format to out_dir; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, graph in result_diagrams(result).items():
        for fmt in formats:
            written.append(write(graph, out / f"{stem}{name}.{fmt}", fmt))
    return written
