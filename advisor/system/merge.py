"""Merge the per-stack architectures into one: unique names, real cross-stack edges.

Naming: a node keeps the name the per-file import gives it (its logical ID, or for CDK
its construct path below the stack, `Ingest.Queue`), so names match what each
template's own analysis shows and what its author wrote. Only where two stacks use the
same name do *all* the nodes of that name get their stack in front (`orders.Api`,
`payments.Api`): the result does not depend on the order the stacks were given. The
stack stays on every node (`stack`), so nothing is lost for the diagrams or the report.

Placeholders (the importer's nodes for a linked `Fn::ImportValue`) are replaced by the
node they stand for: their edges become edges to it, and props naming them name it. The
`clients` node of each stack is one node (the outside world is one), and an entry edge
the per-file import drew because the template alone showed no producer (a topic nothing
in its stack publishes to, an API no CloudFront in its stack fronts) is dropped when
another stack shows one. An SSM parameter resource that only carries a linked value is
folded into the node it names (as an alias), like other wiring.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from advisor.catalog import edge_props, prop_spec
from advisor.errors import Diagnostic
from advisor.model import Architecture
from advisor.system.links import Endpoint, Linker, Prepared
from advisor.system.stacks import Stack

CLIENTS = "clients"
FRONT_DOORS = ("cloudfront", "alb", "apigw")
ENTRY_KINDS = ("apigw", "appsync", "alb", "cloudfront", "s3")
CDK_LEAVES = ("Resource", "Default")


def dsl_name(parts: list[str]) -> str:
    """Segments joined with dots into a valid DSL name (`[A-Za-z_]\\w*` per segment)."""
    clean = [re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_") for p in parts]
    clean = [c for c in clean if c]
    if not clean:
        return "node"
    if not re.match(r"[A-Za-z_]", clean[0]):
        clean[0] = f"s_{clean[0]}"
    return ".".join(clean)


def construct_name(stack: Stack, cpath: str) -> str | None:
    """`ServiceStack/Ingest/Queue/Resource` -> `Ingest.Queue` (below the CDK stack)."""
    root = _root(stack)
    parts = cpath.strip("/").split("/")
    if root and cpath.strip("/").startswith(root + "/"):
        parts = cpath.strip("/")[len(root) + 1:].split("/")
    elif len(parts) > 1:
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] in CDK_LEAVES:
        parts = parts[:-1]
    parts = [p.removesuffix(".NestedStack") for p in parts]
    return dsl_name(parts) if parts else None


def _root(stack: Stack) -> str | None:
    while stack.parent is not None and stack.construct_root is None:
        stack = stack.parent
    return stack.construct_root


def merge(stacks: list[Stack], archs: dict[str, Architecture], preps: dict[str, Prepared],
          linker: Linker, *, name: str, source: str) -> tuple[Architecture, set[tuple[str, str]]]:
    """The merged architecture, and the (template path, logical id) of every SSM
    parameter folded into the node it names."""
    by_stack: dict[str, dict[str, str]] = {}  # stack -> old node name -> new name
    pending: list[tuple[Stack, str, str]] = []  # (stack, old name, base name)
    for stack in stacks:
        arch = archs.get(stack.name)
        if arch is None:
            continue
        links = preps[stack.name].links
        by_stack[stack.name] = {}
        for old, data in arch.graph.nodes(data=True):
            if data.get("imported") in links:
                continue  # a placeholder: mapped below
            if old == CLIENTS and data["kind"] == "client":
                by_stack[stack.name][old] = CLIENTS
                continue
            cpath = stack.construct_paths.get(str(data.get("source_id") or ""))
            base = construct_name(stack, cpath) if cpath else None
            pending.append((stack, old, base or old))
    counts = Counter(base for _, _, base in pending)
    taken = {CLIENTS}
    for stack, old, base in pending:
        new = base if counts[base] == 1 and base not in taken else \
            f"{dsl_name(stack.name.split('/'))}.{base}"
        while new in taken:
            new = f"{new}_2"
        taken.add(new)
        by_stack[stack.name][old] = new
    folded = _map_links(stacks, archs, preps, linker, by_stack)

    merged = Architecture(name=name, source=source, format="cloudformation")
    for stack in stacks:  # every node first, so edges across stacks find both ends
        arch = archs.get(stack.name)
        if arch is None:
            continue
        rename = by_stack[stack.name]
        links = preps[stack.name].links
        for old, data in arch.graph.nodes(data=True):
            new = rename[old]
            if new in merged.graph or data.get("imported") in links or old in folded.get(
                    stack.name, ()):
                continue
            merged.add_node(new, data["kind"], _renamed_props(data, rename), loc=data.get("loc"),
                            group=data.get("group", ()), ignore=data.get("ignore", ()),
                            source_id=data.get("source_id"),
                            stack=None if new == CLIENTS else stack.name,
                            prop_locs=data.get("prop_locs"))
            extra = merged.graph.nodes[new]
            cpath = stack.construct_paths.get(str(data.get("source_id") or ""))
            if cpath:
                extra["construct_path"] = cpath
            if data.get("imported"):
                extra["imported"] = data["imported"]  # an import no stack here exports
    for stack in stacks:
        arch = archs.get(stack.name)
        if arch is None:
            continue
        rename = by_stack[stack.name]
        for a, b, data in arch.graph.edges(data=True):
            na, nb = rename[a], rename[b]
            if na == nb:
                continue
            props = {k: _renamed(v, rename) if _is_ref(edge_props().get(k)) else v
                     for k, v in (data.get("props") or {}).items()}
            merged.add_edge(na, nb, mode=data.get("mode"), label=data.get("label"),
                            props=props, loc=data.get("loc"))
        aliases = dict(arch.aliases)
        aliases.update({data.get("source_id") or old: old for old, data in
                        arch.graph.nodes(data=True) if old in folded.get(stack.name, ())})
        for rid, node in sorted(aliases.items()):
            key = rid if rid not in merged.aliases else f"{stack.name}/{rid}"
            merged.aliases[key] = rename.get(node, node)
        if not merged.workload and arch.workload:
            merged.workload = dict(arch.workload)
    _entry_points(merged)
    merged.resolve_modes()
    merged.graph.graph["construct_paths"] = _construct_map(stacks)
    gone = {(linker.stacks[s].path, str(archs[s].graph.nodes[n].get("source_id")))
            for s, nodes in folded.items() for n in nodes}
    return merged, gone


def _map_links(stacks: list[Stack], archs: dict[str, Architecture],
               preps: dict[str, Prepared], linker: Linker,
               by_stack: dict[str, dict[str, str]]) -> dict[str, set[str]]:
    """Placeholders -> the node they stand for; linked SSM parameters -> their value's node
    (returned: stack -> the SSM parameter nodes folded away)."""
    folded: dict[str, set[str]] = {}
    for stack in stacks:
        arch = archs.get(stack.name)
        if arch is None:
            continue
        links = preps[stack.name].links
        for old, data in arch.graph.nodes(data=True):
            ep = links.get(data.get("imported"))  # type: ignore[arg-type]
            if ep is None:
                continue
            real = node_of(archs, ep)
            if real is not None and real in by_stack.get(ep.stack, {}):
                by_stack[stack.name][old] = by_stack[ep.stack][real]
            else:  # cannot happen for a linked endpoint; kept visible if it does
                by_stack[stack.name][old] = dsl_name([*ep.stack.split("/"), ep.lid])
                linker.notes.append(Diagnostic(stack.path, 1, 1, f"{ep.lid} of stack "
                                               f"{ep.stack} has no node; kept as a placeholder",
                                               severity="info"))
    for stack_name, lid in sorted(linker.used_writers):
        arch = archs.get(stack_name)
        writer = _by_source(arch, lid) if arch is not None else None
        if writer is None or arch is None or arch.graph.degree(writer):
            continue
        stack = linker.stacks[stack_name]
        props = stack.resources[lid].get("Properties", {})
        ep = linker.endpoint(stack, props.get("Value"))
        real = node_of(archs, ep) if ep is not None else None
        if ep is not None and real is not None:
            by_stack[stack_name][writer] = by_stack[ep.stack][real]
            folded.setdefault(stack_name, set()).add(writer)
    return folded


def node_of(archs: dict[str, Architecture], ep: Endpoint) -> str | None:
    """The node of an endpoint in its stack's architecture (its own, or the one it is
    folded into when it is a Lambda alias or version)."""
    arch = archs.get(ep.stack)
    if arch is None:
        return None
    found = _by_source(arch, ep.lid)
    if found is None:
        owner = arch.aliases.get(ep.lid)
        if owner is not None and owner in arch.graph and arch.kind(owner) == "lambda":
            return owner
    return found


def _by_source(arch: Architecture, lid: str) -> str | None:
    for name, data in arch.graph.nodes(data=True):
        if data.get("source_id") == lid and not data.get("imported"):
            return str(name)
    return None


def _is_ref(spec: Any) -> bool:
    return spec is not None and getattr(spec, "type", None) == "ref"


def _renamed(value: Any, rename: dict[str, str]) -> Any:
    return rename.get(value, value) if isinstance(value, str) else value


def _renamed_props(data: dict[str, Any], rename: dict[str, str]) -> dict[str, Any]:
    kind = data["kind"]
    return {k: _renamed(v, rename) if _is_ref(prop_spec(kind, k)) else v
            for k, v in (data.get("props") or {}).items()}


def _entry_points(arch: Architecture) -> None:
    """Drop entry edges a single stack drew for want of a producer another stack has."""
    g = arch.graph
    if CLIENTS not in g:
        return
    for target in list(g.successors(CLIENTS)):
        kind = arch.kind(target)
        others = [p for p in g.predecessors(target) if p != CLIENTS]
        produced = kind == "sns" and bool(others)
        fronted = kind in ENTRY_KINDS and any(arch.kind(p) in FRONT_DOORS for p in others)
        if produced or fronted:
            g.remove_edge(CLIENTS, target)
    if g.degree(CLIENTS) == 0:
        g.remove_node(CLIENTS)


def _construct_map(stacks: list[Stack]) -> dict[str, str]:
    """`path:line` of each resource -> its CDK construct path (findings show it)."""
    out: dict[str, str] = {}
    for stack in stacks:
        for lid, cpath in stack.construct_paths.items():
            line, _ = stack.line_of(lid)
            out.setdefault(f"{stack.path}:{line}", cpath)
    return out
