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
    (contexts and operators left out: TOKENS)."""

    def __init__(self, root: ast.AST) -> None:
        self.children: dict[ast.AST, list[ast.AST]] = {}
        self._names: dict[ast.AST, frozenset[str]] = {}
        self.add(root)

    def add(self, root: ast.AST) -> None:
        """List the children of `root` and of every node below it not listed yet."""
        children = self.children
        todo = [root]
        while todo:
            node = todo.pop()
            if node in children:
                continue
            kids = _child_nodes(node)
            children[node] = kids
            todo.extend(kids)

    def relist(self, node: ast.AST) -> None:
        """`node`'s fields were replaced (a module whose body was narrowed)."""
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
        """child -> parent over `nodes` (a walk from the root; a node listed under two
        parents, such as a shared `Load` context, keeps the last)."""
        children = self.children
        return {child: parent for parent in nodes for child in children[parent]}


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """`list(ast.iter_child_nodes(node))` without the fixed tokens (see TOKENS)."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            if not isinstance(value, TOKENS):
                out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value
                       if isinstance(item, ast.AST) and not isinstance(item, TOKENS))
    return out
