"""JavaScript / TypeScript handlers: comments dropped by a small tokenizer, then regular
expressions over the code (never run).

Besides the SDK call sites, the scan reads each call's argument object (inline, or the
`const params = {...}` it names) for the parameter naming the target and where its value
comes from (`origin`: a string literal, `process.env`, or the event), and the markers of
data.yaml (credentials, (un)marshalling, streams); `import`/`require` of a work library.
"""

from __future__ import annotations

import re
from functools import cache

from advisor.importers.handlers.facts_js import CallSite, handler_facts
from advisor.importers.handlers.markers import markers
from advisor.importers.handlers.reach import reachable
from advisor.importers.handlers.verdict import Evidence, HandlerReport, SdkCall, target_params
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
    depth = 0
    part_start = 0
    parts = []
    for m in _STRUCTURE.finditer(body):
        ch = m.group(0)
        if ch[0] in QUOTES:
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:  # a comma between two entries
            parts.append(body[part_start:m.start()])
            part_start = m.end()
    parts.append(body[part_start:])
    out: dict[str, str] = {}
    for part in parts:
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

    def argument(open_paren: int) -> dict[str, str]:
        arg = _balanced(code, open_paren)[1:-1].strip()
        if arg[:1] != "{":
            name = origins._root(arg)
            declared = origins.declared(name) if name and re.fullmatch(r"[\w$]+", arg) else None
            arg = declared or ""
        return _top_level_keys(arg)

    def record(pos: int, service: str, method: str, open_paren: int) -> None:
        keys = argument(open_paren)
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
    http = sum(len(_http_call(name).findall(code)) for name in data["http_js"] if name in code)
    if "SignatureV4" in code and _SIGNER.search(code):
        http += 1
    params = origins.handler_params | set(EVENT_NAMES)
    observed += handler_facts(code, sorted(sites, key=lambda s: s.pos), params, _balanced)
    decisions = len(_BRANCH.findall(code)) + len(_CASE.findall(code))
    functions = len(_FUNCTION_WORD.findall(code)) + code.count("=>")
    report = HandlerReport("javascript", "unknown", calls=sorted(set(calls)), http_calls=http,
                           decisions=decisions, observed=sorted(set(observed)))
    # Arrow callbacks (`.map(r => ...)`) are not separate functions of logic; count named ones.
    return report, min(functions, len(_NAMED_FUNCTION.findall(code)) + 1)


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
