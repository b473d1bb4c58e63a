"""What a Python handler does with its batch, its errors and the results of batch APIs.

Three facts, each kept as evidence (`Evidence`, kind from data.yaml `handler_facts`) with
the line of the code that shows it; the engine's handler checks turn them into findings
(advisor/engine/handler_checks.py). Each is recorded only when the code shows it beyond
doubt: anything the scan cannot follow (the value is returned, passed to a helper, kept in
a list) records nothing, since a finding on real code that is wrong costs more trust than
a missed one.

- `first-record-only`: the handler reads `event["Records"][0]` and no other part of
  `event["Records"]` (no loop, no `len`, no other index);
- `catch-all`: a bare `except:` / `except Exception` / `except BaseException` around an
  SDK call (directly, or a module function that makes one) whose body neither re-raises,
  exits, nor records the failure (appends it, names a failure, makes an SDK call);
- `per-record-call`: an SDK call that changes something (or an HTTP call) inside a loop
  over the event's records (directly or in a module function called there): what a
  whole-batch retry repeats for the records already processed. A loop over the items of
  something the handler computed (`for item in table.query(...)["Items"]`, `for row in
  resp["Items"]`) is not a loop over its records;
- `unchecked-result`: the result of a batch API whose failed entries come back in the
  response instead of an exception (data.yaml `batch_results`: PutEvents, PutRecords,
  SendMessageBatch, PublishBatch, PutRecordBatch) is discarded or only printed/logged.
"""

from __future__ import annotations

import ast

from advisor.importers.handlers.pyindex import SCOPE_BARRIERS, SyntaxIndex
from advisor.importers.handlers.verdict import (
    Evidence,
    SdkCall,
    batch_result_fields,
    changes_something,
    data,
    norm,
)

CATCH_ALL = frozenset({"Exception", "BaseException"})
LOG_CALLS = ("print", "logger.", "logging.", "log.", "LOGGER.", "LOG.", "tracer.", "metrics.")
RECORDS = "Records"


def handler_facts(tree: ast.Module, nodes: list[ast.AST], index: SyntaxIndex,
                  parents: dict[ast.AST, ast.AST], scopes: dict[ast.AST, object],
                  module: object, calls: list[SdkCall]) -> list[Evidence]:
    """`nodes`: the module's walk (every check below iterates it), `parents` their
    parents; `index`: their children."""
    events = _event_names(scopes, module)
    out: list[Evidence] = []
    out += _first_record_only(nodes, parents, events)
    out += _catch_all(nodes, index, calls)
    out += _unchecked_results(tree, nodes, index, parents, calls)
    out += _per_record_read(nodes, index, parents, scopes, module, calls)
    return out + _per_record_call(nodes, index, parents, scopes, module, calls)


# ------------------------------------------------------------------ Records[0] only
def _event_names(scopes: dict[ast.AST, object], module: object) -> set[str]:
    """Names of event parameters of the module's functions (`event`, `evt`, ...)."""
    names: set[str] = set()
    for scope in [module, *scopes.values()]:
        names |= set(getattr(scope, "events", ()) or ())
    return names


def _is_records_read(node: ast.AST) -> bool:
    """`X["Records"]` or `X.get("Records", ...)`."""
    if isinstance(node, ast.Subscript):
        s = node.slice
        return isinstance(s, ast.Constant) and s.value == RECORDS
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr == "get" and node.args:
        first = node.args[0]
        return isinstance(first, ast.Constant) and first.value == RECORDS
    return False


def _records_root(node: ast.AST) -> ast.AST:
    return node.value if isinstance(node, ast.Subscript) else node.func.value  # type: ignore[attr-defined]


def _first_record_only(nodes: list[ast.AST], parents: dict[ast.AST, ast.AST],
                       events: set[str]) -> list[Evidence]:
    """Every read of the event's `Records` takes index 0, and at least one is on the
    event parameter itself."""
    first: list[int] = []
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in events and isinstance(
                parents.get(node), ast.Call) and node in parents[node].args + [  # type: ignore[attr-defined]
                    k.value for k in parents[node].keywords] and not _is_log_call(parents[node]):  # type: ignore[attr-defined]
            return []  # the whole event goes to a helper, which may read every record
        if not _is_records_read(node):
            continue
        root = _records_root(node)
        parent = parents.get(node)
        indexed_zero = isinstance(parent, ast.Subscript) and parent.value is node and \
            isinstance(parent.slice, ast.Constant) and parent.slice.value == 0
        if not indexed_zero:
            return []  # iterated, counted, sliced or passed on: the batch is seen
        if isinstance(root, ast.Name) and root.id in events:
            first.append(node.lineno)
    if not first:
        return []
    return [Evidence(min(first), "first-record-only",
                     'reads only event["Records"][0], never the other records of the batch')]


# ------------------------------------------------------------------ per-record calls
def _makers(nodes: list[ast.AST], calls: list[SdkCall]) -> dict[str, SdkCall]:
    """Module functions by name -> the first SDK call they make (calling one is making it)."""
    out: dict[str, SdkCall] = {}
    if not calls:
        return out
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lo, hi = node.lineno, node.end_lineno or node.lineno
            inside = [c for c in calls if lo <= c.line <= hi]
            if inside:
                out.setdefault(node.name, min(inside))
    return out


def _per_record_call(nodes: list[ast.AST], index: SyntaxIndex, parents: dict[ast.AST, ast.AST],
                     scopes: dict[ast.AST, object], module: object,
                     calls: list[SdkCall]) -> list[Evidence]:
    """The first call that changes something made for each record of the event."""
    writes = [c for c in calls if changes_something(c)]
    return _in_record_loop(nodes, index, parents, scopes, module, writes,
                           "per-record-call", http=True, records_only=True)


def _per_record_read(nodes: list[ast.AST], index: SyntaxIndex, parents: dict[ast.AST, ast.AST],
                     scopes: dict[ast.AST, object], module: object,
                     calls: list[SdkCall]) -> list[Evidence]:
    """The first read (get, query, list, scan...) made inside a loop: for each item of the
    event, of something computed from it (the items a query keyed by the event found),
    of a module constant (`for t in TABLES: ddb.scan(TableName=t)`), or in a `while`
    loop (pages fetched by hand). The function fetches several times and combines the
    answers, which no integration does (it makes one call per request). Wider than the
    per-record call on purpose: the fact only makes the verdict `logic`, never `glue`."""
    reads = [c for c in calls if not changes_something(c)
             and norm(c.service) not in set(data()["aux_services"]) | set(data()["sdk_libraries"])]
    return _in_record_loop(nodes, index, parents, scopes, module, reads,
                           "per-record-read", http=False, records_only=False)


def _in_record_loop(nodes: list[ast.AST], index: SyntaxIndex, parents: dict[ast.AST, ast.AST],
                    scopes: dict[ast.AST, object], module: object, wanted: list[SdkCall],
                    kind: str, http: bool, records_only: bool) -> list[Evidence]:
    """The first of `wanted` (or, with `http`, an HTTP call) made inside a loop over the
    event's records (a part of the event itself: python.read_from_event), directly or in
    a module function called there; without `records_only`, inside any loop (`for` over
    anything, `while`), said as such."""
    from advisor.importers.handlers.python import read_from_event

    writes = wanted
    makers = _makers(nodes, writes)
    # an HTTP client's name, unless the module defines its own function of that name
    http_names = set(data()["http_python"]) - {n.name for n in nodes if isinstance(
        n, ast.FunctionDef | ast.AsyncFunctionDef)} if http else set()
    kinds = (ast.For, ast.AsyncFor) if records_only else (ast.For, ast.AsyncFor, ast.While)
    for node in sorted((n for n in nodes if isinstance(n, kinds)), key=lambda n: n.lineno):
        # what the loop makes, found before what it iterates is read
        lo, hi = _span(node.body)
        made = [(c.line, c.text(), "") for c in writes if lo <= c.line <= hi]
        for inner in index.own_nodes(node.body):
            if not isinstance(inner, ast.Call):
                continue
            name = dotted(inner.func)
            if isinstance(inner.func, ast.Name) and name in makers:
                made.append((inner.lineno, makers[name].text(), f" (through {name})"))
            elif name.split(".")[0] in http_names or name.rsplit(".", 1)[-1] in http_names:
                made.append((inner.lineno, f"an HTTP call ({name})", ""))
        if not made:
            continue
        owner = _owner(node, parents, scopes, module)
        if isinstance(node, ast.While):
            each = f"in a loop (while {_short(node.test)})"
        elif read_from_event(node.iter, owner):  # type: ignore[arg-type]
            each = "for each record"
        elif not records_only:
            each = f"for each item of {_short(node.iter)}"
        else:
            continue
        line, what, through = min(made)
        return [Evidence(line, kind, f"{what} {each}{through}")]
    return []


def _short(node: ast.AST) -> str:
    """The code of an expression, for a fact's text (cut at 40 characters; `; ` is the
    evidence separator and never in it)."""
    text = " ".join(ast.unparse(node).split()).replace("; ", ", ")
    return text if len(text) <= 40 else text[:37] + "..."


def _owner(node: ast.AST, parents: dict[ast.AST, ast.AST], scopes: dict[ast.AST, object],
           module: object) -> object:
    """The scope whose own code holds `node`: the function it is in, the module when it
    is in no function or in a class or lambda of one (those have no scope)."""
    cur = parents.get(node)
    while cur is not None and not isinstance(cur, SCOPE_BARRIERS):
        cur = parents.get(cur)
    return scopes.get(cur, module) if cur is not None else module


# ------------------------------------------------------------------ catch-all
def _catches_all(handler: ast.ExceptHandler) -> str | None:
    """`except:` / `except Exception` / `except (ValueError, Exception)` as written."""
    t = handler.type
    if t is None:
        return "except:"
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    for n in names:
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else ""
        if name in CATCH_ALL:
            return f"except {name}"
    return None


def _span(body: list[ast.stmt]) -> tuple[int, int]:
    return body[0].lineno, max(getattr(s, "end_lineno", s.lineno) or s.lineno for s in body)


def _records_failure(body: list[ast.stmt], index: SyntaxIndex) -> bool:
    """The except body re-raises, exits, or keeps the failure somewhere (appends it, sets
    a flag or list named after failures, names batchItemFailures)."""
    for node in index.own_nodes(body):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in ("sys.exit", "exit", "os._exit", "quit") or \
                    name.rsplit(".", 1)[-1] in ("append", "add", "extend", "put", "insert"):
                return True
        if isinstance(node, ast.Name) and "fail" in node.id.lower():
            return True
        if isinstance(node, ast.Attribute) and "fail" in node.attr.lower():
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                node.value in ("batchItemFailures", "itemIdentifier"):
            return True
    return False


def _catch_all(nodes: list[ast.AST], index: SyntaxIndex, calls: list[SdkCall]) -> list[Evidence]:
    sdk_lines = {c.line: c for c in calls}
    makers = _makers(nodes, calls)  # calling one inside `try` is processing too
    # a try inside an except block handles the handling (a fallback report that fails):
    # the outer block decides what becomes of the failure
    handling = [_span(h.body) for n in nodes if isinstance(n, ast.Try | ast.TryStar)
                for h in n.handlers if h.body]
    out = []
    for node in nodes:
        if not isinstance(node, ast.Try | ast.TryStar) or not node.body:
            continue
        if any(lo <= node.lineno <= hi for lo, hi in handling):
            continue
        lo, hi = _span(node.body)
        around = [c for line, c in sorted(sdk_lines.items()) if lo <= line <= hi]
        if not around:
            for inner in index.own_nodes(node.body):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and \
                        inner.func.id in makers:
                    around = [makers[inner.func.id]]
                    break
        if not around:
            continue
        for handler in node.handlers:
            written = _catches_all(handler)
            if written is None or not handler.body:
                continue
            hlo, hhi = _span(handler.body)
            if any(hlo <= line <= hhi for line in sdk_lines) or _records_failure(handler.body, index):
                continue
            out.append(Evidence(handler.lineno, "catch-all",
                                f"`{written}` catches every error around {around[0].text()}"
                                f" (line {around[0].line}) and does not re-raise"))
    return out


# ------------------------------------------------------------------ batch results
def _is_log_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = dotted(node.func)
    return name == "print" or name.startswith(LOG_CALLS[1:])


def _inside_log(node: ast.AST, parents: dict[ast.AST, ast.AST], stop: ast.AST) -> bool:
    cur = parents.get(node)
    while cur is not None and cur is not stop:
        if _is_log_call(cur):
            return True
        if isinstance(cur, ast.stmt):
            return False
        cur = parents.get(cur)
    return False


def _reads_field(use: ast.Name, parent: ast.AST | None, fields: tuple[str, ...]) -> bool:
    if isinstance(parent, ast.Subscript) and parent.value is use:
        s = parent.slice
        return isinstance(s, ast.Constant) and s.value in fields
    if isinstance(parent, ast.Attribute) and parent.value is use and parent.attr == "get":
        return False  # judged at the call below
    return False


def _get_field(use: ast.Name, parents: dict[ast.AST, ast.AST], fields: tuple[str, ...]) -> bool:
    attr = parents.get(use)
    call = parents.get(attr) if attr is not None else None
    return isinstance(attr, ast.Attribute) and attr.attr == "get" and \
        isinstance(call, ast.Call) and bool(call.args) and \
        isinstance(call.args[0], ast.Constant) and call.args[0].value in fields


def _result_checked(var: str, scope: ast.AST, after: int, index: SyntaxIndex,
                    parents: dict[ast.AST, ast.AST], fields: tuple[str, ...]) -> bool | None:
    """True: a failure field of `var` is read; False: `var` is never read but to be
    printed/logged; None: it is used in a way the scan does not follow (returned, passed
    on, stored), so nothing is claimed."""
    uses = [n for n in index.walk(scope) if isinstance(n, ast.Name) and n.id == var
            and isinstance(n.ctx, ast.Load) and n.lineno >= after]
    unknown = False
    for use in uses:
        parent = parents.get(use)
        if _reads_field(use, parent, fields) or _get_field(use, parents, fields):
            return True
        if _inside_log(use, parents, scope):
            continue
        unknown = True
    return None if unknown else False


def _unchecked_results(tree: ast.Module, nodes: list[ast.AST], index: SyntaxIndex,
                       parents: dict[ast.AST, ast.AST], calls: list[SdkCall]) -> list[Evidence]:
    wanted = {(c.line, c.method): c for c in calls if batch_result_fields(c)}
    out = []
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        call = wanted.get((node.lineno, node.func.attr))
        if call is None:
            continue
        fields = batch_result_fields(call)
        expr: ast.AST = node
        parent = parents.get(expr)
        while isinstance(parent, ast.Await):
            expr, parent = parent, parents.get(parent)
        how: str | None = None
        if isinstance(parent, ast.Expr):
            how = "the result is discarded"
        elif _inside_log(expr, parents, tree):
            how = "the result is only logged"
        elif isinstance(parent, ast.Assign | ast.AnnAssign) and \
                isinstance(t := (parent.targets[0] if isinstance(parent, ast.Assign)
                                 else parent.target), ast.Name) and \
                (not isinstance(parent, ast.Assign) or len(parent.targets) == 1):
            scope = _enclosing_function(parent, parents) or tree
            checked = _result_checked(t.id, scope, parent.lineno, index, parents, fields)
            if checked is False:
                how = f"`{t.id}` is only logged or unused"
        if how is None:
            continue
        out.append(Evidence(call.line, "unchecked-result",
                            f"{call.text()}: {how}, so {fields[0]} is never read"
                            " (failed entries come back in the response, not as an error)"))
    return out


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
    cur = parents.get(node)
    while cur is not None:
        if isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef):
            return cur
        cur = parents.get(cur)
    return None


def dotted(node: ast.AST) -> str:
    """The dotted name of an attribute chain (`boto3.client`, `os.environ`)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))
