"""Terraform expressions, evaluated as far as the configuration itself tells.

Why: `count`, `for_each`, conditionals, `dynamic` blocks and locals decide what a
configuration creates. `count = var.create_url ? 1 : 0` with a default of `false` creates
no function URL, and an architecture that shows one is a confident mistake.

Values are plain Python when known: None (null), bool, int, float, str, list, dict.
What the configuration cannot tell before `terraform apply` (resource attributes, data
sources, variables with no value, functions not implemented here) stays symbolic: a
`Ref` or an `Expr` whose parts are evaluated as far as possible, so the references inside
still name what they name. Every symbolic value that leaves `evaluate` carries its
`home`: the module instance its references belong to.

`EvalError` is what Terraform would report as an error (an attribute a map does not have,
an index out of range): `try()` and `can()` catch it; anywhere else the expression stays
as written. Nothing is executed: the walk follows the parsed tree, bounded in depth and
in the size of the collections it builds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from advisor.importers.terraform.hcl import Expr, Ref

MAX_DEPTH = 64  # nested evaluations (locals calling locals, ...)
MAX_ITEMS = 10_000  # elements a for-expression, range() or concat may build


class EvalError(Exception):
    """What Terraform would stop on (caught by try()/can(), else the value stays symbolic)."""


class Unknown(Exception):
    """A function or operator met a symbolic operand: its result is symbolic too."""


class Env(Protocol):
    """What a module instance knows: its variables, locals, resources and child modules."""

    home: Any

    def var(self, name: str, line: int) -> Any: ...
    def local(self, name: str, line: int) -> Any: ...
    def module(self, name: str, line: int) -> Any: ...
    def resource(self, rtype: str, name: str, line: int) -> Any: ...
    def data(self, rtype: str, name: str, line: int) -> Any: ...


@dataclass
class ModuleValue:
    """A child module instance as a value: its attributes are its outputs."""

    output: Callable[[str, int], Any]
    label: str

    def __repr__(self) -> str:
        return f"<module {self.label}>"


@dataclass
class Scope:
    """An environment plus the names in force here: `count`, `each`, for-expression
    variables, `dynamic` block iterators."""

    env: Env
    names: dict[str, Any] = field(default_factory=dict)
    depth: int = 0

    def with_names(self, **names: Any) -> Scope:
        return Scope(self.env, {**self.names, **names}, self.depth)

    def deeper(self) -> Scope:
        if self.depth >= MAX_DEPTH:
            raise Unknown("nested too deeply")
        return Scope(self.env, self.names, self.depth + 1)


# ----------------------------------------------------------------- public helpers
def is_known(value: Any) -> bool:
    """True when nothing inside the value is symbolic."""
    if isinstance(value, Ref | Expr | ModuleValue):
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_known(v) for v in value)
    if isinstance(value, str):
        return "${" not in value
    return True


def tag(value: Any, home: Any) -> Any:
    """The value with every untagged reference inside it belonging to `home`."""
    if home is None:
        return value
    if isinstance(value, Ref):
        return value if value.home is not None else replace(value, home=home)
    if isinstance(value, Expr):
        return replace(
            value,
            parts=tuple(tag(p, home) for p in value.parts),
            form=tuple(tag(f, home) for f in value.form),
        )
    if isinstance(value, dict):
        return {k: tag(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [tag(v, home) for v in value]
    if isinstance(value, tuple):
        return tuple(tag(v, home) for v in value)
    return value


def carry(value: Any, home: Any) -> Any:
    """A value leaving the module instance `home` (an argument read by a child, an output
    read by the parent): its references stay `home`'s, those inside text too (a heredoc
    policy naming `${aws_dynamodb_table.t.arn}` becomes a string Expr whose parts are
    that module's references)."""
    from advisor.importers.terraform.hcl import iter_refs

    if isinstance(value, str) and "${" in value:
        refs = tuple(Ref(r.path, r.line, home) for r in iter_refs(value))
        return Expr(value, refs, "string") if refs else value
    if isinstance(value, dict):
        return {k: carry(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [carry(v, home) for v in value]
    return tag(value, home)


def evaluate(value: Any, scope: Scope) -> Any:
    """The value with everything the configuration tells computed; the rest symbolic."""
    try:
        return _ev(value, scope)
    except (EvalError, Unknown, RecursionError):
        return tag(value, scope.env.home)


def evaluate_strict(value: Any, scope: Scope) -> Any:
    """Like `evaluate`, but a Terraform error raises EvalError (for count/for_each)."""
    try:
        return _ev(value, scope)
    except Unknown:
        return tag(value, scope.env.home)
    except RecursionError as exc:
        raise EvalError("nested too deeply") from exc


def as_bool(value: Any) -> bool:
    """Terraform's conversion to bool ("true"/"false" strings convert); Unknown if symbolic."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if not is_known(value):
        raise Unknown("bool")
    raise EvalError(f"a bool is required, not {type_name(value)}")


def as_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("a number is required, not bool")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            raise EvalError(f"a number is required, not {value!r}") from None
        return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f
    if not is_known(value):
        raise Unknown("number")
    raise EvalError(f"a number is required, not {type_name(value)}")


def as_string(value: Any) -> str:
    """Terraform's string conversion: numbers and bools convert, null and collections do not."""
    if isinstance(value, str):
        if "${" in value:
            raise Unknown("string")
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        raise EvalError("a string is required, not null")
    if not is_known(value):
        raise Unknown("string")
    raise EvalError(f"a string is required, not {type_name(value)}")


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def equal(a: Any, b: Any) -> bool:
    """Terraform `==`: no conversion between types (true != 1, "1" != 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b) and not (isinstance(a, list) and isinstance(b, list)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return bool(a == b)


# ----------------------------------------------------------------- paths
_STEP_RE = re.compile(r"\.([A-Za-z_][\w-]*)|\[")
_ROOT_RE = re.compile(r"[A-Za-z_][\w-]*")


def parse_path(path: str) -> tuple[str, list[tuple[str, Any]]]:
    """`aws_sqs_queue.q["a"].arn` -> ("aws_sqs_queue", [("attr","q"), ("index","a"),
    ("attr","arn")]); `[*]` is ("splat", None); an index written as a reference
    (`[each.key]`) is ("index", Ref)."""
    m = _ROOT_RE.match(path)
    if m is None:
        raise EvalError(f"not a reference: {path}")
    root, pos, steps = m.group(0), m.end(), []
    while pos < len(path):
        m = _STEP_RE.match(path, pos)
        if m is None:
            raise EvalError(f"not a reference: {path}")
        if m.group(1) is not None:
            steps.append(("attr", m.group(1)))
            pos = m.end()
            continue
        end, key = _index_at(path, m.end())
        steps.append(key)
        pos = end
    return root, steps


def _index_at(path: str, pos: int) -> tuple[int, tuple[str, Any]]:
    if path.startswith('"', pos):
        decoder = json.JSONDecoder()
        key, end = decoder.raw_decode(path, pos)
        if not path.startswith("]", end):
            raise EvalError(f"not a reference: {path}")
        return end + 1, ("index", key)
    end = path.find("]", pos)
    if end < 0:
        raise EvalError(f"not a reference: {path}")
    inner = path[pos:end].strip()
    if inner == "*":
        return end + 1, ("splat", None)
    if inner.lstrip("-").isdigit():
        return end + 1, ("index", int(inner))
    return end + 1, ("index", Ref(inner))


def render_step(step: tuple[str, Any]) -> str:
    kind, value = step
    if kind == "attr":
        return "." + str(value)
    if kind == "splat":
        return "[*]"
    if isinstance(value, Ref):
        return f"[{value.path}]"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"[{value}]"
    if isinstance(value, str):
        return "[" + json.dumps(value, ensure_ascii=False) + "]"
    return "[*]"


# ----------------------------------------------------------------- the walk
def _ev(value: Any, scope: Scope) -> Any:
    if isinstance(value, Ref):
        return _ref(value, scope)
    if isinstance(value, Expr):
        return _expr(value, scope)
    if isinstance(value, dict):
        return {k: evaluate(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if isinstance(value, str) and "${" in value:
        return _plain_template(value, scope)
    return value


_PLAIN_INTERP_RE = re.compile(
    r"\$\{\s*((?:var|local)\.[A-Za-z_][\w-]*|each\.key|each\.value(?:\.[A-Za-z_][\w-]*)*"
    r"|count\.index)\s*\}"
)


def _plain_template(text: str, scope: Scope) -> str:
    """`${var.x}` inside text the parser kept whole (heredocs): substituted when known."""

    def repl(m: re.Match[str]) -> str:
        try:
            found = _ref(Ref(m.group(1)), scope)
            return as_string(found) if not isinstance(found, dict | list) else m.group(0)
        except (EvalError, Unknown):
            return m.group(0)

    return _PLAIN_INTERP_RE.sub(repl, text)


def _ref(ref: Ref, scope: Scope) -> Any:
    if ref.home is not None and ref.home is not scope.env.home:
        return ref  # belongs to another module instance: resolved there, not here
    root, steps = parse_path(ref.path)
    env, line = scope.env, ref.line
    names = scope.names
    if root in names:
        base, rest = names[root], steps
    elif root == "var" and steps and steps[0][0] == "attr":
        base, rest = env.var(steps[0][1], line), steps[1:]
    elif root == "local" and steps and steps[0][0] == "attr":
        base, rest = env.local(steps[0][1], line), steps[1:]
    elif root == "module" and steps and steps[0][0] == "attr":
        base, rest = env.module(steps[0][1], line), steps[1:]
    elif root == "terraform" and steps == [("attr", "workspace")]:
        return "default"
    elif root == "data" and len(steps) >= 2 and steps[0][0] == steps[1][0] == "attr":
        base, rest = env.data(steps[0][1], steps[1][1], line), steps[2:]
    elif root in ("count", "each", "self", "path", "data", "terraform") or not steps:
        return Ref(ref.path, line, env.home)
    elif steps[0][0] == "attr":
        base, rest = env.resource(root, steps[0][1], line), steps[1:]
    else:
        return Ref(ref.path, line, env.home)
    for i, step in enumerate(rest):
        if isinstance(base, Ref):
            tail = "".join(render_step(_known_step(s, scope)) for s in rest[i:])
            return Ref(base.path + tail, line, base.home or env.home)
        if not is_known_shallow(base):
            raise Unknown("symbolic base")
        if step[0] == "splat":
            return _splat(base, rest[i + 1 :], scope, line)
        base = _step(base, _known_step(step, scope))
    return base


def is_known_shallow(value: Any) -> bool:
    return not isinstance(value, Ref | Expr)


def _known_step(step: tuple[str, Any], scope: Scope) -> tuple[str, Any]:
    """An index written as a reference (`[each.key]`) evaluated, when it can be."""
    if step[0] == "index" and isinstance(step[1], Ref | Expr):
        try:
            key = _ev(step[1], scope)
        except (EvalError, Unknown):
            return step
        if isinstance(key, bool) or not isinstance(key, int | str):
            return step
        return ("index", key)
    return step


def _step(base: Any, step: tuple[str, Any]) -> Any:
    kind, key = step
    if isinstance(base, ModuleValue):
        if kind != "attr":
            raise EvalError(f"module {base.label} is not a list or map")
        return base.output(str(key), 0)
    if kind == "attr":
        if isinstance(base, dict):
            if key not in base:
                raise EvalError(f"no attribute {key!r}")
            return base[key]
        raise EvalError(f"cannot read attribute {key!r} of {type_name(base)}")
    if isinstance(key, Ref | Expr):
        raise Unknown("index")
    if isinstance(base, list):
        try:
            index = int(as_number(key))
        except EvalError:
            raise EvalError(f"invalid index {key!r}") from None
        if not 0 <= index < len(base):
            raise EvalError(f"index {index} out of range")
        return base[index]
    if isinstance(base, dict):
        text = as_string(key)
        if text not in base:
            raise EvalError(f"no key {text!r}")
        return base[text]
    raise EvalError(f"cannot index {type_name(base)}")


def _splat(base: Any, rest: list[tuple[str, Any]], scope: Scope, line: int) -> Any:
    if base is None:
        return []
    items = base if isinstance(base, list) else [base]  # a single value splats as [value]
    out = []
    for item in items:
        value = item
        for j, step in enumerate(rest):
            if isinstance(value, Ref):
                tail = "".join(render_step(_known_step(s, scope)) for s in rest[j:])
                value = Ref(value.path + tail, line, value.home or scope.env.home)
                break
            if step[0] == "splat":
                value = _splat(value, rest[j + 1 :], scope, line)
                break
            value = _step(value, _known_step(step, scope))
        out.append(value)
    return out


def _expr(e: Expr, scope: Scope) -> Any:
    form = e.form
    if not form:
        raise Unknown("not evaluable")
    op = form[0]
    if op == "cond":
        return _conditional(e, scope)
    if op == "binop":
        return _binop(e, scope)
    if op == "unop":
        return _unop(e, scope)
    if op == "template":
        return _template(e, scope)
    if op == "call":
        return _call(e, scope)
    if op == "for":
        return _for(e, scope)
    if op == "get":
        return _get(e, scope)
    raise Unknown(op)


def _symbolic(e: Expr, scope: Scope, *operands: Any) -> Expr:
    """`e` with its operands replaced by their (partly) evaluated values."""
    home = scope.env.home
    mapping = {id(old): new for old, new in operands}
    parts = tuple(mapping.get(id(p), tag(p, home)) for p in e.parts)
    form = tuple(mapping.get(id(f), tag(f, home)) for f in e.form)
    return replace(e, parts=parts, form=form)


def _conditional(e: Expr, scope: Scope) -> Any:
    _op, cond, then, other = e.form
    c = _ev(cond, scope.deeper())
    try:
        chosen = as_bool(c)
    except Unknown:
        a, b = evaluate(then, scope), evaluate(other, scope)
        return _symbolic(e, scope, (cond, c), (then, a), (other, b))
    return _ev(then if chosen else other, scope.deeper())


def _binop(e: Expr, scope: Scope) -> Any:
    _op, op, lhs, rhs = e.form
    a = _ev(lhs, scope.deeper())
    if op in ("&&", "||"):
        # the value that decides alone (true for ||, false for &&) wins even over an
        # unknown operand, as in Terraform
        stop = op == "||"
        left = _maybe_bool(a)
        if left is stop:
            return stop
        b = _ev(rhs, scope.deeper())
        right = _maybe_bool(b)
        if right is stop:
            return stop
        if left is None or right is None:
            return _symbolic(e, scope, (lhs, a), (rhs, b))
        return not stop
    b = _ev(rhs, scope.deeper())
    if not (is_known(a) and is_known(b)):
        return _symbolic(e, scope, (lhs, a), (rhs, b))
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    x, y = as_number(a), as_number(b)
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == ">=":
        return x >= y
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op in ("/", "%"):
        if y == 0:
            raise EvalError("division by zero")
        result = x / y if op == "/" else x % y
        return int(result) if isinstance(result, float) and result.is_integer() else result
    raise Unknown(op)


def _maybe_bool(value: Any) -> bool | None:
    try:
        return as_bool(value)
    except Unknown:
        return None


def _unop(e: Expr, scope: Scope) -> Any:
    _op, op, operand = e.form
    v = _ev(operand, scope.deeper())
    if not is_known(v):
        return _symbolic(e, scope, (operand, v))
    if op == "!":
        return not as_bool(v)
    return -as_number(v)


def _template(e: Expr, scope: Scope) -> Any:
    pieces: list[Any] = []
    for piece in e.form[1]:
        pieces.append(piece if isinstance(piece, str) else evaluate(piece, scope))
    if all(is_known(p) for p in pieces):
        return "".join(p if isinstance(p, str) else as_string(p) for p in pieces)
    text_pieces = []
    for p in pieces:
        if is_known(p) and not isinstance(p, dict | list):
            text_pieces.append(p if isinstance(p, str) else as_string(p))
        else:
            text_pieces.append(str(p) if isinstance(p, Ref | Expr) else json.dumps(p))
    symbolic = tuple(p for p in pieces if not is_known(p))
    return Expr("".join(text_pieces), symbolic, "string", e.line, ("template", tuple(pieces)))


def _get(e: Expr, scope: Scope) -> Any:
    _op, base_expr, step = e.form
    base = _ev(base_expr, scope.deeper())
    if not is_known_shallow(base):
        return _symbolic(e, scope, (base_expr, base))
    if step[0] == "splat":
        return _splat(base, list(step[1]), scope, e.line)
    return _step(base, _known_step(step, scope))


def _for(e: Expr, scope: Scope) -> Any:
    _op, key_var, value_var, coll_expr, key_expr, value_expr, cond, grouping = e.form
    coll = _ev(coll_expr, scope.deeper())
    if not is_known_shallow(coll):
        raise Unknown("collection")
    if isinstance(coll, dict):
        items = [(k, coll[k]) for k in sorted(coll)]
    elif isinstance(coll, list):
        items = list(enumerate(coll))
    elif coll is None:
        raise EvalError("cannot iterate over null")
    else:
        raise EvalError(f"cannot iterate over {type_name(coll)}")
    if len(items) > MAX_ITEMS:
        raise Unknown("too many items")
    names = {}
    out_list: list[Any] = []
    out_map: dict[str, Any] = {}
    for k, v in items:
        names = {value_var: v}
        if key_var is not None:
            names[key_var] = k
        inner = scope.with_names(**names).deeper()
        if cond is not None:
            keep = _ev(cond, inner)
            if not as_bool(keep):
                continue
        value = evaluate(value_expr, inner)
        if key_expr is None:
            out_list.append(value)
            continue
        key = as_string(_ev(key_expr, inner))
        if grouping:
            out_map.setdefault(key, []).append(value)
        elif key in out_map:
            raise EvalError(f"duplicate key {key!r} in a for expression")
        else:
            out_map[key] = value
    return out_list if key_expr is None else out_map


def _call(e: Expr, scope: Scope) -> Any:
    from advisor.importers.terraform.functions import FUNCTIONS, LAZY

    _op, name, args, expand = e.form
    if name in LAZY:
        return LAZY[name](e, args, scope)
    fn = FUNCTIONS.get(name)
    values = [_ev(a, scope.deeper()) for a in args]
    if expand and values:
        last = values[-1]
        if not isinstance(last, list):
            if is_known_shallow(last):
                raise EvalError("expanding a value that is not a list")
            raise Unknown("expanded arguments")
        values = values[:-1] + list(last)
    if fn is None:
        return _symbolic(e, scope, *zip(args, values, strict=False))
    try:
        return fn(*values)
    except Unknown:
        return _symbolic(e, scope, *zip(args, values, strict=False))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
        # wrong argument types or values: what Terraform reports as a call error
        raise EvalError(f"{name}(): {exc}") from exc


def symbolic_call(e: Expr, scope: Scope, args: tuple[Any, ...], values: list[Any]) -> Expr:
    return _symbolic(e, scope, *zip(args, values, strict=False))


def ev(value: Any, scope: Scope) -> Any:
    """The raw walk (raises EvalError/Unknown): for functions that decide for themselves."""
    return _ev(value, scope)
