"""`advisor fix` on a `.arch` file: the rewrites written into the file as it is.

`advisor optimize` prints the rewritten design from the graph (canonical order, no
comments, one edge per line). Here, as in `advisor fmt` (advisor/dslfmt.py), the
statements as written are the starting point, so comments, blank lines, chains and
values as typed stay; only what the rewrites changed is edited:

- a removed node's declaration line goes; chains through it are cut at it and joined
  again where the rewrite connects the two sides (`a -> x -> b` becomes `a -> b`);
- a node whose props changed gets its `{ ... }` rewritten, its other values as typed;
- new nodes are declared after the last declaration of their group;
- new edges, and new attributes of existing edges, are stated on lines of their own
  (an edge stated twice merges its attributes), right after the chain they belong to.

The design is the file, so one target edits every rewrite at once (the before -> after
difference); each rewrite is reported patched when the whole edit renders.
"""

from __future__ import annotations

import itertools
from typing import Any

from advisor import catalog, dsl
from advisor.fix.cfn.template import Unpatchable
from advisor.fix.registry import register


class DslTarget:
    format = "dsl"

    def __init__(self, path: str, text: str | None = None) -> None:
        from advisor.fix.targets import read

        self.path = path
        self.text = read(path) if text is None else text
        self.ctx: Any = None

    def for_rewrite(self, ctx: Any) -> DslTarget:
        self.ctx = ctx
        return self

    def snapshot(self) -> Any:
        return None

    def restore(self, snap: Any) -> None:
        return None

    def files(self) -> list[Any]:
        from advisor.fix.runner import PatchedFile

        if self.ctx is None:
            return [PatchedFile(self.path, self.text, self.text)]
        return [PatchedFile(self.path, self.text, rewrite_text(
            self.text, self.path, self.ctx.before, self.ctx.after))]


@register("dsl", "*")
def dsl_rewrite(ctx: Any, target: DslTarget) -> None:
    """Every rule: the target writes the whole before -> after difference."""
    target.files()


def rewrite_text(text: str, path: str, before: Any, after: Any) -> str:
    scan = dsl._prescan(text, path)
    statements = dsl._parse_statements(text, path, scan)
    lines = text.split("\n")
    edits: dict[int, list[str] | None] = {}  # 0-based line -> replacement lines (None: drop)
    inserts: dict[int, list[str]] = {}  # after 0-based line -> new lines
    gb, ga = before.graph, after.graph
    removed = set(gb.nodes) - set(ga.nodes)
    added = [n for n in after.node_names() if n not in gb]
    last_decl: dict[tuple[str, ...], tuple[int, str]] = {}
    stated_edges: set[tuple[str, str]] = set()
    edge_line: dict[tuple[str, str], int] = {}

    def walk(stmts: list[Any], group: tuple[str, ...], indent: str) -> None:
        for st in stmts:
            if st[0] == "group":
                inner = (*group, str(st[2]))
                walk(st[3], inner, indent + "  ")
                continue
            if st[0] == "node":
                _node(st, group, indent)
            elif st[0] == "edge":
                _edge(st, indent)

    def _node(st: Any, group: tuple[str, ...], indent: str) -> None:
        name, line = str(st[2]), int(st[2].line) - 1
        last_decl[group] = (line, indent)
        if name in removed:
            _single_line(st, line)
            edits[line] = None
            return
        old, new = gb.nodes[name]["props"], ga.nodes[name]["props"]
        if old == new and gb.nodes[name]["kind"] == ga.nodes[name]["kind"]:
            return
        _single_line(st, line)
        raw = {str(k): v for k, v in st[3]}
        specs = catalog.props_of(ga.nodes[name]["kind"])
        parts = []
        for key in [str(k) for k, _ in st[3]] + sorted(set(new) - {str(k) for k, _ in st[3]}):
            if key not in new:
                continue
            if key in raw and old.get(key) == new[key]:
                parts.append(f"{key} = {_raw_text(raw[key])}")
            else:
                parts.append(f"{key} = {dsl._value(new[key], specs.get(key))}")
        if gb.nodes[name]["kind"] != ga.nodes[name]["kind"]:
            raise Unpatchable(f"{name} changes kind; declare it again by hand")
        src = lines[line]
        comment = _comment_of(src)
        code = src[:len(src) - len(comment)].rstrip() if comment else src.rstrip()
        if "{" in code:  # keep the columns as typed, replace what is inside the braces
            code = code[:code.index("{")].rstrip() + " "
        else:
            code += " "
        body = code + (f"{{ {', '.join(parts)} }}" if parts else "")
        edits[line] = [body.rstrip() + (f"  {comment}" if comment else "")]

    def _edge(st: Any, indent: str) -> None:
        names = [str(t) for t in st[1]]
        line = int(st[1][0].line) - 1
        pairs = list(itertools.pairwise(names))
        for p in pairs:
            stated_edges.add(p)
            edge_line.setdefault(p, line)
        if all(ga.has_edge(a, b) for a, b in pairs):
            return
        _single_line(st, line)
        runs: list[list[str]] = []
        for a, b in pairs:
            if not ga.has_edge(a, b):
                continue
            if runs and runs[-1][-1] == a:
                runs[-1].append(b)
            else:
                runs.append([a, b])
        # join runs the rewrite reconnected (a -> x -> b became a -> b)
        joined: list[list[str]] = []
        for run in runs:
            if joined and ga.has_edge(joined[-1][-1], run[0]) and \
                    not gb.has_edge(joined[-1][-1], run[0]):
                stated_edges.add((joined[-1][-1], run[0]))
                edge_line[(joined[-1][-1], run[0])] = line
                joined[-1].extend(run)
            else:
                joined.append(list(run))
        src = lines[line]
        attrs = src[src.index("["):src.rindex("]") + 1] if st[2] and "[" in src else ""
        comment = _comment_of(src)
        out = [indent + " -> ".join(r) + (f" {attrs}" if attrs else "") for r in joined]
        if comment and out:
            out[0] += f"  {comment}"
        edits[line] = out or None

    walk(statements, (), "")
    # new nodes after the last declaration of their group (or of the file)
    for name in added:
        group = tuple(ga.nodes[name].get("group", ()))
        where = last_decl.get(group) or last_decl.get(()) or (len(lines) - 1, "")
        inserts.setdefault(where[0], []).append(dsl._node_line(after, name, where[1]))
    # edges that are new, or whose attributes changed, on lines of their own
    specs = {**catalog.edge_props(), "mode": catalog.PropSpec("mode", "enum"),
             "label": catalog.PropSpec("label", "string")}
    last_line = max([i for i, t in enumerate(lines) if t.strip()] or [0])
    for a, b, data in after.edges_sorted():
        old = gb.edges[a, b] if gb.has_edge(a, b) else None
        attrs: dict[str, Any] = {}
        if old is None or old.get("mode") != data.get("mode"):
            default = catalog.default_edge_mode(after.kind(a), after.kind(b))
            if data.get("mode") and data["mode"] != default:
                attrs["mode"] = data["mode"]
        if data.get("label") and (old is None or old.get("label") != data.get("label")):
            attrs["label"] = data["label"]
        old_props = (old or {}).get("props") or {}
        for k, v in (data.get("props") or {}).items():
            if old_props.get(k) != v:
                attrs[k] = v
        if any(k not in (data.get("props") or {}) for k in old_props):
            raise Unpatchable(f"an attribute of {a} -> {b} was removed; a .arch file can only "
                              "add edge attributes by stating the edge again")
        if old is not None and not attrs:
            continue
        if (a, b) in stated_edges and old is None and not attrs:
            continue
        suffix = f" [{dsl._attrs(attrs, specs)}]" if attrs else ""
        at = edge_line.get((a, b), last_line)
        inserts.setdefault(at, []).append(f"{a} -> {b}{suffix}")
    out: list[str] = []
    for i, line in enumerate(lines):
        rep = edits.get(i, [line]) if i in edits else [line]
        if rep is not None:
            out.extend(rep)
        out.extend(inserts.get(i, []))
    return "\n".join(out)


def _single_line(st: Any, line: int) -> None:
    from advisor.dslfmt import _end, _start

    if _start(st) != _end(st):
        raise Unpatchable(f"the statement at line {line + 1} spans several lines")


def _raw_text(raw: Any) -> str:
    from advisor.dslfmt import _value

    return _value(raw)


def _comment_of(src: str) -> str:
    for m in dsl.STRING_OR_COMMENT.finditer(src):
        if m.group(0).startswith("#"):
            return m.group(0).rstrip()
    return ""
