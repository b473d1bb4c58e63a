"""The Architecture: a typed networkx graph, its workload, groups and source locations.

Every front end (DSL, CloudFormation/SAM, Terraform) builds one of these; the engine,
the estimates and the writers only ever read one. That is the one-way data flow of
docs/internals.md: frontends know nothing of patterns, patterns nothing of file formats.

Node attributes (graph.nodes[name]):
    kind       catalog kind name (`lambda`, `sqs`, ...; `resource` for anything else)
    props      dict of typed values in internal units (bytes, ms, requests/month)
    loc        Location where it was declared, or None for nodes a rewrite added
    group      tuple of group names, outermost first (() when not in a group)
    ignore     frozenset of rule ids suppressed on this node
    source_id  the template's own id (`MyFunction`, `aws_lambda_function.forward`)
    stack      the stack (template file, CDK stack, Terraform module) the node comes from,
               when several are analyzed as one system; None for a single input
    prop_locs  {prop: Location} where a prop's value is set when that is not the node's
               own declaration (an API's access logs live on its Stage resource): a finding
               about the prop points there, where the fix goes

Edge attributes (graph.edges[a, b]):
    mode       `sync` | `async` | `stream` | `poll` (defaulted from the catalog)
    label      free text or None
    props      dict: batch, fanout, filter, on_failure, bisect, retries, ...
    loc        Location of the first statement of the edge
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import networkx as nx

EDGE_MODES = ("sync", "async", "stream", "poll")
# props (on a node or an edge) that name the node receiving failed records
FAILURE_PROPS = ("dlq", "on_failure")


@dataclass(frozen=True, order=True)
class Location:
    """Where something was declared: 1-based line and column in `path`."""

    path: str
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column}


Props = dict[str, Any]  # prop name -> typed value in internal units (heterogeneous)


class NodeAttrs(TypedDict, total=False):
    """The attribute dict of a node (`graph.nodes[name]`); see the module docstring."""

    kind: str
    props: Props
    loc: Location | None
    group: tuple[str, ...]
    ignore: frozenset[str]
    source_id: str | None
    stack: str | None
    prop_locs: dict[str, Location]


class EdgeAttrs(TypedDict, total=False):
    """The attribute dict of an edge (`graph.edges[a, b]`); see the module docstring."""

    mode: str | None
    label: str | None
    props: Props
    loc: Location | None


@dataclass
class Group:
    """A named box of nodes (account, region, VPC, bounded context); may nest."""

    path: tuple[str, ...]
    loc: Location | None = None


@dataclass
class Architecture:
    """A design: graph + workload + groups, with where each part came from."""

    name: str = "architecture"
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    workload: dict[str, Any] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    source: str = "<memory>"
    format: str = "dsl"
    notes: list[Any] = field(default_factory=list)  # info diagnostics from importers
    # template resources folded into a node (a Stage, Permission, Role, event source mapping,
    # subscription, log group...): resource id -> node name. Findings about the node are
    # findings about these resources too (peer tools report them there).
    aliases: dict[str, str] = field(default_factory=dict)

    # ----------------------------------------------------------------- building
    def add_node(
        self,
        name: str,
        kind: str,
        props: Mapping[str, Any] | None = None,
        *,
        loc: Location | None = None,
        group: tuple[str, ...] = (),
        ignore: frozenset[str] | set[str] | tuple[str, ...] = (),
        source_id: str | None = None,
        stack: str | None = None,
        prop_locs: Mapping[str, Location] | None = None,
    ) -> None:
        """Add a node, or merge props into an existing node of the same name."""
        if name in self.graph:
            data = self.graph.nodes[name]
            data["props"].update(props or {})
            data["ignore"] = frozenset(data["ignore"]) | frozenset(ignore)
            if prop_locs:
                data.setdefault("prop_locs", {}).update(prop_locs)
            return
        self.graph.add_node(
            name,
            kind=kind,
            props=dict(props or {}),
            loc=loc,
            group=tuple(group),
            ignore=frozenset(ignore),
            source_id=source_id,
            stack=stack,
            prop_locs=dict(prop_locs or {}),
        )

    def add_edge(
        self,
        source: str,
        target: str,
        *,
        mode: str | None = None,
        label: str | None = None,
        props: Mapping[str, Any] | None = None,
        loc: Location | None = None,
    ) -> None:
        """Add an edge; an edge stated twice merges its attributes (later values win).

        `mode=None` means "the catalog default"; `resolve_modes` fills it in.
        """
        if self.graph.has_edge(source, target):
            data = self.graph.edges[source, target]
            if mode is not None:
                data["mode"] = mode
            if label is not None:
                data["label"] = label
            data["props"].update(props or {})
            return
        self.graph.add_edge(
            source, target, mode=mode, label=label, props=dict(props or {}), loc=loc
        )

    def resolve_modes(self) -> None:
        """Fill every edge whose mode was not stated with the catalog's default."""
        from advisor.catalog import default_edge_mode

        for a, b, data in self.graph.edges(data=True):
            if data.get("mode") is None:
                data["mode"] = default_edge_mode(self.kind(a), self.kind(b))

    # ----------------------------------------------------------------- reading
    def kind(self, name: str) -> str:
        return str(self.graph._node[name]["kind"])

    def props(self, name: str) -> Props:
        return dict(self.graph.nodes[name]["props"])

    def location_of(self, name: str, prop: str | None = None) -> Location | None:
        """Where to fix `prop` of node `name`: the resource that sets it when it is not the
        node's own declaration (`prop_locs`), else where the node was declared."""
        data = self.graph.nodes[name]
        if prop is not None:
            loc = (data.get("prop_locs") or {}).get(prop)
            if loc is not None:
                return loc  # type: ignore[no-any-return]
        return data.get("loc")  # type: ignore[no-any-return]

    def node_names(self) -> list[str]:
        """Names in a stable order (sorted), for deterministic output."""
        return sorted(self.graph.nodes)

    def edges_sorted(self) -> list[tuple[str, str, EdgeAttrs]]:
        edges = [(a, b, d) for a, nbrs in self.graph._succ.items() for b, d in nbrs.items()]
        return sorted(edges, key=lambda e: (e[0], e[1]))

    def nodes_of_kind(self, *kinds: str) -> Iterator[str]:
        """The names of the nodes of these kinds, sorted (the matching ones sorted, not
        every name: a large design's estimate asks for several kinds)."""
        wanted = set(kinds)
        return iter(sorted(n for n, d in self.graph._node.items() if str(d["kind"]) in wanted))

    def entry_points(self) -> list[str]:
        """Nodes where traffic starts: clients, schedules, and nodes with no callers."""
        from advisor.catalog import category_of

        entries = [
            n
            for n in self.node_names()
            if category_of(self.kind(n)) == "client" or self.unfed(n)
        ]
        return entries

    def failure_destinations(self, around: Iterable[str] | None = None) -> set[str]:
        """Nodes that receive failed records: named by a `dlq`/`on_failure` prop of a node
        or an edge, or marked `is_dlq`. With `around`, only what those nodes and their
        edges name (to keep a set current after a change). The engine exempts these from
        needing their own DLQ; the estimates send them no steady-state traffic."""
        nd, pred, succ = self.graph._node, self.graph._pred, self.graph._succ
        refs: set[str] = set()
        add = refs.add
        # (plain loops, no generator per node and edge: the whole-design pass runs once
        # per matching round over every node and edge of a 100k-node design)
        if around is None:
            nodes: Iterable[tuple[str, NodeAttrs]] = nd.items()
            edges: Iterable[EdgeAttrs] = (d for nbrs in succ.values() for d in nbrs.values())
        else:
            names = [n for n in around if n in nd]
            nodes = [(n, nd[n]) for n in names]
            edges = [d for n in names for adj in (pred[n], succ[n]) for d in adj.values()]
        for n, data in nodes:
            props = data["props"]
            if props:
                for p in FAILURE_PROPS:
                    value = props.get(p)
                    if value:
                        add(str(value))
                if props.get("is_dlq") is True:
                    add(n)
        for edge in edges:
            eprops = edge.get("props")
            if eprops:
                for p in FAILURE_PROPS:
                    value = eprops.get(p)
                    if value:
                        add(str(value))
        return refs

    def writes_back(self, a: str, b: str) -> bool:
        """`a -> b` is a function's own call into the queue, stream or table an event
        source mapping feeds it from (`b -> a` is the poll): a stream consumer updating
        its table, a consumer re-queueing into its queue. Such an edge closes a cycle;
        when it is the edge that closes it, the estimates price its calls once and feed
        nothing around again (`propagate.FlowRules.counted_once`)."""
        nd = self.graph._node
        if nd[a]["kind"] != "lambda":
            return False
        from advisor.catalog import event_source_kinds

        return nd[b]["kind"] in event_source_kinds() and a in self.graph._succ[b]

    def unfed(self, n: str) -> bool:
        """Nothing feeds `n` but, at most, the write-backs of functions that only `n`
        feeds (`writes_back`): a table whose one writer in the design is its own stream
        consumer still takes its traffic from outside, as an entry point."""
        pred, gp = self.graph._pred[n], self.graph._pred
        return not pred or all(self.writes_back(p, n) and len(gp[p]) == 1 for p in pred)

    def copy(self) -> Architecture:
        """A deep copy: rewrites work on copies so `before` is never touched."""
        return Architecture(
            name=self.name,
            graph=copy.deepcopy(self.graph),
            workload=copy.deepcopy(self.workload),
            groups=list(self.groups),
            source=self.source,
            format=self.format,
            notes=list(self.notes),
            aliases=dict(self.aliases),
        )

    # ----------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """The `nodes` and `edges` of the JSON report's before/after objects."""
        nodes = []
        nd = self.graph._node
        for name in self.node_names():
            data = nd[name]
            item: dict[str, Any] = {
                "name": name,
                "kind": data["kind"],
                "props": _jsonable(data["props"]),
                "source_id": data.get("source_id") or name,
            }
            if data.get("group"):
                item["group"] = list(data["group"])
            if data.get("stack"):
                item["stack"] = data["stack"]
            if data.get("loc") is not None:
                item["location"] = data["loc"].to_dict()
            nodes.append(item)
        edges = [
            {
                "source": a,
                "target": b,
                "mode": d.get("mode"),
                "props": _jsonable(d.get("props", {})),
                **({"label": d["label"]} if d.get("label") else {}),
            }
            for a, b, d in self.edges_sorted()
        ]
        return {"nodes": nodes, "edges": edges}

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary of everything semantic, for equality in tests and fixpoints."""
        nodes = tuple(
            (
                n,
                self.graph.nodes[n]["kind"],
                _freeze(self.graph.nodes[n]["props"]),
                tuple(self.graph.nodes[n].get("group", ())),
                tuple(sorted(self.graph.nodes[n].get("ignore", ()))),
            )
            for n in self.node_names()
        )
        edges = tuple(
            (a, b, d.get("mode"), d.get("label"), _freeze(d.get("props", {})))
            for a, b, d in self.edges_sorted()
        )
        return (self.name, _freeze(self.workload), nodes, edges)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_freeze(v) for v in value]
        return tuple(items) if isinstance(value, list | tuple) else tuple(sorted(items))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value  # (most prop values: what the checks below would return them as)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict or isinstance(value, Mapping):
        return {str(k): _jsonable(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
