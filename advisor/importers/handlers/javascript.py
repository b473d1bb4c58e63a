"""JavaScript / TypeScript handlers: comments dropped by a small tokenizer, then regular
expressions over the code (never run).

Besides the SDK call sites, the scan reads each call's argument object (inline, or the
`const params = {...}` it names) for the parameter naming the target and where its value
comes from (`origin`: a string literal, `process.env`, or the event), and the markers of
data.yaml (credentials, (un)marshalling, streams); `import`/`require` of a work library.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from advisor.importers.handlers.facts_js import CallSite, defines_function, handler_facts
from advisor.importers.handlers.markers import markers
from advisor.importers.handlers.reach import reachable
from advisor.importers.handlers.verdict import (
    Evidence,
    HandlerReport,
    SdkCall,
    combine_origins,
    target_params,
)
from advisor.importers.handlers.verdict import data as handler_data

# A string literal, from its quote to the same quote unescaped (or the end of the code:
# one left open runs to the end); template literals are read as strings whole.
_STRING = "|".join(rf"{q}[^{q}\\]*(?:\\[\s\S]?[^{q}\\]*)*{q}?" for q in ("'", '"', "`"))
_COMMENT_OR_STRING = re.compile(rf"{_STRING}|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)")
# what bracket matching reads: strings (skipped whole), brackets and commas
_STRUCTURE = re.compile(rf"{_STRING}|[()\[\]{{}},]")
QUOTES = "'\"`"


def _drop_comment(m: re.Match[str]) -> str:
    text = m.group(0)
    if text[0] in QUOTES:
        return text
    return "\n" * text.count("\n") if text.startswith("/*") else ""


def strip_js_comments(text: str) -> str:
    """Remove // and /* */ comments, keeping strings and line numbers intact."""
    if "/" not in text:
        return text
    return _COMMENT_OR_STRING.sub(_drop_comment, text)


_V3_IMPORT = re.compile(
    r"(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*|(?:const|let|var)\s*\{([^}]*)\}\s*=\s*"
    r"(?:await\s+import|require)\s*\(\s*)['\"]@aws-sdk/(client-|lib-)?([a-z0-9-]+)['\"]"
)
_V2_NEW = re.compile(
    r"(?:(?:const|let|var)\s+|this\.)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>]+\s*)?=\s*new\s+"
    r"(?:AWS|aws|AWSSDK|sdk)\.([A-Za-z]+)(?:\.(DocumentClient))?\s*\("
)
_V2_CLIENT_REQUIRE = re.compile(
    r"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*['\"]aws-sdk/clients/([a-z0-9]+)['\"]"
)
_NEW_CLASS = re.compile(
    r"(?:(?:const|let|var)\s+|this\.)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>]+\s*)?=\s*"
    r"(?:new\s+([A-Z][\w$]*)\s*\(|([A-Z][\w$]*)\.from\s*\()"
)
_V2_NEW_ANCHOR = re.compile(r"new\s+(?:AWS|aws|AWSSDK|sdk)\.")  # in every _V2_NEW match
_COMMAND = re.compile(r"\bnew\s+([A-Z][A-Za-z0-9]*?)Command\s*\(")
_PAGINATOR = re.compile(r"paginate[A-Z]\w*")  # a v3 package's paginator function
_JS_DEF_BEFORE = re.compile(r"\b(?:function|import|as)\s*\*?\s*$")



_HANDLER_PARAM = re.compile(
    r"(?:exports\.\w+|module\.exports(?:\.\w+)?|export\s+(?:const|let|var)\s+\w+|"
    r"(?:const|let|var)\s+handler)\s*=\s*(?:async\s*)?(?:function\s*\w*\s*)?\(\s*"
    r"([A-Za-z_$][\w$]*)"
    r"|(?:export\s+)?(?:async\s+)?function\s+(?:handler|main|lambdaHandler|\w*[Hh]andler)"
    r"\s*\(\s*([A-Za-z_$][\w$]*)"
)
_LOOP_VAR = re.compile(
    r"for\s*\(\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s+of\s+([A-Za-z_$][\w$.\[\]'\"]*)"
    r"|([A-Za-z_$][\w$.\[\]'\"]*)\s*\.\s*(?:map|forEach|filter|flatMap)\s*\(\s*(?:async\s*)?"
    r"\(?\s*([A-Za-z_$][\w$]*)"
)
_LOOP_WORD = re.compile(r"for|map|forEach|filter|flatMap")  # in every _LOOP_VAR match
_DECL = r"(?:const|let|var)\s+{name}\s*(?::\s*[^=]+?)?=\s*"
_IMPORT_FROM = re.compile(r"(?:from\s+|require\(\s*)['\"]([^'\"]+)['\"]")
EVENT_NAMES = ("event", "evt")


# a part of the event read by a path: a name, then members (`.x`, `?.x`, `["x"]`, `[0]`)
_PATH = re.compile(r"([A-Za-z_$][\w$]*)((?:\s*(?:\?\.|\.)\s*[A-Za-z_$][\w$]*|\s*(?:\?\.)?\[[^\[\]()]*\])*)")
_MEMBERS = re.compile(r"(?:\s*(?:\?\.|\.)\s*[A-Za-z_$][\w$]*|\s*(?:\?\.)?\[[^\[\]()]*\])*")
# calls that hand on what they are given: its items are still the event's
_KEEPS_ITEMS = re.compile(r"\.\s*(?:filter|slice)\s*\(")
_ITEMS_OF = re.compile(r"(?:JSON\.parse|Object\.(?:values|entries|keys)|Array\.from)\s*\(")
_DEFAULT = re.compile(r"\s*(?:\|\||\?\?)\s*(?:\[\s*\]|\{\s*\}|null|undefined)\s*$")
# `const { Records, detail: d } = event` (group 2 the source); a handler taking
# `async ({ Records }) =>` / `function handler({ Records })` (no group 2)
_DESTRUCTURED = re.compile(
    r"(?:const|let|var)\s*\{([^{}]*)\}\s*(?::\s*[\w.<>\[\]]+\s*)?=\s*([^;\n]+)"
    r"|(?:exports\.\w+|module\.exports(?:\.\w+)?|(?:export\s+)?(?:const|let|var)\s+\w*[Hh]andler)"
    r"\s*=\s*(?:async\s*)?(?:function\s*\w*\s*)?\(\s*\{([^{}]*)\}"
    r"|(?:async\s+)?function\s+\w*[Hh]andler\s*\(\s*\{([^{}]*)\}")
_DECLARED = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[^=;]+?)?=")
_DEFINED_HERE = re.compile(r"\bfunction\s*\*?\s*$")
_PARAM = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*(?:[?:=][\s\S]*)?$")
MAX_PATH_DEPTH = 6


def _split_top(text: str) -> list[str]:
    """`a, f(b, c), {d, e}` -> ["a", "f(b, c)", "{d, e}"]: the comma-separated parts of
    an argument or parameter list (brackets and strings kept whole); [] when empty."""
    parts, depth, start = [], 0, 0
    for m in _STRUCTURE.finditer(text):
        ch = m.group(0)
        if ch[0] in QUOTES:
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            parts.append(text[start:m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts] if text.strip() else []


_PAIRS = {"(": ")", "{": "}", "[": "]"}
_KEY = re.compile(r"\s*['\"]?([A-Za-z_$][\w$]*)['\"]?\s*(?::\s*(.*))?$", re.S)


def _balanced(code: str, start: int) -> str:
    """The text from code[start] (an opening bracket) to its matching close, strings
    skipped; the rest of the code when it is not closed."""
    stack: list[str] = []
    for m in _STRUCTURE.finditer(code, start):
        ch = m.group(0)
        if ch[0] in QUOTES or ch == ",":
            continue
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return code[start:m.end()]
    return code[start:]


def _top_level_keys(obj: str) -> dict[str, str]:
    """`{ A: x, B: y }` -> {"A": "x", "B": "y"} (values as text; nesting kept whole);
    `{ A, ...rest }` shorthand gives {"A": "A"}."""
    body = obj.strip()
    if not body.startswith("{"):
        return {}
    body = body[1:-1] if body.endswith("}") else body[1:]
    out: dict[str, str] = {}
    for part in _split_top(body):  # the entries, nesting kept whole
        key = _KEY.match(part)
        if key:
            out[key.group(1)] = (key.group(2) or key.group(1)).strip()
    return out


def _js_literal(expr: str, origins: _JsOrigins) -> str | None:
    """A target written as one string: a literal, or a `const` holding only one."""
    expr = expr.strip()
    if re.fullmatch(r"[A-Za-z_$][\w$]*", expr):
        expr = (origins.declared(expr) or "").strip()
    m = re.fullmatch(r"(['\"])([^'\"]+)\1|`([^`$]+)`", expr)
    return (m.group(2) or m.group(3)) if m else None


class _JsOrigins:
    """Where a value (as code text) comes from: `event`, `env`, `constant`, `unknown`."""

    def __init__(self, code: str) -> None:
        self.code = code
        # the event parameters of the module's handler-shaped functions
        self.handler_params = {m.group(1) or m.group(2) for m in _HANDLER_PARAM.finditer(code)}
        names = set(EVENT_NAMES) | self.handler_params
        # loop variables over the event (`for (const r of event.Records)`, `.map((r) =>`),
        # three levels deep (a loop over a loop variable's field)
        loops = [(m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                 for m in _LOOP_VAR.finditer(code)] if _LOOP_WORD.search(code) else []
        for _ in range(3):
            for var, over in loops:
                if var and over and self._root(over) in names:
                    names.add(var)
        self.events = names
        self.loops: dict[str, list[str]] = {}  # a loop variable -> what loops iterate
        for var, over in loops:
            if var and over:
                self.loops.setdefault(var, []).append(over)
        self._declared: dict[str, int] | None = None
        # destructured names -> what they are taken from (`const { Records } = event`;
        # None: a handler's own parameter, `async ({ Records }) =>`, the event)
        self.destructured: dict[str, list[str | None]] = {}
        for m in _DESTRUCTURED.finditer(code):
            for part in (m.group(1) or m.group(3) or m.group(4)).split(","):
                name = part.split(":")[-1].split("=")[0].strip()
                if re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                    self.destructured.setdefault(name, []).append(m.group(2))
        self._sigs: list[tuple[str, list[str]]] | None = None

    @staticmethod
    def _root(expr: str) -> str:
        m = re.match(r"\s*(?:await\s+)?([A-Za-z_$][\w$]*)", expr)
        return m.group(1) if m else ""

    def declared(self, name: str) -> str | None:
        """The initializer text of `const name = ...` (an object literal whole)."""
        m = re.search(_DECL.format(name=re.escape(name)), self.code)
        if not m:
            return None
        rest = self.code[m.end():]
        if rest[:1] in "{[(":
            return _balanced(self.code, m.end())
        return re.split(r"[;\n]", rest, maxsplit=1)[0]

    def read_from_event(self, expr: str, depth: int = 0) -> bool:
        """The value (as code text) is a part of the event itself, read by a path:
        `event.Records`, `event?.detail?.items`, `event["Records"]`, `JSON.parse(record.body)
        .lines`, a `const` declared once as one (`const { Records } = event`), a loop
        variable over one, a parameter of a function of the file that every call passes
        one; wrapped in `await`, parentheses, `Object.values(...)`, `[...x]` or
        `x || []`. Not a value computed from the event (`(await ddb.send(new
        QueryCommand(...))).Items`, `resp.Records` of a GetRecords call): python.py's
        read_from_event, for JavaScript."""
        e = expr.strip()
        if not e or depth > MAX_PATH_DEPTH:
            return False
        e = _DEFAULT.sub("", re.sub(r"^await\s+", "", e)).strip()
        if e[:1] == "(" and _balanced(e, 0) == e:
            return self.read_from_event(e[1:-1], depth + 1)
        if e.startswith("[...") and e.endswith("]"):
            return self.read_from_event(e[4:-1], depth + 1)
        for kept in _KEEPS_ITEMS.finditer(e):  # `event.Records.filter(...)`: some of them
            if kept.end() - 1 + len(_balanced(e, kept.end() - 1)) == len(e):
                return self.read_from_event(e[:kept.start()], depth + 1)
        wrap = _ITEMS_OF.match(e)
        if wrap:
            inner = _balanced(e, wrap.end() - 1)
            rest = e[wrap.end() - 1 + len(inner):]
            return inner.endswith(")") and _MEMBERS.fullmatch(rest) is not None and \
                self.read_from_event(inner[1:-1], depth + 1)
        path = _PATH.fullmatch(e)
        if path is None:
            return False
        root = path.group(1)
        if root in self.events:
            return True
        if root in self.destructured:  # each place it is destructured from is a part
            return all(source is None or self.read_from_event(source, depth + 1)
                       for source in self.destructured[root])
        over = self.loops.get(root)
        if over:  # a loop variable: each item of what the loop iterates
            return all(self.read_from_event(o, depth + 1) for o in over)
        times = self._declarations().get(root, 0)
        if times == 1:
            value = self.declared(root)
            return value is not None and self.read_from_event(value, depth + 1)
        if times:
            return False  # declared several times: which one is iterated is not known
        passed = self._arguments(root)
        return bool(passed) and all(self.read_from_event(a, depth + 1) for a in passed)

    def _declarations(self) -> dict[str, int]:
        """How many times each name is declared with `const`/`let`/`var` (one pass)."""
        if self._declared is None:
            self._declared = {}
            for m in _DECLARED.finditer(self.code):
                self._declared[m.group(1)] = self._declared.get(m.group(1), 0) + 1
        return self._declared

    def _arguments(self, name: str) -> list[str]:
        """What the calls of the one function of the file with a parameter `name` pass
        for it (empty when no function, or several, declare it, or a call passes fewer
        arguments)."""
        owners = [(m, params) for m, params in self._signatures() if name in params]
        if len(owners) != 1:
            return []
        fn, params = owners[0]
        index, out = params.index(name), []
        for call in re.finditer(r"(?<![\w$.])" + re.escape(fn) + r"\s*\(", self.code):
            if _DEFINED_HERE.search(self.code, max(0, call.start() - 30), call.start()):
                continue  # `function fn(`: its definition, not a call
            parts = _split_top(_balanced(self.code, call.end() - 1)[1:-1])
            if index >= len(parts):
                return []
            out.append(parts[index])
        return out

    def _signatures(self) -> list[tuple[str, list[str]]]:
        """(name, simple parameter names) of the named functions of the file."""
        if self._sigs is None:
            self._sigs = []
            for m in _JS_DEF.finditer(self.code):
                name = m.group(1) or m.group(2) or m.group(3)
                params = _balanced(self.code, m.end())[1:-1]
                names = [p.group(1) for p in (_PARAM.match(x) for x in _split_top(params)) if p]
                self._sigs.append((name, names))
        return self._sigs

    def of(self, expr: str, depth: int = 0) -> str:
        expr = expr.strip()
        if not expr or depth > 6:
            return "unknown"
        if re.fullmatch(r"(['\"])[^'\"]*\1|`[^`$]*`|-?\d[\d.]*", expr):
            return "constant"
        if "process.env" in expr and not any(re.search(rf"(?<![\w$.]){re.escape(e)}\s*[.\[]",
                                                       expr) for e in self.events):
            return "env"
        for e in self.events:
            if re.search(rf"(?<![\w$.]){re.escape(e)}(?![\w$])", expr):
                return "event"
        m = re.fullmatch(r"(?:await\s+)?([A-Za-z_$][\w$]*)(?:\s*[.\[][^()]*)?", expr)
        if m:
            value = self.declared(m.group(1))
            if value is not None:
                return self.of(value, depth + 1)
            if m.group(1) in self.destructured:  # `const { x } = <source>`: the source's
                return combine_origins([self.of(source, depth + 1) if source is not None else "event"
                                 for source in self.destructured[m.group(1)]])
        return "unknown"


_JS_DEF = re.compile(
    r"(?:export\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*(?=\()"
    r"|(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]+)?=\s*(?:async\s*)?"
    r"(?:function\b[^(]*(?=\()|(?=\())"
    r"|(?<![\w$.])(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?"
    r"(?:function\b[^(]*(?=\()|(?=\())"
)
_BODY = re.compile(r"\s*(?::\s*[^={};]+?)?\s*(?:=>)?\s*\{")


def _js_functions(code: str) -> dict[str, list[tuple[int, int]]]:
    """Outermost named functions of a module (`function f(`, `const f = (...) => {`,
    `exports.f = async (...) => {`): name -> (start, end) spans of their text. An arrow
    with an expression body, or anything the scan cannot bound, is left out."""
    out: dict[str, list[tuple[int, int]]] = {}
    end = -1
    for m in _JS_DEF.finditer(code):
        if m.start() < end:
            continue  # nested in a function already taken
        params = _balanced(code, m.end())
        if not params.endswith(")"):
            continue
        body = _BODY.match(code, m.end() + len(params))
        if body is None:
            continue
        block = _balanced(code, body.end() - 1)
        if not block.endswith("}"):
            continue
        end = body.end() - 1 + len(block)
        out.setdefault(m.group(1) or m.group(2) or m.group(3), []).append((m.start(), end))
    return out


def narrow_js(code: str, function: str) -> str:
    """The code with the module's other top-level functions blanked (line numbers kept):
    a file holding several functions' handlers gives each its own handler and what it
    reaches by name. When the handler is not one of the functions the scan bounds (an
    export list, a wrapped handler such as `middy(base)`), the code is kept whole."""
    defs = _js_functions(code)
    if function not in defs or len(defs) < 2:
        return code

    def uses(name: str) -> set[str]:
        return {word for lo, hi in defs[name] for word in _IDENTIFIER.findall(code, lo, hi)
                if word in defs}

    seen = reachable(function, uses)
    dropped = sorted(span for name, spans in defs.items() if name not in seen for span in spans)
    out, done = [], 0
    for lo, hi in dropped:
        out += [code[done:lo], "\n".join(" " * len(line) for line in code[lo:hi].split("\n"))]
        done = hi
    return "".join([*out, code[done:]])


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def inspect_js(text: str, function: str | None = None) -> tuple[HandlerReport, int]:
    """Scan a module; with `function` (the name `Handler` gives), its other top-level
    functions are left out unless the handler reaches them (see narrow_js)."""
    code = strip_js_comments(text)
    if function:
        code = narrow_js(code, function)
    data = handler_data()
    non_api = set(data["non_api_methods"])
    class_service: dict[str, str] = {}  # imported v3 name -> package service
    document: set[str] = set()  # imported names / clients that take plain JSON items
    for m in _V3_IMPORT.finditer(code):
        names = m.group(1) or m.group(2) or ""
        service = m.group(4)
        for raw in names.split(","):
            name = raw.strip().split(" as ")[-1].split(":")[-1].strip()
            if name:
                class_service[name] = service
                if m.group(3) == "lib-" and service == "dynamodb":
                    document.add(name)
    clients: dict[str, str] = {}
    # (each scan below runs only when the text every match of it holds is in the code)
    for m in _V2_NEW.finditer(code) if _V2_NEW_ANCHOR.search(code) else ():
        clients[m.group(1)] = "dynamodb" if m.group(3) else m.group(2).lower()
        if m.group(3):
            document.add(m.group(1))
    for m in _V2_CLIENT_REQUIRE.finditer(code):
        class_service[m.group(1)] = m.group(2)
    for m in _NEW_CLASS.finditer(code) if class_service else ():
        cls = m.group(2) or m.group(3)
        if cls in class_service and not cls.endswith("Command"):
            clients[m.group(1)] = class_service[cls]
            if cls in document:
                document.add(m.group(1))
    origins = _JsOrigins(code)
    calls: list[SdkCall] = []
    sites: list[CallSite] = []
    observed: list[Evidence] = []

    def line_at(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    def argument(open_paren: int, nth: int = 0) -> dict[str, str]:
        arg = _balanced(code, open_paren)[1:-1].strip()
        if nth:  # a later argument (a v3 paginator's request, after its configuration)
            parts = _split_top(arg)
            arg = parts[nth] if nth < len(parts) else ""
        if arg[:1] != "{":
            name = origins._root(arg)
            declared = origins.declared(name) if name and re.fullmatch(r"[\w$]+", arg) else None
            arg = declared or ""
        return _top_level_keys(arg)

    def record(pos: int, service: str, method: str, open_paren: int, nth: int = 0) -> None:
        keys = argument(open_paren, nth)
        wanted = target_params(service)
        param = next((k for k in keys if k.lower() in wanted), None)
        if param is None:  # one level down: Entries: [{ EventBusName: ... }]
            for value in keys.values():
                inner = value.strip()
                if inner.startswith("["):
                    inner = inner[1:].strip()
                nested = _top_level_keys(inner) if inner.startswith("{") else {}
                param = next((k for k in nested if k.lower() in wanted), None)
                if param is not None:
                    keys = {**keys, param: nested[param]}
                    break
        where = origins.of(keys[param]) if param else None
        line = line_at(pos)
        literal = _js_literal(keys[param], origins) if where == "constant" else None
        call = SdkCall(line, service, method, tuple(keys), param, where, literal)
        calls.append(call)
        sites.append(CallSite(pos, open_paren, call, code.startswith("new", pos)))
        payload = [v for k, v in keys.items() if k != param]
        if any(re.search(rf"JSON\.stringify\(\s*{re.escape(e)}\s*[,)]", v)
               or v.strip() == e for v in payload for e in EVENT_NAMES):
            observed.append(Evidence(line, "whole-event",
                                     "the whole event (the batch envelope) is sent"))

    # a v3 paginator (`paginateScan({ client }, { TableName })`): each page is one call
    paginators = {name: service for name, service in class_service.items()
                  if _PAGINATOR.fullmatch(name)}
    for name, service in paginators.items():
        for m in re.finditer(r"(?<![\w$.])" + re.escape(name) + r"\s*\(", code):
            if not _JS_DEF_BEFORE.search(code, max(0, m.start() - 30), m.start()):
                record(m.start(), service, name[len("paginate"):], m.end() - 1, nth=1)
    # a v3 presigner function (`getSignedUrl(client, command)`, `createPresignedPost`):
    # it signs the command with the function's credentials and sends nothing; the call
    # makes the handler real logic (`logic_methods`), as `s3.getSignedUrl` does in v2
    for name, service in class_service.items():
        if name not in data["logic_methods"]:
            continue
        for m in re.finditer(r"(?<![\w$.])" + re.escape(name) + r"\s*\(", code):
            if not _JS_DEF_BEFORE.search(code, max(0, m.start() - 30), m.start()):
                record(m.start(), service, name, m.end() - 1)
    for m in _COMMAND.finditer(code):
        name = m.group(1)
        service = class_service.get(f"{name}Command") or data["command_services"].get(name)
        if service is None:
            continue
        record(m.start(), service, name, m.end() - 1)
        if f"{name}Command" in document:
            observed.append(Evidence(line_at(m.start()), "document-client",
                                     "plain JSON items through the DynamoDB document client"))
    for var, service in clients.items():
        pattern = re.compile(r"(?<![\w$.])(?:this\.)?" + re.escape(var)
                             + r"\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
        for m in pattern.finditer(code):
            method = m.group(1)
            if method in non_api:
                continue
            record(m.start(), service, method, m.end() - 1)
            if var in document:
                observed.append(Evidence(line_at(m.start()), "document-client",
                                         "plain JSON items through the DynamoDB document client"))
    for m in _IMPORT_FROM.finditer(code):
        module = m.group(1)
        if module in data["work_js"] or module.split("/")[0] in data["work_js"]:
            observed.append(Evidence(line_at(m.start()), "work", f"imports {module}"))
    observed += [e for e in markers(code, data["markers_js"])
                 if not (e.kind == "marshall" and "unmarshall" in e.detail)]
    http = sum(_http_calls(code, name) for name in data["http_js"] if name in code)
    if "SignatureV4" in code and _SIGNER.search(code):
        http += 1
    params = origins.handler_params | set(EVENT_NAMES)
    observed += handler_facts(code, sorted(sites, key=lambda s: s.pos), params, _balanced,
                              origins.read_from_event)
    observed += _rejections(code, line_at)
    decisions = len(_BRANCH.findall(code)) + len(_CASE.findall(code))
    functions = len(_FUNCTION_WORD.findall(code)) + code.count("=>")
    report = HandlerReport("javascript", "unknown", calls=sorted(set(calls)), http_calls=http,
                           decisions=decisions, observed=sorted(set(observed)))
    # Arrow callbacks (`.map(r => ...)`) are not separate functions of logic; count named ones.
    return report, min(functions, len(_NAMED_FUNCTION.findall(code)) + 1)


_ANSWER = re.compile(r"\breturn\s*\(?\s*(?=\{)|\bcallback\s*\(\s*null\s*,\s*(?=\{)")
_IF_OR_ELSE = re.compile(r"\bif\s*\(|\belse\b(?!\s+if\b)|\bcatch\s*(?:\([^)]*\))?\s*(?=\{)")
_CLIENT_ERROR = re.compile(r"4\d\d")


def _rejections(code: str, line_at: Callable[[int], int]) -> list[Evidence]:
    """`if (...) return { statusCode: 4xx, ... }` (or `callback(null, {...})`; in the
    `else` or a `catch` too): the handler answers some requests itself (validation),
    which a native integration, forwarding every request, does not (python.py's
    `_rejections`, for JavaScript). The status may be a variable assigned a 4xx constant
    (`statusCode = 400` ... `return { statusCode }`), or the answer a call of a function
    of the file that builds it (`return createErrorResponse(400, "...")`: _builders)."""
    out = []
    ifs: list[tuple[int, int]] | None = None

    def branches() -> list[tuple[int, int]]:
        nonlocal ifs
        if ifs is None:
            ifs = _if_bodies(code)
        return ifs

    def in_branch(pos: int) -> bool:
        return any(lo <= pos < hi for lo, hi in branches())

    for m in _ANSWER.finditer(code):
        status = _top_level_keys(_balanced(code, m.end())).get("statusCode", "").strip()
        found = _client_errors_js(code, status, in_branch, m.start())
        out += [Evidence(line_at(m.start()), "rejects", f"answers status {s} itself")
                for s in found]
    builders = _builders(code) if _BUILT.search(code) else {}
    for m in _BUILT.finditer(code) if builders else ():
        name = m.group(1) or m.group(2)
        if name not in builders:
            continue
        params, statuses = builders[name]
        args = _split_top(_balanced(code, m.end() - 1)[1:-1])
        found = [s for s in statuses if s.isdigit()] if in_branch(m.start()) else []
        for s in statuses:
            if s in params and params.index(s) < len(args):
                found += _client_errors_js(code, args[params.index(s)], in_branch, m.start())
        out += [Evidence(line_at(m.start()), "rejects", f"answers status {s} itself")
                for s in sorted(set(found))]
    return out


def _client_errors_js(code: str, status: str, in_branch: Callable[[int], bool],
                      at: int) -> list[str]:
    """The 4xx statuses a `statusCode` value (as text) gives at the answer at `at`: a 4xx
    constant, the answer in a branch; a variable one of whose assignments is a 4xx
    constant, when the answer is in a branch, or that assignment is, or the variable is
    assigned something else too (python.py's _client_errors)."""
    if _CLIENT_ERROR.fullmatch(status):
        return [status] if in_branch(at) else []
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", status):
        return []
    sets = list(re.finditer(r"(?<![\w$.])" + re.escape(status) + r"\s*=(?![=>])\s*([^;,\n)}]*)",
                            code))
    errors = [a for a in sets if _CLIENT_ERROR.fullmatch(a.group(1).strip())]
    chosen = in_branch(at) or len(errors) < len(sets)
    return sorted({a.group(1).strip() for a in errors if chosen or in_branch(a.start())})


_BUILT = re.compile(r"\breturn\s+(?:await\s+)?([A-Za-z_$][\w$]*)\s*\(|"
                    r"\bcallback\s*\(\s*null\s*,\s*([A-Za-z_$][\w$]*)\s*\(")
_BUILDER_BODY = re.compile(r"\s*(?::\s*[^={};]+?)?\s*(?:=>\s*)?([({])")
_OBJECT_ANSWER = re.compile(r"\breturn\s*\(?\s*(?=\{)|^\(\s*(?=\{)")


def _builders(code: str) -> dict[str, tuple[list[str], set[str]]]:
    """Functions of the file that return an answer object: name -> (their parameters,
    what its `statusCode` is: a 4xx constant, or the parameter it is taken from).
    `function createErrorResponse(statusCode, message) { return { statusCode, ... } }`,
    `const badRequest = (msg) => ({ statusCode: 400, body: msg })`."""
    out: dict[str, tuple[list[str], set[str]]] = {}
    for m in _JS_DEF.finditer(code):
        name = m.group(1) or m.group(2) or m.group(3)
        params_text = _balanced(code, m.end())
        if not params_text.endswith(")"):
            continue
        params = [p.group(1) for p in (_PARAM.match(x) for x in _split_top(params_text[1:-1]))
                  if p]
        body = _BUILDER_BODY.match(code, m.end() + len(params_text))
        if body is None:
            continue
        text = _balanced(code, body.start(1))
        statuses: set[str] = set()
        for a in _OBJECT_ANSWER.finditer(text):
            status = _top_level_keys(_balanced(text, a.end())).get("statusCode", "").strip()
            if _CLIENT_ERROR.fullmatch(status) or status in params:
                statuses.add(status)
        if statuses:
            out.setdefault(name, (params, statuses))
    return out


def _if_bodies(code: str) -> list[tuple[int, int]]:
    """The spans of the branches of the code's `if`s and `else`s (a block, or the one
    statement after the condition or the `else`) and of its `catch` blocks."""
    spans = []
    for m in _IF_OR_ELSE.finditer(code):
        body = m.end()  # after `else`, or after the condition of an `if`
        if m.group(0).startswith("if"):
            body += len(_balanced(code, body - 1)) - 1
        while body < len(code) and code[body].isspace():
            body += 1
        if code[body:body + 1] == "{":
            spans.append((body, body + len(_balanced(code, body))))
        else:  # one statement: to its `;` or the end of its line, an object literal whole
            end = body
            while end < len(code) and code[end] not in ";\n":
                end += len(_balanced(code, end)) if code[end] in "({[" else 1
            spans.append((body, end))
    return spans


_SIGNER = re.compile(r"\bSignatureV4\b")
_BRANCH = re.compile(r"\b(?:if|for|while|switch)\s*\(")
_CASE = re.compile(r"\bcase\b[^:]*:")
_FUNCTION_WORD = re.compile(r"\bfunction\b")
_NAMED_FUNCTION = re.compile(r"\bfunction\s+\w+|(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?"
                             r"(?:\([^)]*\)|\w+)\s*=>")


@cache
def _http_call(name: str) -> re.Pattern[str]:
    """A call of (or through) the HTTP client `name` of data.yaml `http_js`."""
    return re.compile(r"(?<![\w$.])" + re.escape(name) + r"\s*[.(]")


# `globalThis.fetch(...)`: the runtime's own fetch, whatever the module names `fetch`
_GLOBAL_HTTP = re.compile(r"(?<![\w$.])(?:globalThis|global|window|self)\s*\.\s*fetch\s*\(")


def _http_calls(code: str, name: str) -> int:
    """Calls of the HTTP client `name` (data.yaml `http_js`): none when the module
    defines its own function of that name (its calls are the module's; what that
    function calls is counted where it is written), and never a definition (`fetch(url)
    {` of a class, `function fetch(`)."""
    if "." not in name and defines_function(code, name):
        return len(_GLOBAL_HTTP.findall(code)) if name == "fetch" else 0
    count = 0
    for m in _http_call(name).finditer(code):
        if code[m.end() - 1] == "(" and (
                _JS_DEF_BEFORE.search(code, max(0, m.start() - 30), m.start()) or
                _METHOD_BODY.match(code, m.end() - 1 + len(_balanced(code, m.end() - 1)))):
            continue  # `function fetch(` / a class's `fetch(id) {`: defined, not called
        count += 1
    return count + (len(_GLOBAL_HTTP.findall(code)) if name == "fetch" else 0)


_METHOD_BODY = re.compile(r"\s*(?::\s*[^={};]+?)?\s*\{")
