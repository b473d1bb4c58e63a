"""Terraform modules: read a module's files, follow local module calls, resolve references.

A directory of `.tf` files is one module. A single file is read alone (its siblings are
not, so `advisor import main.tf` means exactly that file; give the directory to import
the whole module). `module` blocks whose `source` is a local path (`./x`, `../x`) are
read as child modules, with a depth limit and a cycle check; registry and git sources
are recorded as notes and their known shapes are handled by the importer.

References resolve to resource addresses across modules: `module.m.out` follows the
child's `output "out"`, `var.v` inside a child follows the argument the parent passed,
`local.l` follows the module's `locals`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError, Diagnostic
from advisor.importers.terraform.hcl import Block, Expr, Ref, iter_refs, parse_hcl

MAX_FILE_BYTES = 5 * 1024 * 1024  # one .tf file; real ones are well under 1 MB
MAX_FILES = 400  # .tf files across all modules of one import
MAX_MODULE_DEPTH = 6
MAX_RESOLVE_DEPTH = 24
MAX_READ_BYTES = 2 * 1024 * 1024  # file()/templatefile() targets

_INDEX_RE = re.compile(r"\[[^\]]*\]")


@dataclass
class Resource:
    """One resource (or data source) block with its module-qualified address."""

    type: str
    name: str
    block: Block
    module: Module
    data: bool = False
    registry: bool = False  # a registry module call read as if it were `type`

    @property
    def address(self) -> str:
        if self.registry:
            return f"{self.module.prefix}module.{self.name}"
        head = f"data.{self.type}.{self.name}" if self.data else f"{self.type}.{self.name}"
        return self.module.prefix + head


@dataclass
class Module:
    """One module instance: its directory, blocks, and how it was called."""

    dir: Path
    prefix: str = ""  # "" for the root, "module.a.module.b." for nested ones
    parent: Module | None = None
    call: Block | None = None  # the `module` block in the parent
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)
    data: dict[tuple[str, str], Resource] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # defaults
    outputs: dict[str, Any] = field(default_factory=dict)
    children: dict[str, Module] = field(default_factory=dict)
    remote: dict[str, Block] = field(default_factory=dict)  # module calls not followed
    registry: dict[str, Resource] = field(default_factory=dict)  # registry calls read as resources
    files: list[str] = field(default_factory=list)


@dataclass
class Workspace:
    """Everything read for one import: the root module, its children, notes."""

    root: Module
    notes: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    file_count: int = 0

    def modules(self) -> list[Module]:
        out: list[Module] = []
        stack = [self.root]
        while stack:
            mod = stack.pop()
            out.append(mod)
            stack.extend(mod.children[k] for k in sorted(mod.children, reverse=True))
        return out

    def resources(self) -> list[Resource]:
        return [r for m in self.modules() for _k, r in sorted(m.resources.items())]

    def note(self, path: str, line: int, message: str) -> None:
        self.notes.append(Diagnostic(path, max(line, 1), 1, message, severity="info"))


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str:
    """A .tf file through the package's one reader (regular files only, bounded)."""
    from advisor.importers.reading import read_text as read_file

    return read_file(path, limit, display=display)


def load_workspace(path: str, text: str | None = None) -> Workspace:
    """Read a .tf file or a module directory and every local module it calls.

    With `text`, that text is the one file `path` (nothing is read from disk for it).
    """
    p = Path(path)
    if text is not None:
        if len(text) > MAX_FILE_BYTES:
            raise AdvisorError([Diagnostic(path, 1, 1, "input is larger than the importer reads")])
        root = Module(dir=p.parent)
        ws = Workspace(root=root)
        _read_module(ws, root, [p], depth=0, seen=(p.parent.resolve(),), given={str(p): text})
        substitute_workspace(ws)
        return ws
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".tf" and f.is_file())
        if not files:
            raise AdvisorError([Diagnostic(path, 1, 1, "no .tf files in this directory")])
        root = Module(dir=p)
    elif p.is_file():
        files = [p]
        root = Module(dir=p.parent)
    else:
        raise AdvisorError([Diagnostic(path, 1, 1, "no such file or directory")])
    ws = Workspace(root=root)
    _read_module(ws, root, files, depth=0, seen=(p.resolve(),))
    substitute_workspace(ws)
    return ws


def _display(path: Path) -> str:
    return str(path)


def _read_module(
    ws: Workspace,
    mod: Module,
    files: list[Path],
    depth: int,
    seen: tuple[Path, ...],
    given: dict[str, str] | None = None,
) -> None:
    for f in files:
        ws.file_count += 1
        if ws.file_count > MAX_FILES:
            raise AdvisorError(
                [Diagnostic(str(f), 1, 1, f"more than {MAX_FILES} .tf files across modules")]
            )
        display = _display(f)
        text = given[str(f)] if given and str(f) in given else read_text(f, display)
        ws.texts[display] = text
        mod.files.append(display)
        reader = _make_reader(ws, mod)
        for block in parse_hcl(text, display, reader):
            _take_block(ws, mod, block)
    for name in sorted(list(mod.remote)):
        call = mod.remote[name]
        source = call.get("source")
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            continue
        child_dir = Path(os.path.normpath(mod.dir / source))  # relative stays relative
        if depth + 1 > MAX_MODULE_DEPTH:
            ws.note(
                call.path,
                call.line,
                f"module '{name}' not followed: deeper than {MAX_MODULE_DEPTH} levels",
            )
            continue
        if child_dir.resolve() in seen:
            ws.note(call.path, call.line, f"module '{name}' not followed: it calls itself (cycle)")
            continue
        if not child_dir.is_dir():
            ws.note(call.path, call.line, f"module '{name}': local source '{source}' not found")
            continue
        child_files = sorted(f for f in child_dir.iterdir() if f.suffix == ".tf" and f.is_file())
        child = Module(dir=child_dir, prefix=f"{mod.prefix}module.{name}.", parent=mod, call=call)
        mod.children[name] = child
        del mod.remote[name]
        _read_module(ws, child, child_files, depth + 1, (*seen, child_dir.resolve()))


def _take_block(ws: Workspace, mod: Module, block: Block) -> None:
    kind, labels = block.type, block.labels
    if kind == "resource" and len(labels) == 2:
        mod.resources[(labels[0], labels[1])] = Resource(labels[0], labels[1], block, mod)
    elif kind == "data" and len(labels) == 2:
        mod.data[(labels[0], labels[1])] = Resource(labels[0], labels[1], block, mod, data=True)
    elif kind == "locals":
        mod.locals.update(block.attrs)
    elif kind == "variable" and labels:
        mod.variables[labels[0]] = block.attrs.get("default")
    elif kind == "output" and labels:
        mod.outputs[labels[0]] = block.attrs.get("value")
    elif kind == "module" and labels:
        mod.remote[labels[0]] = block


def _make_reader(ws: Workspace, mod: Module) -> Any:
    """`file()` / `templatefile()`: read a file beside the module (never outside reach)."""

    def reader(raw_path: str, variables: dict[str, Any] | None) -> Any:
        text_path = raw_path.replace("${path.module}", ".").replace("${path.root}", ".")
        text_path = text_path.replace("${path.cwd}", ".")
        if "${" in text_path:
            return None
        from advisor.importers.reading import read_beside

        content, _why = read_beside((mod.dir / text_path).resolve(), MAX_READ_BYTES)
        if content is None:
            return None
        if variables:
            content = _render_template(content, variables)
        return _maybe_json(content)

    return reader


_TEMPLATE_VAR_RE = re.compile(r"\$\{\s*([A-Za-z_][\w]*)\s*\}")


def _render_template(content: str, variables: dict[str, Any]) -> str:
    """Substitute `${name}` of templatefile() variables; references stay `${addr}`."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1) not in variables:
            return m.group(0)
        value = variables[m.group(1)]
        if isinstance(value, Ref | Expr):
            return str(value)
        if isinstance(value, str | int | float):
            return str(value)
        return json.dumps(value, default=str)

    return _TEMPLATE_VAR_RE.sub(repl, content)


def _maybe_json(content: str) -> Any:
    stripped = content.strip()
    if stripped[:1] in "{[":
        try:
            return json.loads(stripped)
        except ValueError:
            return content
    return content


# ----------------------------------------------------------------- resolution
def strip_indexes(path: str) -> str:
    return _INDEX_RE.sub("", path)


def resolve_ref(
    ws: Workspace, mod: Module, path: str, depth: int = 0
) -> list[tuple[Resource, str]]:
    """The resources a reference names, with the attribute used (`arn`, `url`, ...).

    Follows module outputs, variables passed by a parent, and locals. Returns [] for
    references to things outside the configuration (`data.aws_region...`, unset vars).
    """
    if depth > MAX_RESOLVE_DEPTH:
        return []
    parts = strip_indexes(path).split(".")
    head = parts[0]
    if head == "module" and len(parts) >= 2:
        registry = mod.registry.get(parts[1])
        if registry is not None:
            return [(registry, ".".join(parts[2:]))]
        child = mod.children.get(parts[1])
        if child is None:
            return []
        if len(parts) < 3:
            return [(r, "") for r in child.resources.values()]
        value = child.outputs.get(parts[2])
        return resolve_value(ws, child, value, depth + 1)
    if head == "var" and len(parts) >= 2:
        if mod.call is not None and mod.parent is not None and parts[1] in mod.call.attrs:
            return resolve_value(ws, mod.parent, mod.call.attrs[parts[1]], depth + 1)
        return resolve_value(ws, mod, mod.variables.get(parts[1]), depth + 1)
    if head == "local" and len(parts) >= 2:
        return resolve_value(ws, mod, mod.locals.get(parts[1]), depth + 1)
    if head == "data" and len(parts) >= 3:
        res = mod.data.get((parts[1], parts[2]))
        return [(res, ".".join(parts[3:]))] if res is not None else []
    if len(parts) >= 2 and head.startswith("aws_"):
        res = mod.resources.get((head, parts[1]))
        return [(res, ".".join(parts[2:]))] if res is not None else []
    return []


def resolve_value(
    ws: Workspace, mod: Module, value: Any, depth: int = 0
) -> list[tuple[Resource, str]]:
    """The resources every reference inside a value names (deduplicated, in order)."""
    out: list[tuple[Resource, str]] = []
    seen: set[tuple[str, str]] = set()
    if value is None or depth > MAX_RESOLVE_DEPTH:
        return out
    for ref in iter_refs(value):
        for res, attr in resolve_ref(ws, mod, ref.path, depth):
            key = (res.address, attr)
            if key not in seen:
                seen.add(key)
                out.append((res, attr))
    return out


def is_config_ref(path: str) -> bool:
    """References we expect to resolve (not `path.module`, `each.value`, `count.index`)."""
    head = path.split(".", 1)[0]
    return head in ("module", "var", "local") or head.startswith("aws_")


# ----------------------------------------------------------------- literal variables
_MISSING = object()
_VAR_IN_STRING_RE = re.compile(r"\$\{\s*((?:var|local)\.[A-Za-z_][\w-]*)\s*\}")


def _is_literal(value: Any) -> bool:
    if isinstance(value, Ref | Expr):
        return False
    if isinstance(value, str):
        return "${" not in value
    if isinstance(value, dict):
        return all(_is_literal(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_literal(v) for v in value)
    return True


def literal_of(mod: Module, path: str, depth: int = 0) -> Any:
    """The literal value of `var.x` / `local.y` in a module, or _MISSING."""
    parts = path.split(".")
    if depth > MAX_RESOLVE_DEPTH or len(parts) != 2:
        return _MISSING
    if parts[0] == "var":
        if mod.call is not None and mod.parent is not None and parts[1] in mod.call.attrs:
            value, owner = mod.call.attrs[parts[1]], mod.parent
        else:
            value, owner = mod.variables.get(parts[1], _MISSING), mod
    elif parts[0] == "local":
        value, owner = mod.locals.get(parts[1], _MISSING), mod
    else:
        return _MISSING
    if value is _MISSING or value is None:
        return _MISSING
    if isinstance(value, Ref):
        return literal_of(owner, value.path, depth + 1)
    value = substitute(owner, value, depth + 1)
    return value if _is_literal(value) else _MISSING


def substitute(mod: Module, value: Any, depth: int = 0) -> Any:
    """Replace `var.x` / `local.y` that hold literals by their values (strings too)."""
    if depth > MAX_RESOLVE_DEPTH:
        return value
    if isinstance(value, Ref):
        found = literal_of(mod, value.path, depth)
        return value if found is _MISSING else found
    if isinstance(value, Expr) and value.func == "string":
        text = _VAR_IN_STRING_RE.sub(lambda m: _text_of(mod, m, depth), value.text)
        parts = tuple(
            p
            for p in value.parts
            if not (isinstance(p, Ref) and literal_of(mod, p.path, depth) is not _MISSING)
        )
        return text if not parts and "${" not in text else Expr(text, parts, value.func, value.line)
    if isinstance(value, str) and "${" in value:
        return _VAR_IN_STRING_RE.sub(lambda m: _text_of(mod, m, depth), value)
    if isinstance(value, dict):
        return {k: substitute(mod, v, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(mod, v, depth) for v in value]
    return value


def _text_of(mod: Module, m: re.Match[str], depth: int) -> str:
    found = literal_of(mod, m.group(1), depth + 1)
    if found is _MISSING or isinstance(found, dict | list):
        return m.group(0)
    if isinstance(found, bool):
        return "true" if found else "false"
    return str(found)


def substitute_block(mod: Module, block: Block) -> None:
    block.attrs = {k: substitute(mod, v) for k, v in block.attrs.items()}
    for sub in block.blocks:
        substitute_block(mod, sub)


def substitute_workspace(ws: Workspace) -> None:
    """Inline literal variables and locals into every resource and data block."""
    for mod in ws.modules():
        for res in list(mod.resources.values()) + list(mod.data.values()):
            substitute_block(mod, res.block)
        for call in mod.remote.values():
            substitute_block(mod, call)
