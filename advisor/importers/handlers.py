"""Handler inspection: is a Lambda function glue, or does it do real work?

"Glue" means: the function takes the event and makes one AWS SDK call that forwards it
(maybe reshaped) to one service, the case a native integration replaces. The source is
read, never imported or run: Python through `ast`, JavaScript/TypeScript through a small
tokenizer that drops comments and then regular expressions over the code.

The verdict is deliberately conservative (a false "glue" would advise deleting real
work): `glue` only with one forwarding SDK call, no HTTP client, no configuration or
telemetry calls, and little control flow; `logic` when the code shows several calls,
external HTTP, or branching; `unknown` when the code cannot be read. The evidence (the
call found and the service it targets) is kept so a report can show why.

Public API:
    inspect_source(text, language, *, path=None) -> HandlerReport
    inspect_file(path) -> HandlerReport
    find_handler(code_dir, handler, runtime) -> Path | None
    language_of(path_or_runtime) -> "python" | "javascript" | None
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

MAX_SOURCE_BYTES = 2 * 1024 * 1024
PY_EXT = (".py",)
JS_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")


@cache
def _data() -> dict[str, Any]:
    from advisor.importers.reading import package_yaml

    return package_yaml("handlers_data.yaml")  # type: ignore[no-any-return]


@dataclass(frozen=True, order=True)
class SdkCall:
    """One SDK call site: service (SDK name), method/command, 1-based line."""

    line: int
    service: str
    method: str

    def text(self) -> str:
        return f"{self.service}.{self.method}"


@dataclass
class HandlerReport:
    language: str
    verdict: str  # "glue" | "logic" | "unknown"
    calls: list[SdkCall] = field(default_factory=list)
    http_calls: int = 0
    decisions: int = 0
    reasons: list[str] = field(default_factory=list)
    path: str | None = None

    @property
    def glue(self) -> bool | None:
        return {"glue": True, "logic": False}.get(self.verdict)

    @property
    def forwarding(self) -> list[SdkCall]:
        aux = set(_data()["aux_services"])
        return [c for c in self.calls if _norm(c.service) not in aux]

    def _single(self) -> list[SdkCall]:
        """The forwarding call when there is one API action, made at one or more call
        sites (the same PutItem in both branches of an if is still one forwarding call)."""
        fwd = self.forwarding
        actions = {(_norm(c.service), c.method.lower()) for c in fwd}
        return fwd[:1] if len(actions) == 1 else []

    @property
    def evidence(self) -> str | None:
        fwd = self._single()
        return fwd[0].text() if fwd else None

    @property
    def read_only(self) -> bool:
        """The single forwarding call fetches (get/list/query...) rather than sends."""
        fwd = self._single()
        if not fwd:
            return False
        verb = re.sub(r"(?<!^)(?=[A-Z])", "_", fwd[0].method).lower()
        return any(verb == v or verb.startswith(v + "_") for v in _data()["read_verbs"])

    @property
    def target(self) -> str | None:
        """Catalog kind (or service name) the single forwarding call reaches."""
        fwd = self._single()
        return service_kind(fwd[0].service) if fwd else None


def _norm(service: str) -> str:
    return service.lower().replace("_", "-")


def service_kind(service: str) -> str:
    table = _data()["services"]
    key = _norm(service)
    return str(table.get(key) or table.get(key.replace("-", "")) or key)


def _decide(report: HandlerReport, functions: int) -> HandlerReport:
    limits = _data()
    aux = set(limits["aux_services"])
    aux_calls = [c for c in report.calls if _norm(c.service) in aux]
    logic_calls = [c for c in report.calls if c.method in set(limits["logic_methods"])]
    report.calls = [c for c in report.calls if c not in logic_calls]
    fwd = report.forwarding
    distinct = sorted({(_norm(c.service), c.method.lower()) for c in fwd})
    if logic_calls:
        report.verdict = "logic"
        report.reasons.append("computes with SDK credentials: "
                              + ", ".join(sorted({c.text() for c in logic_calls})))
    elif not fwd and not report.http_calls:
        report.verdict = "logic"
        report.reasons.append("no AWS SDK call: the function does its own work or only responds")
    elif report.http_calls:
        report.verdict = "logic"
        report.reasons.append(f"{report.http_calls} HTTP client call(s)")
    elif len(distinct) > 1:
        report.verdict = "logic"
        report.reasons.append(
            "several SDK calls: " + ", ".join(sorted({c.text() for c in fwd}))
        )
    elif aux_calls:
        report.verdict = "logic"
        report.reasons.append("also reads configuration or emits telemetry: "
                              + ", ".join(sorted({c.text() for c in aux_calls})))
    elif report.decisions > limits["max_decisions"]:
        report.verdict = "logic"
        report.reasons.append(f"{report.decisions} branches/loops: more than reshaping")
    elif functions > limits["max_functions"]:
        report.verdict = "logic"
        report.reasons.append(f"{functions} functions defined: more than forwarding")
    else:
        report.verdict = "glue"
        report.reasons.append(f"one SDK call ({fwd[0].text()}) with little control flow")
    return report


# ---------------------------------------------------------------------- Python
class _PyScan(ast.NodeVisitor):
    """Collect SDK client variables, SDK call sites, HTTP calls and decision points."""

    def __init__(self) -> None:
        self.clients: dict[str, str] = {}  # variable (or self.attr) -> service
        self.calls: list[SdkCall] = []
        self.http = 0
        self.decisions = 0
        self.functions = 0
        self.http_names = set(_data()["http_python"])
        self.non_api = set(_data()["non_api_methods"])

    # -- clients
    def client_service(self, node: ast.AST) -> str | None:
        """Service of an expression that creates or names an SDK client/resource."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            return self.clients.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "self":
            return self.clients.get(f"self.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in ("client", "resource") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return first.value
            for kw in node.keywords:
                if attr in ("client", "resource") and kw.arg == "service_name" and \
                        isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
            if attr in ("Table", "Bucket", "Object", "Queue", "Topic"):
                return self.client_service(node.func.value)
        return None

    def _bind(self, target: ast.AST, service: str) -> None:
        if isinstance(target, ast.Name):
            self.clients[target.id] = service
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and \
                target.value.id == "self":
            self.clients[f"self.{target.attr}"] = service

    def visit_Assign(self, node: ast.Assign) -> None:
        service = self.client_service(node.value)
        if service:
            for t in node.targets:
                self._bind(t, service)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            service = self.client_service(node.value)
            if service:
                self._bind(node.target, service)
        self.generic_visit(node)

    # -- calls
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            service = self.client_service(func.value)
            if service and func.attr not in self.non_api and not func.attr.startswith("_"):
                self.calls.append(SdkCall(node.lineno, service, func.attr))
            elif _dotted(func).split(".")[0] in self.http_names or func.attr in self.http_names:
                self.http += 1
        elif isinstance(func, ast.Name) and func.id in self.http_names:
            self.http += 1
        self.generic_visit(node)

    # -- control flow
    def visit_If(self, node: ast.If) -> None:
        self.decisions += 1
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self.decisions += 1
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.decisions += 1
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.decisions += 1
        self.generic_visit(node)

    def visit_Match(self, node: ast.Match) -> None:
        self.decisions += len(node.cases)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.decisions += len(node.ifs)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions += 1
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _inspect_python(text: str) -> tuple[HandlerReport, int]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return HandlerReport("python", "unknown", reasons=[f"not parseable: {exc}"]), 0
    scan = _PyScan()
    # Two passes: clients bound anywhere (module level, __init__, inside the handler)
    # are known before the calls are read.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            if value is None:
                continue
            service = scan.client_service(value)
            if service:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    scan._bind(t, service)
    scan.visit(tree)
    report = HandlerReport("python", "unknown", calls=sorted(scan.calls), http_calls=scan.http,
                           decisions=scan.decisions)
    return report, scan.functions


# ---------------------------------------------------------------------- JavaScript / TS
def strip_js_comments(text: str) -> str:
    """Remove // and /* */ comments, keeping strings and line numbers intact."""
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            chunk = text[i: n if j < 0 else j + 2]
            out.append("\n" * chunk.count("\n"))
            i = n if j < 0 else j + 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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
_COMMAND = re.compile(r"\bnew\s+([A-Z][A-Za-z0-9]*?)Command\s*\(")


def _inspect_js(text: str) -> tuple[HandlerReport, int]:
    code = strip_js_comments(text)
    data = _data()
    non_api = set(data["non_api_methods"])
    class_service: dict[str, str] = {}  # imported v3 name -> package service
    for m in _V3_IMPORT.finditer(code):
        names = m.group(1) or m.group(2) or ""
        service = m.group(4)
        if m.group(3) == "lib-" and service == "dynamodb":
            service = "dynamodb"
        for raw in names.split(","):
            name = raw.strip().split(" as ")[-1].split(":")[-1].strip()
            if name:
                class_service[name] = service
    clients: dict[str, str] = {}
    for m in _V2_NEW.finditer(code):
        clients[m.group(1)] = "dynamodb" if m.group(3) else m.group(2).lower()
    for m in _V2_CLIENT_REQUIRE.finditer(code):
        class_service[m.group(1)] = m.group(2)
    for m in _NEW_CLASS.finditer(code):
        cls = m.group(2) or m.group(3)
        if cls in class_service and not cls.endswith("Command"):
            clients[m.group(1)] = class_service[cls]
    calls: list[SdkCall] = []

    def line_at(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    for m in _COMMAND.finditer(code):
        name = m.group(1)
        service = class_service.get(f"{name}Command") or data["command_services"].get(name)
        if service is None:
            continue
        calls.append(SdkCall(line_at(m.start()), service, name))
    for var, service in clients.items():
        pattern = re.compile(r"(?<![\w$.])(?:this\.)?" + re.escape(var) + r"\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
        for m in pattern.finditer(code):
            method = m.group(1)
            if method in non_api:
                continue
            calls.append(SdkCall(line_at(m.start()), service, method))
    http = 0
    for name in data["http_js"]:
        http += len(re.findall(r"(?<![\w$.])" + re.escape(name) + r"\s*[.(]", code))
    if re.search(r"\bSignatureV4\b", code):
        http += 1
    decisions = len(re.findall(r"\b(?:if|for|while|switch)\s*\(", code))
    decisions += len(re.findall(r"\bcase\b[^:]*:", code))
    functions = len(re.findall(r"\bfunction\b", code)) + len(re.findall(r"=>", code))
    report = HandlerReport("javascript", "unknown", calls=sorted(set(calls)), http_calls=http,
                           decisions=decisions)
    # Arrow callbacks (`.map(r => ...)`) are not separate functions of logic; count named ones.
    named = len(re.findall(r"\bfunction\s+\w+|(?:const|let|var)\s+\w+\s*=\s*(?:async\s*)?"
                           r"(?:\([^)]*\)|\w+)\s*=>", code))
    return report, min(functions, named + 1)


# ---------------------------------------------------------------------- entry points
def language_of(hint: str | None) -> str | None:
    """`python` / `javascript` from a file name or a Lambda runtime id."""
    if not hint:
        return None
    h = hint.lower()
    if h.endswith(PY_EXT) or h.startswith("python"):
        return "python"
    if h.endswith(JS_EXT) or h.startswith("nodejs"):
        return "javascript"
    return None


def inspect_source(text: str, language: str, *, path: str | None = None,
                   extra: list[str] | None = None) -> HandlerReport:
    """Classify one handler source (plus sources it imports, given as `extra`)."""
    inspect = _inspect_python if language == "python" else _inspect_js
    report, functions = inspect(text)
    for more in extra or []:
        other, f2 = inspect(more)
        report.calls = sorted(set(report.calls) | set(other.calls))
        report.http_calls += other.http_calls
        report.decisions += other.decisions
        functions += f2
    report.path = path
    if report.verdict == "unknown" and report.reasons:
        return report
    return _decide(report, functions)


def inspect_file(path: str | Path) -> HandlerReport:
    """Read a handler file (and local modules it imports) and classify it."""
    p = Path(path)
    language = language_of(p.name) or "python"
    try:
        if p.stat().st_size > MAX_SOURCE_BYTES:
            return HandlerReport(language, "unknown", reasons=["source too large"], path=str(p))
        text = p.read_text("utf-8", errors="replace")
    except OSError as exc:
        return HandlerReport(language, "unknown", reasons=[f"unreadable: {exc}"], path=str(p))
    extra = [t for t in _local_imports(p, text, language)]
    return inspect_source(text, language, path=str(p), extra=extra)


def _local_imports(path: Path, text: str, language: str) -> list[str]:
    """Sources of sibling modules the handler imports (one level), read as text."""
    names: list[Path] = []
    if language == "python":
        for m in re.finditer(r"^\s*(?:from\s+\.?([\w.]+)\s+import|import\s+([\w.]+))", text, re.M):
            mod = (m.group(1) or m.group(2) or "").split(".")[0]
            cand = path.parent / f"{mod}.py"
            if mod and cand.is_file() and cand != path:
                names.append(cand)
    else:
        for m in re.finditer(r"(?:require\(\s*|from\s+)['\"](\.{1,2}/[^'\"]+)['\"]", text):
            base = (path.parent / m.group(1))
            for ext in ("", *JS_EXT):
                cand = Path(str(base) + ext)
                if cand.is_file() and cand != path:
                    names.append(cand)
                    break
    out = []
    for cand in sorted(set(names))[:10]:
        try:
            if cand.stat().st_size <= MAX_SOURCE_BYTES:
                out.append(cand.read_text("utf-8", errors="replace"))
        except OSError:
            continue
    return out


def find_handler(code_dir: Path, handler: str | None, runtime: str | None,
                 entry_points: list[str] | None = None) -> Path | None:
    """The source file a Lambda `Handler` names inside its code folder.

    `app.lambda_handler` -> app.py / app.js / app.mjs / app.ts (by runtime);
    `src/handlers/app.handler` keeps the folders; esbuild `EntryPoints` win for Node.
    """
    if not code_dir.is_dir():
        return code_dir if code_dir.is_file() else None
    for entry in entry_points or []:
        cand = code_dir / entry
        if cand.is_file():
            return cand
    if not handler or "." not in handler:
        return None
    module = handler.rsplit(".", 1)[0]
    lang = language_of(runtime) if runtime else None
    exts = PY_EXT if lang == "python" else JS_EXT if lang == "javascript" else PY_EXT + JS_EXT
    for base in (code_dir, code_dir / "src"):
        for ext in exts:
            cand = base / f"{module}{ext}"
            if cand.is_file():
                return cand
    if lang == "javascript":
        # a compiled path such as dist/app.handler whose source is app.ts or src/app.ts
        stem = Path(module).name
        for ext in JS_EXT:
            for cand in (code_dir / f"{stem}{ext}", code_dir / "src" / f"{stem}{ext}"):
                if cand.is_file():
                    return cand
    return None
