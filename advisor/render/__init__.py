"""Diagrams through pydot and the real Graphviz `dot`: before, after, diff, side by side.

    from advisor.render import diagram, diff_diagram, compare_diagram, render_bytes
    svg = render_bytes(diff_diagram(before, after, before_estimate=b, after_estimate=a), "svg")

AWS Architecture Icons on every node (`icons=False` for the plain category shapes), edge
line style per mode, diff status as colour + mark (+ strike-through when removed) so it
reads in greyscale, what changed listed on changed parts, an error badge on nodes with
error findings, and a legend of exactly what is drawn. `render_result` writes the files
`advisor report` ships.

For a page: `diff(before, after).node_changes` is the changed-prop list per node;
`graph.drawn.entries()` the legend's entries; `scalable_svg(svg)` an SVG that fills its
container (zoomable view); `icons.available()` / `icons.unavailable_note()` whether the
icon set is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.lazynames import lazy_getattr
from advisor.render import badges
from advisor.render.diff import GraphDiff, diff

# The names below are loaded when first used (and `icons`, a module, by `from
# advisor.render import icons`): the report writers import only the light modules of the
# package (`figures`, `badges`, `diff`), and a text or SARIF report made
# of cached parts does not import the diagram builder (the model and networkx with it)
# or pydot.
_WHERE = {
    "compare_diagram": "advisor.render.build",
    "diagram": "advisor.render.build",
    "diff_diagram": "advisor.render.build",
    **{name: "advisor.render.output" for name in (
        "FORMATS", "clean_svg", "dot_available", "inline_svg", "render_bytes",
        "scalable_svg", "write")},
}


__getattr__ = lazy_getattr(__name__, globals(), _WHERE)


__all__ = [
    "FORMATS",
    "GraphDiff",
    "badges",
    "clean_svg",
    "compare_diagram",
    "diagram",
    "diff",
    "diff_diagram",
    "dot_available",
    "icons",
    "inline_svg",
    "render_bytes",
    "render_result",
    "result_diagrams",
    "scalable_svg",
    "write",
]

DIAGRAM_NAMES = ("before", "after", "diff", "compare")


def result_diagrams(result: Any, *, icons: bool = True) -> dict[str, Any]:
    """The four pydot graphs of a FileResult (empty when it did not parse).

    Error badges: the before diagram shows the error findings found; after, diff and the
    after side of compare the ones the applied rewrites left (advisor.render.badges)."""
    before, after = getattr(result, "before", None), getattr(result, "after", None)
    if before is None:
        return {}
    after = after if after is not None else before
    b_est, a_est = getattr(result, "before_estimate", None), getattr(result, "after_estimate", None)
    from advisor.render.build import compare_diagram, diagram, diff_diagram

    findings = list(getattr(result, "findings", None) or ())
    found = badges.found(findings)
    left = badges.remaining(findings, getattr(result, "changes", None) or (), after)
    title = f"{before.name} ({getattr(result, 'source', before.source)})"
    pair = {"before_estimate": b_est, "after_estimate": a_est, "title": title, "icons": icons}
    return {
        "before": diagram(before, estimate=b_est, title=f"{before.name}: before", icons=icons,
                          errors=found),
        "after": diagram(after, estimate=a_est, title=f"{after.name}: after", icons=icons,
                         errors=left),
        "diff": diff_diagram(before, after, errors=left, **pair),
        "compare": compare_diagram(before, after, errors=left, before_errors=found, **pair),
    }


def render_result(
    result: Any,
    out_dir: Path | str,
    formats: tuple[str, ...] = ("svg",),
    stem: str = "",
    *,
    icons: bool = True,
    dpi: float | None = None,
) -> list[Path]:
    """Write before/after/diff/compare in each format to out_dir; returns the paths."""
    from advisor.render.output import write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, graph in result_diagrams(result, icons=icons).items():
        for fmt in formats:
            written.append(write(graph, out / f"{stem}{name}.{fmt}", fmt, dpi=dpi))
    return written
