"""Systems: several CloudFormation/SAM stacks (or a CDK app) analyzed as one architecture.

A layer above the per-file importer, in one direction:

    stacks.collect   the templates given + the nested stacks they create (local files)
    links.Linker     exports <-> Fn::ImportValue, SSM parameters written <-> read,
                     nested-stack parameters and outputs; each template rewritten so a
                     resolved reference is an `Fn::ImportValue` of a link key
    import_template  the per-file importer, unchanged but for two hooks: `parameters`
                     (values passed in) and `links` (which imports become placeholders)
    merge.merge      one Architecture: unique names, placeholders -> real edges,
                     every node's `stack`, one `clients` node
    cdk              a CDK cloud assembly (cdk.out): its stacks and construct paths

Stacks are imported in dependency order (a stack after those it links to), so a
placeholder has the kind of the node it stands for while its own stack is imported (an
SQS event source that is another stack's queue is wired as a queue). Everything that
cannot be linked is left as the per-file import makes it and gets an info note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.catalog import kind_for_cloudformation
from advisor.errors import AdvisorError, Diagnostic
from advisor.model import Architecture
from advisor.system.links import Endpoint, Link, Linker, Prepared
from advisor.system.merge import merge, node_of
from advisor.system.stacks import Collected, Stack, collect

SAM_IMPLICIT = {"ServerlessRestApi": "apigw", "ServerlessHttpApi": "apigw"}


@dataclass
class System:
    """The merged architecture of a system, with its stacks and the links found."""

    arch: Architecture | None
    stacks: list[Stack] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    errors: list[AdvisorError] = field(default_factory=list)  # members that did not parse
    kind: str = "cloudformation"  # or "cdk"

    def to_dict(self) -> dict[str, Any]:
        """The `system` object of the JSON report."""
        return {
            "kind": self.kind,
            "stacks": [{"name": s.name, "path": s.path,
                        **({"parent": s.parent.name} if s.parent else {}),
                        **({"deployed_name": s.deployed_name} if s.deployed_name else {})}
                       for s in self.stacks],
            "links": [link.to_dict() for link in self.links],
        }


def load_system(paths: list[str], *, name: str | None = None,
                source: str | None = None) -> System:
    """Templates `paths` (and their nested stacks) as one system."""
    return build(collect(paths), name=name, source=source or _common(paths))


def build(collected: Collected, *, name: str | None, source: str,
          kind: str = "cloudformation") -> System:
    from advisor.importers.cloudformation import import_template

    stacks = collected.stacks
    for stack in stacks:
        _cdk_paths(stack)
    system = System(None, stacks, errors=list(collected.errors), kind=kind)
    if not stacks:
        return system
    linker = Linker(stacks)
    by_name = {s.name: s for s in stacks}
    archs: dict[str, Architecture] = {}
    preps: dict[str, Prepared] = {}
    busy: set[str] = set()

    def kind_of(ep: Endpoint) -> str | None:
        if ep.stack not in archs and ep.stack not in busy:
            run(by_name[ep.stack])
        if ep.stack in archs:
            node = node_of(archs, ep)
            return archs[ep.stack].kind(node) if node is not None else None
        target = by_name[ep.stack]  # a cycle of links: the kind its type says
        return SAM_IMPLICIT.get(ep.lid) or kind_for_cloudformation(target.rtype(ep.lid))

    def run(stack: Stack) -> None:
        busy.add(stack.name)
        prep = linker.prepare(stack, kind_of)
        kinds = {key: kind_of(ep) or "resource" for key, ep in prep.links.items()}
        try:
            archs[stack.name] = import_template(stack.path, stack.text, prep.data,
                                                parameters=prep.parameters or None,
                                                links=kinds)
        except AdvisorError as exc:
            system.errors.append(exc)
        preps[stack.name] = prep
        busy.discard(stack.name)

    for stack in stacks:
        if stack.name not in archs and stack.name not in busy:
            run(stack)
    arch, folded = merge(stacks, archs, preps, linker, name=name or _system_name(source),
                         source=source)
    notes: list[Diagnostic] = list(collected.notes)
    for stack in stacks:
        if stack.name in archs:
            notes.extend(n for n in archs[stack.name].notes if isinstance(n, Diagnostic)
                         and not any(n.path == p and f"({lid})" in n.message
                                     for p, lid in folded))
    notes.extend(linker.notes)
    notes.append(_summary(system, linker))
    arch.notes = _unique(notes)
    system.arch = arch
    system.links = list(linker.links)
    return system


def _cdk_paths(stack: Stack) -> None:
    """Construct paths from the resources' `aws:cdk:path` metadata (CDK output)."""
    for lid, body in stack.resources.items():
        meta = body.get("Metadata") if isinstance(body, dict) else None
        cpath = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
        if isinstance(cpath, str) and cpath:
            stack.construct_paths.setdefault(str(lid), cpath)


def _summary(system: System, linker: Linker) -> Diagnostic:
    stacks = system.stacks
    nested = sum(1 for s in stacks if s.parent is not None)
    path = stacks[0].path if stacks else "<system>"
    return Diagnostic(path, 1, 1, f"system of {len(stacks)} stack(s) ({nested} nested): "
                      f"{len(linker.links)} cross-stack link(s) resolved",
                      severity="info")


def _unique(notes: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for n in notes:
        key = (n.path, n.line, n.message)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def _common(paths: list[str]) -> str:
    import os

    if not paths:
        return "<system>"
    if len(paths) == 1:
        return paths[0]
    try:
        common = os.path.commonpath([os.path.abspath(p) for p in paths])
    except ValueError:
        return paths[0]
    rel = os.path.relpath(common)
    return rel if not rel.startswith("..") else common


def _system_name(source: str) -> str:
    p = Path(source)
    return p.name if p.suffix == "" else p.stem


__all__ = ["Link", "Stack", "System", "build", "load_system"]
