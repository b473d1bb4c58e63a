"""Python handlers, read with `ast` (parsed, never imported or run).

Besides the SDK call sites, the scan works out where the parameter naming each call's
target comes from (a constant, an environment variable, or the event: `origin`), what
the call's payload is made of (the whole event, fields mapped from it), and the markers
of data.yaml (credentials, (un)marshalling, streams, work libraries).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from advisor.importers.handlers.facts_python import dotted as _dotted
from advisor.importers.handlers.facts_python import handler_facts
from advisor.importers.handlers.markers import markers
from advisor.importers.handlers.pyindex import SyntaxIndex
from advisor.importers.handlers.reach import reachable
from advisor.importers.handlers.verdict import (
    Evidence,
    HandlerReport,
    SdkCall,
    combine_origins,
    data,
    service_kind,
    target_params,
)

EVENT_NAMES = frozenset({"event", "evt", "events", "lambda_event"})
CONTEXT_NAMES = frozenset({"context", "ctx", "_context", "_ctx", "lambda_context", "_"})
# methods that open a buffered writer on a table (`table.batch_writer()`): the object
# they return makes the table's writes
WRITERS = frozenset(data()["batch_writers"])
NOT_FOUND = "handler function"  # how a report says the handler named is not in its file
MAX_DEPTH = 24  # how far an origin follows assignments and arguments (memoised per scan)


class _Scope:
    """One function (or the module): its event parameter names, its parameters, its
    assignments; `calls` (shared by all scopes of a module) maps a module function's name
    to its call sites, so a helper's parameter takes the origins of its arguments."""

    def __init__(self, node: ast.AST | None, parent: _Scope | None) -> None:
        self.parent = parent
        self.events: set[str] = set()
        self.assigned: dict[str, list[ast.AST]] = {}
        self.name = ""
        self.params: list[str] = []
        self.calls: dict[str, list[tuple[ast.Call, _Scope]]] = parent.calls if parent else {}
        # values put into a list by name anywhere in the module (`ids.append(x)`,
        # `ids.extend(page["Items"])`, `ids.insert(0, x)`), with the scope that puts them:
        # by name, module-wide (a list filled in a helper is the same list), which can only
        # make a value less fixed than it is, never more
        self.mutations: dict[str, list[tuple[ast.AST, _Scope]]] = \
            parent.mutations if parent else {}
        # SDK calls of the module (ids of their nodes): what they return is a service's
        # data, fixed neither by the code nor by the environment
        self.sdk_calls: set[int] = parent.sdk_calls if parent else set()
        # origins worked out in this module, by (node, scope): each value once, cycles cut
        self.memo: dict[tuple[int, int], str] = parent.memo if parent else {}
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.name = node.name
            args = [a.arg for a in node.args.posonlyargs + node.args.args]
            if args and args[0] == "self":
                args = args[1:]
            self.params = args
            if args and (args[0] in EVENT_NAMES or
                         (len(args) == 2 and args[1] in CONTEXT_NAMES)):
                self.events.add(args[0])

    def arguments(self, name: str) -> list[tuple[ast.AST, _Scope]] | None:
        """The arguments passed for parameter `name` at the call sites of the function
        that declares it (None when `name` is no parameter in scope)."""
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.params and name not in scope.assigned:
                index = scope.params.index(name)
                out: list[tuple[ast.AST, _Scope]] = []
                for call, caller in scope.calls.get(scope.name, ()):
                    kw = next((k.value for k in call.keywords if k.arg == name), None)
                    if kw is not None:
                        out.append((kw, caller))
                    elif index < len(call.args):
                        out.append((call.args[index], caller))
                return out
            if name in scope.assigned:
                return None
            scope = scope.parent
        return None

    def lookup(self, name: str) -> list[ast.AST] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.assigned:
                return scope.assigned[name]
            scope = scope.parent
        return None

    def is_event(self, name: str) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.events:
                return True
            scope = scope.parent
        return False


def build_scopes(tree: ast.Module, index: SyntaxIndex, parents: dict[ast.AST, ast.AST],
                 ) -> tuple[_Scope, dict[ast.AST, _Scope]]:
    """The module scope and one scope per function (methods are scoped under the
    module), with every scope's assignments and every module function's call sites.
    Functions are taken in source order (depth first), each under the function it is
    defined in; `parents` (of the module's walk) tells which are in the module read."""
    module = _Scope(None, None)
    _collect(module, tree.body, index)
    scopes: dict[ast.AST, _Scope] = {}
    for fn in index.functions:
        if fn not in parents:
            continue  # in a statement narrowing left out
        outer = parents[fn]
        while outer is not tree and outer.__class__ not in _FUNCTIONS:
            outer = parents[outer]
        scope = scopes[fn] = _Scope(fn, scopes[outer] if outer is not tree else module)
        _collect(scope, fn.body, index)
    return module, scopes


_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})


def _collect(scope: _Scope, body: list[ast.stmt], index: SyntaxIndex) -> None:
    """Assignments and loop targets of one scope (nested functions have their own), and
    the calls it makes to functions by name."""
    for node in index.own_nodes(body):
        kind = node.__class__
        if kind not in _BINDS_OR_CALLS:
            continue
        if kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            if isinstance(func, ast.Name):
                scope.calls.setdefault(func.id, []).append((node, scope))  # type: ignore[arg-type]
            elif isinstance(func, ast.Attribute) and func.attr in LIST_MUTATORS and \
                    isinstance(func.value, ast.Name):
                args = node.args[1:] if func.attr == "insert" else node.args  # type: ignore[attr-defined]
                scope.mutations.setdefault(func.value.id, []).extend((a, scope) for a in args)
        elif kind is ast.Assign:
            for t in node.targets:  # type: ignore[attr-defined]
                _bind_target(scope, t, node.value)  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign or kind is ast.AugAssign:
            if node.value is not None:  # type: ignore[attr-defined]
                _bind_target(scope, node.target, node.value)  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            if node.optional_vars is not None:  # type: ignore[attr-defined]
                _bind_target(scope, node.optional_vars, node.context_expr)  # type: ignore[attr-defined]
        elif kind is ast.NamedExpr:
            _bind_target(scope, node.target, node.value)  # type: ignore[attr-defined]
        else:  # a for loop or a comprehension
            _bind_target(scope, node.target, node.iter)  # type: ignore[attr-defined]


LIST_MUTATORS = frozenset({"append", "extend", "insert"})
_BINDS_OR_CALLS = frozenset({ast.Call, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For,
                             ast.AsyncFor, ast.comprehension, ast.withitem, ast.NamedExpr})


def _bind_target(scope: _Scope, target: ast.AST, value: ast.AST) -> None:
    if isinstance(target, ast.Name):
        scope.assigned.setdefault(target.id, []).append(value)
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            _bind_target(scope, elt, value)


def _is_environ(node: ast.AST) -> bool:
    return _dotted(node) in ("os.environ", "environ")


def origin(node: ast.AST | None, scope: _Scope, depth: int = 0) -> str:
    """Where a value comes from: `event` (any part of it is read from the event),
    `env` (environment variables and constants only), `constant`, or `unknown`."""
    if node is None or depth > MAX_DEPTH:
        return "unknown"
    key = (id(node), id(scope))
    found = scope.memo.get(key)
    if found is not None:
        return found
    scope.memo[key] = "unknown"  # a value that depends on itself is not known
    found = scope.memo[key] = _origin(node, scope, depth)
    return found


def _origin(node: ast.AST, scope: _Scope, depth: int) -> str:
    if isinstance(node, ast.Constant):
        return "constant"
    if isinstance(node, ast.Name):
        if scope.is_event(node.id):
            return "event"
        passed = scope.arguments(node.id)
        if passed:  # a helper's parameter: what its callers pass
            return combine_origins([origin(v, caller, depth + 1) for v, caller in passed])
        values = scope.lookup(node.id)
        if not values:
            return "unknown"
        put = scope.mutations.get(node.id, ())  # what `append`/`extend` put in it
        return combine_origins([origin(v, scope, depth + 1) for v in values] +
                               [origin(v, where, depth + 1) for v, where in put])
    if isinstance(node, ast.Subscript):
        if _is_environ(node.value):
            return "env"
        return origin(node.value, scope, depth + 1)
    if isinstance(node, ast.Attribute):
        if _is_environ(node):
            return "env"
        return origin(node.value, scope, depth + 1)
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name in ("os.getenv", "getenv", "os.environ.get", "environ.get"):
            return "env"
        parts = list(node.args) + [k.value for k in node.keywords]
        if isinstance(node.func, ast.Attribute):
            parts.append(node.func.value)
        found = [origin(p, scope, depth + 1) for p in parts]
        if id(node) in scope.sdk_calls:  # a service's answer: from the event if asked by it
            found.append("unknown")
        return combine_origins(found) if found else "unknown"
    if isinstance(node, ast.JoinedStr | ast.BinOp | ast.BoolOp | ast.IfExp | ast.FormattedValue):
        return combine_origins([origin(c, scope, depth + 1) for c in ast.iter_child_nodes(node)
                         if not isinstance(c, ast.operator | ast.boolop)])
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return origin(node.generators[0].iter, scope, depth + 1) if node.generators else "unknown"
    if isinstance(node, ast.Dict | ast.List | ast.Tuple):
        parts = list(node.values) if isinstance(node, ast.Dict) else list(node.elts)
        return combine_origins([origin(p, scope, depth + 1) for p in parts]) if parts else "constant"
    return "unknown"


# calls that hand on the items of what they are given, one by one (what a loop over them
# iterates is still the event's, if they were): `enumerate(event["Records"])`
ITEM_WRAPPERS = frozenset({"enumerate", "list", "tuple", "sorted", "reversed", "iter"})
MAPPING_VIEWS = frozenset({"items", "values", "keys"})


def read_from_event(node: ast.AST | None, scope: _Scope,
                    memo: dict[tuple[int, int], bool] | None = None, depth: int = 0) -> bool:
    """The value is a part of the event itself, read by a path: `event["Records"]`,
    `event.get("Records", [])`, `event["detail"]["items"]`, `json.loads(record["body"])`,
    a name bound only to such parts (a loop variable over one, `records = event[...]`), a
    helper's parameter every call passes one; wrapped in `enumerate`/`sorted`/...,
    `.items()`, `range(len(...))` or `... or []`. Not a value computed from the event:
    `table.query(Key=event["id"])["Items"]` is origin `event` (its key is), but its items
    are the table's, not the event's (what a loop over the event's records tells apart)."""
    if node is None or depth > MAX_DEPTH:
        return False
    memo = {} if memo is None else memo
    key = (id(node), id(scope))
    if key in memo:
        return memo[key]
    memo[key] = False  # a name bound to itself (`x = x["next"]`) is not followed
    found = memo[key] = _read_from_event(node, scope, memo, depth + 1)
    return found


def _read_from_event(node: ast.AST, scope: _Scope, memo: dict[tuple[int, int], bool],
                     depth: int) -> bool:
    def path(n: ast.AST | None, s: _Scope = scope) -> bool:
        return read_from_event(n, s, memo, depth)

    if isinstance(node, ast.Name):
        if scope.is_event(node.id):
            return True
        passed = scope.arguments(node.id)
        if passed:
            return all(path(v, caller) for v, caller in passed)
        values = scope.lookup(node.id)
        return bool(values) and all(path(v) for v in values)  # type: ignore[union-attr]
    if isinstance(node, ast.Subscript | ast.Attribute):
        return path(node.value)  # a key, an index, a slice, `event.records` (a data class)
    if isinstance(node, ast.Call):
        func, args = node.func, node.args
        name = _dotted(func)
        if isinstance(func, ast.Attribute) and func.attr == "get" and args and \
                isinstance(args[0], ast.Constant):
            return path(func.value)
        if isinstance(func, ast.Attribute) and func.attr in MAPPING_VIEWS and not args:
            return path(func.value)
        if name in ("json.loads", "loads") and len(args) == 1:
            return path(args[0])
        if name in ITEM_WRAPPERS and args:
            return path(args[0])
        if name == "filter" and len(args) == 2:
            return path(args[1])
        if name == "range" and len(args) == 1 and isinstance(args[0], ast.Call) and \
                _dotted(args[0].func) == "len" and len(args[0].args) == 1:
            return path(args[0].args[0])  # `for i in range(len(event["Records"]))`
        return False
    if isinstance(node, ast.BoolOp):  # `event.get("Records") or []`
        parts = [v for v in node.values if not _empty(v)]
        return bool(parts) and all(path(v) for v in parts)
    if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
        return bool(node.generators) and path(node.generators[0].iter)
    return False


def _empty(node: ast.AST) -> bool:
    """`[]`, `()`, `{}` or `None`: a default that adds no item."""
    if isinstance(node, ast.List | ast.Tuple):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    return isinstance(node, ast.Constant) and node.value is None


class _PyScan(ast.NodeVisitor):
    """Collect SDK client variables, SDK call sites, HTTP calls and decision points."""

    def __init__(self, module: _Scope, scopes: dict[ast.AST, _Scope], index: SyntaxIndex,
                 ) -> None:
        self.scopes = scopes
        self.children = index.children
        self.clients: dict[str, str] = {}  # variable (or self.attr) -> service
        self.table_names: dict[str, ast.AST] = {}  # Table variable -> its name argument
        # paginator variable -> (service, the operation it pages): `paginate(...)` makes it
        self.paginators: dict[str, tuple[str, str]] = {}
        self.document_clients: set[str] = set()  # variables bound to boto3 resources
        self.calls: list[SdkCall] = []
        self.observed: list[Evidence] = []
        self.http = 0
        self.decisions = 0
        self.functions = 0
        self.http_names = set(data()["http_python"])
        self.non_api = set(data()["non_api_methods"])
        self.scope = module
        # functions the module defines: a call of its own `urlopen` is no HTTP client's
        self.own_functions = {fn.name for fn in scopes
                              if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)}

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
            if attr in ("Table", "Bucket", "Object", "Queue", "Topic") or attr in WRITERS:
                return self.client_service(node.func.value)
        return None

    @staticmethod
    def _is_resource(node: ast.AST) -> bool:
        """`boto3.resource(...)` or something made from it (`.Table(...)`)."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "resource":
                return True
            node = node.func.value
        return False

    def _key(self, target: ast.AST) -> str | None:
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and \
                target.value.id == "self":
            return f"self.{target.attr}"
        return None

    def bind(self, target: ast.AST, value: ast.AST, service: str) -> None:
        key = self._key(target)
        if key is None:
            return
        self.clients[key] = service
        if self._is_resource(value):
            self.document_clients.add(key)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
                value.func.attr in ("Table", "Queue", "Topic", "Bucket") and value.args:
            self.table_names[key] = value.args[0]
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
                value.func.attr in WRITERS:
            parent = self._key(value.func.value)  # the writer writes to its table
            if parent in self.table_names:
                self.table_names[key] = self.table_names[parent]
            if parent in self.document_clients:
                self.document_clients.add(key)

    # -- traversal: NodeVisitor's order and recursion, over the index's child lists
    # (kept per class, unbound: a bound method kept on the instance would make the scan
    # a reference cycle, holding the whole tree until the collector runs)
    _visitors: dict[type, Callable[[_PyScan, ast.AST], None]] = {}

    def visit(self, node: ast.AST) -> None:
        visitor = self._visitors.get(node.__class__)
        if visitor is None:
            visitor = getattr(_PyScan, "visit_" + node.__class__.__name__, None)
            if visitor is None or node.__class__ is ast.Constant:
                visitor = _PyScan.generic_visit
            self._visitors[node.__class__] = visitor
        visitor(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        children = self.children
        for child in children[node]:
            if children[child]:  # a leaf (a name's context, a constant) holds nothing
                self.visit(child)

    # -- scopes
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions += 1
        outer = self.scope
        self.scope = self.scopes.get(node) or _Scope(node, outer)
        self.generic_visit(node)
        self.scope = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def paginator(self, node: ast.AST) -> tuple[str, str] | None:
        """(service, operation) of an expression naming a boto3 paginator
        (`client.get_paginator("scan")`, or a variable bound to one)."""
        key = self._key(node)
        if key is not None:
            return self.paginators.get(key)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "get_paginator":
            service = self.client_service(node.func.value)
            first = node.args[0] if node.args else None
            if service:
                op = first.value if isinstance(first, ast.Constant) and \
                    isinstance(first.value, str) else "paginate"
                return service, op
        return None

    # -- calls
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            service = self.client_service(func.value)
            paged = self.paginator(func.value) if func.attr == "paginate" else None
            if paged is not None:  # each page is one call of the operation
                self._sdk_call(node, func, paged[0], paged[1])
            elif service and func.attr not in self.non_api and not func.attr.startswith("_"):
                self._sdk_call(node, func, service)
            elif _dotted(func).split(".")[0] in self.http_names or func.attr in self.http_names:
                self.http += 1
        elif isinstance(func, ast.Name) and func.id in self.http_names and \
                func.id not in self.own_functions:
            self.http += 1  # `urlopen(...)`, unless the module defines its own `urlopen`
        self.generic_visit(node)

    def _sdk_call(self, node: ast.Call, func: ast.Attribute, service: str,
                  method: str | None = None) -> None:
        params = tuple(k.arg for k in node.keywords if k.arg)
        wanted = target_params(service)
        param, value = _find_target(node, wanted, self.scope)
        key = self._key(func.value)
        if param is None and key in self.table_names:
            param, value = "TableName", self.table_names[key]
        where = origin(value, self.scope) if param else None
        literal = _literal(value, self.scope) if where == "constant" else None
        self.calls.append(SdkCall(node.lineno, service, method or func.attr, params, param, where,
                                  literal))
        if key in self.document_clients and service_kind(service) == "dynamodb":
            self.observed.append(Evidence(node.lineno, "document-client",
                                          "plain JSON items through the boto3 resource API"))
        payload = [k.value for k in node.keywords if k.arg != param] + list(node.args)
        if any(_reads_whole(v, self.scope) for v in payload):
            self.observed.append(Evidence(node.lineno, "whole-event",
                                          "the whole event (the batch envelope) is sent"))
        mapped = sorted({f for v in payload for f in _mapped_fields(v, self.scope)})
        if len(mapped) >= 2:
            self.observed.append(Evidence(node.lineno, "maps-fields",
                                          "builds " + ", ".join(mapped) + " from the event"))

    # -- control flow
    def visit_If(self, node: ast.If) -> None:
        self.decisions += 1
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
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

    # -- imports
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._imported(a.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            self._imported(node.module, node.lineno)

    def _imported(self, module: str, line: int) -> None:
        if module.split(".")[0] in data()["work_python"]:
            self.observed.append(Evidence(line, "work", f"imports {module}"))


def _rejections(nodes: list[ast.AST], parents: dict[ast.AST, ast.AST],
                scopes: dict[ast.AST, _Scope], module: _Scope,
                index: SyntaxIndex) -> list[Evidence]:
    """`if ...: return {"statusCode": 4xx, ...}` (or in the `else`, or an `except`): the
    handler answers some requests itself (validation), which a native integration,
    forwarding every request, does not. The status may be a local variable assigned a
    4xx constant (`status = 400 ... return {"statusCode": status}`: the assignment or
    the return in a branch), or the answer a call of a module function that builds it
    (`return error_response(400, "...")`, `return bad_request("...")`: see
    _answer_builders). `nodes`: the module's nodes (a walk from its root), `parents`
    their parents."""
    builders = _answer_builders(nodes, index)
    out = []
    for ret in nodes:
        if not isinstance(ret, ast.Return) or ret.value is None:
            continue
        if isinstance(ret.value, ast.Dict):
            scope = _scope_of(ret, parents, scopes, module)
            statuses = [s for v in _status_values(ret.value)
                        for s in _client_errors(v, scope, parents, _in_branch(ret, parents))]
        elif isinstance(ret.value, ast.Call):
            statuses = _built_status(ret.value, builders, _scope_of(ret, parents, scopes, module),
                                     parents, _in_branch(ret, parents))
        else:
            continue
        out += [Evidence(ret.lineno, "rejects", f"answers status {s} itself")
                for s in sorted(set(statuses))]
    return out


def _status_values(answer: ast.Dict) -> list[ast.AST]:
    """The values of the `statusCode` keys of an answer written as a dict literal."""
    return [v for k, v in zip(answer.keys, answer.values, strict=True)
            if isinstance(k, ast.Constant) and k.value == "statusCode"]


def _is_client_error(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and \
        400 <= node.value < 500


def _client_errors(value: ast.AST, scope: _Scope, parents: dict[ast.AST, ast.AST],
                   branch: bool) -> list[int]:
    """The 4xx statuses a `statusCode` value gives: a 4xx constant (the answer in a
    branch), or a local name one of whose assignments is a 4xx constant, when the
    answer is in a branch, or that assignment is (`status = 400` under an `if`), or the
    name is assigned something else too (`status = 400` first, `200` when it passes)."""
    if _is_client_error(value):
        return [value.value] if branch else []  # type: ignore[attr-defined]
    if not isinstance(value, ast.Name):
        return []
    values = scope.lookup(value.id) or []
    chosen = branch or any(not _is_client_error(v) for v in values)
    return [v.value for v in values  # type: ignore[attr-defined]
            if _is_client_error(v) and (chosen or _in_branch(v, parents))]


def _scope_of(node: ast.AST, parents: dict[ast.AST, ast.AST], scopes: dict[ast.AST, _Scope],
              module: _Scope) -> _Scope:
    cur = parents.get(node)
    while cur is not None and cur.__class__ not in _FUNCTIONS:
        cur = parents.get(cur)
    return scopes.get(cur, module) if cur is not None else module


def _answer_builders(nodes: list[ast.AST], index: SyntaxIndex,
                     ) -> dict[str, tuple[list[str], set[int | str]]]:
    """Module functions that return an answer dict: name -> (their parameters, what
    their `statusCode` is: a 4xx constant, or the name of the parameter it is taken
    from). `def error_response(code, msg): return {"statusCode": code, ...}`, `def
    bad_request(msg): return {"statusCode": 400, ...}`; a dict built in a local name
    and returned (`resp = {...}; return resp`) too. Each function's nodes are the
    index's walk (the order of `ast.walk`, listed once for both loops)."""
    out: dict[str, tuple[list[str], set[int | str]]] = {}
    for fn in nodes:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        locals_: dict[str, list[ast.AST]] = {}
        below = index.walk(fn)
        for node in below:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        locals_.setdefault(t.id, []).append(node.value)
        statuses: set[int | str] = set()
        for node in below:
            if not isinstance(node, ast.Return) or node.value is None:
                continue
            answers = [node.value] if isinstance(node.value, ast.Dict) else \
                locals_.get(node.value.id, []) if isinstance(node.value, ast.Name) else []
            for answer in answers:
                for v in _status_values(answer) if isinstance(answer, ast.Dict) else ():
                    if _is_client_error(v):
                        statuses.add(v.value)  # type: ignore[attr-defined]
                    elif isinstance(v, ast.Name) and v.id in params and v.id not in locals_:
                        statuses.add(v.id)
        if statuses:
            out.setdefault(fn.name, (params, statuses))
    return out


def _built_status(call: ast.Call, builders: dict[str, tuple[list[str], set[int | str]]],
                  scope: _Scope, parents: dict[ast.AST, ast.AST], branch: bool) -> list[int]:
    """The 4xx statuses an answer built by a call of a module function gives (its own
    4xx constant, the call in a branch; or what the call passes for the parameter it
    takes the status from, read as a `statusCode` value: _client_errors)."""
    name = call.func.id if isinstance(call.func, ast.Name) else None
    if name not in builders:
        return []
    params, statuses = builders[name]  # type: ignore[index]
    out = [s for s in statuses if isinstance(s, int)] if branch else []
    for s in statuses:
        if not isinstance(s, str):
            continue
        passed = next((k.value for k in call.keywords if k.arg == s), None)
        if passed is None and params.index(s) < len(call.args):
            passed = call.args[params.index(s)]
        if passed is not None:
            out += _client_errors(passed, scope, parents, branch)
    return out


def _in_branch(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """`node` is inside a branch (the body or the else, not the test) of some `if`, or in
    an `except` block (`except ValueError: return {"statusCode": 400}`: malformed input
    answered by the handler)."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.If) and any(s is child for s in parent.body + parent.orelse):
            return True
        if isinstance(parent, ast.ExceptHandler):
            return True
        child, parent = parent, parents.get(parent)
    return False


def _literal(node: ast.AST | None, scope: _Scope) -> str | None:
    """A target written as one string: a literal, or a name assigned only that literal."""
    if isinstance(node, ast.Name):
        values = scope.lookup(node.id) or []
        node = values[0] if len(values) == 1 else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def _find_target(call: ast.Call, wanted: tuple[str, ...], scope: _Scope,
                 ) -> tuple[str | None, ast.AST | None]:
    """The parameter naming the call's target and its value: a keyword, or a key of a
    dict literal passed to it (`Entries=[{"EventBusName": ...}]`, `**params`)."""
    if not wanted:
        return None, None
    for kw in call.keywords:
        if kw.arg and kw.arg.lower() in wanted:
            return kw.arg, kw.value
    for kw in call.keywords:
        found = _dict_key(kw.value, wanted, scope, 0)
        if found is not None:
            return found
    for arg in call.args:
        found = _dict_key(arg, wanted, scope, 0)
        if found is not None:
            return found
    return None, None


def _dict_key(node: ast.AST, wanted: tuple[str, ...], scope: _Scope,
              depth: int) -> tuple[str, ast.AST] | None:
    if depth > 3:
        return None
    if isinstance(node, ast.Name):
        for value in scope.lookup(node.id) or ():
            found = _dict_key(value, wanted, scope, depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and isinstance(k.value, str) and \
                    k.value.lower() in wanted:
                return k.value, v
        return None
    if isinstance(node, ast.List | ast.Tuple):
        for elt in node.elts:
            found = _dict_key(elt, wanted, scope, depth + 1)
            if found is not None:
                return found
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return _dict_key(node.elt, wanted, scope, depth + 1)
    if isinstance(node, ast.Call) and _dotted(node.func) == "dict":
        for kw in node.keywords:
            if kw.arg and kw.arg.lower() in wanted:
                return kw.arg, kw.value
    return None


def _reads_whole(node: ast.AST, scope: _Scope) -> bool:
    """The value uses the event object itself (`json.dumps(event)`), not a part of it."""
    for parent in ast.walk(node):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Name) and scope.is_event(child.id) and not (
                    isinstance(parent, ast.Subscript | ast.Attribute) and parent.value is child):
                return True
    return isinstance(node, ast.Name) and scope.is_event(node.id)


def _mapped_fields(node: ast.AST, scope: _Scope) -> list[str]:
    """Keys of a dict literal whose values are read from the event: a field mapping."""
    if isinstance(node, ast.Name):
        values = scope.lookup(node.id) or []
        return _mapped_fields(values[-1], scope) if len(values) == 1 else []
    if not isinstance(node, ast.Dict):
        return []
    out = []
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and isinstance(k.value, str) and \
                origin(v, scope) == "event":
            out.append(k.value)
    return out


def _bound_names(stmt: ast.stmt, index: SyntaxIndex) -> list[str]:
    """The module-level names a statement binds (a def, a class, an assignment)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    return sorted({name for t in targets for name in index.names_in(t)})


def narrow_to_handler(tree: ast.Module, function: str,
                      index: SyntaxIndex) -> tuple[set[int], bool]:
    """Keep, of a module's top-level functions and classes, the handler `function` and
    what it reaches by name in the same file (helpers it calls or passes on, classes it
    uses, functions registered on a module object it uses through a decorator, values of
    module variables it reads); other top-level statements (clients, constants, imports)
    stay. One file often holds several functions' handlers: each is judged on its own.

    Returns the ids of the dropped statements and whether `function` is defined in the
    module at all (a def, a class, or an assignment such as `handler = Mangum(app)`)."""
    defs = [s for s in tree.body
            if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    uses: dict[str, set[str]] = {}  # a module-level name -> the names its binders use
    for stmt in tree.body:
        for name in _bound_names(stmt, index):
            uses.setdefault(name, set()).update(index.names_in(stmt))
    if function not in uses:
        return set(), False
    # `@app.get("/x")` registers a route on `app`: a handler using `app` reaches it
    registered: dict[str, set[str]] = {}
    for d in defs:
        for dec in d.decorator_list:
            for name in index.names_in(dec):
                registered.setdefault(name, set()).add(d.name)
    seen = reachable(function, lambda name: uses.get(name, set()) | registered.get(name, set()))
    return {id(d) for d in defs if d.name not in seen}, True


def _defined_anywhere(nodes: list[ast.AST], function: str) -> bool:
    """`function` is bound somewhere in the module (`nodes`: a walk of it) other than at
    its top level."""
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and \
                node.name == function:
            return True
        if isinstance(node, ast.Name) and node.id == function and \
                isinstance(node.ctx, ast.Store):
            return True
    return False


def _imported_from(tree: ast.Module, function: str) -> str | None:
    """The module a top-level `from m import function` takes the handler from."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(
                (a.asname or a.name) == function for a in stmt.names):
            return "." * stmt.level + (stmt.module or "")
    return None


def _blank_lines(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the 1-based line spans emptied (line numbers kept)."""
    lines = text.splitlines()
    for lo, hi in spans:
        for i in range(lo - 1, min(hi, len(lines))):
            lines[i] = ""
    return "\n".join(lines)


def inspect_python(text: str, function: str | None = None) -> tuple[HandlerReport, int]:
    """Scan a module; with `function` (the name `Handler` gives), only that handler and
    what it reaches in the module (see narrow_to_handler)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return HandlerReport("python", "unknown", reasons=[f"not parseable: {exc}"]), 0
    index = SyntaxIndex(tree)
    if function:
        dropped, found = narrow_to_handler(tree, function, index)
        if not found and _defined_anywhere(index.walk(tree), function):
            dropped = set()  # bound inside a top-level `if`/`try`: the file is read whole
        elif not found:
            source = _imported_from(tree, function)
            where = f"imported from {source}, not" if source else "not"
            return HandlerReport("python", "unknown", reasons=[
                f"{NOT_FOUND} {function} is {where} defined in the file"]), 0
        gone = [s for s in tree.body if id(s) in dropped]
        spans = [(min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", [])]),
                  s.end_lineno or s.lineno) for s in gone]
        if gone:  # a module of the statements kept (the parsed tree is left as it is)
            tree = ast.Module(body=[s for s in tree.body if id(s) not in dropped],
                              type_ignores=tree.type_ignores)
            index.add_parent(tree)
        text = _blank_lines(text, spans)
    nodes = index.walk(tree)  # every reader below iterates this one walk
    parents = index.parents(nodes)
    module, scopes = build_scopes(tree, index, parents)
    try:
        return _scan(tree, text, nodes, parents, index, module, scopes)
    finally:
        module.calls.clear()  # call sites -> scopes -> call sites: freed now, not by the collector


def _scan(tree: ast.Module, text: str, nodes: list[ast.AST], parents: dict[ast.AST, ast.AST],
          index: SyntaxIndex, module: _Scope, scopes: dict[ast.AST, _Scope],
          ) -> tuple[HandlerReport, int]:
    """The SDK calls, facts and markers of a module whose scopes are built."""
    scan = _PyScan(module, scopes, index)
    # Two passes: clients bound anywhere (module level, __init__, inside the handler)
    # are known before the calls are read.
    for node in nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            if value is None:
                continue
            service = scan.client_service(value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if service:
                for t in targets:
                    scan.bind(t, value, service)
            paged = scan.paginator(value) if isinstance(value, ast.Call) else None
            for t in targets if paged else ():
                key = scan._key(t)
                if key is not None:
                    scan.paginators[key] = paged  # type: ignore[assignment]
    for node in nodes:
        # `with table.batch_writer() as batch:`: batch.put_item/delete_item are writes to
        # the table (after the pass above, which bound `table`)
        if isinstance(node, ast.withitem) and node.optional_vars is not None:
            service = scan.client_service(node.context_expr)
            if service:
                scan.bind(node.optional_vars, node.context_expr, service)
    for node in nodes:  # after both passes above, which bound every client
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr not in scan.non_api and scan.client_service(node.func.value):
            module.sdk_calls.add(id(node))

    try:
        scan.visit(tree)
    except RecursionError:
        return HandlerReport("python", "unknown", reasons=["not read: nested too deeply"]), 0
    observed = scan.observed + markers(text, data()["markers_python"]) + \
        handler_facts(tree, nodes, index, parents, scopes, module, scan.calls) + \
        _rejections(nodes, parents, scopes, module, index)  # type: ignore[arg-type]
    report = HandlerReport("python", "unknown", calls=sorted(scan.calls), http_calls=scan.http,
                           decisions=scan.decisions, observed=sorted(set(observed)))
    return report, scan.functions
