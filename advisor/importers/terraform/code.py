"""Find a Terraform Lambda function's handler source and have it classified (glue or not).

Code is reachable when the function's `filename` comes from a `data "archive_file"` with
`source_dir` / `source_file` beside the module, when `filename` names a zip whose
unzipped folder sits beside it, or when a registry lambda module gives `source_path` (a path, a
map with `path`, or a list of either).
The handler (`app.lambda_handler`) names the file (`app.py`, `app.js`, ...). The source
is read by `advisor.importers.handlers` (the shared classifier), never imported or run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.importers.edge_labels import AUTHORIZER
from advisor.importers.terraform.hcl import Expr, Ref, iter_refs
from advisor.importers.terraform.module import Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def _local_path(raw: Any, base: Path) -> Path | None:
    if isinstance(raw, Expr) and raw.func == "string":
        raw = raw.text
    if not isinstance(raw, str):
        return None
    text = (
        raw.replace("${path.module}", ".").replace("${path.root}", ".").replace("${path.cwd}", ".")
    )
    if "${" in text:
        return None
    return base / text


def code_location(res: Resource) -> Path | None:
    """The folder or file holding the function's code, when it is beside the config."""
    b, mod = res.block, res.module
    candidates: list[Path] = []
    filename = b.get("filename")
    refs = [
        r for attr in ("filename", "s3_key", "source_code_hash") for r in iter_refs(b.get(attr))
    ]
    if isinstance(filename, str):  # a literal zip name that an archive_file writes
        for (dtype, dname), data in sorted(mod.data.items()):
            if dtype == "archive_file" and data.block.get("output_path") == filename:
                refs.append(Ref(f"data.archive_file.{dname}.output_path"))
    for ref in list(refs):  # s3_key -> aws_s3_object.x whose `source` is the archive
        parts = ref.path.split(".")
        objs = mod.resources.get((parts[0], parts[1]), []) if len(parts) >= 2 else []
        obj = objs[0] if objs else None
        if obj is not None and obj.type in ("aws_s3_object", "aws_s3_bucket_object"):
            refs += list(iter_refs(obj.block.get("source")))
    for ref in refs:
        parts = ref.path.split(".")
        if parts[0] == "data" and len(parts) >= 3 and parts[1] == "archive_file":
            data = mod.data.get((parts[1], parts[2]))
            if data is not None:
                for attr in ("source_dir", "source_file"):
                    p = _local_path(data.block.get(attr), mod.dir)
                    if p is not None:
                        candidates.append(p)
                for src in data.block.sub("source"):
                    p = _local_path(src.get("filename"), mod.dir)
                    if p is not None:
                        candidates.append(mod.dir)
    zip_path = _local_path(filename, mod.dir)
    if zip_path is not None:
        candidates += [zip_path.with_suffix(""), zip_path.parent]
    for attr in ("source_path", "source_dir"):
        for value in _source_paths(b.get(attr)):
            p = _local_path(value, mod.dir)
            if p is not None:
                candidates.append(p)
    # Terraform resolves relative paths (without path.module) from the root module's
    # folder, the working directory of `terraform apply`; try that too for child modules.
    root = mod
    while root.parent is not None:
        root = root.parent
    if root is not mod:
        candidates += [
            root.dir / c.relative_to(mod.dir)
            for c in list(candidates)
            if c.is_relative_to(mod.dir)
        ]
    for c in candidates:
        try:
            if c.exists():
                return c
        except OSError:
            continue
    return None


def _source_paths(value: Any) -> list[Any]:
    """The paths a registry lambda module's `source_path` names: a string, a map with
    `path` (`{path = "src/app", pip_requirements = true}`), or a list of either
    (terraform-aws-modules/lambda/aws's forms)."""
    items = value if isinstance(value, list) else [value]
    return [item.get("path") if isinstance(item, dict) else item for item in items]


def handler_file(location: Path, handler: Any, runtime: Any) -> Path | None:
    """`app.lambda_handler` in a folder -> app.py / app.js / ...; a file is itself."""
    from advisor.importers.handlers import find_handler

    if location.is_file():
        return location
    if isinstance(handler, str) and "${" in handler:
        return None
    return find_handler(
        location,
        handler if isinstance(handler, str) else None,
        runtime if isinstance(runtime, str) else None,
    )


def _display(path: Path, base: Path | None = None) -> str:
    """The path as the user would write it: relative to the module's folder (as SAM's
    CodeUri is relative to the template), so no machine path leaks into a design."""
    text = os.path.normpath(str(path))
    if not os.path.isabs(text):
        return text
    for root in (base, Path.cwd()):
        if root is None:
            continue
        try:
            rel = os.path.relpath(text, str(root))
        except ValueError:
            continue
        if not rel.startswith(".."):
            return rel
    return text


def inspect_function(ctx: Context, name: str, res: Resource) -> None:
    """Set `code` and, from the shared classifier, `glue` / `glue_evidence` / `glue_target`."""
    from advisor.importers.handlers import handler_function, inspect_file, not_found_reason

    location = code_location(res)
    if location is None:
        return
    source = handler_file(location, res.block.get("handler"), res.block.get("runtime"))
    if source is None:
        return
    root = Path(ctx.arch.source)
    ctx.set_props(name, code=_display(source, root if root.is_dir() else root.parent))
    report = inspect_file(source, handler_function(res.block.get("handler")))
    missing = not_found_reason(report)
    if missing:
        ctx.note(res.block, f"the code of {name} was not read: {missing}, so what the "
                 "function calls is taken from the configuration alone")
        return
    ctx.memo.setdefault("handler reports", {})[name] = report
    if report.facts:
        ctx.set_props(name, handler_facts=report.facts)
    graph = ctx.arch.graph
    callers = [
        c for c in graph.predecessors(name) if graph.edges[c, name].get("label") != AUTHORIZER
    ]
    if any(graph.edges[c, name].get("label") == AUTHORIZER for c in graph.predecessors(name)):
        ctx.set_props(name, glue=False)  # an authorizer decides; it never forwards
        return
    if report.evidence:
        ctx.set_props(name, glue_evidence=report.evidence, glue_target=report.target)
    _named_targets(ctx, name, res, report)
    if report.verdict == "logic":
        ctx.set_props(name, glue=False)
    elif report.verdict == "glue" and callers:
        # glue needs an event source: a function nothing invokes is a producer, not glue
        ctx.set_props(name, glue=True)


def _named_targets(ctx: Context, name: str, res: Resource, report: Any) -> None:
    """Targets the handler names by a literal physical name (a resource's `name`,
    `table_name`, ...): edges and evidence (see advisor/importers/handler_targets.py)."""
    from advisor.importers.handler_targets import named_targets, with_evidence

    def resolve(literal: str, kind: str) -> str | None:
        found = [n for n in ctx.by_literal(literal) if ctx.arch.kind(n) == kind]
        return found[0] if found else None

    found = named_targets(report, name, resolve)
    for target, _ in found:
        if not ctx.arch.graph.has_edge(name, target):
            ctx.edge(name, target, block=res.block)
    evidence = with_evidence(ctx.arch.graph.nodes[name]["props"].get("glue_evidence"),
                             [item for _, item in found])
    if evidence:
        ctx.set_props(name, glue_evidence=evidence)
