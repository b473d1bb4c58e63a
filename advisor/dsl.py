"""DSL text <-> Architecture.

Reading happens in three steps, like lark's own separation of grammar and Transformer:

1. a linear pre-scan bounds the input (size, nesting depth) and finds suppression
   comments and unclosed brackets, so hostile input fails fast with a location;
2. lark (LALR, grammar/architecture.lark) turns text into plain statement tuples; when the
   whole file does not parse, each top-level statement is parsed alone so that several
   syntax errors are reported at once;
3. `_Builder` walks the statements, checks them against the service catalog (kinds,
   props, types, units, references) and collects every problem in one pass.

`to_text` prints an Architecture back as canonical DSL; parse(to_text(a)) == a.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from advisor import catalog, units
from advisor.errors import AdvisorError, Diagnostic, did_you_mean, with_source
from advisor.model import EDGE_MODES, Architecture, Group, Location
from advisor.resources import bundled

GRAMMAR_PATH = bundled("grammar") / "architecture.lark"
MAX_BYTES = 20 * 1024 * 1024  # the same bound as templates; 10 MB of DSL is ~100k nodes
MAX_DEPTH = 64  # nested groups/brackets; deeper is not a design, and would exhaust the stack
KEYWORDS = ("architecture", "workload", "group")
SELF_LOOP_OK = frozenset({"lambda", "sfn", "eventbridge", "resource"})

TERMINAL_WORDS = {
    "ARCHITECTURE": "'architecture'",
    "WORKLOAD": "'workload'",
    "GROUP": "'group'",
    "ARROW": "'->'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "EQUAL": "'='",
    "NAME": "a name",
    "QUANTITY": "a number",
    "STRING": 'a "string"',
    "$END": "the end of the file",
}

GOT_WORDS = {"NAME": "name", "QUANTITY": "number", "STRING": "string"}

# a string or a comment: what brackets, arrows and '#' inside them are not
STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_SCAN = re.compile(STRING_OR_COMMENT.pattern + r'|[{}\[\]]|\n')
_IGNORE = re.compile(r"#\s*advisor\s*:\s*ignore\b[\s=:]*([A-Za-z0-9_,\- ]+)", re.IGNORECASE)
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*\Z")


# --------------------------------------------------------------------------- raw parse
@dataclass(frozen=True)
class RawValue:
    """A value as written: its syntactic kind, the parsed value and where it was."""

    kind: str  # string | quantity | ident | list
    value: Any
    line: int
    column: int
    text: str = ""


@v_args(inline=True)
class _ToStatements(Transformer[Token, Any]):
    """Grammar tree -> plain tuples (no catalog knowledge here)."""

    def start(self, *statements: Any) -> list[Any]:
        return list(statements)

    def header(self, kw: Token, name: Token) -> tuple[Any, ...]:
        return ("header", kw, _unquote(name))

    def workload(self, kw: Token, attrs: list[Any]) -> tuple[Any, ...]:
        return ("workload", kw, attrs)

    def node_decl(self, kind: Token, name: Token, attrs: list[Any] | None = None) -> tuple[Any, ...]:
        return ("node", kind, name, attrs or [])

    def edge_chain(self, *parts: Any) -> tuple[Any, ...]:
        names = [p for p in parts if getattr(p, "type", None) == "NAME"]
        attrs = parts[-1] if parts and isinstance(parts[-1], list) else []
        return ("edge", names, attrs)

    def group(self, kw: Token, name: Token, _lb: Token, *rest: Any) -> tuple[Any, ...]:
        return ("group", kw, _unquote(name), list(rest[:-1]), rest[-1])

    def attr_block(self, *items: Any) -> list[Any]:
        return [i for i in items if isinstance(i, tuple)]

    edge_attrs = attr_block

    def attr(self, key: Token, _eq: Token, value: RawValue) -> tuple[Token, RawValue]:
        return (key, value)

    def string(self, tok: Token) -> RawValue:
        return RawValue("string", _unquote(tok), tok.line or 0, tok.column or 0, str(tok))

    def quantity(self, tok: Token) -> RawValue:
        return RawValue("quantity", str(tok), tok.line or 0, tok.column or 0, str(tok))

    def ident(self, tok: Token) -> RawValue:
        return RawValue("ident", str(tok), tok.line or 0, tok.column or 0, str(tok))

    def list(self, lsqb: Token, *items: Any) -> RawValue:
        values = [i for i in items if isinstance(i, RawValue)]
        return RawValue("list", values, lsqb.line or 0, lsqb.column or 0, "[...]")


def _unquote(tok: Token | str) -> str:
    text = str(tok)
    return str(json.loads(text)) if _json_safe(text) else _unescape(text[1:-1])


def _json_safe(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


@cache
def _lark() -> Lark:
    # The Transformer runs inside the LALR parser (no parse tree is built): linear time and
    # about half the memory of parse-then-transform.
    # lark-cython (by lark's author) runs the same grammar about twice as fast; plain lark
    # is the fallback where its wheel is not available.
    plugins: dict[str, Any] = {}
    try:
        import lark_cython

        plugins = {"_plugins": lark_cython.plugins}
    except ImportError:  # pragma: no cover - depends on the platform's wheels
        pass
    return Lark(
        GRAMMAR_PATH.read_text("utf-8"),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=False,
        propagate_positions=False,
        transformer=_ToStatements(),
        **plugins,
    )


# --------------------------------------------------------------------------- pre-scan
@dataclass
class _Scan:
    ignores: dict[int, frozenset[str]]
    diagnostics: list[Diagnostic]
    unclosed: list[tuple[str, int, int]]


def _prescan(text: str, path: str) -> _Scan:
    """One linear pass: suppression comments, bracket depth and balance."""
    ignores: dict[int, frozenset[str]] = {}
    diags: list[Diagnostic] = []
    stack: list[tuple[str, int, int]] = []
    line, line_start = 1, 0
    closing = {"}": "{", "]": "["}
    for m in _SCAN.finditer(text):
        tok = m.group(0)
        if tok == "\n":
            line += 1
            line_start = m.end()
            continue
        col = m.start() - line_start + 1
        if tok.startswith("#"):
            hit = _IGNORE.search(tok)
            if hit:
                ids = {p.strip().upper() for p in re.split(r"[,\s]+", hit.group(1)) if p.strip()}
                ignores[line] = frozenset(ids)
        elif tok in "{[":
            stack.append((tok, line, col))
            if len(stack) > MAX_DEPTH:
                diags.append(
                    Diagnostic(path, line, col, f"nesting deeper than {MAX_DEPTH} levels",
                               "flatten the groups; real designs nest a few levels at most")
                )
                return _Scan(ignores, diags, stack)
        elif tok in "}]":
            if stack and stack[-1][0] == closing[tok]:
                stack.pop()
            elif not stack:
                diags.append(Diagnostic(path, line, col, f"'{tok}' closes nothing",
                                        "remove it, or open the block it should close"))
    return _Scan(ignores, diags, stack)


# --------------------------------------------------------------------------- errors
def _syntax_diag(exc: UnexpectedInput, path: str, scan: _Scan, line_offset: int = 0) -> Diagnostic:
    line = (getattr(exc, "line", 0) or 0) + line_offset
    column = getattr(exc, "column", 0) or 0
    suggestion: str | None = None
    if isinstance(exc, UnexpectedToken):
        got = exc.token
        expected = sorted(TERMINAL_WORDS.get(t, t.lower()) for t in exc.expected)
        if got.type == "$END":
            what = "unexpected end of file"
            line, column = _last_position(exc, line - line_offset, column)
            line += line_offset
        else:
            what = f"unexpected {GOT_WORDS.get(got.type, 'token')} '{got}'"
            if got.type not in GOT_WORDS:
                what = f"unexpected '{got}'"
        message = f"{what}; expected {_one_of(expected)}"
        opened_before = [u for u in scan.unclosed if u[1] + line_offset < line]
        if opened_before and got.type in ("$END", "NAME", "ARCHITECTURE", "WORKLOAD", "GROUP"):
            kind, l0, c0 = opened_before[-1]
            suggestion = (f"the '{kind}' opened at line {l0 + line_offset}, column {c0} "
                          "is not closed")
        elif "'}'" in expected and scan.unclosed:
            kind, l0, c0 = scan.unclosed[-1]
            suggestion = f"the '{kind}' opened at line {l0 + line_offset}, column {c0} is not closed"
        elif got.type == "NAME" and str(got) in KEYWORDS:
            suggestion = f"'{got}' is a keyword; rename the node"
        elif got.type == "QUANTITY" and "a name" in expected:
            suggestion = "names start with a letter or '_'"
        elif got.type == "EQUAL":
            suggestion = "attributes go inside { ... } after a node, or [ ... ] after an edge"
        elif got.type == "NAME" and "'='" in expected:
            suggestion = "write attributes as key = value"
        elif got.type == "LBRACE" and "'->'" in expected:
            suggestion = "a node is declared as KIND NAME { ... } (two words before '{')"
    elif isinstance(exc, UnexpectedCharacters):
        char = exc.char if hasattr(exc, "char") else "?"
        message = f"unexpected character {char!r}"
        if char in "'`":
            suggestion = 'strings use double quotes: "..."'
        elif char == "-":
            suggestion = "an edge is written a -> b"
        elif char == ";":
            suggestion = "statements end at the end of the line; drop the ';'"
    elif isinstance(exc, UnexpectedEOF):
        message = "unexpected end of file"
        if scan.unclosed:
            kind, l0, c0 = scan.unclosed[-1]
            suggestion = f"the '{kind}' opened at line {l0}, column {c0} is not closed"
    else:
        message = str(exc).splitlines()[0]
    return Diagnostic(path, max(line, 1), max(column, 1), message, suggestion)


def _last_position(exc: UnexpectedToken, line: int, column: int) -> tuple[int, int]:
    if exc.token.line and exc.token.line > 0:
        return exc.token.line, exc.token.column or 1
    return line, column


def _one_of(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    if len(words) == 1:
        return words[0]
    if len(words) > 6:
        words = [*words[:6], "..."]
    return ", ".join(words[:-1]) + " or " + words[-1]


# --------------------------------------------------------------------------- entry points
def parse_text(text: str, path: str = "<string>") -> Architecture:
    """Parse and validate DSL text; raise AdvisorError with every problem found."""
    if len(text) > MAX_BYTES:
        raise AdvisorError([Diagnostic(
            path, 1, 1, f"file is too large ({len(text) / 1e6:.1f} MB; the limit is "
            f"{MAX_BYTES // (1024 * 1024)} MB)", "split the design into several files")])
    if "\x00" in text:
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        raise AdvisorError([Diagnostic(path, line, 1, "binary data (NUL byte) in a DSL file",
                                       "is this the right file? DSL files are UTF-8 text")])
    scan = _prescan(text, path)
    if scan.diagnostics and any("nesting" in d.message for d in scan.diagnostics):
        raise AdvisorError([with_source(d, text) for d in scan.diagnostics])
    with _gc_paused():
        statements = _parse_statements(text, path, scan)
        builder = _Builder(path, scan.ignores)
        arch = builder.build(statements)
    diags = builder.diagnostics
    if diags:
        raise AdvisorError([with_source(d, text) for d in diags])
    return arch


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: parsing allocates many small acyclic objects, and the GC's full
    collections would otherwise make time grow faster than the input."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_file(path: str | Path) -> Architecture:
    """Read a DSL file (UTF-8) and parse it."""
    from advisor.importers.reading import read_text  # bounded, decoded, with clear errors

    text = read_text(str(path), limit=MAX_BYTES)
    return parse_text(text, str(path))


def _parse_statements(text: str, path: str, scan: _Scan) -> list[Any]:
    try:
        statements: list[Any] = _lark().parse(text)  # type: ignore[assignment]
    except UnexpectedInput as exc:
        diags = [_dangling_arrow_hint(_syntax_diag(exc, path, scan), text)]
        diags.extend(_more_syntax_errors(text, path, first=diags[0]))
        diags.extend(d for d in scan.diagnostics if d not in diags)
        raise AdvisorError([with_source(d, text) for d in _dedupe(diags)]) from None
    except LarkError as exc:  # pragma: no cover - lark internal
        raise AdvisorError([Diagnostic(path, 1, 1, f"cannot parse: {exc}")]) from None
    if scan.diagnostics:
        raise AdvisorError([with_source(d, text) for d in scan.diagnostics])
    return statements


def _code_of(line: str) -> str:
    """A line without its strings and comment, stripped."""
    return STRING_OR_COMMENT.sub("", line).strip()


def _dangling_arrow_hint(diag: Diagnostic, text: str) -> Diagnostic:
    """A chain ending in '->' swallows the next line's first word: say so."""
    lines = text.split("\n")
    for number in range(diag.line - 1, max(0, diag.line - 4), -1):
        code = _code_of(lines[number - 1])
        if code.endswith("->"):
            return Diagnostic(diag.path, diag.line, diag.column, diag.message,
                              f"line {number} ends with '->', so the chain continues on the "
                              "next line; finish the edge on its own line", diag.severity)
    return diag


def _more_syntax_errors(text: str, path: str, first: Diagnostic, limit: int = 20) -> list[Diagnostic]:
    """Parse each top-level statement alone to report more than the first syntax error."""
    out: list[Diagnostic] = []
    for start_line, chunk in _top_level_chunks(text):
        if start_line <= first.line:
            # statements before the first error parsed in context; one that holds the
            # error is already reported
            continue
        try:
            _lark().parse(chunk)
        except UnexpectedInput as exc:
            sub_scan = _prescan(chunk, path)
            out.append(_syntax_diag(exc, path, sub_scan, line_offset=start_line - 1))
            if len(out) >= limit:
                break
        except LarkError:
            continue
    return out


def _top_level_chunks(text: str) -> list[tuple[int, str]]:
    """Split text into top-level statements: lines where bracket depth returns to zero."""
    chunks: list[tuple[int, str]] = []
    depth = 0
    current: list[str] = []
    start = 1
    lines = text.split("\n")
    codes = [_code_of(line) for line in lines]
    for number, line in enumerate(lines, start=1):
        code = codes[number - 1]
        if not current:
            start = number
        current.append(line)
        depth += code.count("{") + code.count("[") - code.count("}") - code.count("]")
        following = next((c for c in codes[number:] if c), "")
        continues = code.endswith("->") or following.startswith(("->", "[", "{"))
        if depth <= 0 and not continues:
            depth = 0
            if any(part.strip() for part in current):
                chunks.append((start, "\n".join(current)))
            current = []
    if current and any(part.strip() for part in current):
        chunks.append((start, "\n".join(current)))
    return chunks


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[int, str]] = set()
    out = []
    for d in diags:
        key = (d.line, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# --------------------------------------------------------------------------- building
class _Builder:
    """Statements -> Architecture, checking everything against the catalog."""

    def __init__(self, path: str, ignores: dict[int, frozenset[str]]) -> None:
        self.path = path
        self.ignores = ignores
        self.diagnostics: list[Diagnostic] = []
        self.arch = Architecture(source=path, format="dsl")
        self.declared: dict[str, Location] = {}
        self.refs: list[tuple[str, RawValue, str]] = []  # (name, value, what)
        self.edges: list[tuple[list[Token], list[Any], tuple[str, ...]]] = []
        self.seen_header: Token | None = None
        self.seen_workload: Token | None = None

    def error(self, line: int, column: int, message: str, suggestion: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, column, message, suggestion))

    def build(self, statements: list[Any]) -> Architecture:
        if not statements:
            self.error(1, 1, "empty design: no nodes declared",
                       'start with: architecture "name", then KIND NAME lines such as: lambda worker')
            return self.arch
        self._walk(statements, ())
        for names, attrs, _group in self.edges:
            self._edge(names, attrs)
        self._check_refs()
        if not self.arch.graph.number_of_nodes() and not self.diagnostics:
            self.error(1, 1, "no nodes declared", "declare nodes as KIND NAME, e.g. lambda worker")
        self.arch.resolve_modes()
        return self.arch

    def _walk(self, statements: list[Any], group: tuple[str, ...]) -> None:
        for st in statements:
            tag = st[0]
            if tag == "header":
                if self.seen_header is not None:
                    self.error(st[1].line, st[1].column, "a second 'architecture' header",
                               f"the first is at line {self.seen_header.line}; keep one")
                self.seen_header = st[1]
                self.arch.name = st[2]
            elif tag == "workload":
                if self.seen_workload is not None:
                    self.error(st[1].line, st[1].column, "a second 'workload' block",
                               f"merge it into the one at line {self.seen_workload.line}")
                self.seen_workload = st[1]
                self.arch.workload.update(self._props(st[2], _workload_specs(), "workload"))
            elif tag == "node":
                self._node(st[1], st[2], st[3], group)
            elif tag == "edge":
                self.edges.append((st[1], st[2], group))
            elif tag == "group":
                path = (*group, st[2])
                self.arch.groups.append(Group(path, Location(self.path, st[1].line, st[1].column)))
                self._walk(st[3], path)

    def _node(self, kind_tok: Token, name_tok: Token, attrs: list[Any], group: tuple[str, ...]) -> None:
        name = str(name_tok)
        loc = Location(self.path, name_tok.line or 0, name_tok.column or 0)
        kind = catalog.resolve_kind(str(kind_tok))
        if kind is None:
            guess = did_you_mean(str(kind_tok), catalog.all_kind_words())
            hint = f"did you mean '{catalog.resolve_kind(guess)}'?" if guess else (
                "known kinds: " + ", ".join(catalog.kind_names()))
            self.error(kind_tok.line or 0, kind_tok.column or 0, f"unknown kind '{kind_tok}'", hint)
            return
        if name in KEYWORDS:
            self.error(loc.line, loc.column, f"'{name}' is a keyword and cannot name a node",
                       f"rename it, e.g. '{name}_1'")
            return
        if name in self.declared:
            first = self.declared[name]
            self.error(loc.line, loc.column, f"duplicate name '{name}'",
                       f"'{name}' is already declared at line {first.line}; names are unique")
            return
        self.declared[name] = loc
        props = self._props(attrs, catalog.props_of(kind), f"{kind} '{name}'", kind=kind, owner=name)
        ignore = self.ignores.get(name_tok.line or 0, frozenset())
        self.arch.add_node(name, kind, props, loc=loc, group=group, ignore=ignore)

    def _edge(self, names: list[Token], attrs: list[Any]) -> None:
        ok = True
        for tok in names:
            if str(tok) not in self.declared:
                ok = False
                guess = did_you_mean(str(tok), self.declared)
                hint = f"did you mean '{guess}'?" if guess else f"declare it first: KIND {tok}"
                self.error(tok.line or 0, tok.column or 0, f"undefined node '{tok}' in an edge", hint)
        specs = dict(catalog.edge_props())
        specs["mode"] = catalog.PropSpec("mode", "enum", values=EDGE_MODES)
        specs["label"] = catalog.PropSpec("label", "string")
        props = self._props(attrs, specs, "edge", owner=None)
        if not ok:
            return
        mode = props.pop("mode", None)
        label = props.pop("label", None)
        first = names[0]
        line_ignores = self.ignores.get(first.line or 0)
        for a, b in itertools.pairwise(names):
            sa, sb = str(a), str(b)
            if sa == sb and self.arch.kind(sa) not in SELF_LOOP_OK:
                self.error(b.line or 0, b.column or 0, f"'{sa}' points at itself",
                           f"a {self.arch.kind(sa)} does not call itself; remove the edge")
                continue
            self.arch.add_edge(sa, sb, mode=mode, label=label, props=props,
                               loc=Location(self.path, a.line or 0, a.column or 0))
            if line_ignores:
                for n in (sa, sb):
                    data = self.arch.graph.nodes[n]
                    data["ignore"] = frozenset(data["ignore"]) | line_ignores

    def _props(self, attrs: list[Any], specs: dict[str, catalog.PropSpec], what: str,
               kind: str | None = None, owner: str | None = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        open_kind = kind is not None and catalog.is_open(kind)
        for key_tok, raw in attrs:
            key = str(key_tok)
            spec = specs.get(key)
            if spec is None and open_kind:
                spec = catalog.PropSpec(key, "any")
            if spec is None:
                guess = did_you_mean(key, specs)
                hint = f"did you mean '{guess}'?" if guess else (
                    "allowed: " + ", ".join(sorted(specs)))
                self.error(key_tok.line or 0, key_tok.column or 0, f"{what} has no prop '{key}'", hint)
                continue
            if key in out:
                self.error(key_tok.line or 0, key_tok.column or 0, f"'{key}' is set twice",
                           "keep one value")
                continue
            value = self._coerce(spec, raw, key)
            if value is _BAD:
                continue
            if spec.type == "ref":
                self.refs.append((str(value), raw, f"{key} of {what}"))
            out[key] = value
        return out

    def _coerce(self, spec: catalog.PropSpec, raw: RawValue, key: str) -> Any:
        """A raw value as the spec's type, or _BAD after recording why."""
        def bad(message: str, hint: str | None = None) -> Any:
            self.error(raw.line, raw.column, message, hint)
            return _BAD

        t = spec.type
        if t == "any":
            return _plain(raw, self) if raw.kind != "quantity" else _quantity_any(raw, self)
        if raw.kind == "list" and t != "list":
            return bad(f"'{key}' takes {spec.describe()}, not a list")
        if t in ("size", "duration", "rate", "int", "number", "ratio"):
            if raw.kind != "quantity":
                return bad(f"'{key}' takes {spec.describe()}, got '{raw.text}'")
            try:
                number, dim = _parse_quantity(raw.value, bytes_unit=(t == "size"))
            except units.UnitError as exc:
                return bad(f"bad quantity '{raw.text}': {exc}", _unit_hint(t))
            want = {"size": ("size",), "duration": ("duration",), "rate": ("rate", "count")}.get(
                t, ("count",))
            if dim not in want:
                if dim == "count" and t in ("size", "duration"):
                    return bad(f"'{key}' needs a unit", _unit_hint(t, raw.text))
                return bad(f"'{key}' takes {spec.describe()}, got a {dim} '{raw.text}'", _unit_hint(t))
            if t == "int" and number != int(number):
                return bad(f"'{key}' takes a whole number, got '{raw.text}'")
            if t == "ratio" and not 0 <= number <= 1:
                return bad(f"'{key}' is a share between 0 and 1, got '{raw.text}'",
                           "write 0.25 for 25%")
            if t in ("size", "duration", "rate") and number < 0:
                return bad(f"'{key}' cannot be negative")
            dim_name = catalog.DIMENSION_OF_TYPE.get(t, "count")
            if spec.min is not None and number < spec.min:
                return bad(f"'{key}' = {raw.text} is below the minimum "
                           f"{units.format_quantity(spec.min, dim_name)}", spec.doc or None)
            if spec.max is not None and number > spec.max:
                return bad(f"'{key}' = {raw.text} is above the maximum "
                           f"{units.format_quantity(spec.max, dim_name)}", spec.doc or None)
            return number
        if t == "bool":
            if raw.kind == "ident" and raw.value.lower() in ("true", "false", "yes", "no", "on", "off"):
                return raw.value.lower() in ("true", "yes", "on")
            return bad(f"'{key}' takes true or false, got '{raw.text}'")
        if t == "enum":
            if raw.kind not in ("ident", "string", "quantity"):
                return bad(f"'{key}' takes one of {spec.describe()}")
            word = str(raw.value).lower()
            if word in spec.values:
                return word
            guess = did_you_mean(word, spec.values)
            hint = f"did you mean '{guess}'?" if guess else f"one of: {spec.describe()}"
            return bad(f"'{raw.text}' is not a valid {key}", hint)
        if t == "string":
            if raw.kind in ("string", "ident", "quantity"):
                return str(raw.value)
            return bad(f"'{key}' takes a string")
        if t == "ref":
            if raw.kind == "ident" and raw.value.lower() in ("true", "false", "yes", "no", "none"):
                return bad(f"'{key}' takes the name of another node, not {raw.value}",
                           f"declare the target (e.g. sqs {key}_target) and write {key} = its name")
            if raw.kind in ("ident", "string"):
                return str(raw.value)
            return bad(f"'{key}' takes the name of another node")
        if t == "list":
            if raw.kind == "list":
                return [_plain(v, self) for v in raw.value]
            return [_plain(raw, self)]
        return _plain(raw, self)  # pragma: no cover

    def _check_refs(self) -> None:
        for name, raw, what in self.refs:
            if name not in self.declared:
                guess = did_you_mean(name, self.declared)
                hint = f"did you mean '{guess}'?" if guess else f"declare it: sqs {name}"
                self.error(raw.line, raw.column, f"'{name}' ({what}) is not a node", hint)


_BAD = object()


def _plain(raw: RawValue, builder: _Builder) -> Any:
    if raw.kind == "list":
        return [_plain(v, builder) for v in raw.value]
    if raw.kind == "ident":
        low = raw.value.lower()
        if low in ("true", "false"):
            return low == "true"
        return raw.value
    if raw.kind == "quantity":
        return _quantity_any(raw, builder)
    return raw.value


def _quantity_any(raw: RawValue, builder: _Builder) -> Any:
    try:
        return _parse_quantity(raw.value)[0]
    except units.UnitError as exc:
        builder.error(raw.line, raw.column, f"bad quantity '{raw.text}': {exc}")
        return 0


_QTY = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)([A-Za-z]+)?(/[A-Za-z]+)?\Z")


def _parse_quantity(text: str, bytes_unit: bool = False) -> tuple[float, str]:
    """A quantity's value and dimension. 'B' is a billion, except where a size is expected
    (`payload = 100B` is 100 bytes)."""
    m = _QTY.match(text)
    if not m:
        raise units.UnitError(f"cannot read '{text}'")
    unit = m.group(2)
    if bytes_unit and unit == "B" and not m.group(3):
        return units._tidy(float(m.group(1))), "size"
    if unit and unit not in units.COUNT_SUFFIXES and unit not in units.SIZE_UNITS \
            and unit not in units.DURATION_UNITS:
        guess = did_you_mean(unit, [*units.SIZE_UNITS, *units.DURATION_UNITS, *units.COUNT_SUFFIXES],
                             cutoff=0.3)
        raise units.UnitError(f"unknown unit '{unit}'" + (f" (did you mean '{guess}'?)" if guess else ""))
    return units.normalise(float(m.group(1)), unit, m.group(3))


def _unit_hint(prop_type: str, text: str | None = None) -> str:
    return {
        "size": f"sizes take KB, MB or GB, e.g. {text or 512}MB",
        "duration": f"durations take ms, s, min or h, e.g. {text or 200}ms",
        "rate": "rates look like 10M/month or 50/s",
    }.get(prop_type, "a plain number")


@cache
def _workload_specs() -> dict[str, catalog.PropSpec]:
    raw = catalog._data().get("workload_props", {})
    return {k: catalog.PropSpec(k, v["type"], None, (), v.get("doc", "")) for k, v in raw.items()}


# --------------------------------------------------------------------------- printing
def to_text(arch: Architecture) -> str:
    """Canonical DSL: header, workload, nodes (grouped), then edges, all sorted."""
    lines: list[str] = [f"architecture {_quote(arch.name)}", ""]
    if arch.workload:
        lines.append(f"workload {{ {_attrs(arch.workload, _workload_specs())} }}")
        lines.append("")
    by_group: dict[tuple[str, ...], list[str]] = {}
    for name in arch.node_names():
        by_group.setdefault(tuple(arch.graph.nodes[name].get("group", ())), []).append(name)
    all_groups = sorted({g.path for g in arch.groups} | set(by_group) | {
        p[:i] for p in by_group for i in range(1, len(p))})
    lines.extend(_node_line(arch, n, "") for n in by_group.get((), []))
    _print_groups(arch, (), all_groups, by_group, lines, "")
    edges = arch.edges_sorted()
    if edges:
        lines.append("")
    edge_specs = catalog.edge_props()
    for a, b, data in edges:
        attrs: dict[str, Any] = {}
        default = catalog.default_edge_mode(arch.kind(a), arch.kind(b))
        if data.get("mode") and data["mode"] != default:
            attrs["mode"] = data["mode"]
        if data.get("label"):
            attrs["label"] = data["label"]
        attrs.update(data.get("props", {}))
        specs = {**edge_specs, "mode": catalog.PropSpec("mode", "enum"),
                 "label": catalog.PropSpec("label", "string")}
        suffix = f" [{_attrs(attrs, specs)}]" if attrs else ""
        lines.append(f"{a} -> {b}{suffix}")
    return "\n".join(lines).rstrip() + "\n"


def _print_groups(arch: Architecture, parent: tuple[str, ...], all_groups: list[tuple[str, ...]],
                  by_group: dict[tuple[str, ...], list[str]], lines: list[str], indent: str) -> None:
    for path in all_groups:
        if len(path) != len(parent) + 1 or path[: len(parent)] != parent:
            continue
        lines.append(f"{indent}group {_quote(path[-1])} {{")
        inner = indent + "  "
        lines.extend(_node_line(arch, n, inner) for n in by_group.get(path, []))
        _print_groups(arch, path, all_groups, by_group, lines, inner)
        lines.append(f"{indent}}}")


def _node_line(arch: Architecture, name: str, indent: str) -> str:
    data = arch.graph.nodes[name]
    kind = data["kind"]
    props = data.get("props", {})
    text = f"{indent}{kind} {name}"
    if props:
        text += f" {{ {_attrs(props, catalog.props_of(kind))} }}"
    if data.get("ignore"):
        text += "  # advisor: ignore " + ", ".join(sorted(data["ignore"]))
    return text


def _attrs(values: dict[str, Any], specs: dict[str, catalog.PropSpec]) -> str:
    return ", ".join(f"{k} = {_value(values[k], specs.get(k))}" for k in sorted(values))


def _value(value: Any, spec: catalog.PropSpec | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        dim = catalog.DIMENSION_OF_TYPE.get(spec.type if spec else "", "count")
        return units.format_quantity(value, dim)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v, None) for v in value) + "]"
    if value is None:
        return '""'
    text = str(value)
    if spec is not None and spec.type in ("enum", "ref", "string") \
            and spec.name not in ("label", "description") and NAME_RE.match(text) \
            and text not in KEYWORDS and text.lower() not in ("true", "false") \
            and not (spec.type == "ref" and text.lower() in ("yes", "no", "none")):
        return text
    return _quote(text)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
