"""Running the real Graphviz `dot` on a pydot graph, and making its output reproducible.

`dot` writes a version comment into SVG; it is removed so the bytes do not change with
the Graphviz build. DOT output is pydot's source text (what was laid out), which is
stable because the builders sort everything.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pydot

from advisor.errors import AdvisorError, Diagnostic

FORMATS = ("svg", "png", "dot")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\n?", re.S)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render_bytes(graph: pydot.Dot, fmt: str = "svg") -> bytes:
    """The graph as svg / png (through `dot`) or dot (its source)."""
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
    data: bytes = graph.create(prog="dot", format=fmt)
    if fmt == "svg":
        data = clean_svg(data.decode("utf-8")).encode("utf-8")
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


def write(graph: pydot.Dot, path: Path | str, fmt: str | None = None) -> Path:
    """Render to a file; the format comes from the suffix when not given."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".")
    path.write_bytes(render_bytes(graph, fmt))
    return path
