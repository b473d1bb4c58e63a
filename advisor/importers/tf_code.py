"""Find a Terraform Lambda function's handler source and have it classified (glue or not).

Code is reachable when the function's `filename` comes from a `data "archive_file"` with
`source_dir` / `source_file` beside the module, when `filename` names a zip whose
unzipped folder sits beside it, or when a registry lambda module gives `source_path`.
The handler (`app.lambda_handler`) names the file (`app.py`, `app.js`, ...). The source
is read by `advisor.importers.handlers` (the shared classifier), never imported or run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.importers.tf_hcl import Expr, iter_refs
from advisor.importers.tf_module import Resource

if TYPE_CHECKING:
    from advisor.importers.terraform import Context

_EXTENSIONS = (".py", ".mjs", ".js", ".ts", ".cjs", ".mts")


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
    refs = list(iter_refs(filename)) + list(iter_refs(b.get("s3_key")))
    for ref in list(refs):  # s3_key -> aws_s3_object.x whose `source` is the archive
        parts = ref.path.split(".")
        obj = mod.resources.get((parts[0], parts[1])) if len(parts) >= 2 else None
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
        p = _local_path(b.get(attr), mod.dir)
        if p is not None:
            candidates.append(p)
    for c in candidates:
        try:
            if c.exists():
                return c
        except OSError:
            continue
    return None


def handler_file(location: Path, handler: Any) -> Path | None:
    """`app.lambda_handler` in a folder -> app.py / app.js / ...; a file is itself."""
    if location.is_file():
        return location
    if not isinstance(handler, str) or "${" in handler:
        return None
    module = handler.rsplit(".", 1)[0]
    for ext in _EXTENSIONS:
        candidate = location / (module + ext)
        if candidate.is_file():
            return candidate
    return None


def _classifier() -> Any:
    """The shared handler classifier, when it exists (`advisor.importers.handlers`)."""
    try:
        from advisor.importers import handlers
    except ImportError:
        return None
    for name in ("classify_handler", "inspect_handler", "classify_file", "classify"):
        fn = getattr(handlers, name, None)
        if callable(fn):
            return fn
    return None


def inspect_function(ctx: Context, name: str, res: Resource) -> None:
    location = code_location(res)
    if location is None:
        return
    source = handler_file(location, res.block.get("handler"))
    if source is None:
        return
    ctx.set_props(name, code=str(source))
    classify = _classifier()
    if classify is None:
        return
    handler = res.block.get("handler")
    try:
        result = classify(str(source), handler if isinstance(handler, str) else None)
    except TypeError:
        result = classify(str(source))
    except Exception as exc:
        ctx.note(res.block, f"handler of {res.address} not inspected: {exc}")
        return
    _apply(ctx, name, result)


def _apply(ctx: Context, name: str, result: Any) -> None:
    """Copy glue / glue_evidence / glue_target from the classifier's result (object or dict)."""
    if result is None:
        return
    get = result.get if isinstance(result, dict) else (lambda k, d=None: getattr(result, k, d))
    glue = get("glue", None)
    evidence = get("evidence", None) or get("glue_evidence", None)
    target = get("target", None) or get("glue_target", None) or get("service", None)
    if isinstance(glue, bool):
        ctx.set_props(name, glue=glue)
    if evidence:
        ctx.set_props(name, glue_evidence=re.sub(r"\s+", " ", str(evidence))[:200])
    if target:
        ctx.set_props(name, glue_target=str(target))
