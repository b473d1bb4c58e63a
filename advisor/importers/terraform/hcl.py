"""HCL text -> blocks with partially evaluated values, keeping lines and comments.

Why not `hcl2.loads`: its dicts turn every expression that is not a literal into a
`${...}` string, so `jsonencode({...})` (redrive policies, state machine definitions,
OpenAPI bodies) arrives as opaque text and the references inside it are lost; it also
drops lines unless asked and keeps comments apart from their block. We use python-hcl2's
parser (`hcl2.parses_to_tree`, a lark LALR tree with positions) and evaluate the tree
here, only as far as an importer needs:

- literals become Python values; `jsonencode(x)` / `yamlencode(x)` become `x`;
- traversals (`aws_sqs_queue.q.arn`, `module.m.out`, `var.x`) become `Ref`s;
- `file()` / `templatefile()` read a file beside the module through a callback;
- anything else (conditionals, other functions, for-expressions) becomes an `Expr`
  that keeps its source text and the evaluated parts, so references inside still count.

Nothing is executed; the walk is bounded by the tree the parser built.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from advisor.errors import AdvisorError, Diagnostic, with_source


@dataclass(frozen=True)
class Ref:
    """A traversal such as `aws_sqs_queue.q.arn` (indexes kept as written: `x.y[0].z`).

    `home` is the module instance the reference must be resolved in, set when evaluation
    moves a value out of the module that wrote it (a parent's argument inlined into a
    child's resource, a child's output read by the parent); None means "where it sits".
    """

    path: str
    line: int = 0
    home: Any = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return "${" + self.path + "}"


@dataclass(frozen=True)
class Expr:
    """An expression we do not evaluate; `parts` holds what was evaluated inside it."""

    text: str
    parts: tuple[Any, ...] = ()
    func: str = ""
    line: int = 0
    # what advisor.importers.terraform.evaluate needs to compute it: ("cond", c, a, b),
    # ("binop", op, a, b), ("unop", op, x), ("call", name, args, expand), ("template",
    # pieces), ("for", key_var, value_var, collection, key, value, cond, grouping),
    # ("get", base, step); () when it cannot be evaluated (template directives)
    form: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        return "${" + self.text + "}"


@dataclass
class Block:
    """One HCL block: `type "label" "label" { attributes, nested blocks }`."""

    type: str
    labels: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    line: int = 0
    column: int = 0
    path: str = ""
    comments: list[str] = field(default_factory=list)
    attr_lines: dict[str, int] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    def sub(self, kind: str) -> list[Block]:
        """Nested blocks of one type (also `dynamic "kind" { content {...} }`)."""
        out = [b for b in self.blocks if b.type == kind]
        for dyn in self.blocks:
            if dyn.type == "dynamic" and dyn.labels[:1] == (kind,):
                out.extend(b for b in dyn.blocks if b.type == "content")
        return out

    def first(self, kind: str) -> Block | None:
        found = self.sub(kind)
        return found[0] if found else None


FileReader = Callable[[str, dict[str, Any] | None], Any]

_TRAILING_BLANKS = re.compile(r"[ \t]+(?=\r?\n)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE_RE.sub(repl, text).replace("$${", "${").replace("%%{", "%{")


def parse_error(path: str, text: str, exc: Exception) -> AdvisorError:
    """Turn a lark exception into a Diagnostic with the line and column it names."""
    line = int(getattr(exc, "line", 0) or 0)
    col = int(getattr(exc, "column", 0) or 0)
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and getattr(exc.token, "type", "") == "$END"
    ):
        lines = text.splitlines() or [""]
        line, col = len(lines), len(lines[-1]) + 1
        message = "unexpected end of file (an unclosed block, string or bracket?)"
    elif isinstance(exc, UnexpectedToken):
        tok = str(exc.token).strip().splitlines()[0][:40] if str(exc.token).strip() else "newline"
        expected = set(exc.accepts or exc.expected)
        if (
            expected & {"DBLQUOTE", "INT_LITERAL", "NAME", "LBRACE", "LSQB"}
            and "RBRACE" not in expected
        ):
            want = "a value (string, number, reference, list or object)"
        elif "RBRACE" in expected:
            want = "'}' or another attribute"
        elif expected & {"EQ", "LBRACE"}:
            want = "'=' or a block"
        else:
            want = ", ".join(sorted(expected)[:6])
        message = f"unexpected '{tok}' in HCL" + (f": expected {want}" if want else "")
    elif isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else "?"
        message = f"unexpected character {ch!r} in HCL"
    elif isinstance(exc, UnexpectedInput):
        message = "invalid HCL"
    else:
        message = (
            f"invalid HCL: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
        )
    diag = Diagnostic(
        path,
        max(line, 1),
        max(col, 1),
        message,
        suggestion="check the block at this line with `terraform fmt` or `terraform validate`",
    )
    return AdvisorError([with_source(diag, text)])


def parse_hcl(text: str, path: str, reader: FileReader | None = None) -> list[Block]:
    """Parse one .tf file into its top-level blocks; raises AdvisorError on bad HCL."""
    return parse_body(text, path, reader)[1]


def parse_values(text: str, path: str) -> tuple[dict[str, Any], dict[str, int]]:
    """A `.tfvars` file: its top-level attributes and the line of each."""
    attrs, _blocks, lines = parse_body(text, path, None, with_lines=True)
    return attrs, lines


def parse_body(
    text: str, path: str, reader: FileReader | None = None, *, with_lines: bool = False
) -> Any:
    """Top-level attributes and blocks of one HCL file (and attribute lines if asked)."""
    import hcl2

    if not text.endswith("\n"):
        text += "\n"  # the grammar wants a newline before EOF after a heredoc or comment
    # Terraform accepts trailing blanks after a heredoc's closing marker; the grammar
    # does not. Trailing blanks never matter to us (quoted strings cannot span lines),
    # and removing them keeps every line and column where it was.
    text = _TRAILING_BLANKS.sub("", text)
    try:
        tree = hcl2.parses_to_tree(text)
    except RecursionError as exc:
        raise AdvisorError([Diagnostic(path, 1, 1, "HCL nested too deeply to read")]) from exc
    except Exception as exc:
        raise parse_error(path, text, exc) from exc
    ev = _Evaluator(text, path, reader)
    try:
        body = tree.children[0] if tree.children else Tree("body", [])
        attrs, blocks = ev.body(body)
    except RecursionError as exc:
        raise AdvisorError([Diagnostic(path, 1, 1, "HCL nested too deeply to read")]) from exc
    if not with_lines:
        return attrs, blocks
    lines = {
        ev.name_of(c.children[0]): _line(c)
        for c in body.children
        if isinstance(c, Tree) and c.data == "attribute"
    }
    return attrs, blocks, lines


class _Evaluator:
    """Walks the lark tree of one file."""

    def __init__(self, text: str, path: str, reader: FileReader | None) -> None:
        self.text = text
        self.path = path
        self.reader = reader

    # ------------------------------------------------------------- structure
    def body(self, tree: Tree) -> tuple[dict[str, Any], list[Block]]:
        attrs: dict[str, Any] = {}
        blocks: list[Block] = []
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                name = self.name_of(child.children[0])
                attrs[name] = self.expr(child.children[-1])
            elif child.data == "block":
                blocks.append(self.block(child))
        return attrs, blocks

    def block(self, tree: Tree) -> Block:
        names: list[str] = []
        body: Tree | None = None
        for child in tree.children:
            if isinstance(child, Tree):
                if child.data == "body":
                    body = child
                elif child.data == "string":
                    names.append(str(self.string(child)))
                elif child.data in ("identifier", "keyword", "literal_value"):
                    names.append(self.name_of(child))
        attrs: dict[str, Any] = {}
        blocks: list[Block] = []
        attr_lines: dict[str, int] = {}
        comments: list[str] = []
        if body is not None:
            attrs, blocks = self.body(body)
            for child in body.children:
                if isinstance(child, Tree) and child.data == "attribute":
                    attr_lines[self.name_of(child.children[0])] = _line(child)
            comments = self.comments(body)
        meta = tree.meta
        return Block(
            type=names[0] if names else "",
            labels=tuple(names[1:]),
            attrs=attrs,
            blocks=blocks,
            line=getattr(meta, "line", 0) or 0,
            column=getattr(meta, "column", 0) or 0,
            path=self.path,
            comments=comments,
            attr_lines=attr_lines,
        )

    def comments(self, body: Tree) -> list[str]:
        """Comment lines directly inside a block body (for skip annotations)."""
        out: list[str] = []
        for node in body.iter_subtrees():
            if node.data != "new_line_or_comment":
                continue
            for tok in node.children:
                for piece in str(tok).splitlines():
                    piece = piece.strip()
                    if piece.startswith(("#", "//", "/*")):
                        out.append(piece)
        return out

    def name_of(self, node: Any) -> str:
        if isinstance(node, Token):
            return str(node)
        if isinstance(node, Tree):
            if node.data == "string":
                return str(self.string(node))
            if node.data == "expr_term" and node.children:
                return self.name_of(node.children[0])
            return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))
        return str(node)

    # ------------------------------------------------------------- expressions
    def source(self, tree: Tree) -> str:
        meta = tree.meta
        start = getattr(meta, "start_pos", None)
        end = getattr(meta, "end_pos", None)
        if start is None or end is None:
            return ""
        return self.text[start:end]

    def expr(self, node: Any) -> Any:
        if isinstance(node, Token):
            return str(node)
        data = node.data
        handler = getattr(self, "e_" + data, None)
        if handler is not None:
            return handler(node)
        parts = tuple(self.expr(c) for c in _subtrees(node))
        return Expr(self.source(node), parts, line=_line(node))

    def e_expr_term(self, node: Tree) -> Any:
        kids = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        if len(kids) == 1:
            return self.expr(kids[0])
        return Expr(self.source(node), tuple(self.expr(k) for k in kids), line=_line(node))

    def e_conditional(self, node: Tree) -> Expr:
        cond, then, other = (self.expr(c) for c in _subtrees(node))
        return Expr(
            self.source(node), (cond, then, other), line=_line(node),
            form=("cond", cond, then, other),
        )

    def e_binary_op(self, node: Tree) -> Expr:
        lhs_node, term = _subtrees(node)[:2]
        op_node, rhs_node = _subtrees(term)[:2]
        lhs, rhs = self.expr(lhs_node), self.expr(rhs_node)
        op = "".join(str(t) for t in op_node.scan_values(lambda v: isinstance(v, Token)))
        return Expr(self.source(node), (lhs, rhs), line=_line(node), form=("binop", op, lhs, rhs))

    def e_unary_op(self, node: Tree) -> Expr:
        op = next(str(t) for t in node.children if isinstance(t, Token))
        value = self.expr(_subtrees(node)[0])
        return Expr(self.source(node), (value,), line=_line(node), form=("unop", op, value))

    def _for(self, node: Tree, *, is_object: bool) -> Expr:
        kids = _subtrees(node)
        intro, body = kids[0], kids[1:]
        intro_kids = _subtrees(intro)
        names = [self.name_of(k) for k in intro_kids[:-1]]
        collection = self.expr(intro_kids[-1])
        cond = None
        if body and body[-1].data == "for_cond":
            cond = self.expr(_subtrees(body[-1])[0])
            body = body[:-1]
        exprs = [self.expr(b) for b in body]
        key_expr = exprs[0] if is_object else None
        value_expr = exprs[-1]
        grouping = any(isinstance(t, Token) and str(t) == "..." for t in node.children)
        key_var, value_var = (names[0], names[1]) if len(names) > 1 else (None, names[0])
        parts = tuple(p for p in (collection, key_expr, value_expr, cond) if p is not None)
        form = ("for", key_var, value_var, collection, key_expr, value_expr, cond, grouping)
        return Expr(self.source(node), parts, line=_line(node), form=form)

    def e_for_tuple_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=False)

    def e_for_object_expr(self, node: Tree) -> Expr:
        return self._for(node, is_object=True)

    def e_int_lit(self, node: Tree) -> int:
        return int(str(node.children[0]))

    def e_float_lit(self, node: Tree) -> float:
        return float(str(node.children[0]))

    def e_literal_value(self, node: Tree) -> Any:
        word = str(node.children[0])
        return {"true": True, "false": False, "null": None}.get(word, word)

    def e_identifier(self, node: Tree) -> Ref:
        return Ref(str(node.children[0]), _line(node))

    def e_keyword(self, node: Tree) -> Ref:
        return Ref(str(node.children[0]), _line(node))

    def e_tuple(self, node: Tree) -> list[Any]:
        return [self.expr(c) for c in _subtrees(node)]

    def e_object(self, node: Tree) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for elem in _subtrees(node):
            if elem.data != "object_elem":
                continue
            kids = _subtrees(elem)
            key_node, value_node = kids[0], kids[-1]
            key = self.expr(key_node.children[0]) if key_node.children else ""
            if isinstance(key, Ref):
                key = key.path
            out[str(key)] = self.expr(value_node)
        return out

    def e_object_elem_key(self, node: Tree) -> Any:
        return self.expr(node.children[0])

    def e_string(self, node: Tree) -> Any:
        return self.string(node)

    def string(self, node: Tree) -> Any:
        pieces: list[Any] = []
        directives = False
        for part in node.children:
            if not isinstance(part, Tree) or part.data != "string_part":
                continue
            for sub in part.children:
                if isinstance(sub, Token):
                    pieces.append(_unescape(str(sub)))
                elif sub.data == "interpolation":
                    inner = [c for c in sub.children if isinstance(c, Tree)]
                    pieces.append(self.expr(inner[0]) if inner else "")
                else:  # template directives: keep their text
                    pieces.append(self.source(sub))
                    directives = True
        if len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]  # "${x}" is x
        if all(isinstance(p, str) for p in pieces):
            return "".join(pieces)
        refs = tuple(p for p in pieces if not isinstance(p, str))
        form = () if directives else ("template", tuple(pieces))
        return Expr(
            "".join(str(p) for p in pieces), refs, func="string", line=_line(node), form=form
        )

    def e_template_string(self, node: Tree) -> str:
        return _unescape(str(node.children[0]).strip('\\"'))

    def e_heredoc_template(self, node: Tree) -> str:
        return _heredoc(str(node.children[0]), trim=False)

    def e_heredoc_template_trim(self, node: Tree) -> str:
        return _heredoc(str(node.children[0]), trim=True)

    def _traversal(self, node: Tree, suffix: str, step: Any = None) -> Any:
        base = self.expr(node.children[0])
        if isinstance(base, Ref):
            return Ref(base.path + suffix, base.line)
        form = ("get", base, step) if step is not None else ()
        return Expr(self.source(node), (base,), line=_line(node), form=form)

    def e_get_attr_expr_term(self, node: Tree) -> Any:
        attr = node.children[1]
        name = self.name_of(attr.children[-1])
        return self._traversal(node, "." + name, ("attr", name))

    def e_index_expr_term(self, node: Tree) -> Any:
        index = node.children[1]
        inner = [
            c for c in index.children if isinstance(c, Tree) and c.data != "new_line_or_comment"
        ]
        value: Any
        if inner:
            value = self.expr(inner[0])
            key = value if isinstance(value, int | str) else "*"
            if isinstance(value, Ref) and "[" not in value.path:
                key = value  # x[each.key], x[count.index]: evaluated per instance
        else:
            key = "".join(str(t) for t in index.children if isinstance(t, Token)).lstrip(".")
            value = int(key) if key.isdigit() else key
        if isinstance(key, Ref):
            text = f"[{key.path}]"
        elif isinstance(key, str) and key != "*" and not key.isdigit():
            text = "[" + json.dumps(key, ensure_ascii=False) + "]"
        else:
            text = f"[{key}]"
        return self._traversal(node, text, ("index", value))

    def _splat_steps(self, splat: Tree) -> tuple[Any, ...]:
        steps: list[Any] = []
        for sub in _subtrees(splat):
            if sub.data == "get_attr":
                steps.append(("attr", self.name_of(sub.children[-1])))
            elif sub.data == "short_index":
                steps.append(("index", int(str(sub.children[-1]))))
            elif sub.data == "braces_index":
                steps.append(("index", self.expr(_subtrees(sub)[0])))
        return ("splat", tuple(steps))

    def e_attr_splat_expr_term(self, node: Tree) -> Any:
        steps = self._splat_steps(node.children[1])
        return self._traversal(node, "[*]" + self.source(node.children[1])[2:], steps)

    def e_full_splat_expr_term(self, node: Tree) -> Any:
        steps = self._splat_steps(node.children[1])
        return self._traversal(node, "[*]" + self.source(node.children[1])[3:], steps)

    def e_function_call(self, node: Tree) -> Any:
        name = self.name_of(node.children[0])
        args_node = next(
            (c for c in node.children if isinstance(c, Tree) and c.data == "arguments"), None
        )
        args = [self.expr(c) for c in _subtrees(args_node)] if args_node is not None else []
        expand = args_node is not None and any(
            isinstance(t, Token) and str(t) == "..." for t in args_node.children
        )
        if (
            name
            in (
                "jsonencode",
                "yamlencode",
                "tostring",
                "tomap",
                "tolist",
                "toset",
                "sensitive",
                "nonsensitive",
            )
            and len(args) == 1
        ):
            return args[0]
        if name in ("file", "templatefile") and args and self.reader is not None:
            variables = (
                args[1]
                if name == "templatefile" and len(args) > 1 and isinstance(args[1], dict)
                else None
            )
            loaded = self.reader(as_text(args[0]), variables)
            if loaded is not None:
                return loaded
        return Expr(
            self.source(node), tuple(args), func=name, line=_line(node),
            form=("call", name, tuple(args), expand),
        )


def _subtrees(node: Tree | None) -> list[Tree]:
    if node is None:
        return []
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _line(node: Any) -> int:
    return int(getattr(getattr(node, "meta", None), "line", 0) or 0)


def _heredoc(raw: str, *, trim: bool) -> str:
    lines = raw.split("\n")
    body = lines[1:]
    while body and body[-1].strip() == "":
        body.pop()
    if body:
        body.pop()  # the closing marker
    text = "\n".join(body)
    return textwrap.dedent(text) if trim else text


# ----------------------------------------------------------------- value helpers
_INTERP_RE = re.compile(r"\$\{([^{}]*)\}")
_TRAVERSAL_RE = re.compile(
    r"(?<![\w.\"'])((?:module|var|local|data|aws_[a-z0-9_]+)(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])+)"
)


def iter_refs(value: Any) -> Iterator[Ref]:
    """Every reference in a value: Refs, Expr parts, and `${...}` inside plain strings."""
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Expr):
        for part in value.parts:
            yield from iter_refs(part)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from iter_refs(value[key])
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_refs(item)
    elif isinstance(value, str) and "${" in value:
        for m in _INTERP_RE.finditer(value):
            for t in _TRAVERSAL_RE.finditer(m.group(1)):
                yield Ref(t.group(1))


def as_text(value: Any) -> str:
    """A string value as text: interpolations stay `${...}`, nothing is wrapped twice."""
    if isinstance(value, Expr) and value.func == "string":
        return value.text
    return value if isinstance(value, str) else str(value)


def to_plain(value: Any) -> Any:
    """A JSON-like copy: Refs and Exprs rendered as `${...}` strings."""
    if isinstance(value, Ref | Expr):
        return str(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
