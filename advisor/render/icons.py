"""AWS Architecture Icons for the diagrams: where they are, which one a kind gets, and how
an SVG carries them inside itself.

The icons come from an installed distribution (style.yaml `icons.package`, the `diagrams`
package): its PNGs are AWS's official icon set. They are looked up through the
distribution's metadata, never imported, so a missing or broken install only means "no
icons" (the diagram falls back to the category shapes, with a note), never an error.

Graphviz writes an HTML-label image as `<image xlink:href="compute/lambda.png" .../>`:
a file reference, so the SVG would not render anywhere else. `embed` turns every icon used
into one `<symbol>` holding the PNG as a data URI and each node's image into a `<use>` of
it: the file renders alone and an icon used by 80 nodes is stored once.
"""

from __future__ import annotations

import base64
import re
import struct
from functools import cache
from pathlib import Path

from advisor import catalog
from advisor.render.style import style

_IMAGE = re.compile(r'<image xlink:href="([^"]+)"([^>]*?)/>')


def _spec() -> dict[str, object]:
    return dict(style().get("icons") or {})


@cache
def icon_root() -> Path | None:
    """The folder the icon paths are relative to, or None when the set is not installed."""
    from importlib import metadata  # a module of its own weight: only drawing needs it

    spec = _spec()
    try:
        dist = metadata.distribution(str(spec.get("package", "")))
    except (metadata.PackageNotFoundError, ValueError):
        return None
    root = Path(str(dist.locate_file(str(spec.get("root", "")))))
    return root if root.is_dir() else None


def available() -> bool:
    return icon_root() is not None


def unavailable_note() -> str:
    """What to tell the user when icons were asked for and cannot be drawn."""
    return (
        f"AWS icons not found (the `{_spec().get('package')}` package is not installed); "
        "diagrams are drawn with the plain category shapes"
    )


@cache
def icon_for(kind: str) -> str | None:
    """The icon path (relative to `icon_root`) for a catalog kind: its own icon, else its
    category's; None when neither is mapped or the file is missing."""
    root = icon_root()
    if root is None:
        return None
    spec = _spec()
    by_kind = dict(spec.get("by_kind") or {})  # type: ignore[call-overload]
    by_cat = dict(spec.get("by_category") or {})  # type: ignore[call-overload]
    for rel in (by_kind.get(kind), by_cat.get(catalog.category_of(kind))):
        if rel and (root / str(rel)).is_file():
            return str(rel)
    return None


def _known_paths() -> set[str]:
    spec = _spec()
    out: set[str] = set()
    for table in ("by_kind", "by_category"):
        out.update(str(v) for v in dict(spec.get(table) or {}).values())  # type: ignore[call-overload]
    return out


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return (1, 1)
    width, height = struct.unpack(">II", data[16:24])
    return (int(width), int(height))


def symbol_id(rel: str) -> str:
    return "aws-icon-" + re.sub(r"[^a-z0-9]+", "-", rel.lower().rsplit(".", 1)[0]).strip("-")


@cache
def _symbol(rel: str) -> str:
    root = icon_root()
    assert root is not None
    data = (root / rel).read_bytes()
    width, height = _png_size(data)
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (
        f'<symbol id="{symbol_id(rel)}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet">'
        f'<image width="{width}" height="{height}" xlink:href="{uri}"/></symbol>'
    )


def embed(svg: str) -> str:
    """The SVG with every icon image stored once, as a data URI, and referenced by `<use>`.

    Only images whose href is one of style.yaml's icon paths are touched (and only when
    the set is installed); the result needs no file beside it."""
    if icon_root() is None:
        return svg
    known = _known_paths()
    used: list[str] = []

    def swap(match: re.Match[str]) -> str:
        rel, rest = match.group(1), match.group(2)
        if rel not in known:
            return match.group(0)
        if rel not in used:
            used.append(rel)
        attrs = re.sub(r'\s*preserveAspectRatio="[^"]*"', "", rest)
        attrs = re.sub(r'(width|height)="([\d.]+)px"', r'\1="\2"', attrs)
        return f'<use xlink:href="#{symbol_id(rel)}"{attrs}/>'

    body = _IMAGE.sub(swap, svg)
    if not used:
        return svg
    defs = "<defs>" + "".join(_symbol(rel) for rel in sorted(used)) + "</defs>\n"
    start = body.find("<svg")
    end = body.find(">", start) + 1 if start >= 0 else 0
    return body[:end] + "\n" + defs + body[end:].lstrip("\n")
