"""The one place a generator reads a glue function's handler: where its code is (the
`code` prop the importer set, relative to the input's folder) and its forwarding SDK call
(advisor.fix.mapping), for every format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.context import FixContext
from advisor.fix.mapping import SdkArgs, read_call


@dataclass
class Handler:
    path: str  # the handler's source file
    name: str | None  # the handler setting (`app.handler`), or None
    call: SdkArgs  # its one forwarding SDK call
    text: str | None = None  # the source, when it is inline in the template


def code_path(base: str, code: str) -> str:
    """The handler file, relative to the input's folder (or to the current one)."""
    root = Path(base)
    root = root if root.is_dir() else root.parent
    for candidate in (root / code, Path(code)):
        if candidate.is_file():
            return str(candidate)
    raise Unpatchable(f"the handler {code} cannot be read again")


def read_handler(ctx: FixContext, fn_node: str, base: str, handler: Any,
                 inline: Any = None, runtime: Any = None,
                 first_record: bool = False) -> Handler | None:
    """The function's handler and its forwarding call; None when the importer read no
    handler (no `code` or inline source, or no single forwarding call): the caller then
    says what it assumes, or refuses. `inline`: the template's inline source (ZipFile,
    InlineCode), in the language of `runtime`. `first_record`: `event["Records"][0]` reads
    the record (a pipe's rewrite: the engine blocks it where batches hold more than one
    record)."""
    props = ctx.node(fn_node).get("props") or {}
    evidence, code = _forwarding_call(props.get("glue_evidence")), props.get("code")
    name = handler if isinstance(handler, str) else None
    if evidence is None:
        return None
    if isinstance(code, str):
        path = code_path(base, code)
        return Handler(path, name, read_call(path, evidence, name, first_record=first_record))
    if isinstance(inline, str) and isinstance(runtime, str):
        path = "index.js" if runtime.startswith("nodejs") else "index.py"
        return Handler(path, name, read_call(path, evidence, name, text=inline,
                                             first_record=first_record), inline)
    return None


def template_handler(ctx: FixContext, tpl: Any, fn_node: str, fn: str,
                     first_record: bool = False) -> Handler | None:
    """`read_handler` for a function of a CloudFormation/SAM template (its CodeUri file,
    or its inline ZipFile / InlineCode)."""
    p = tpl.props(fn)
    code = p.get("Code")
    inline = p.get("InlineCode", code.get("ZipFile") if isinstance(code, dict) else None)
    runtime = p.get("Runtime") or tpl.globals("Function").get("Runtime")
    return read_handler(ctx, fn_node, tpl.path, p.get("Handler"), inline, runtime,
                        first_record)


def _forwarding_call(glue_evidence: Any) -> str | None:
    """`service.method` of the forwarding call handler inspection recorded (the first
    evidence item, `sdk-call`: "sqs.send_message(QueueUrl, MessageBody) at line 7"), None
    when it recorded none."""
    from advisor.engine.evidence import parse

    items = parse(glue_evidence) if isinstance(glue_evidence, str) else []
    if not items or items[0]["kind"] != "sdk-call":
        return None
    call = str(items[0]["detail"]).split("(", 1)[0].strip()
    return call if "." in call else None
