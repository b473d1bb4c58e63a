"""Python handlers, read with `ast` (parsed, never imported or run)."""

from __future__ import annotations

import ast

from advisor.importers.handlers.verdict import HandlerReport, SdkCall, data


class _PyScan(ast.NodeVisitor):
    """Collect SDK client variables, SDK call sites, HTTP calls and decision points."""

    def __init__(self) -> None:
        self.clients: dict[str, str] = {}  # variable (or self.attr) -> service
        self.calls: list[SdkCall] = []
        self.http = 0
        self.decisions = 0
        self.functions = 0
        self.http_names = set(data()["http_python"])
        self.non_api = set(data()["non_api_methods"])

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


def inspect_python(text: str) -> tuple[HandlerReport, int]:
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


