"""`advisor fmt`: reformat a DSL file the way gofmt or ruff format would.

Unlike `dsl.to_text` (which prints an Architecture, e.g. after an import or a rewrite),
the formatter works on the statements as written: it keeps their order, every comment
(full-line and trailing), blank lines between blocks (at most one), edge chains, kind
aliases and values exactly as typed (`1024MB` stays `1024MB`). It only normalises
layout: one statement per line, single spaces around `=` and `->`, `, ` between
attributes, two-space indentation in groups, and the kind and name columns aligned in a
run of node declarations. The result is a fixpoint: formatting it again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from advisor import dsl


@dataclass
class _Comment:
    line: int
    text: str
    used: bool = False


def format_text(text: str, path: str = "<string>") -> str:
    """The formatted text; raises AdvisorError (like parse_text) when the file is invalid."""
    dsl.parse_text(text, path)  # validate first: never reformat a broken file
    scan = dsl._prescan(text, path)
    statements = dsl._parse_statements(text, path, scan)
    comments = _comments(text)
    out: list[str] = []
    last = _emit_block(statements, comments, out, "", text.split("\n"), prev_end=0)
    for c in comments:
        if not c.used and c.line > last:
            out.append(c.text)
            c.used = True
    return "\n".join(out).rstrip() + "\n" if out else ""


def _comments(text: str) -> list[_Comment]:
    found: list[_Comment] = []
    for m in dsl.STRING_OR_COMMENT.finditer(text):
        if m.group(0).startswith("#"):
            line = text.count("\n", 0, m.start()) + 1
            found.append(_Comment(line, m.group(0).rstrip()))
    return found


def _start(st: tuple[Any, ...]) -> int:
    tok = st[1][0] if st[0] == "edge" else st[1]
    return int(tok.line or 0)


def _end(st: Any) -> int:
    """The last line a statement's tokens reach."""
    best = 0
    stack = [st]
    while stack:
        item = stack.pop()
        line = getattr(item, "line", None)
        if isinstance(line, int):
            best = max(best, line)
        if isinstance(item, dsl.RawValue):
            if item.kind == "list":
                stack.extend(item.value)
        elif isinstance(item, tuple | list):
            stack.extend(item)
    return best


def _emit_block(statements: list[Any], comments: list[_Comment], out: list[str], indent: str,
                lines: list[str], prev_end: int) -> int:
    run: list[tuple[int, int]] = []  # indices in `out` of aligned node lines: (index, stmt)
    run_stmts: list[tuple[Any, ...]] = []
    for st in statements:
        start = _start(st)
        end = _closing_line(st) if st[0] == "group" else _end(st)
        pending = [c for c in comments if not c.used and prev_end < c.line < start]
        blank = prev_end and _had_blank(lines, prev_end, start, pending)
        if st[0] != "node" or blank or pending:
            _flush_run(run, run_stmts, out, comments, indent)
        if blank and out and out[-1] != "":
            out.append("")
        for c in pending:
            out.append(indent + c.text)
            c.used = True
        if st[0] == "node":
            run.append((len(out), len(run_stmts)))
            run_stmts.append(st)
            out.append("")  # placeholder, filled when the run ends
        elif st[0] == "group":
            _flush_run(run, run_stmts, out, comments, indent)
            head = f"{indent}group {_quote(st[2])} {{"
            out.append(head + _trailing(comments, int(st[1].line or 0), int(st[1].line or 0)))
            inner_end = _emit_block(st[3], comments, out, indent + "  ", lines, int(st[1].line or 0))
            closing = _closing_line(st)
            for c in comments:
                if not c.used and inner_end < c.line < closing:
                    out.append(indent + "  " + c.text)
                    c.used = True
            out.append(f"{indent}}}" + _trailing(comments, closing, closing))
        else:
            out.append(indent + _statement(st) + _trailing(comments, start, end))
        prev_end = end
    _flush_run(run, run_stmts, out, comments, indent)
    return prev_end


def _closing_line(st: tuple[Any, ...]) -> int:
    rbrace = st[4] if len(st) > 4 else None
    return int(getattr(rbrace, "line", 0) or _end(st))


def _had_blank(lines: list[str], prev_end: int, start: int, pending: list[_Comment]) -> bool:
    first = min([start, *(c.line for c in pending)])
    return any(not lines[i - 1].strip() for i in range(prev_end + 1, first) if 0 < i <= len(lines))


def _flush_run(run: list[tuple[int, int]], stmts: list[tuple[Any, ...]], out: list[str],
               comments: list[_Comment], indent: str) -> None:
    if not run:
        return
    kind_w = max(len(str(st[1])) for st in stmts)
    name_w = max(len(str(st[2])) for st in stmts if st[3]) if any(st[3] for st in stmts) else 0
    for index, i in run:
        st = stmts[i]
        kind, name, attrs = str(st[1]), str(st[2]), st[3]
        text = f"{kind.ljust(kind_w)} {name}"
        if attrs:
            text = f"{kind.ljust(kind_w)} {name.ljust(name_w)} {{ {_attrs(attrs)} }}"
        out[index] = indent + text.rstrip() + _trailing(comments, _start(st), _end(st))
    run.clear()
    stmts.clear()


def _trailing(comments: list[_Comment], start: int, end: int) -> str:
    found = [c for c in comments if not c.used and start <= c.line <= end]
    for c in found:
        c.used = True
    return ("  " + " ".join(c.text for c in found)) if found else ""


def _statement(st: tuple[Any, ...]) -> str:
    tag = st[0]
    if tag == "header":
        return f"architecture {_quote(st[2])}"
    if tag == "workload":
        return f"workload {{ {_attrs(st[2])} }}"
    names = " -> ".join(str(t) for t in st[1])
    return f"{names} [{_attrs(st[2])}]" if st[2] else names


def _attrs(attrs: list[tuple[Any, dsl.RawValue]]) -> str:
    return ", ".join(f"{key} = {_value(value)}" for key, value in attrs)


def _value(raw: dsl.RawValue) -> str:
    if raw.kind == "list":
        return "[" + ", ".join(_value(v) for v in raw.value) + "]"
    if raw.kind == "string":
        return _quote(raw.value)
    return str(raw.text)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
