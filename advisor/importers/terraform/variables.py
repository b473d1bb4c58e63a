"""Root variable values, as `terraform plan` would take them, and type conversion.

Precedence, lowest first (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence):
the variable's `default`; `terraform.tfvars`; `terraform.tfvars.json`; `*.auto.tfvars` and
`*.auto.tfvars.json` in lexical order of their names; then `--var-file FILE` and
`--var NAME=VALUE` as given (all files first, then the `--var` values: the command line
cannot tell their relative order). `TF_VAR_*` environment variables are not read: a
result should not depend on the shell it ran in.

The `.tfvars` files are read only for a directory (a module, as `terraform` runs in
one); `--var-file` and `--var` apply to whatever is imported. A value for a variable the
root module does not declare is reported as a note and ignored (Terraform warns for files
and refuses `-var`).

`convert` applies a variable's `type` as Terraform does where it changes what a
configuration decides: `"true"` to `true` for a bool, `"5"` to 5 for a number, numbers and
bools to strings, and `optional(type, default)` attributes of objects filled in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError, Diagnostic
from advisor.importers.terraform.evaluate import (
    EvalError,
    Scope,
    Unknown,
    as_bool,
    as_number,
    as_string,
    evaluate,
    is_known,
)
from advisor.importers.terraform.hcl import Expr, Ref, parse_values

if TYPE_CHECKING:
    from advisor.importers.terraform.module import Module, Workspace

MAX_VARFILE_BYTES = 2 * 1024 * 1024
_PRIMITIVES = ("string", "number", "bool")


@dataclass(frozen=True)
class VarInputs:
    """What the command line gave: `--var-file` paths and `--var NAME=VALUE` texts."""

    files: tuple[str, ...] = ()
    values: tuple[str, ...] = ()


def parse_var_arg(text: str) -> tuple[str, str]:
    """`NAME=VALUE` -> (NAME, VALUE); ValueError with the reason otherwise."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    if not name.replace("_", "a").replace("-", "a").isalnum() or name[0].isdigit():
        raise ValueError(f"{name!r} is not a variable name")
    return name, value


class _NoEnv:
    """Values in a .tfvars file or on the command line refer to nothing."""

    home = None

    def var(self, name: str, line: int) -> Any:
        raise EvalError("variables cannot be used here")

    local = module = var

    def resource(self, rtype: str, name: str, line: int) -> Any:
        raise EvalError("references cannot be used here")

    def data(self, rtype: str, name: str, line: int) -> Any:
        raise EvalError("references cannot be used here")


def _literal(value: Any) -> Any:
    result = evaluate(value, Scope(_NoEnv()))
    if not is_known(result):
        raise EvalError("not a literal value")
    return result


def root_inputs(
    ws: Workspace, root: Module, inputs: VarInputs, auto_dir: Path | None
) -> dict[str, Any]:
    """Variable name -> value for the root module, from the files and the command line."""
    sources: list[tuple[Path, bool]] = []  # (file, given on the command line)
    if auto_dir is not None:
        for name in ("terraform.tfvars", "terraform.tfvars.json"):
            if (auto_dir / name).is_file():
                sources.append((auto_dir / name, False))
        autos = sorted(
            p for p in auto_dir.iterdir()
            if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
        )
        sources += [(p, False) for p in autos]
    sources += [(Path(f), True) for f in inputs.files]
    out: dict[str, Any] = {}
    for path, given in sources:
        for name, (value, line) in _read_var_file(path, given).items():
            if name not in root.var_blocks:
                ws.note(str(path), line, f"value for undeclared variable '{name}' ignored")
                continue
            out[name] = value
    for text in inputs.values:
        try:
            name, raw = parse_var_arg(text)
        except ValueError as exc:
            raise AdvisorError([Diagnostic("--var", 1, 1, str(exc))]) from None
        if name not in root.var_blocks:
            ws.note("--var", 1, f"value for undeclared variable '{name}' ignored")
            continue
        out[name] = _command_line_value(raw, root.var_blocks[name].get("type"))
    return out


def _read_var_file(path: Path, given: bool) -> dict[str, tuple[Any, int]]:
    from advisor.importers.reading import read_text

    display = str(path)
    if given and not path.exists():
        raise AdvisorError([Diagnostic(display, 1, 1, "variable file not found",
                                       "check the --var-file path")])
    text = read_text(path, MAX_VARFILE_BYTES, display=display)
    if path.name.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", 1)
            col = getattr(exc, "colno", 1)
            raise AdvisorError([Diagnostic(display, line, col, f"invalid JSON: {exc.msg}")]) from None  # type: ignore[attr-defined]
        if not isinstance(data, dict):
            raise AdvisorError([Diagnostic(display, 1, 1, "a .tfvars.json file holds one object")])
        return {str(k): (v, 1) for k, v in data.items()}
    attrs, lines = parse_values(text, display)
    out: dict[str, tuple[Any, int]] = {}
    for name, value in attrs.items():
        try:
            out[name] = (_literal(value), lines.get(name, 1))
        except EvalError:
            raise AdvisorError([Diagnostic(
                display, lines.get(name, 1), 1,
                f"the value of '{name}' is not a literal (a .tfvars file cannot refer to "
                "anything)",
            )]) from None
    return out


def _command_line_value(raw: str, type_expr: Any) -> Any:
    """`--var` values are strings, unless the type is a collection (then HCL syntax)."""
    kind = _type_spec(type_expr)[0]
    if kind in _PRIMITIVES or kind == "any":
        return raw
    try:
        attrs, _lines = parse_values(f"v = {raw}\n", "--var")
        return _literal(attrs["v"])
    except (AdvisorError, EvalError, KeyError):
        return raw


def declared_default(env: Any, block: Any) -> Any:
    """A variable's default (a literal by Terraform's rules)."""
    return evaluate(block.get("default"), env.scope())


# ----------------------------------------------------------------- types
def _type_spec(type_expr: Any) -> tuple[Any, ...]:
    """A type constraint as a tuple: ("string",), ("list", T), ("object", {a: (T, opt, d)})."""
    if type_expr is None:
        return ("any",)
    if isinstance(type_expr, Ref):
        return (type_expr.path,) if type_expr.path in (*_PRIMITIVES, "any") else ("any",)
    if isinstance(type_expr, Expr) and type_expr.form[:1] == ("call",):
        _op, name, args, _expand = type_expr.form
        if name in ("list", "set", "map") and len(args) == 1:
            return (name, _type_spec(args[0]))
        if name == "object" and len(args) == 1 and isinstance(args[0], dict):
            attrs = {}
            for key, spec in args[0].items():
                if isinstance(spec, Expr) and spec.form[:2] == ("call", "optional"):
                    opt_args = spec.form[2]
                    default = opt_args[1] if len(opt_args) > 1 else None
                    attrs[key] = (_type_spec(opt_args[0]), True, default)
                else:
                    attrs[key] = (_type_spec(spec), False, None)
            return ("object", attrs)
        if name == "tuple" and len(args) == 1 and isinstance(args[0], list):
            return ("tuple", [_type_spec(a) for a in args[0]])
    return ("any",)


def convert(value: Any, type_expr: Any) -> Any:
    """The value converted to the variable's type where Terraform would (best effort:
    a value that does not convert is kept as it is)."""
    try:
        return _convert(value, _type_spec(type_expr))
    except (EvalError, Unknown):
        return value


def _convert(value: Any, spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    if value is None or not is_known_top(value) or kind == "any":
        return value
    if kind == "string":
        return as_string(value) if not isinstance(value, dict | list) else value
    if kind == "number":
        return as_number(value)
    if kind == "bool":
        return as_bool(value)
    if kind in ("list", "set") and isinstance(value, list):
        items = [_convert(v, spec[1]) for v in value]
        if kind == "set" and all(isinstance(v, str | int | float | bool) for v in items):
            items = sorted(set(items), key=lambda v: (str(type(v)), v))
        return items
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(v, spec[1]) for k, v in value.items()}
    if kind == "object" and isinstance(value, dict):
        out = {}
        for key, (attr_spec, optional, default) in spec[1].items():
            if key in value and value[key] is not None:
                out[key] = _convert(value[key], attr_spec)
            elif optional:
                out[key] = _convert(_literal(default), attr_spec) if default is not None else None
            elif key in value:
                out[key] = None
        return out
    if kind == "tuple" and isinstance(value, list) and len(value) == len(spec[1]):
        return [_convert(v, s) for v, s in zip(value, spec[1], strict=True)]
    return value


def is_known_top(value: Any) -> bool:
    return not isinstance(value, Ref | Expr)
