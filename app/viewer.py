"""A zoomable, pannable view of one diagram, as a self-contained HTML document.

The page shows it with `streamlit.components.v1.html` (an iframe): the diagram fills the
width of the page on first show and can be zoomed (buttons, Ctrl/⌘ + wheel, a
double-click) and dragged around, so a 200-node design is readable without downloading
it. The SVG is shown as an `<img>` of a data URI, never inlined into the document: an
SVG used as an image cannot run scripts or fetch anything, whatever text its labels
carry. The only script is the viewer's own, below; nothing is loaded from elsewhere.
"""

from __future__ import annotations

import base64
from html import escape

TOOLBAR_PX = 40
MIN_VIEW_PX, MAX_VIEW_PX = 160, 760
ASSUMED_WIDTH_PX = 1000  # the main column of the wide layout; the iframe's height follows
MAX_FIT = 1.6  # a small diagram is enlarged at most this much to fill the width

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  html, body {{ margin: 0; font: 13px/1.4 "Source Sans Pro", Helvetica, Arial, sans-serif;
               color: #31333f; background: transparent; }}
  .bar {{ display: flex; gap: 6px; align-items: center; height: {toolbar}px;
          white-space: nowrap; overflow: hidden; }}
  .bar button {{ font: inherit; border: 1px solid #d0d3da; background: #fff; color: #31333f;
                 border-radius: 6px; padding: 2px 10px; cursor: pointer; min-width: 34px;
                 white-space: nowrap; }}
  .bar button:hover {{ border-color: #ff4b4b; color: #ff4b4b; }}
  .bar .pct {{ min-width: 48px; text-align: right; font-variant-numeric: tabular-nums; }}
  .bar .hint {{ color: #808495; margin-left: 8px; }}
  .view {{ height: {view}px; overflow: auto; box-sizing: border-box; background: #fff;
           border: 1px solid #e6e8ee; border-radius: 8px; cursor: grab; }}
  .view.dragging {{ cursor: grabbing; user-select: none; }}
  .view img {{ display: block; margin: 0 auto; max-width: none; }}
  @media (max-width: 720px) {{ .bar .hint {{ display: none; }} }}
</style></head>
<body>
<div class="bar" role="toolbar" aria-label="diagram zoom">
  <button type="button" data-act="width" title="Fit the width of the view">Fit width</button>
  <button type="button" data-act="all" title="Show the whole diagram">Whole</button>
  <button type="button" data-act="out" title="Zoom out" aria-label="zoom out">&minus;</button>
  <button type="button" data-act="in" title="Zoom in" aria-label="zoom in">+</button>
  <button type="button" data-act="one" title="Natural size">100%</button>
  <span class="pct" id="pct"></span>
  <span class="hint">drag to pan · Ctrl/⌘ + wheel or double-click to zoom</span>
</div>
<div class="view" id="view"><img id="img" alt="{title}" draggable="false"
  width="{width:.0f}" height="{height:.0f}" src="data:image/svg+xml;base64,{data}"></div>
<script>
(() => {{
  const view = document.getElementById("view"), img = document.getElementById("img");
  const pct = document.getElementById("pct");
  const W = {width:.3f}, H = {height:.3f}, MAX_FIT = {max_fit};
  const MIN_VIEW = {min_view}, MAX_VIEW = {max_view};
  let scale = 1;
  function set(s, cx, cy) {{
    s = Math.min(8, Math.max(0.05, s));
    const r = view.getBoundingClientRect();
    cx = cx === undefined ? r.width / 2 : cx; cy = cy === undefined ? r.height / 2 : cy;
    const fx = (view.scrollLeft + cx) / (W * scale), fy = (view.scrollTop + cy) / (H * scale);
    scale = s;
    img.style.width = (W * s) + "px"; img.style.height = (H * s) + "px";
    view.scrollLeft = fx * W * s - cx; view.scrollTop = fy * H * s - cy;
    pct.textContent = Math.round(s * 100) + "%";
  }}
  const fitWidth = () => Math.min(MAX_FIT, (view.clientWidth - 2) / W);
  const fitAll = () => Math.min(MAX_FIT, (view.clientWidth - 2) / W, (view.clientHeight - 2) / H);
  const acts = {{ width: () => set(fitWidth()), all: () => set(fitAll()),
                 in: () => set(scale * 1.25), out: () => set(scale / 1.25), one: () => set(1) }};
  document.querySelectorAll("button[data-act]").forEach(
    b => b.addEventListener("click", () => acts[b.dataset.act]()));
  view.addEventListener("wheel", e => {{
    if (!(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    const r = view.getBoundingClientRect();
    set(scale * (e.deltaY < 0 ? 1.15 : 1 / 1.15), e.clientX - r.left, e.clientY - r.top);
  }}, {{ passive: false }});
  view.addEventListener("dblclick", e => {{
    const r = view.getBoundingClientRect();
    set(scale * (e.shiftKey ? 1 / 1.6 : 1.6), e.clientX - r.left, e.clientY - r.top);
  }});
  let drag = null;
  view.addEventListener("pointerdown", e => {{
    drag = {{ x: e.clientX, y: e.clientY, l: view.scrollLeft, t: view.scrollTop }};
    view.classList.add("dragging"); view.setPointerCapture(e.pointerId);
  }});
  view.addEventListener("pointermove", e => {{
    if (!drag) return;
    view.scrollLeft = drag.l - (e.clientX - drag.x); view.scrollTop = drag.t - (e.clientY - drag.y);
  }});
  const end = () => {{ drag = null; view.classList.remove("dragging"); }};
  view.addEventListener("pointerup", end); view.addEventListener("pointercancel", end);
  // the view is as tall as the diagram at the width of the page, within limits; a view
  // drawn in a hidden tab has no width yet, so this runs again whenever the width changes
  // (until the user zooms)
  let zoomed = false, lastWidth = 0;
  function layout() {{
    const w = view.clientWidth;
    if (!w || w === lastWidth || zoomed) return;
    lastWidth = w;
    view.style.height = Math.round(Math.min(MAX_VIEW, Math.max(MIN_VIEW, H * fitWidth() + 4))) + "px";
    set(fitWidth(), 0, 0);
  }}
  ["in", "out", "one", "all"].forEach(a => {{
    const b = document.querySelector(`button[data-act="${{a}}"]`);
    b.addEventListener("click", () => {{ zoomed = true; }});
  }});
  document.querySelector('button[data-act="width"]').addEventListener("click", () => {{
    zoomed = false; lastWidth = 0; layout();
  }});
  view.addEventListener("wheel", e => {{ if (e.ctrlKey || e.metaKey) zoomed = true; }});
  view.addEventListener("dblclick", () => {{ zoomed = true; }});
  new ResizeObserver(layout).observe(document.body);
  layout();
}})();
</script>
</body></html>
"""


def view_height(width: float, height: float, columns: int = 1) -> int:
    """The height of the scrolling view: the diagram's height when it fills the width of
    the page (or of one of `columns` columns), kept between MIN_VIEW_PX and MAX_VIEW_PX."""
    column = ASSUMED_WIDTH_PX / max(1, columns)
    fit = min(MAX_FIT, column / width) if width > 0 else 1.0
    return int(min(MAX_VIEW_PX, max(MIN_VIEW_PX, height * fit + 4)))


def viewer_html(svg: bytes | str, title: str, size: tuple[float, float],
                columns: int = 1) -> tuple[str, int]:
    """(the viewer document, the iframe height in px) for one Graphviz SVG of natural
    `size` (CSS px). The document sizes its view to the diagram itself; the height is
    for a host that cannot measure it (components.html)."""
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    width, height = size
    view = view_height(width, height, columns)
    html = _TEMPLATE.format(title=escape(title), toolbar=TOOLBAR_PX, view=view, width=width,
                            height=height, max_fit=MAX_FIT, min_view=MIN_VIEW_PX,
                            max_view=MAX_VIEW_PX,
                            data=base64.b64encode(data).decode("ascii"))
    return html, view + TOOLBAR_PX + 6
