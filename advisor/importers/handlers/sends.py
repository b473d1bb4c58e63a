"""What a glue function sends: the arguments of its one forwarding SDK call, read from the
handler's source (parsed with `ast`, never imported or run), as expressions over the
event the function receives.

A native integration must send the same thing, so its request mapping (an API Gateway
mapping template, HTTP API parameter mapping, a Step Functions task's `Parameters`, a
pipe's input template) is written from these expressions. Only what a mapping can
compute is accepted: constants, the environment variables the template sets, fields of
the event (the request body, once `json.loads`-ed, path and query parameters, headers;
the state input of a task; a record's body), `str()`/`int()`/`float()` of those,
f-strings and `+` of strings, `json.dumps` of a field or of the whole body, dict and
list literals of those. Anything else (a computed value, a loop, a helper's result) is
`Untraced` with what the handler computes.

The event is named by the handler's first parameter; `for r in event["Records"]` binds a
record. Variables assigned once from an accepted expression are followed. A call made in
another function of the module, which the handler calls at one place (`forward(record)`),
is read with that function's parameters bound to the handler's arguments (one level;
JavaScript likewise, advisor/importers/handlers/sends_js.py `_binding`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_HANDLER_BYTES = 512 * 1024


class Untraced(Exception):
    """What the handler sends cannot be followed (computed, dynamic, unread): the message
    says what stands in the way. advisor.fix reports it as Unpatchable."""
JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts")


# ------------------------------------------------------------------ expressions
@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Event:
    """A part of the event: `where` is `body` (the raw request body), `doc` (the body
    parsed as JSON, or a field of the event itself: a task's state input, an EventBridge
    event's `detail`), `path`, `query`, `header`, `event` (the whole event), `record` (a
    record of the batch: `record` with keys `("body",)` is its body text), `parsed` (a
    record's body parsed as JSON), with `keys` below it.

    A record's body and its fields are kept apart from the event's own (`event["body"]`,
    `event["x"]`): for a per-record source only the record's parts are the same in each
    record, so a pipe template is written from them alone."""

    where: str
    keys: tuple[str, ...] = ()
    # a `doc` part of the parsed request body, not the event's own field: read by the
    # payload fact only (equal either way, so mappings compare as they did)
    request: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Env:
    name: str


@dataclass(frozen=True)
class Json:
    """`json.dumps(x)`: x serialized as JSON text."""

    inner: Any


@dataclass(frozen=True)
class Concat:
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class Str:
    """`str(x)`: x as text."""

    inner: Any


@dataclass(frozen=True)
class Num:
    """`int(x)` / `float(x)` / `Decimal(x)`: x as a number."""

    inner: Any


@dataclass
class SdkArgs:
    service: str
    method: str
    args: dict[str, Any] = field(default_factory=dict)  # keyword -> expression tree
    line: int = 0
    document: bool = False  # a DynamoDB document client: items as plain values
    first_record: bool = False  # a value came from `event["Records"][0]` (see read_call)


# ------------------------------------------------------------------ reading
def read_call(path: str | Path, evidence: str, handler: str | None = None,
              text: str | None = None, first_record: bool = False,
              language: str | None = None) -> SdkArgs:
    """The arguments of the forwarding call `evidence` (`service.method`) of a Python
    handler. Raises Untraced with what stands in the way.

    `first_record`: `event["Records"][0]` reads a record (the result says so); without
    it that index is not followed (only a caller that knows each batch holds one record,
    or that reports the difference, may take the first record for every record).
    `language` (`python`, `javascript`) says how `text` is read when `path` only names it
    in the reasons; else the file's suffix says."""
    service, _, method = evidence.partition(".")
    if language == "javascript" or (language is None and Path(path).suffix in JS_SUFFIXES):
        from advisor.importers.handlers.sends_js import read_js_call

        return read_js_call(path, evidence, handler, text, first_record)
    if text is None:
        p = Path(path)
        if not p.is_file() or p.suffix != ".py":
            raise Untraced(f"the handler {path} is not a Python file that can be read; "
                              "its request mapping is not known")
        if p.stat().st_size > MAX_HANDLER_BYTES:
            raise Untraced(f"the handler {path} is too large to read")
        text = p.read_text("utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise Untraced(f"the handler {path} does not parse ({exc.msg})") from exc
    fn = _handler_function(tree, handler)
    calls = _calls(fn, method)
    reader = _Reader(fn, tree, first_record)
    if not calls:
        reader = _helper_reader(tree, fn, method, reader, Path(path).name)
        calls = _calls(reader.fn, method)
    results = []
    for call in calls:
        if call.args:
            raise Untraced(f"{method} is called with positional arguments")
        args = {}
        for kw in call.keywords:
            if kw.arg is None:
                raise Untraced(f"{method} is called with **kwargs")
            args[kw.arg] = reader.expr(kw.value, f"{method}({kw.arg}=...)")
        document = isinstance(call.func, ast.Attribute) and _is_table(call.func.value, reader)
        results.append(SdkArgs(service, method, args, call.lineno, document,
                               reader.first_read()))
    if any(r.args != results[0].args for r in results[1:]):
        raise Untraced(f"{Path(path).name} calls {method} at {len(results)} places with "
                          "different arguments (a mapping template sends one shape)")
    return results[0]


def _calls(fn: ast.AST, method: str) -> list[ast.Call]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == method]


def _helper_reader(tree: ast.Module, fn: Any, method: str, outer: _Reader,
                   name: str) -> _Reader:
    """The reader of the one module function that makes the call, called from the handler
    (one level: `forward(record)` in the handler, the call in `forward`), its parameters
    bound to the handler's arguments at the one place it is called. Untraced when no
    function or several make the call, or the handler calls it at several places with
    different arguments (or not at all)."""
    helpers = [f for f in tree.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
               and f is not fn and _calls(f, method)]
    if not helpers:
        raise Untraced(f"no {method} call found in {name}")
    if len(helpers) > 1:
        raise Untraced(f"{len(helpers)} functions of {name} call {method}")
    helper = helpers[0]
    sites = list({ast.dump(n): n for n in ast.walk(fn) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id == helper.name}.values())
    if len(sites) != 1:
        raise Untraced(f"{method} is made in {helper.name}, which the handler "
                       f"{'calls with different arguments' if sites else 'does not call'}")
    site = sites[0]
    params = [a.arg for a in helper.args.args]
    if helper.args.vararg or helper.args.kwarg or len(site.args) > len(params) or \
            any(k.arg is None for k in site.keywords):
        raise Untraced(f"{helper.name} is called with arguments that cannot be matched")
    bound: dict[str, ast.AST] = dict(zip(params, site.args, strict=False))
    for k in site.keywords:
        bound[str(k.arg)] = k.value
    return _Reader(helper, tree, outer.first_record, outer=outer, bound=bound)


def _is_table(node: ast.AST, reader: _Reader) -> bool:
    """A boto3 DynamoDB `Table` resource (items as plain values)."""
    if isinstance(node, ast.Name):
        values = reader.assigned.get(node.id) or []
        return len(values) == 1 and _is_table(values[0], reader)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr == "Table"


def _handler_function(tree: ast.Module, handler: str | None) -> ast.AST:
    name = handler.rsplit(".", 1)[-1] if handler else None
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    chosen = [f for f in funcs if f.name == name] if name else []
    if not chosen:
        chosen = [f for f in funcs if f.name in ("lambda_handler", "handler", "main")]
    if len(chosen) != 1:
        raise Untraced("the handler function is not found in its module")
    return chosen[0]


class _Reader:
    """Expressions of one handler function, with its local assignments followed."""

    def __init__(self, fn: Any, module: ast.Module | None = None,
                 first_record: bool = False, outer: _Reader | None = None,
                 bound: dict[str, ast.AST] | None = None) -> None:
        self.fn = fn
        # a helper's parameters are the handler's expressions at its call (`bound`, read
        # by the handler's reader `outer`); the event is the handler's
        self.outer, self.bound = outer, bound or {}
        self.event = fn.args.args[0].arg if fn.args.args else "event"
        if outer is not None:  # the parameter the handler passes its event to, if any
            self.event = next((k for k, v in self.bound.items() if isinstance(v, ast.Name)
                               and v.id == outer.event), "")
        self.first_record = first_record
        self.read_first = False  # `event["Records"][0]` was followed
        self.assigned: dict[str, list[ast.AST]] = {}
        self.records: set[str] = set()
        top = [n for n in (module.body if module else []) if isinstance(n, ast.Assign)]
        for node in [*top, *ast.walk(fn)]:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                self.assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and \
                    self._is_records(node.iter):
                self.records.add(node.target.id)
        if outer is not None:  # the parameters the handler passes a record to
            self.records |= {k for k, v in self.bound.items() if isinstance(v, ast.Name)
                             and v.id in outer.records}
        self._depth = 0

    def first_read(self) -> bool:
        """`event["Records"][0]` was followed (here or in the handler's arguments)."""
        return self.read_first or bool(self.outer and self.outer.read_first)

    def _is_records(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
            node.value.id == self.event and _key(node.slice) == "Records"

    def expr(self, node: ast.AST, what: str) -> Any:
        self._depth += 1
        try:
            if self._depth > 30:
                raise Untraced(f"{what} is built too deep to follow")
            return self._expr(node, what)
        finally:
            self._depth -= 1

    def _expr(self, node: ast.AST, what: str) -> Any:
        if isinstance(node, ast.Constant):
            return Const(node.value)
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values, strict=True):
                if not isinstance(k, ast.Constant) or not isinstance(k.value, str):
                    raise Untraced(f"{what} has a computed key")
                out[k.value] = self.expr(v, what)
            return out
        if isinstance(node, ast.List | ast.Tuple):
            return [self.expr(v, what) for v in node.elts]
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(Const(str(v.value)))
                elif isinstance(v, ast.FormattedValue) and v.format_spec is None:
                    parts.append(self.expr(v.value, what))
                else:
                    raise Untraced(f"{what} formats a value")
            return Concat(tuple(parts))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.expr(node.left, what), self.expr(node.right, what)
            lp = left.parts if isinstance(left, Concat) else (left,)
            rp = right.parts if isinstance(right, Concat) else (right,)
            if any(isinstance(p, Const) and not isinstance(p.value, str) for p in lp + rp):
                raise Untraced(f"{what} adds numbers")
            return Concat(lp + rp)
        if isinstance(node, ast.Name):
            if node.id in self.bound and self.outer is not None and \
                    node.id not in self.assigned:
                return self.outer.expr(self.bound[node.id], what)
            if node.id == self.event:
                return Event("event")
            if node.id in self.records:
                return Event("record")
            values = list({ast.dump(v): v for v in self.assigned.get(node.id) or []}.values())
            if len(values) != 1:
                raise Untraced(f"{what} uses {node.id}, which the handler "
                                  f"{'assigns several times' if values else 'does not assign'}")
            return self.expr(values[0], what)
        if isinstance(node, ast.Subscript) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get" and node.args):
            base = node.value if isinstance(node, ast.Subscript) else node.func.value
            key = _key(node.slice) if isinstance(node, ast.Subscript) else _key(node.args[0])
            if isinstance(base, ast.Attribute) and _dotted(base) == "os.environ" and key:
                return Env(key)
            inner = self.expr(base, what)
            if self.first_record and isinstance(node, ast.Subscript) and \
                    _is_first(node.slice, inner):
                self.read_first = True
                return Event("record")
            if key is None:
                raise Untraced(f"{what} indexes with a computed key")
            return _index(inner, key, what)
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in ("os.getenv", "os.environ.get") and node.args:
                key = _key(node.args[0])
                if key:
                    return Env(key)
            if name in ("json.loads",) and len(node.args) == 1:
                inner = self.expr(node.args[0], what)
                if isinstance(inner, Event) and inner.where == "body":
                    return Event("doc", request=True)
                if inner == RECORD_BODY:
                    return Event("parsed")
                raise Untraced(f"{what} parses something other than the body")
            if name == "json.dumps" and node.args:
                return Json(self.expr(node.args[0], what))
            if name in ("str", "int", "float", "Decimal") and len(node.args) == 1:
                inner = self.expr(node.args[0], what)
                if isinstance(inner, Const):
                    return Const(str(inner.value)) if name == "str" else inner
                return Str(inner) if name == "str" else Num(inner)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "encode":
                return self.expr(node.func.value, what)  # bytes of the same text
        raise Untraced(f"{what} is computed by the handler ({_short(node)}), which a "
                          "native integration's mapping cannot do")


RECORD_BODY = Event("record", ("body",))  # a record's body text (`record["body"]`)


def _is_first(index: Any, inner: Any) -> bool:
    """`[0]` of the event's `Records`."""
    return isinstance(index, ast.Constant) and index.value == 0 and \
        not isinstance(index.value, bool) and inner == Event("doc", ("Records",))


def _index(inner: Any, key: str, what: str) -> Any:
    if isinstance(inner, Event):
        if inner.where == "event":
            top = {"body": Event("body"), "pathParameters": Event("path"),
                   "queryStringParameters": Event("query"), "headers": Event("header")}
            return top.get(key, Event("doc", (key,)))  # a task's input: event["x"]
        if inner.where in ("doc", "path", "query", "header", "record", "parsed"):
            return Event(inner.where, (*inner.keys, key), inner.request)
    if isinstance(inner, dict) and key in inner:
        return inner[key]
    raise Untraced(f"{what} reads {key!r} of something the mapping cannot follow")


def _key(node: Any) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _short(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # a description only
        text = type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ the input it needs
def uses(expr: Any) -> set[str]:
    """Which parts of the event an expression reads (`body`, `doc`, `path`, ...)."""
    out: set[str] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Event):
            out.add(e.where)
        elif isinstance(e, dict):
            stack.extend(e.values())
        elif isinstance(e, list):
            stack.extend(e)
        elif isinstance(e, Json | Str | Num):
            stack.append(e.inner)
        elif isinstance(e, Concat):
            stack.extend(e.parts)
    return out


# ------------------------------------------------------------------ what it answers
@dataclass(frozen=True)
class Response:
    status: int
    body: str | None  # the body text when it is a constant, else None
    content_type: str = "application/json"


def read_response(path: str | Path, handler: str | None = None,
                  text: str | None = None) -> Response | None:
    """The one success response (`{"statusCode": 2xx, "body": ...}`) a handler returns,
    with its body when that is a constant; None when it returns something else (or
    several different success responses)."""
    if text is None:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > MAX_HANDLER_BYTES:
            return None
        text = p.read_text("utf-8", errors="replace")
    try:
        fn = _handler_function(ast.parse(text), handler)
    except (SyntaxError, Untraced):
        return None
    reader = _Reader(fn)
    found: set[Response] = set()
    for node in ast.walk(fn):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        try:
            value = reader.expr(node.value, "the response")
        except Untraced:
            return None
        if not isinstance(value, dict):
            return None
        status = value.get("statusCode")
        if not isinstance(status, Const) or not isinstance(status.value, int):
            return None
        if not 200 <= status.value < 300:
            continue
        found.add(Response(status.value, _constant_text(value.get("body")),
                           _content_type(value.get("headers"))))
    return next(iter(found)) if len(found) == 1 else None


def _constant_text(e: Any) -> str | None:
    if e is None:
        return ""
    if isinstance(e, Const) and isinstance(e.value, str):
        return e.value
    if isinstance(e, Json):
        plain = _constant(e.inner)
        return None if plain is _NOT else json_dumps(plain)
    return None


_NOT = object()


def _constant(e: Any) -> Any:
    if isinstance(e, Const):
        return e.value
    if isinstance(e, dict):
        out = {}
        for k, v in e.items():
            c = _constant(v)
            if c is _NOT:
                return _NOT
            out[k] = c
        return out
    if isinstance(e, list):
        items = [_constant(v) for v in e]
        return _NOT if any(i is _NOT for i in items) else items
    return _NOT


def json_dumps(value: Any) -> str:
    """As Python's json.dumps writes it by default (what the handler returned)."""
    import json

    return json.dumps(value)


def _content_type(headers: Any) -> str:
    if isinstance(headers, dict):
        for k, v in headers.items():
            if k.lower() == "content-type" and isinstance(v, Const) and isinstance(v.value, str):
                return v.value
    return "application/json"
