"""What a JavaScript/TypeScript glue function sends: its one SDK call's argument object,
read from the source (tokenized and parsed as expressions, never run), in the same
expressions as advisor.importers.handlers.sends reads from Python.

Understood: object and array literals, strings, numbers, template literals, `event.x`,
`event["x"]`, `JSON.parse(event.body)`, `JSON.stringify(x)`, `process.env.X` (also
`process.env.X || "default"`), `String(x)`/`Number(x)`, `+` of strings, `await`, `new
XCommand({...})` (SDK v3), `client.method({...}).promise()` (v2), and variables declared
once (`const params = {...}`), including `const { body } = event`. Anything else is
`Untraced` with what the handler computes. `for (const r of event.Records)` binds a
record. A call made in another named function of the module (a block body, or an
arrow's expression body: `const forward = (e) => client.send(...)`; written inside the
handler too, when it takes parameters), which the handler calls at one place, is read
with that function's parameters bound to the handler's arguments there (`_binding`: one
level, as sends.py reads Python); one the handler passes by name to `.map`/`.forEach`
over the event's records (`event.Records.map(send)`) has its first parameter bound to
one record. Passed on in any other way (over another array, as a value): `Untraced`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.importers.handlers.sends import (
    MAX_HANDLER_BYTES,
    RECORD_BODY,
    Concat,
    Const,
    Env,
    Event,
    Json,
    Num,
    SdkArgs,
    Str,
    Untraced,
    _index,
)

_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<tpl>`)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>\?\.|\.\.\.|=>|===|!==|==|!=|\|\||\?\?|&&|[{}\[\]().,:;=+?!<>*/%-])
""", re.VERBOSE | re.DOTALL)
MAX_TOKENS = 200_000


def tokenize(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        if len(out) > MAX_TOKENS:
            raise Untraced("the handler is too large to read")
        m = _TOKEN.match(text, i)
        if m is None:
            out.append(("op", text[i]))
            i += 1
            continue
        kind = m.lastgroup or ""
        if kind == "tpl":
            parts, i = _template(text, m.end())
            out.append(("tpl", parts))
            continue
        if kind == "str":
            out.append(("str", _unquote(m.group(0))))
        elif kind == "num":
            out.append(("num", float(m.group(0)) if "." in m.group(0) else int(m.group(0))))
        elif kind != "ws":
            out.append((kind, m.group(0)))
        i = m.end()
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _template(text: str, i: int) -> tuple[list[Any], int]:
    """A template literal's parts: strings and token lists of `${...}`; the end offset."""
    parts: list[Any] = []
    buf = ""
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            buf += text[i + 1]
            i += 2
            continue
        if c == "`":
            parts.append(buf)
            return parts, i + 1
        if text.startswith("${", i):
            parts.append(buf)
            buf = ""
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            parts.append(tokenize(text[i + 2:j - 1]))
            i = j
            continue
        buf += c
        i += 1
    raise Untraced("an unterminated template literal")


class _Parser:
    def __init__(self, toks: list[tuple[str, Any]], reader: JsReader) -> None:
        self.t, self.i, self.r = toks, 0, reader

    def peek(self, k: int = 0) -> tuple[str, Any]:
        j = self.i + k
        return self.t[j] if j < len(self.t) else ("eof", None)

    def take(self, value: str | None = None) -> tuple[str, Any]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise Untraced(f"unexpected {tok[1]!r} in the handler's call")
        self.i += 1
        return tok

    def expr(self) -> Any:
        left = self.unary()
        while True:
            op = self.peek()[1]
            if op == "+":
                self.take()
                right = self.unary()
                lp = left.parts if isinstance(left, Concat) else (left,)
                rp = right.parts if isinstance(right, Concat) else (right,)
                left = Concat(lp + rp)
            elif op in ("||", "??"):
                self.take()
                self.unary()  # a default: the variable the template sets is what counts
                if not isinstance(left, Env):
                    raise Untraced("the handler picks a value with a default")
            else:
                return left

    def unary(self) -> Any:
        _kind, value = self.peek()
        if value == "await":
            self.take()
            return self.unary()
        if value == "new":
            self.take()
            name = self.take()[1]
            if self.peek()[1] == "(":
                self.args()
            raise Untraced(f"the handler sends a {name} it creates at run time")
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return Const(value)
        if kind == "num":
            return Const(value)
        if kind == "tpl":
            parts = []
            for p in value:
                if isinstance(p, str):
                    if p:
                        parts.append(Const(p))
                else:
                    parts.append(_Parser(p, self.r).expr())
            return Concat(tuple(parts))
        if value in ("true", "false"):
            return Const(value == "true")
        if value == "null":
            return Const(None)
        if value == "{":
            out: dict[str, Any] = {}
            while self.peek()[1] != "}":
                k_kind, key = self.take()
                if k_kind not in ("id", "str", "num"):
                    raise Untraced("an object literal with a computed or spread key")
                if self.peek()[1] in (",", "}"):
                    out[str(key)] = self.r.name(str(key))  # shorthand {key}
                else:
                    self.take(":")
                    out[str(key)] = self.expr()
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return out
        if value == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return items
        if value == "(":
            e = self.expr()
            self.take(")")
            return e
        if kind == "id":
            return ("id", value)
        raise Untraced(f"the handler computes {value!r} where the call's value goes")

    def args(self) -> list[Any]:
        self.take("(")
        out = []
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return out

    def postfix(self, e: Any) -> Any:
        while True:
            op = self.peek()[1]
            if op in (".", "?."):
                self.take()
                e = ("get", e, self.take()[1])
            elif op == "[":
                self.take()
                key = self.expr()
                self.take("]")
                if self.r.first_record and key == Const(0):
                    e = ("get", e, 0)  # `event.Records[0]`, judged in JsReader._get
                    continue
                if not isinstance(key, Const) or not isinstance(key.value, str):
                    raise Untraced("a computed property in the handler's call")
                e = ("get", e, key.value)
            elif op == "(":
                e = ("call", e, self.args())
            else:
                return self.r.resolve(e)


class JsReader:
    def __init__(self, text: str, first_record: bool = False) -> None:
        self.toks = tokenize(text)
        self.first_record = first_record  # follow `event.Records[0]` (see read_call)
        self.read_first = False
        self.event = "event"
        self.decls: dict[str, list[int]] = {}  # name -> token index of its value
        # loop variables over a name's records (`for (const r of event.Records)`, an
        # arrow's parameter in `event.Records.map((r) => ...)`): name -> the roots looped
        # over; one record each when the only root is the handler's event
        self._loops: dict[str, set[str]] = {}
        # a helper's parameters while its call is read: name -> the token span of what
        # the handler passes for it (read as the handler's expression)
        self.bound: dict[str, tuple[int, int]] = {}
        self._depth = 0
        t = self.toks
        for i, (_kind, value) in enumerate(t):
            if value in ("const", "let", "var") and i + 2 < len(t):
                if t[i + 1][0] == "id" and t[i + 2][1] == "=":
                    self.decls.setdefault(t[i + 1][1], []).append(i + 3)
                elif t[i + 1][1] == "{":  # const { body, x: y } = event
                    j, names = i + 2, []
                    while j < len(t) and t[j][1] != "}":
                        if t[j][0] == "id" and t[j + 1][1] in (",", "}"):
                            names.append(t[j][1])
                        j += 1
                    if j + 2 < len(t) and t[j + 1][1] == "=":
                        for name in names:  # a negative index: destructured from there
                            self.decls.setdefault(name, []).append(-(j + 2) - 1)
            if value == "of" and i >= 2 and t[i - 1][0] == "id":
                rest = t[i + 1:i + 4]
                if len(rest) >= 3 and rest[0][0] == "id" and rest[1][1] in (".", "?.") \
                        and rest[2][1] == "Records":  # for (const r of event.Records)
                    self._loops.setdefault(t[i - 1][1], set()).add(rest[0][1])
                elif rest[:1] and rest[0][0] == "id" and \
                        (len(rest) < 2 or rest[1][1] not in (".", "?.", "[", "(")):
                    self._loops.setdefault(t[i - 1][1], set()).add(rest[0][1])  # of event
            if _kind == "id" and value in CALLBACK_METHODS and i >= 4 and \
                    t[i - 1][1] in (".", "?.") and \
                    t[i - 2][1] == "Records" and t[i - 3][1] in (".", "?.") and \
                    t[i - 4][0] == "id" and (i < 5 or t[i - 5][1] not in (".", "?.")):
                param = _arrow_param(t, i + 1)  # event.Records.map((r) => forward(r))
                if param is not None:
                    self._loops.setdefault(param, set()).add(t[i - 4][1])

    def handler_param(self, name: str | None) -> None:
        """The handler's first parameter names the event."""
        t = self.toks
        for i, (_, value) in enumerate(t):
            if value == name or (name is None and value in ("handler", "lambdaHandler")):
                j = i + 1
                while j < len(t) and t[j][1] in ("=", "async", "function", ":"):
                    j += 1
                if j < len(t) and t[j][1] == "(" and t[j + 1][0] == "id":
                    self.event = t[j + 1][1]
                    return
                if j < len(t) and t[j][0] == "id" and t[j + 1][1] == "=>":
                    self.event = t[j][1]
                    return

    def name(self, name: str) -> Any:
        return self.resolve(("id", name))

    def resolve(self, e: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > 40:
                raise Untraced("the handler's value is built too deep to follow")
            return self._resolve(e)
        finally:
            self._depth -= 1

    def _resolve(self, e: Any) -> Any:
        if not isinstance(e, tuple):
            return e
        if e[0] == "id":
            name = e[1]
            if name in self.bound:  # a helper's parameter: what the handler passes
                lo, hi = self.bound[name]
                if (lo, hi) == EACH_RECORD:  # `event.Records.map(forward)`: one record
                    return Event("record")
                if lo == hi:
                    raise Untraced(f"the call uses {name}, which the handler does not pass")
                saved, self.bound = self.bound, {}
                try:
                    return _Parser(self.toks[lo:hi], self).expr()
                finally:
                    self.bound = saved
            if name == self.event:
                return Event("event")
            if self._loops.get(name) == {self.event} and name not in self.decls:
                return Event("record")
            if name in self._loops and name not in self.decls:
                over = ", ".join(sorted(self._loops[name]))
                raise Untraced(f"the call uses {name}, an item of {over}'s records, which "
                               "are not the event's")
            spots = sorted(set(self.decls.get(name, [])))
            if len(spots) != 1:
                raise Untraced(f"the call uses {name}, which the handler "
                                  f"{'sets several times' if spots else 'does not declare'}")
            at = spots[0]
            if at < 0:  # destructured from an object
                source = _Parser(self.toks[-at - 1:], self).expr()
                return self._get(source, name)
            return _Parser(self.toks[at:], self).expr()
        if e[0] == "get":
            base = e[1]
            if base == ("get", ("id", "process"), "env") or (
                    isinstance(base, tuple) and base[:3] == ("get", ("id", "process"), "env")):
                return Env(e[2])
            return self._get(self.resolve(base), e[2])
        if e[0] == "call":
            fn, args = e[1], e[2]
            name = _dotted(fn)
            if name == "JSON.parse" and len(args) == 1:
                inner = self.resolve(args[0])
                if isinstance(inner, Event) and inner.where == "body":
                    return Event("doc", request=True)
                if inner == RECORD_BODY:
                    return Event("parsed")
                raise Untraced("the handler parses something other than the body")
            if name == "JSON.stringify" and args:
                return Json(self.resolve(args[0]))
            if name == "String" and len(args) == 1:
                return Str(self.resolve(args[0]))
            if name in ("Number", "parseInt", "parseFloat") and args:
                return Num(self.resolve(args[0]))
            if isinstance(fn, tuple) and fn[0] == "get" and fn[2] in ("toString",):
                return Str(self.resolve(fn[1]))
            raise Untraced(f"the handler calls {name or 'a function'} to build the value")
        raise Untraced("the handler computes the value")

    def _get(self, base: Any, key: str | int) -> Any:
        if key == 0 and not isinstance(key, bool):
            if base != Event("doc", ("Records",)):
                raise Untraced("an index of something other than the event's Records")
            self.read_first = True
            return Event("record")
        assert isinstance(key, str)
        return _index(base, key, "the call")


def _dotted(e: Any) -> str:
    if isinstance(e, tuple) and e[0] == "id":
        return str(e[1])
    if isinstance(e, tuple) and e[0] == "get":
        head = _dotted(e[1])
        return f"{head}.{e[2]}" if head else ""
    return ""


def read_js_call(path: str | Path, evidence: str, handler: str | None = None,
                 text: str | None = None, first_record: bool = False) -> SdkArgs:
    """The argument object of the forwarding call `evidence` (`service.method`, the
    method a v2 client method or a v3 `XCommand`); `first_record` as for
    advisor.importers.handlers.sends.read_call."""
    service, _, method = evidence.partition(".")
    if text is None:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > MAX_HANDLER_BYTES:
            raise Untraced(f"the handler {path} cannot be read")
        text = p.read_text("utf-8", errors="replace")
    name = handler.rsplit(".", 1)[-1] if handler else None
    reader = JsReader(text, first_record)
    reader.handler_param(name)
    toks = reader.toks
    functions = _functions(toks)
    handler_fn = _handler_of(functions, name)
    closers = _closers(toks) if functions else {}
    found: list[dict[str, Any]] = []
    names = {method, f"{method}Command", method[:1].upper() + method[1:] + "Command"}
    for i, (kind, value) in enumerate(toks):
        if kind != "id" or value not in names:
            continue
        prev = toks[i - 1][1] if i else ""
        if prev not in (".", "new") or i + 1 >= len(toks) or toks[i + 1][1] != "(":
            continue
        reader.bound = _binding(toks, functions, handler_fn, i, method, closers, reader.event)
        try:
            p = _Parser(toks[i + 1:], reader)
            args = p.args()
            if len(args) != 1:
                raise Untraced(f"{method} is called with {len(args)} arguments")
            value_ = args[0]
            if isinstance(value_, tuple):
                value_ = reader.resolve(value_)
        finally:
            reader.bound = {}
        if not isinstance(value_, dict):
            raise Untraced(f"{method} is called with something other than an object")
        found.append(value_)
    if not found:
        raise Untraced(f"no {method} call found in {Path(path).name}")
    if any(f != found[0] for f in found[1:]):
        raise Untraced(f"{Path(path).name} calls {method} at {len(found)} places with "
                          "different arguments")
    document = service.lower() == "dynamodb" and method in DOCUMENT_METHODS
    return SdkArgs(service, method, found[0], document=document,
                   first_record=reader.read_first)


# ------------------------------------------------------------------ helpers of the module
@dataclass(frozen=True)
class _Fn:
    """A named function of the module: its parameters (None when one is not a plain name:
    destructured, spread), and its body's token span (`{` to `}`, inclusive)."""

    name: str
    params: tuple[str, ...] | None
    start: int
    end: int


def _closers(toks: list[tuple[str, Any]]) -> dict[int, int]:
    """Each opening bracket's index -> the index of the one closing it (one pass; an
    unclosed one closes at the last token)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    out: dict[int, int] = {}
    stack: list[tuple[int, str]] = []
    for j, (kind, v) in enumerate(toks):
        if kind != "op":
            continue
        if v in pairs:
            stack.append((j, pairs[v]))
        elif stack and v == stack[-1][1]:
            out[stack.pop()[0]] = j
    for j, _ in stack:
        out[j] = len(toks) - 1
    return out


def _functions(toks: list[tuple[str, Any]]) -> list[_Fn]:
    """The module's named functions with a block body: `function f(...) {`, `const f =
    [async] (...) => {`, `const f = [async] function (...) {`, `exports.f = ...`."""
    closers = _closers(toks)
    last = len(toks) - 1
    out = []
    for i, (kind, value) in enumerate(toks):
        j, name = None, None
        if value == "function" and kind == "id":
            k = i + 1 + (toks[i + 1:i + 2] == [("op", "*")])
            if k < len(toks) and toks[k][0] == "id" and toks[k + 1:k + 2] == [("op", "(")]:
                name, j = toks[k][1], k + 1
        elif kind == "id" and ((i >= 1 and toks[i - 1][1] in ("const", "let", "var")) or
                               (i >= 2 and toks[i - 1][1] == "." and toks[i - 2][1] == "exports")):
            k = i + 1
            if toks[k:k + 1] == [("op", ":")]:  # a TypeScript type: `handler: Handler =`
                while k < min(len(toks), i + 20) and toks[k][1] not in ("=", "(", "{", ";"):
                    k += 1
            if toks[k:k + 1] != [("op", "=")]:
                continue
            k += 1
            if toks[k:k + 1] == [("id", "async")]:
                k += 1
            if toks[k:k + 1] == [("id", "function")]:
                k += 1 + (toks[k + 1:k + 2] != [("op", "(")])  # a named function expression
            if toks[k:k + 1] == [("op", "(")]:
                name, j = value, k
        if name is None or j is None:
            continue
        close = closers.get(j, last)
        k = close + 1
        while k < len(toks) and toks[k][1] not in ("{", "=>", ";") and k - close < 30:
            k += 1  # a TypeScript return type
        arrow = toks[k:k + 1] == [("op", "=>")]
        if arrow:
            k += 1
        body_end = None
        if toks[k:k + 1] != [("op", "{")]:
            if not arrow or k >= len(toks):
                continue
            body_end = _expression_end(toks, k, closers)  # `(e) => client.send(...)`
        params: list[str] | None = []
        for part in _split(toks[j + 1:close]):
            if part and part[0][0] == "id" and (len(part) == 1 or part[1][1] in (":", "=", "?")):
                params.append(part[0][1])  # type: ignore[union-attr]
            else:
                params = None
                break
        if body_end is not None:  # from the `=>` to the expression's last token, + 1
            out.append(_Fn(name, tuple(params) if params is not None else None, k - 1,
                           body_end + 1))
            continue
        out.append(_Fn(name, tuple(params) if params is not None else None, k,
                       closers.get(k, last)))
    return out


# tokens that end an operand: two in a row (`) exports`) are two statements
_OPERAND_END = frozenset({"id", "str", "num", "tpl"})
_JOINS = frozenset({"instanceof", "in", "of", "typeof", "void", "await", "new", "yield",
                    "delete", "as"})


def _expression_end(toks: list[tuple[str, Any]], k: int, closers: dict[int, int]) -> int:
    """The index of the last token of the expression starting at token `k` (an arrow's
    expression body): it ends at a top-level `;` or `,`, a bracket closing what it is
    in, or where a token follows an operand with no operator between (`...)` then
    `exports`: the next statement, in code without semicolons)."""
    j, last, operand = k, k, False
    while j < len(toks):
        kind, value = toks[j]
        if kind == "op" and value in (";", ",", ")", "]", "}"):
            break
        starts = kind in _OPERAND_END and value not in _JOINS
        if operand and (starts or (kind == "op" and value == "{")):
            break
        if kind == "op" and value in ("(", "[", "{"):
            j = closers.get(j, len(toks) - 1)
            operand = True
        else:
            operand = (kind in _OPERAND_END and value not in _JOINS)
        last = j
        j += 1
    return last


def _split(toks: list[tuple[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Tokens of a parameter or argument list, split at its top-level commas."""
    parts: list[list[tuple[str, Any]]] = [[]]
    depth = 0
    for tok in toks:
        if tok[0] == "op" and tok[1] in "([{":
            depth += 1
        elif tok[0] == "op" and tok[1] in ")]}":
            depth -= 1
        elif tok == ("op", ",") and depth == 0:
            parts.append([])
            continue
        parts[-1].append(tok)
    return parts if parts != [[]] else []


def _handler_of(functions: list[_Fn], name: str | None) -> _Fn | None:
    wanted = (name,) if name else ("handler", "lambdaHandler")
    found = [f for f in functions if f.name in wanted]
    return found[0] if len(found) == 1 else None


def _binding(toks: list[tuple[str, Any]], functions: list[_Fn], handler: _Fn | None,
             at: int, method: str, closers: dict[int, int],
             reader_event: str = "event") -> dict[str, tuple[int, int]]:
    """For a call at token `at` made in another function of the module than the
    handler, which the handler calls at one place (`await forward(record)`), that
    function's parameters bound to the handler's arguments there (one level, as
    sends._helper_reader reads Python). Untraced when the handler calls it nowhere, or at
    several places with different arguments, or with arguments that cannot be matched.
    {} for a call in the handler, or when the handler is not found (read as before)."""
    inside = [f for f in functions if f.start < at < f.end]
    if handler is None or not inside:
        return {}
    helper = min(inside, key=lambda f: f.end - f.start)  # the innermost
    if helper.start <= handler.start and handler.end <= helper.end:
        return {}  # made in the handler (or a function the handler is written in)
    if handler.start < helper.start and helper.end < handler.end and not helper.params:
        return {}  # a function written inside the handler: its scope is the handler's
    sites: dict[str, tuple[int, int]] = {}
    each: list[int] = []  # `X.map(helper)`: the index of X's last token
    for i in range(handler.start, handler.end):
        if toks[i] != ("id", helper.name) or toks[i - 1][1] in (".", "function") or \
                helper.start <= i < helper.end:
            continue
        if toks[i + 1:i + 2] == [("op", "(")]:
            close = closers.get(i + 1, len(toks) - 1)
            sites[repr(toks[i + 2:close])] = (i + 2, close)
        elif toks[i - 1] == ("op", "(") and toks[i + 1:i + 2] == [("op", ")")] and \
                i >= 4 and toks[i - 2][1] in CALLBACK_METHODS and toks[i - 3][1] in (".", "?."):
            each.append(i - 4)
        elif toks[i + 1:i + 2] != [("op", "=")] and toks[i - 1][1] not in ("const", "let", "var"):
            raise Untraced(f"{method} is made in {helper.name}, which the handler passes on "
                           "as a value (what it is called with is not read)")
    if each:
        return _each_binding(toks, helper, each, sites, method, reader_event)
    if len(sites) != 1:
        raise Untraced(f"{method} is made in {helper.name}, which the handler "
                       f"{'calls with different arguments' if sites else 'does not call'}")
    lo, hi = next(iter(sites.values()))
    args, bound, pos = _split(toks[lo:hi]), {}, lo
    if helper.params is None or len(args) > len(helper.params) or \
            any(a[:1] == [("op", "...")] for a in args):
        raise Untraced(f"{helper.name} is called with arguments that cannot be matched")
    for param, arg in zip(helper.params, args, strict=False):
        bound[param] = (pos, pos + len(arg))
        pos += len(arg) + 1  # the comma
    for param in helper.params[len(args):]:
        bound[param] = (pos, pos)  # not passed: undefined, which nothing maps
    return bound


def _arrow_param(toks: list[tuple[str, Any]], at: int) -> str | None:
    """The one parameter of an arrow function passed at `toks[at]` (`(` of the call):
    `(r) =>`, `r =>`, `async (r) =>`; None for anything else."""
    j = at + 1
    if toks[j:j + 1] == [("id", "async")]:
        j += 1
    window = [x[1] for x in toks[j:j + 4]]
    if len(window) >= 4 and window[0] == "(" and toks[j + 1][0] == "id" and \
            window[2] == ")" and window[3] == "=>":
        return str(toks[j + 1][1])
    if len(window) >= 2 and toks[j][0] == "id" and window[1] == "=>":
        return str(toks[j][1])
    return None


# array methods that call a function passed by name once per item (`records.map(send)`)
CALLBACK_METHODS = frozenset({"map", "forEach", "flatMap"})
EACH_RECORD = (-1, -1)  # a bound span that stands for one record of the event's batch


def _each_binding(toks: list[tuple[str, Any]], helper: _Fn, each: list[int],
                  sites: dict[str, tuple[int, int]], method: str,
                  event: str) -> dict[str, tuple[int, int]]:
    """A helper the handler passes to `.map`/`.forEach`/`.flatMap` (and calls nowhere
    else): its first parameter is one item of the array. Read only when that array is
    the event's records (`event.Records.map(send)`: the parameter a record, as in
    `for (const r of event.Records)`); an item of anything else is not followed."""
    if sites or len(each) != 1 or helper.params is None or not helper.params:
        raise Untraced(f"{method} is made in {helper.name}, which the handler calls "
                       "for each item of an array and elsewhere")
    j = each[0]
    receiver = [t[1] for t in toks[max(0, j - 2):j + 1]]
    member = j >= 3 and toks[j - 3][1] in (".", "?.")  # `x.event.Records`: not the event
    if member or receiver not in ([event, ".", "Records"], [event, "?.", "Records"]):
        raise Untraced(f"{method} is made in {helper.name}, which the handler calls for "
                       "each item of something other than the event's records")
    bound = {helper.params[0]: EACH_RECORD}
    for param in helper.params[1:]:
        bound[param] = (0, 0)  # the index and the array: nothing maps them
    return bound


# DocumentClient (v2) and lib-dynamodb (v3): items as plain values, marshalled by the SDK
DOCUMENT_METHODS = {"put", "get", "update", "delete", "query", "scan", "PutCommand",
                    "GetCommand", "UpdateCommand", "DeleteCommand", "QueryCommand"}


def js_returns(text: str, handler: str | None) -> str:
    """What a handler returns: `event`, `nothing`, `other` (a rough reading of its
    `return` statements)."""
    reader = JsReader(text)
    reader.handler_param(handler.rsplit(".", 1)[-1] if handler else None)
    toks = reader.toks
    values = [toks[i + 1] for i, t in enumerate(toks) if t == ("id", "return")]
    if not values:
        return "nothing"
    if all(v == ("id", reader.event) for v in values):
        return "event"
    return "other"
