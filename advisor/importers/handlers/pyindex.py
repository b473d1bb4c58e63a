"""The children of every node of a parsed Python module, listed once.

Every reader of a handler (scopes, the SDK-call scan, the handler facts, narrowing,
rejections) walks the same syntax tree; `ast.iter_child_nodes` rebuilds each node's
children from its fields on every walk, which made the walks most of the cost of
reading a handler. `SyntaxIndex` lists them once; its walks visit nodes in exactly the
orders `ast.walk` (breadth first) and a stack over `iter_child_nodes` give (less the
contexts and operators no reader looks at), so what the readers find, and the order they
find it in, does not change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

# a function, class or lambda body is its own scope: block-local walks stop at them
SCOPE_BARRIERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# fixed tokens, not listed as children: a name's load/store context and the operators
# (`+`, `and`, `not`, `<`); no reader looks for them among the nodes it walks (a reader
# that needs one asks its parent: `name.ctx`, `binop.op`)
TOKENS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


class SyntaxIndex:
    """`children[node]`: the child nodes of `node`, in `ast.iter_child_nodes` order
    (contexts and operators left out: TOKENS); `functions`: every function definition
    added, in source order (depth first)."""

    def __init__(self, root: ast.AST) -> None:
        self.children: dict[ast.AST, list[ast.AST]] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self._names: dict[ast.AST, frozenset[str]] = {}
        self.add(root)

    def add(self, root: ast.AST) -> None:
        """List the children of `root` and of every node below it."""
        children = self.children
        functions = self.functions
        fields_of = _node_fields.get
        todo = [root]
        while todo:
            node = todo.pop()
            cls = node.__class__
            kids: list[ast.AST] = []
            for name in fields_of(cls) or _fields_of(cls):  # _child_nodes, inlined
                value = getattr(node, name, None)
                if isinstance(value, ast.AST):
                    kids.append(value)
                elif isinstance(value, list):
                    kids += [item for item in value if isinstance(item, ast.AST)]
            children[node] = kids
            if cls in _FUNCTIONS:
                functions.append(node)  # type: ignore[arg-type]
            if kids:
                todo += reversed(kids)  # popped first to last: depth first, in order

    def add_parent(self, node: ast.AST) -> None:
        """List a new node whose children are listed already (a module of some of the
        statements of one added before)."""
        self.children[node] = _child_nodes(node)

    def walk(self, node: ast.AST) -> list[ast.AST]:
        """`list(ast.walk(node))`: `node` and every node below it, breadth first."""
        children = self.children
        out = [node]
        i = 0
        while i < len(out):
            out.extend(children[out[i]])
            i += 1
        return out

    def own_nodes(self, body: Iterable[ast.AST]) -> list[ast.AST]:
        """The nodes of a block, not those of functions, classes or lambdas defined in
        it, in the order of a stack over `iter_child_nodes` (last statement first)."""
        children = self.children
        todo: list[ast.AST] = list(body)
        out: list[ast.AST] = []
        while todo:
            node = todo.pop()
            if isinstance(node, SCOPE_BARRIERS):
                continue
            out.append(node)
            todo.extend(children[node])
        return out

    def names_in(self, node: ast.AST) -> frozenset[str]:
        """The identifiers (`ast.Name`) used anywhere below `node` (kept per node)."""
        found = self._names.get(node)
        if found is None:
            found = self._names[node] = frozenset(
                n.id for n in self.walk(node) if isinstance(n, ast.Name))
        return found

    def parents(self, nodes: list[ast.AST]) -> dict[ast.AST, ast.AST]:
        """child -> parent over `nodes` (a walk from the root)."""
        children = self.children
        return {child: parent for parent in nodes for child in children[parent]}


_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
# Fields that by the grammar of `ast` (Parser/Python.asdl) hold no node, or only TOKENS:
# identifiers, numbers and strings; a constant's value. Not read when listing children.
_NOT_NODES = frozenset({"id", "attr", "arg", "name", "asname", "module", "level", "kind",
                        "type_comment", "conversion", "is_async", "ctx", "op", "ops"})
_node_fields: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type) -> tuple[str, ...]:
    found = _node_fields.get(cls)
    if found is None:
        found = _node_fields[cls] = tuple(
            f for f in cls._fields  # type: ignore[attr-defined]
            if f not in _NOT_NODES and not (cls is ast.Constant and f == "value"))
    return found


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """`list(ast.iter_child_nodes(node))` without the fixed tokens (see TOKENS)."""
    out: list[ast.AST] = []
    for name in _fields_of(node.__class__):
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
    return out
