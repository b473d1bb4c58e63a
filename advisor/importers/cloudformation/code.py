"""Find and inspect the handler code of each function in a template.

Reachable code: SAM `CodeUri` (a folder beside the template) + `Handler`, SAM
`InlineCode`, `Code.ZipFile`, and esbuild `Metadata.BuildProperties.EntryPoints`. The
verdict of `advisor.importers.handlers` lands on the node as `glue`, `glue_evidence`,
`glue_target` and `code` (the path relative to the template's folder).

A function is called glue only when the graph also shows it is triggered by something
(an event source, an API, a workflow, an AppSync resolver): a function nothing invokes
is a producer or a demo, not glue between two services. An authorizer is never glue.
"""

from __future__ import annotations

import os
from pathlib import Path

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.edge_labels import ON_FAILURE
from advisor.importers.handlers import (
    HandlerReport,
    find_handler,
    handler_function,
    inspect_file,
    inspect_source,
    language_of,
    not_found_reason,
)

SYNC_FRONT_DOORS = ("apigw", "appsync", "alb", "client", "cloudfront", "sfn")
MAX_SEARCH_FILES = 2000


def locate(ctx: Ctx, lid: str) -> tuple[Path | None, str | None, str | None]:
    """(file, inline source, language) of a function's handler, where reachable."""
    p = ctx.props_of(lid)
    runtime = ctx.scalar(p.get("Runtime"))
    runtime = runtime if isinstance(runtime, str) else None
    lang = language_of(runtime)
    inline = ctx.scalar(p.get("InlineCode"))
    code = p.get("Code")
    if inline is None and isinstance(code, dict):
        inline = code.get("ZipFile")
        if isinstance(inline, dict):
            inline = ctx.text_of(inline)
    if isinstance(inline, str):
        return None, inline, lang or "python"
    uri = ctx.scalar(p.get("CodeUri"))
    if uri is None and isinstance(code, str):
        uri = code  # `Code: src/`, the local folder `aws cloudformation package` uploads
    if uri is None and _default_code_root(ctx, lid):
        uri = "."
    if not isinstance(uri, str) or uri.startswith("s3://") or ctx.path.startswith("<"):
        return None, None, lang
    base = ctx.base_dir.resolve()
    code_dir = (ctx.base_dir / uri).resolve()
    try:
        code_dir.relative_to(base.parent)
    except ValueError:
        return None, None, lang  # never read outside the template's project
    handler = ctx.scalar(p.get("Handler"))
    meta = ctx.resources.get(lid, {}).get("Metadata")
    entries: list[str] = []
    if isinstance(meta, dict) and isinstance(meta.get("BuildProperties"), dict):
        eps = meta["BuildProperties"].get("EntryPoints")
        entries = [e for e in eps if isinstance(e, str)] if isinstance(eps, list) else []
    handler = handler if isinstance(handler, str) else None
    found = find_handler(code_dir, handler, runtime, entries)
    if found is None and handler and not code_dir.exists():
        found = _search(ctx, base, handler, lang, lid)
    return found, None, lang


def _default_code_root(ctx: Ctx, lid: str) -> bool:
    """A SAM function with neither CodeUri nor InlineCode nor an image: SAM CLI builds
    and packages the template's own folder (`SamBaseProvider.DEFAULT_CODEURI = "."` in
    aws-sam-cli samcli/lib/providers/sam_base_provider.py), so a `Handler` such as
    `src/api/sqs_processor.lambda_handler` names a file relative to the template."""
    p = ctx.props_of(lid)
    return (ctx.rtype(lid) == "AWS::Serverless::Function" and p.get("CodeUri") is None
            and p.get("InlineCode") is None and p.get("ImageUri") is None
            and ctx.scalar(p.get("PackageType")) != "Image")


def _search(ctx: Ctx, base: Path, handler: str, lang: str | None, lid: str) -> Path | None:
    """A CodeUri that does not exist (moved sources, a built `src/index.zip`): the
    handler module, if exactly one file of that name exists under the template's folder
    (its first MAX_SEARCH_FILES entries, listed once per import, not once per function)
    and it is not inside a code folder another function of the template declares (that
    file is the other function's code: `Handler: main.handler` in Globals names a
    main.py in every function's folder)."""
    from advisor.importers.handlers import JS_EXT, PY_EXT

    module = Path(handler.rsplit(".", 1)[0]).name
    exts = PY_EXT if lang == "python" else JS_EXT if lang == "javascript" else PY_EXT + JS_EXT
    wanted = {f"{module}{e}" for e in exts}
    by_name = _listing(ctx, base)
    hits = [p for name in sorted(wanted) for p in by_name.get(name, ()) if p.is_file()]
    if len(hits) != 1:
        return None
    theirs = [d for other, d in _code_dirs(ctx) if other != lid]
    if any(hits[0].resolve().is_relative_to(d) for d in theirs):
        return None
    return hits[0]


def _code_dirs(ctx: Ctx) -> list[tuple[str, Path]]:
    """(function, folder) of every function whose local CodeUri / Code folder exists
    (worked out once per import)."""
    key = ("code dirs",)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = []
        for lid in sorted(ctx.names):
            if ctx.rtype(lid) not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                continue
            p = ctx.props_of(lid)
            uri = ctx.scalar(p.get("CodeUri"))
            if uri is None and isinstance(p.get("Code"), str):
                uri = p.get("Code")
            if isinstance(uri, str) and not uri.startswith("s3://"):
                folder = (ctx.base_dir / uri).resolve()
                if folder.is_dir():
                    found.append((lid, folder))
    return found  # type: ignore[no-any-return]


def _listing(ctx: Ctx, base: Path) -> dict[str, list[Path]]:
    """File name -> paths (outside node_modules) among the first entries under `base`."""
    key = ("code listing", base)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = {}
        for i, p in enumerate(base.rglob("*")):
            if i > MAX_SEARCH_FILES:
                break
            if "node_modules" not in p.parts:
                found.setdefault(p.name, []).append(p)
    return found  # type: ignore[no-any-return]


def inspect_functions(ctx: Ctx) -> dict[str, HandlerReport]:
    """Read each function's handler; returns the reports read, by node."""
    read: dict[str, HandlerReport] = {}
    for lid, node in sorted(ctx.names.items()):
        if ctx.arch.kind(node) != "lambda" or ctx.rtype(lid) not in (
            "AWS::Serverless::Function", "AWS::Lambda::Function"
        ):
            continue
        path, inline, lang = locate(ctx, lid)
        function = handler_function(ctx.scalar(ctx.props_of(lid).get("Handler")))
        report: HandlerReport | None = None
        if path is not None and language_of(path.name):
            report = inspect_file(path, function)
            rel = os.path.relpath(path, ctx.base_dir.resolve()).replace(os.sep, "/")
            ctx.set_props(node, code=rel)
        elif inline is not None and lang:
            report = inspect_source(inline, lang, function=function)
        if report is None:
            if path is None and inline is None:
                _note_unread(ctx, lid)
            continue
        missing = not_found_reason(report)
        if missing:
            line, col = ctx.line_of(None, lid)
            ctx.info(f"the code of {lid} was not read: {missing}, so what the function "
                     "calls is taken from the template alone", line, col)
            continue
        apply_verdict(ctx, node, report)
        resolve_named_targets(ctx, lid, node, report)
        read[node] = report
    return read


def resolve_named_targets(ctx: Ctx, lid: str, node: str, report: HandlerReport) -> None:
    """Targets the handler names by a literal physical name: edges and evidence (see
    advisor/importers/handler_targets.py)."""
    from advisor.importers.handler_targets import named_targets, with_evidence

    found = named_targets(report, node, ctx.by_physical_name)
    for target, _ in found:
        if not ctx.arch.graph.has_edge(node, target):
            ctx.edge(node, target, anchor=lid)
    evidence = with_evidence(ctx.arch.graph.nodes[node]["props"].get("glue_evidence"),
                             [item for _, item in found])
    if evidence:
        ctx.set_props(node, glue_evidence=evidence)


def _note_unread(ctx: Ctx, lid: str) -> None:
    """A function whose local CodeUri names handler code that is not there (a template
    uploaded or copied without its sources): say so, since whether it only forwards
    between services (glue) is then judged from the template alone."""
    p = ctx.props_of(lid)
    uri, handler = ctx.scalar(p.get("CodeUri")), ctx.scalar(p.get("Handler"))
    runtime = ctx.scalar(p.get("Runtime"))
    if uri is None and isinstance(handler, str) and _default_code_root(ctx, lid) and not (
            isinstance(runtime, str) and language_of(runtime) is None) \
            and not ctx.path.startswith("<"):
        line, col = ctx.line_of(None, lid)
        ctx.info(f"the code of {lid} (handler {handler}, no CodeUri: SAM's default code "
                 "folder is the template's) is not beside the template, so it was not "
                 "read: what the function calls is taken from the template alone", line, col)
        return
    if (not isinstance(uri, str) or uri.startswith("s3://") or ctx.path.startswith("<")
            or (isinstance(runtime, str) and language_of(runtime) is None)):
        return  # nothing local to read, or a compiled runtime whose code is never read
    line, col = ctx.line_of(None, lid)
    what = f"handler {handler} in " if isinstance(handler, str) else ""
    ctx.info(f"the code of {lid} ({what}CodeUri {uri}) is not beside the template, so it "
             "was not read: what the function calls is taken from the template alone",
             line, col)


def apply_verdict(ctx: Ctx, node: str, report: HandlerReport) -> None:
    if report.facts:
        ctx.set_props(node, handler_facts=report.facts)
    if node in ctx.authorizer_fns:
        ctx.set_props(node, glue=False)
        return
    if report.evidence:
        ctx.set_props(node, glue_evidence=report.evidence, glue_target=report.target)
    if report.verdict == "logic":
        ctx.set_props(node, glue=False)
    elif report.verdict == "glue":
        callers = [c for c in ctx.arch.graph.predecessors(node)
                   if ctx.arch.graph.edges[c, node].get("label") != ON_FAILURE]
        if report.read_only:
            # A fetch is forwarding only when a caller waits for the answer (a proxy).
            callers = [c for c in callers if ctx.arch.kind(c) in SYNC_FRONT_DOORS]
            if not callers:
                ctx.set_props(node, glue=False)
                return
        if callers:
            ctx.set_props(node, glue=True)
