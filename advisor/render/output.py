"""Running the real Graphviz `dot` on a pydot graph, and making its output reproducible
and self-contained.

`dot` writes a version comment into SVG; it is removed so the bytes do not change with
the Graphviz build, and the icon files it references are embedded (advisor.render.icons),
so an SVG needs nothing beside it. PNG is drawn at a document resolution (style.yaml
`png_dpi`, or `dpi=`), scaled down to stay under `png_max_pixels` on its longest side.
DOT output is pydot's source text (what was laid out), which is stable because the
builders sort everything.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pydot

from advisor.errors import AdvisorError, Diagnostic
from advisor.render import icons
from advisor.render.style import style

FORMATS = ("svg", "png", "dot")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\n?", re.S)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def png_args(dpi: float | None = None) -> list[str]:
    """`dot` flags for a PNG at `dpi` (style.yaml `png_dpi` by default) whose longest side
    stays under `png_max_pixels` (dot scales a larger drawing down to that size)."""
    dpi = float(dpi or style().get("png_dpi", 96))
    if not 24 <= dpi <= 1200:
        raise ValueError(f"dpi {dpi:g} is out of range; use 24 to 1200")
    inches = float(style().get("png_max_pixels", 16000)) / dpi
    return [f"-Gdpi={dpi:g}", f"-Gsize={inches:.2f},{inches:.2f}"]


def render_bytes(graph: pydot.Dot, fmt: str = "svg", *, dpi: float | None = None) -> bytes:
    """The graph as svg / png (through `dot`) or dot (its source); `dpi` for PNG."""
    if fmt == "dot":
        return graph.to_string().encode("utf-8")
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not dot_available():
        raise AdvisorError(
            [
                Diagnostic(
                    path="<graphviz>",
                    line=0,
                    column=0,
                    message="Graphviz `dot` is not installed; diagrams need it",
                    suggestion="install graphviz (apt-get install graphviz), or use --format dot",
                )
            ]
        )
    prog = ["dot", *png_args(dpi)] if fmt == "png" else "dot"
    data: bytes = graph.create(prog=prog, format=fmt)
    if fmt == "svg":
        data = icons.embed(clean_svg(data.decode("utf-8"))).encode("utf-8")
    return data


def clean_svg(text: str) -> str:
    """Drop dot's comments (version stamp, titles) and the DOCTYPE (a DTD URL): stable
    bytes, nothing that points outside the file. The xmlns names stay: they are
    namespace identifiers, not references, and a standalone SVG needs them."""
    return _DOCTYPE.sub("", _COMMENT.sub("", text))


def inline_svg(svg: str) -> str:
    """The <svg> element alone, for embedding in HTML: no XML prolog, DOCTYPE or
    namespace URLs (an HTML parser puts <svg> in the SVG namespace by itself)."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", body, count=2)
    return body.replace("xlink:", "")


def scalable_svg(svg: str) -> str:
    """The SVG sized by its container (width 100%, height from the viewBox) instead of
    its natural size in points: for a page that shows a large diagram in a zoomable or
    full-width view."""
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg width="100%"', svg, count=1)


def write(graph: pydot.Dot, path: Path | str, fmt: str | None = None, *, dpi: float | None = None) -> Path:
    """Render to a file; the format comes from the suffix when not given."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".")
    path.write_bytes(render_bytes(graph, fmt, dpi=dpi))
    return path
