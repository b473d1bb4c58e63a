"""pydot graphs of an architecture: single, diff (union with status) and side by side.

Layout choices, and why:
- rankdir=LR with entry points (`arch.entry_points()`) pinned to the first rank: the
  diagram reads like the request path, left to right, even at 200 nodes;
- newrank=true, so rank constraints still hold for nodes inside clusters;
- clusters, outermost first: account, region, stack (node attributes, when an importer
  knows them; style.yaml `cluster_levels`), then the DSL's nested groups;
- large graphs (style.yaml `large_graph_edges`) get tighter spacing; no edge bundling
  (style.yaml says why: dot's `concentrate` would merge edges of different modes);
- edge labels are real `label`s (not xlabels): dot reserves room for them, so they never
  sit on top of a line;
- every node and edge is emitted in sorted order and ids are the node names, so the same
  input gives the same DOT, SVG and PNG byte for byte.

Visual language: with icons (default) a node is a rounded card with its service's AWS
icon, name and kind; without (`icons=False`, or the icon set is not installed) the
category shapes of style.yaml. Status (diff) is colour + mark (+ strike-through for a
removed name), never line style: line style is the edge's mode on every edge.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pydot

from advisor import catalog
from advisor.model import Architecture
from advisor.render import badges, figures, icons, legend
from advisor.render.diff import GraphDiff, diff, ref_edges
from advisor.render.legend import REF_COLOR, Drawn
from advisor.render.style import (
    category_style,
    edge_text,
    font,
    mode_style,
    node_label,
    status_label,
    status_style,
    style,
)

EDGE_COLOR = "#545B64"
GROUP_FILLS = ("#F7F8F8", "#EEF0F2", "#E4E7EA")
ICON_CARD_FILL = "#FFFFFF"

Node = tuple[str, dict[str, Any]]
Edge = tuple[str, str, dict[str, Any]]


def quote(text: str) -> str:
    """A DOT double-quoted id: any node name (colons, spaces, keywords) stays one id."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _graph(name: str, *, edges: int = 0, use_icons: bool = False) -> pydot.Dot:
    large = edges >= int(style().get("large_graph_edges", 120))
    g = pydot.Dot(quote(name), graph_type="digraph", strict=False)
    g.set_graph_defaults(
        rankdir="LR",
        newrank="true",
        nodesep="0.22" if large else "0.3",
        ranksep="0.5" if large else "0.55",
        fontname=quote(font()),
        fontsize="11",
        pad="0.25",
        bgcolor="white",
        labeljust="l",
        labelloc="b",
        compound="true",
        **({"imagepath": quote(str(icons.icon_root()))} if use_icons else {}),
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


def _use_icons(requested: bool) -> bool:
    """Icons when asked for and installed; otherwise the plain style (the caller that
    asked is told by `icons.unavailable_note`)."""
    return bool(requested) and icons.available()


def _node_attrs(
    name: str,
    data: dict[str, Any],
    status: str | None,
    *,
    use_icons: bool,
    changes: list[str] | None = None,
    badge: int | bool | None = False,
) -> dict[str, str]:
    kind = str(data.get("kind", "resource"))
    cat = category_style(kind)
    icon = icons.icon_for(kind) if use_icons else None
    st = status_style(status) if status and status != "same" else None
    if icon:
        shape, styles, fill, penwidth = "box", ["rounded", "filled"], ICON_CARD_FILL, "1.2"
    else:
        shape, styles, fill, penwidth = cat["shape"], ["filled"], cat["fill"], "1.4"
        if cat.get("rounded"):
            styles.append("rounded")
    color, mark = cat["color"], ""
    if st:
        color, fill, mark, penwidth = st["color"], st["fill"], st["mark"], "2.6"
    attrs = {
        "shape": shape,
        "style": quote(",".join(styles)),
        "color": quote(color),
        "fillcolor": quote(fill),
        "penwidth": penwidth,
        "label": node_label(
            name,
            kind,
            dict(data.get("props") or {}),
            mark,
            0 if icon else int(cat.get("pad", 0)),
            icon=icon,
            strike=bool(st and st.get("strike")),
            changes=changes or (),
            change_color=st["color"] if st else "",
            badge=badge,
        ),
        **({"fontcolor": quote(color)} if st else {}),
    }
    if icon:
        attrs["margin"] = quote("0.08,0.05")
    elif cat.get("margin"):
        attrs["margin"] = quote(str(cat["margin"]))
    return attrs


def _label_html(lines: list[str]) -> str:
    return "<" + "<BR/>".join(escape(line) for line in lines) + ">"


def _edge_attrs(data: dict[str, Any], status: str | None, changes: list[str] | None = None) -> dict[str, str]:
    """Line style from the mode, always; status adds colour and a worded mark."""
    ms = mode_style(data.get("mode"))
    attrs = {"style": ms["style"], "penwidth": str(ms["penwidth"])}
    text = edge_text(data)
    lines = [text] if text else []
    if status and status != "same":
        st = status_style(status)
        attrs["color"] = quote(st["color"])
        attrs["fontcolor"] = quote(st["color"])
        attrs["penwidth"] = str(max(float(ms["penwidth"]), 2.0))
        if status == "changed" and changes:
            lines = [f"{st['mark']} {changes[0]}", *changes[1:]]
        else:
            lines = [status_label(status, text)]
    if lines:
        attrs["label"] = _label_html(lines)
    return attrs


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
            label=quote(status_label(status, prop)),
        )
    return attrs


def _cluster_path(
    data: dict[str, Any], inherited: dict[str, str] | None = None
) -> tuple[tuple[str, str], ...]:
    """(level, name) from the outermost cluster in: account, region, stack, then groups."""
    inherited = inherited or {}
    levels = tuple(
        (str(level["attr"]), str(data.get(level["attr"]) or inherited[level["attr"]]))
        for level in style().get("cluster_levels") or ()
        if data.get(level["attr"]) or inherited.get(level["attr"])
    )
    return levels + tuple(("group", str(g)) for g in data.get("group") or ())


def _inherited_levels(
    nodes: list[Node], edges: list[Edge], refs: list[tuple[str, str, str]]
) -> dict[str, dict[str, str]]:
    """Account/region/stack for the nodes a rewrite added (no source location: a DLQ, an
    authorizer), in a design where other nodes have them: the one value shared by the
    nodes that reference it (its DLQ owner), else by its neighbours. Without a single
    such value it stays outside (nothing is guessed); declared nodes and clients keep
    what their source says."""
    levels = [str(level["attr"]) for level in style().get("cluster_levels") or ()]
    data = dict(nodes)
    used = [lv for lv in levels if any(d.get(lv) for d in data.values())]
    if not used:
        return {}
    owners: dict[str, set[str]] = {}
    for a, b, _ in refs:
        owners.setdefault(b, set()).add(a)
    neighbours: dict[str, set[str]] = {}
    for a, b, _ in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    out: dict[str, dict[str, str]] = {}
    for name, d in nodes:
        if d.get("loc") is not None or catalog.category_of(str(d.get("kind"))) == "client":
            continue
        for level in used:
            if d.get(level):
                continue
            for around in (owners.get(name, set()), neighbours.get(name, set())):
                values = {str(data[n][level]) for n in around if n in data and data[n].get(level)}
                if len(values) == 1:
                    out.setdefault(name, {})[level] = values.pop()
                    break
    return out


def _cluster(ident: str, path: tuple[tuple[str, str], ...]) -> pydot.Cluster:
    level, name = path[-1]
    spec = next((c for c in style().get("cluster_levels") or () if c["attr"] == level), None)
    if spec is None:  # a DSL group: grey, darker with depth
        depth = sum(1 for lv, _ in path if lv == "group")
        fill, color, line = GROUP_FILLS[(depth - 1) % len(GROUP_FILLS)], "#8D99A6", "solid"
        label = f"<<B>{escape(name)}</B>>"
    else:
        fill, color, line = spec["fill"], spec["color"], spec["style"]
        word = f'<FONT POINT-SIZE="9" COLOR="#545B64">{escape(spec["word"])}</FONT>'
        label = f"<<B>{escape(name)}</B>&#160;{word}>"
    return pydot.Cluster(
        ident,
        label=label,
        style=quote(f"rounded,filled,{line}" if line != "solid" else "rounded,filled"),
        color=quote(color),
        fillcolor=quote(fill),
        fontcolor=quote("#232F3E"),
        labelloc="t",
        fontsize="11",
    )


def _add_architecture(
    root: pydot.Dot | pydot.Subgraph,
    nodes: list[Node],
    edges: list[Edge],
    *,
    entries: list[str],
    statuses: GraphDiff | None = None,
    prefix: str = "",
    refs: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    use_icons: bool = False,
    errors: dict[str, int | None] | None = None,
) -> Drawn:
    """Nodes into nested clusters, entry points on the first rank, then edges; returns
    what was drawn, for the legend."""
    drawn = Drawn()
    errors = errors or {}
    clusters: dict[tuple[tuple[str, str], ...], pydot.Dot | pydot.Subgraph] = {(): root}
    inherited = _inherited_levels(nodes, edges, list(refs))
    where = {name: _cluster_path(d, inherited.get(name)) for name, d in nodes}
    paths = sorted({p[:i] for p in where.values() for i in range(1, len(p) + 1)})
    for index, path in enumerate(paths):
        cluster = _cluster(f"{prefix.rstrip(':')}_g{index}" if prefix else f"g{index}", path)
        clusters[path[:-1]].add_subgraph(cluster)
        clusters[path] = cluster
    for name, data in nodes:
        status = statuses.nodes.get(name) if statuses else None
        changes = statuses.node_changes.get(name) if statuses else None
        badge: int | bool | None = errors[name] if name in errors and status != "removed" else False
        if status and status != "same":
            drawn.statuses.add(status)
        drawn.badges |= badge is not False
        attrs = _node_attrs(name, data, status, use_icons=use_icons, changes=changes, badge=badge)
        clusters[where[name]].add_node(pydot.Node(quote(prefix + name), **attrs))
    if entries:
        rank = pydot.Subgraph(rank="source")
        for name in entries:
            rank.add_node(pydot.Node(quote(prefix + name)))
        root.add_subgraph(rank)
    for a, b, data in edges:
        status = statuses.edges.get((a, b)) if statuses else None
        changes = statuses.edge_changes.get((a, b)) if statuses else None
        if status and status != "same":
            drawn.statuses.add(status)
        drawn.modes.add(str(data.get("mode") or "sync"))
        root.add_edge(pydot.Edge(quote(prefix + a), quote(prefix + b), **_edge_attrs(data, status, changes)))
    for a, b, prop in refs:
        status = statuses.refs.get((a, b, prop)) if statuses else None
        if status and status != "same":
            drawn.statuses.add(status)
        drawn.refs = True
        root.add_edge(pydot.Edge(quote(prefix + a), quote(prefix + b), **_ref_attrs(prop, status)))
    return drawn


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


def _arch_parts(arch: Architecture) -> tuple[list[Node], list[Edge]]:
    nodes = [(n, arch.graph.nodes[n]) for n in arch.node_names()]
    return nodes, arch.edges_sorted()


def _footer(parts: list[str], key: str | None = None) -> str | None:
    """The graph label: the title, then the totals with the legend to their right (side
    by side, so neither is stretched to the other's width: Graphviz widens a nested table
    to its cell)."""
    head, body = (parts[0] if parts else ""), [p for p in parts[1:] if p]
    if not (head or body or key):
        return None
    rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="3">{head}</TD></TR>'] if head else []
    if body or key:
        left = "<BR/>".join(body) if all("<TABLE" not in b for b in body) else "".join(body)
        right = f'<TD WIDTH="30"></TD><TD ALIGN="LEFT" VALIGN="TOP">{key}</TD>' if key else ""
        rows.append(f'<TR><TD ALIGN="LEFT" VALIGN="TOP" BALIGN="LEFT">{left}</TD>{right}</TR>')
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
            + "".join(rows) + "</TABLE>>")


def _bold(text: str | None) -> str:
    return f"<B>{escape(text)}</B>" if text else ""


def diagram(
    arch: Architecture,
    *,
    estimate: Any = None,
    title: str | None = None,
    icons: bool = True,
    errors: Any = None,
) -> pydot.Dot:
    """One architecture in the diagrams' visual language, totals and legend under it.

    `errors`: findings, {node: count} or node names whose nodes get the error badge."""
    use_icons = _use_icons(icons)
    nodes, edges = _arch_parts(arch)
    g = _graph(arch.name, edges=len(edges), use_icons=use_icons)
    drawn = _add_architecture(g, nodes, edges, entries=_entries(arch), refs=ref_edges(arch),
                              use_icons=use_icons, errors=badges.normalize(errors))
    label = _footer(
        [_bold(title or arch.name), escape(figures.one_line(estimate)) if estimate is not None else ""],
        legend.table(drawn),
    )
    if label:
        g.set("label", label)
    g.drawn = drawn  # type: ignore[attr-defined]
    return g


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


def diff_diagram(
    before: Architecture,
    after: Architecture,
    *,
    before_estimate: Any = None,
    after_estimate: Any = None,
    title: str | None = None,
    icons: bool = True,
    errors: Any = None,
) -> pydot.Dot:
    """The union of before and after, each element marked removed/added/changed.

    A changed or added element is drawn as it is after the rewrite (a changed one lists
    what changed); a removed one as it was before, with its mode's line style. `errors`
    (findings, {node: count} or names) are the error findings left after the rewrite:
    badges on the nodes that still exist. The before/after/delta totals and a legend of
    what is drawn sit under the graph."""
    use_icons = _use_icons(icons)
    status = diff(before, after)
    nodes = []
    for name, st in status.nodes.items():
        src = before if st == "removed" else after
        nodes.append((name, src.graph.nodes[name]))
    edges = []
    for (a, b), st in status.edges.items():
        src = before if st == "removed" else after
        edges.append((a, b, src.graph.edges[a, b]))
    g = _graph(after.name or before.name, edges=len(edges), use_icons=use_icons)
    drawn = _add_architecture(
        g,
        nodes,
        edges,
        entries=_union_entries(before, after),
        statuses=status,
        refs=list(status.refs),
        use_icons=use_icons,
        errors=badges.normalize(errors),
    )
    totals = (
        _totals_table(before_estimate, after_estimate)
        if before_estimate is not None or after_estimate is not None
        else ""
    )
    g.set("label", _footer([_bold(title or f"{before.name}: before -> after"), totals],
                           legend.table(drawn)))
    g.drawn = drawn  # type: ignore[attr-defined]
    g.diff = status  # type: ignore[attr-defined]
    return g


def compare_diagram(
    before: Architecture,
    after: Architecture,
    *,
    before_estimate: Any = None,
    after_estimate: Any = None,
    title: str | None = None,
    icons: bool = True,
    errors: Any = None,
    before_errors: Any = None,
) -> pydot.Dot:
    """Before and after in one image, before on top: removed parts marked on the before
    side, added and changed parts on the after side, each side's totals under it.
    `before_errors` badge the before side (found), `errors` the after side (remaining)."""
    use_icons = _use_icons(icons)
    status = diff(before, after)
    g = _graph(after.name or before.name,
               edges=before.graph.number_of_edges() + after.graph.number_of_edges(),
               use_icons=use_icons)
    drawn = Drawn()
    # dot stacks LR clusters bottom-up in the order they are given: after first puts
    # "before" on top, so the eye reads top (before) to bottom (after).
    for side, arch, est, errs in (("after", after, after_estimate, errors),
                                  ("before", before, before_estimate, before_errors)):
        keep = {"removed"} if side == "before" else {"added", "changed"}
        marks = GraphDiff(
            nodes={n: (s if s in keep else "same") for n, s in status.nodes.items()},
            edges={e: (s if s in keep else "same") for e, s in status.edges.items()},
            refs={r: (s if s in keep else "same") for r, s in status.refs.items()},
            node_changes=status.node_changes if side == "after" else {},
            edge_changes=status.edge_changes if side == "after" else {},
        )
        totals = figures.one_line(est) if est is not None else ""
        cluster = pydot.Cluster(
            side,
            label=_footer([_bold(side.capitalize()), escape(totals)]),
            style=quote("rounded"),
            color=quote("#8D99A6"),
            labelloc="b",
            labeljust="l",
            fontsize="12",
        )
        nodes, edges = _arch_parts(arch)
        drawn.update(_add_architecture(
            cluster,
            nodes,
            edges,
            entries=[],
            statuses=marks,
            prefix=f"{side}:",
            refs=ref_edges(arch),
            use_icons=use_icons,
            errors=badges.normalize(errs),
        ))
        g.add_subgraph(cluster)
    # each side's own entry points, on one shared first rank: the two sides line up
    rank = pydot.Subgraph(rank="source")
    ranked = [f"{side}:{n}" for side, arch in (("before", before), ("after", after))
              for n in sorted(_arch_entries(arch))]
    for ident in ranked:
        rank.add_node(pydot.Node(quote(ident)))
    if ranked:
        g.add_subgraph(rank)
    label = _footer([_bold(title)], legend.table(drawn))
    if label:
        g.set("label", label)
    g.drawn = drawn  # type: ignore[attr-defined]
    return g
