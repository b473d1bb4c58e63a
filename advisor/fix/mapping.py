"""What a glue function sends, for the generators: the expressions handler inspection
reads from the handler's forwarding SDK call (advisor.importers.handlers.sends owns the
reading; the importer records the same reading as the `payload` fact the engine uses),
with what stands in the way reported as `Unpatchable`."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.importers.handlers import sends
from advisor.importers.handlers.sends import (
    JS_SUFFIXES,
    MAX_HANDLER_BYTES,
    Concat,
    Const,
    Env,
    Event,
    Json,
    Num,
    Response,
    SdkArgs,
    Str,
    Untraced,
    read_response,
    uses,
)

__all__ = ["JS_SUFFIXES", "MAX_HANDLER_BYTES", "Concat", "Const", "Env", "Event", "Json",
           "Num", "Response", "SdkArgs", "Str", "handler_function", "read_call",
           "read_response", "uses"]


def read_call(path: str | Path, evidence: str, handler: str | None = None,
              text: str | None = None, first_record: bool = False) -> SdkArgs:
    """advisor.importers.handlers.sends.read_call, refusing as Unpatchable."""
    try:
        return sends.read_call(path, evidence, handler, text, first_record)
    except Untraced as exc:
        raise Unpatchable(str(exc)) from exc


def handler_function(tree: ast.Module, handler: str | None) -> Any:
    """The handler's function node in a parsed module (Unpatchable when not found)."""
    try:
        return sends._handler_function(tree, handler)
    except Untraced as exc:
        raise Unpatchable(str(exc)) from exc
