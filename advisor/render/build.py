"""pydot graphs of an architecture: single, diff (union with status) and side by side.

Layout choices, and why:
- rankdir=LR with entry points (`arch.entry_points()`) pinned to the first rank: the
  diagram reads like the request path, left to right, even at 50+ nodes;
- newrank=true, so rank constraints still hold for nodes inside group clusters;
- edge labels are real `label`s (not xlabels): dot reserves room for them, so they never
  sit on top of a line;
- every node and edge is emitted in sorted order and ids are the node names, so the same
  input gives the same DOT, SVG and PNG byte for byte.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pydot

from advisor.model import Architecture
from advisor.render import figures
from advisor.render.diff import GraphDiff, diff, ref_edges
from advisor.render.style import (
    category_style,
    edge_text,
    font,
    mode_style,
    node_label,
    status_style,
)

EDGE_COLOR = "#545B64"
REF_COLOR = "#8D99A6"
GROUP_FILLS = ("#F7F8F8", "#EEF0F2", "#E4E7EA")


def quote(text: str) -> str:
    """A DOT double-quoted id: any node name (colons, spaces, keywords) stays one id."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _graph(name: str) -> pydot.Dot:
    g = pydot.Dot(quote(name), graph_type="digraph", strict=False)
    g.set_graph_defaults(
        rankdir="LR",
        newrank="true",
        nodesep="0.3",
        ranksep="0.55",
        fontname=quote(font()),
        fontsize="11",
        pad="0.25",
        bgcolor="white",
        labeljust="l",
        labelloc="b",
        compound="true",
    )
    g.set_node_defaults(fontname=quote(font()), fontsize="11", margin=quote("0.14,0.05"))
    g.set_edge_defaults(
        fontname=quote(font()),
        fontsize="9",
        color=quote(EDGE_COLOR),
        arrowsize="0.7",
        fontcolor=quote("#333333"),
    )
    return g


def _node_attrs(name: str, data: dict[str, Any], status: str | None) -> dict[str, str]:
    kind = str(data.get("kind", "resource"))
    cat = category_style(kind)
    styles = ["filled"]
    if cat.get("rounded"):
        styles.append("rounded")
    color, fill, mark, penwidth = cat["color"], cat["fill"], "", "1.4"
    if status and status != "same":
        st = status_style(status)
        color, fill, mark, penwidth = st["color"], st["fill"], st["mark"], "2.6"
        if st["dashed"]:
            styles.append("dashed")
    attrs = {
        "shape": cat["shape"],
        "style": quote(",".join(styles)),
        "color": quote(color),
        "fillcolor": quote(fill),
        "penwidth": penwidth,
        "label": node_label(name, kind, dict(data.get("props") or {}), mark, int(cat.get("pad", 0))),
        **({"fontcolor": quote(color)} if status and status != "same" else {}),
    }
    if cat.get("margin"):
        attrs["margin"] = quote(str(cat["margin"]))
    return attrs


def _edge_attrs(data: dict[str, Any], status: str | None) -> dict[str, str]:
    ms = mode_style(data.get("mode"))
    attrs = {"style": ms["style"], "penwidth": str(ms["penwidth"])}
    text = edge_text(data)
    if status and status != "same":
        st = status_style(status)
        attrs["color"] = quote(st["color"])
        attrs["fontcolor"] = quote(st["color"])
        attrs["penwidth"] = str(max(float(ms["penwidth"]), 2.0))
        if st["dashed"]:
            attrs["style"] = "dashed"
        text = f"{st['mark']} {text}".strip()
    if text:
        attrs["label"] = quote(text)
    return attrs


def _add_architecture(
    root: pydot.Dot | pydot.Subgraph,
    nodes: list[tuple[str, dict[str, Any]]],
    edges: list[tuple[str, str, dict[str, Any]]],
    *,
    entries: list[str],
    statuses: GraphDiff | None = None,
    prefix: str = "",
    refs: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
) -> None:
    """Nodes into nested group clusters, entry points on the first rank, then edges."""
    clusters: dict[tuple[str, ...], pydot.Subgraph] = {(): root}
    # a system's stacks are clusters too, around their nodes' groups
    nodes = [(n, {**d, "group": (f"stack {d['stack']}", *(d.get("group") or ()))})
             if d.get("stack") else (n, d) for n, d in nodes]
    paths = sorted(
        {tuple(d.get("group") or ())[:i] for _, d in nodes for i in range(1, len(d.get("group") or ()) + 1)}
    )
    for index, path in enumerate(paths):
        cluster = pydot.Cluster(
            f"{prefix.rstrip(':')}_g{index}" if prefix else f"g{index}",
            label=quote(path[-1]),
            style=quote("rounded,filled"),
            color=quote("#8D99A6"),
            fillcolor=quote(GROUP_FILLS[(len(path) - 1) % len(GROUP_FILLS)]),
            fontcolor=quote("#232F3E"),
            labelloc="t",
            fontsize="11",
        )
        clusters[path[:-1]].add_subgraph(cluster)
        clusters[path] = cluster
    for name, data in nodes:
        status = statuses.nodes.get(name) if statuses else None
        node = pydot.Node(quote(prefix + name), **_node_attrs(name, data, status))
        clusters[tuple(data.get("group") or ())].add_node(node)
    if entries:
        rank = pydot.Subgraph(rank="source")
        for name in entries:
            rank.add_node(pydot.Node(quote(prefix + name)))
        root.add_subgraph(rank)
    for a, b, data in edges:
        status = statuses.edges.get((a, b)) if statuses else None
        root.add_edge(pydot.Edge(quote(prefix + a), quote(prefix + b), **_edge_attrs(data, status)))
    for a, b, prop in refs:
        status = statuses.refs.get((a, b, prop)) if statuses else None
        root.add_edge(pydot.Edge(quote(prefix + a), quote(prefix + b), **_ref_attrs(prop, status)))


def _ref_attrs(prop: str, status: str | None) -> dict[str, str]:
    """A reference (DLQ, on-failure destination): thin grey, hollow arrow, named."""
    attrs = {
        "style": "dashed",
        "penwidth": "0.9",
        "color": quote(REF_COLOR),
        "fontcolor": quote(REF_COLOR),
        "arrowhead": "onormal",
        "label": quote(prop),
    }
    if status and status != "same":
        st = status_style(status)
        attrs.update(
            color=quote(st["color"]),
            fontcolor=quote(st["color"]),
            penwidth="1.6",
            label=quote(f"{st['mark']} {prop}"),
        )
    return attrs


def _entries(*archs: Architecture) -> list[str]:
    names: set[str] = set()
    for arch in archs:
        names.update(_arch_entries(arch))
    return sorted(names)


def _arch_entries(arch: Architecture) -> set[str]:
    """Entry points, less nodes only referenced by a prop (a DLQ is not where traffic
    starts, even with no edge into it)."""
    referenced = {b for _, b, _ in ref_edges(arch)}
    return {n for n in arch.entry_points() if n not in referenced or arch.graph.out_degree(n)}


def _union_entries(before: Architecture, after: Architecture) -> list[str]:
    """Entry points of the union: a node keeps its role from `before`; only added nodes
    take theirs from `after` (a table orphaned by a removal is not an entry point)."""
    b, a = _arch_entries(before), _arch_entries(after)
    return sorted(
        n for n in set(before.graph) | set(after.graph) if (n in b if n in before.graph else n in a)
    )


def _arch_parts(
    arch: Architecture,
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, str, dict[str, Any]]]]:
    nodes = [(n, arch.graph.nodes[n]) for n in arch.node_names()]
    return nodes, arch.edges_sorted()


def _html_title(title: str | None, lines: list[str]) -> str | None:
    rows = []
    if title:
        rows.append(f'<TR><TD ALIGN="LEFT"><B>{escape(title)}</B></TD></TR>')
    rows += [f'<TR><TD ALIGN="LEFT">{escape(line)}</TD></TR>' for line in lines]
    if not rows:
        return None
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def diagram(arch: Architecture, *, estimate: Any = None, title: str | None = None) -> pydot.Dot:
    """One architecture in the category visual language, totals under it when estimated."""
    g = _graph(arch.name)
    nodes, edges = _arch_parts(arch)
    _add_architecture(g, nodes, edges, entries=_entries(arch), refs=ref_edges(arch))
    label = _html_title(title or arch.name, [figures.one_line(estimate)] if estimate is not None else [])
    if label:
        g.set("label", label)
    return g


def _legend_rows(with_status: bool) -> str:
    """Legend cells: diff statuses (colour, mark, outline) and the edge modes."""
    from advisor.render.style import style

    cells = []
    if with_status:
        for status in ("removed", "added", "changed"):
            st = style()["status"][status]
            outline = ", dashed" if st["dashed"] else ""
            cells.append(
                f'<TD BGCOLOR="{st["fill"]}" BORDER="1" COLOR="{st["color"]}">'
                f'<FONT COLOR="{st["color"]}"><B>{escape(st["mark"])}</B>&#160;'
                f"{escape(st['word'])}{outline}</FONT></TD>"
            )
    for mode in ("sync", "async", "stream", "poll"):
        cells.append(f'<TD BORDER="0">{escape(style()["modes"][mode]["word"])}</TD>')
    cells.append(
        f'<TD BORDER="0"><FONT COLOR="{REF_COLOR}">dlq / on_failure (grey, hollow arrow)</FONT></TD>'
    )
    return "<TR>" + "".join(cells) + "</TR>"


def _totals_table(before_est: Any, after_est: Any) -> str:
    b, a = figures.totals(before_est), figures.totals(after_est)
    head = "".join(
        f'<TD ALIGN="RIGHT"><B>{escape(w)}</B></TD>'
        for w in ("cost / month", "response p50", "response p99", "delivery p50")
    )
    rows = [f'<TR><TD ALIGN="LEFT"></TD>{head}</TR>']
    for word, t in (("before", b), ("after", a)):
        cells = [figures.money(t["monthly_usd"])] + [figures.ms(t[k]) for k in figures.LATENCY_KEYS]
        rows.append(
            f'<TR><TD ALIGN="LEFT"><B>{word}</B></TD>'
            + "".join(f'<TD ALIGN="RIGHT">{escape(c)}</TD>' for c in cells)
            + "</TR>"
        )
    cells = [figures.signed_money(figures.delta(b["monthly_usd"], a["monthly_usd"]))] + [
        figures.signed_ms(figures.delta(b[k], a[k])) for k in figures.LATENCY_KEYS
    ]
    rows.append(
        '<TR><TD ALIGN="LEFT"><B>delta</B></TD>'
        + "".join(f'<TD ALIGN="RIGHT"><B>{escape(c)}</B></TD>' for c in cells)
        + "</TR>"
    )
    return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">' + "".join(rows) + "</TABLE>"


def _footer(title: str, before_est: Any, after_est: Any) -> str:
    parts = [f'<TR><TD ALIGN="LEFT"><B>{escape(title)}</B></TD></TR>']
    if before_est is not None or after_est is not None:
        parts.append(f'<TR><TD ALIGN="LEFT">{_totals_table(before_est, after_est)}</TD></TR>')
    legend = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">' + _legend_rows(True) + "</TABLE>"
    )
    parts.append(f'<TR><TD ALIGN="LEFT">{legend}</TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(parts) + "</TABLE>>"


def diff_diagram(
    before: Architecture,
    after: Architecture,
    *,
    before_estimate: Any = None,
    after_estimate: Any = None,
    title: str | None = None,
) -> pydot.Dot:
    """The union of before and after, each element marked removed/added/changed.

    A changed or added element is drawn as it is after the rewrite; a removed one as it
    was before. The legend and the before/after/delta totals sit under the graph.
    """
    status = diff(before, after)
    g = _graph(after.name or before.name)
    nodes = []
    for name, st in status.nodes.items():
        src = before if st == "removed" else after
        nodes.append((name, src.graph.nodes[name]))
    edges = []
    for (a, b), st in status.edges.items():
        src = before if st == "removed" else after
        edges.append((a, b, src.graph.edges[a, b]))
    _add_architecture(
        g,
        nodes,
        edges,
        entries=_union_entries(before, after),
        statuses=status,
        refs=list(status.refs),
    )
    g.set(
        "label",
        _footer(title or f"{before.name}: before -> after", before_estimate, after_estimate),
    )
    return g


def compare_diagram(
    before: Architecture,
    after: Architecture,
    *,
    before_estimate: Any = None,
    after_estimate: Any = None,
    title: str | None = None,
) -> pydot.Dot:
    """Before and after side by side in one image: removed parts marked on the left,
    added and changed parts on the right, each side's totals under it."""
    status = diff(before, after)
    g = _graph(after.name or before.name)
    # dot stacks LR clusters bottom-up in the order they are given: after first puts
    # "before" on top, so the eye reads top (before) to bottom (after).
    for side, arch, est in (("after", after, after_estimate), ("before", before, before_estimate)):
        keep = {"removed", "changed"} if side == "before" else {"added", "changed"}
        marks = GraphDiff(
            nodes={n: (s if s in keep else "same") for n, s in status.nodes.items()},
            edges={e: (s if s in keep else "same") for e, s in status.edges.items()},
        )
        if side == "before":  # on the left, "changed" shows what it was: no mark needed twice
            marks.nodes = {n: ("same" if s == "changed" else s) for n, s in marks.nodes.items()}
            marks.edges = {e: ("same" if s == "changed" else s) for e, s in marks.edges.items()}
        totals = figures.one_line(est) if est is not None else ""
        cluster = pydot.Cluster(
            side,
            label=_html_title(side.capitalize(), [totals] if totals else []),
            style=quote("rounded"),
            color=quote("#8D99A6"),
            labelloc="b",
            labeljust="l",
            fontsize="12",
        )
        nodes, edges = _arch_parts(arch)
        marks.refs = {r: (s if s in keep else "same") for r, s in status.refs.items()}
        _add_architecture(
            cluster,
            nodes,
            edges,
            entries=[],
            statuses=marks,
            prefix=f"{side}:",
            refs=ref_edges(arch),
        )
        g.add_subgraph(cluster)
    # each side's own entry points, on one shared first rank: the two sides line up
    rank = pydot.Subgraph(rank="source")
    ranked = [f"{side}:{n}" for side, arch in (("before", before), ("after", after))
              for n in sorted(_arch_entries(arch))]
    for ident in ranked:
        rank.add_node(pydot.Node(quote(ident)))
    if ranked:
        g.add_subgraph(rank)
    legend = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3">'
    if title:
        legend += f'<TR><TD ALIGN="LEFT" COLSPAN="7"><B>{escape(title)}</B></TD></TR>'
    legend += _legend_rows(True) + "</TABLE>>"
    g.set("label", legend)
    return g
