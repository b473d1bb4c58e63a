"""Terraform modules: read a module's files, follow local module calls, resolve references.

A directory of `.tf` files is one module. A single file is read alone (its siblings are
not, so `advisor import main.tf` means exactly that file; give the directory to import
the whole module). `module` blocks whose `source` is a local path (`./x`, `../x`) are
read as child modules, with a depth limit and a cycle check; registry, git and http
sources are recorded (`Module.remote`) and their known shapes are handled by the importer.

What a configuration creates is decided here, by `advisor.importers.terraform.instances`:
`count` and `for_each` of resources, data sources and module calls are evaluated from
variable values (defaults, `.tfvars` files, `--var`) and locals, so each declaration
becomes zero, one or several instances (`aws_sqs_queue.q["orders"]`), each with its
arguments evaluated for that instance.

References resolve to resource instances across modules: `module.m.out` follows the
child's `output "out"`, `var.v` inside a child follows the argument the parent passed,
`local.l` follows the module's `locals`; a reference moved out of its module by evaluation
carries the module it belongs to (`Ref.home`).
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


def render_key(key: Any) -> str:
    """An instance key as Terraform writes it in an address: `[0]`, `["orders"]`."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    return "[" + json.dumps(str(key), ensure_ascii=False) + "]"


@dataclass
class Resource:
    """One instance of a resource (or data source) block, with its module-qualified address.

    `key` is the instance key (a `count` index or a `for_each` key); `indexed` says whether
    the address shows it (a resource with `count = 1` is `aws_x.y`, as it reads, though
    Terraform's state calls it `aws_x.y[0]`).
    """

    type: str
    name: str
    block: Block
    module: Module
    data: bool = False
    registry: bool = False  # a registry module call read as if it were `type`
    key: Any = None
    indexed: bool = False

    @property
    def address(self) -> str:
        if self.registry:
            head = f"module.{self.name}"
        else:
            head = f"data.{self.type}.{self.name}" if self.data else f"{self.type}.{self.name}"
        return self.module.prefix + head + (render_key(self.key) if self.indexed else "")

    @property
    def label(self) -> str:
        """The name a node is made from: the resource name, with the key when indexed."""
        return f"{self.name}_{self.key}" if self.indexed else self.name


@dataclass
class RemoteCall:
    """A module call that is not followed (registry, git, http, or a missing folder)."""

    name: str
    block: Block  # evaluated for this instance
    key: Any = None
    indexed: bool = False

    @property
    def label(self) -> str:
        return self.name + (render_key(self.key) if self.indexed else "")


@dataclass
class Module:
    """One module instance: its directory, declarations, instances and how it was called."""

    dir: Path
    prefix: str = ""  # "" for the root, 'module.a.module.b["k"].' for nested ones
    parent: Module | None = None
    call: Block | None = None  # this instance's `module` block, evaluated in the parent
    name: str = ""  # the call's name in the parent
    key: Any = None
    indexed: bool = False
    # declarations, as written
    resource_blocks: dict[tuple[str, str], Block] = field(default_factory=dict)
    data_blocks: dict[tuple[str, str], Block] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # defaults (None when absent)
    var_blocks: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, Block] = field(default_factory=dict)  # every `module` block
    # instances (filled by advisor.importers.terraform.instances)
    resources: dict[tuple[str, str], list[Resource]] = field(default_factory=dict)
    data: dict[tuple[str, str], Resource] = field(default_factory=dict)
    children: dict[str, Module] = field(default_factory=dict)  # instance label -> module
    remote: dict[str, RemoteCall] = field(default_factory=dict)  # label -> call not followed
    registry: dict[str, Resource] = field(default_factory=dict)  # registry calls read as resources
    absent: list[str] = field(default_factory=list)  # addresses created 0 times
    absent_blocks: list[Block] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)  # root only: .tfvars / --var values
    files: list[str] = field(default_factory=list)
    env: Any = None  # advisor.importers.terraform.instances.ModuleEnv

    @property
    def label(self) -> str:
        """`name` or `name_key`: how node names show the module."""
        return f"{self.name}_{self.key}" if self.indexed else self.name

    def chain(self) -> list[Module]:
        """The module instances from the root's child down to this one."""
        out: list[Module] = []
        mod: Module | None = self
        while mod is not None and mod.parent is not None:
            out.insert(0, mod)
            mod = mod.parent
        return out

    def instances(self, name: str) -> list[Module]:
        """The followed instances of the call `name` (none when it creates nothing)."""
        return [c for c in self.children.values() if c.name == name]

    def all_resources(self) -> list[Resource]:
        return [r for key in sorted(self.resources) for r in self.resources[key]]


@dataclass
class Workspace:
    """Everything read for one import: the root module, its children, notes."""

    root: Module
    notes: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    file_count: int = 0
    parsed: dict[Path, list[Block]] = field(default_factory=dict)
    _resources: tuple[Any, list[Resource]] | None = field(default=None, repr=False,
                                                          compare=False)

    def modules(self) -> list[Module]:
        out: list[Module] = []
        stack = [self.root]
        while stack:
            mod = stack.pop()
            out.append(mod)
            stack.extend(mod.children[k] for k in sorted(mod.children, reverse=True))
        return out

    def resources(self) -> list[Resource]:
        """Every resource instance, module by module (kept until a module gains a
        resource or a child: the wiring asks for the list once per component)."""
        mods = self.modules()
        key = tuple((id(m), len(m.resources), len(m.children)) for m in mods)
        if self._resources is None or self._resources[0] != key:
            self._resources = (key, [r for m in mods for r in m.all_resources()])
        return list(self._resources[1])

    def note(self, path: str, line: int, message: str) -> None:
        self.notes.append(Diagnostic(path, max(line, 1), 1, message, severity="info"))


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str:
    """A .tf file through the package's one reader (regular files only, bounded)."""
    from advisor.importers.reading import read_text as read_file

    return read_file(path, limit, display=display)


def load_workspace(
    path: str, text: str | None = None, variables: Any = None
) -> Workspace:
    """Read a .tf file or a module directory and every local module it calls, and decide
    what it creates. `variables` (a `variables.VarInputs`) gives `--var-file`/`--var`.

    With `text`, that text is the one file `path` (nothing is read from disk for it).
    `terraform.tfvars` and `*.auto.tfvars` are read when `path` is a directory (a single
    file is read alone, as its siblings are).
    """
    from advisor.importers.terraform import instances
    from advisor.importers.terraform.variables import VarInputs, root_inputs

    p = Path(path)
    given: dict[str, str] | None = None
    if text is not None:
        if len(text) > MAX_FILE_BYTES:
            raise AdvisorError([Diagnostic(path, 1, 1, "input is larger than the importer reads")])
        files, root, given = [p], Module(dir=p.parent), {str(p): text}
    elif p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".tf" and f.is_file())
        if not files:
            raise AdvisorError([Diagnostic(path, 1, 1, "no .tf files in this directory")])
        root = Module(dir=p)
    elif p.is_file():
        files, root = [p], Module(dir=p.parent)
    else:
        raise AdvisorError([Diagnostic(path, 1, 1, "no such file or directory")])
    ws = Workspace(root=root)
    read_module_files(ws, root, files, given)
    root.inputs = root_inputs(
        ws, root, variables or VarInputs(), auto_dir=p if text is None and p.is_dir() else None
    )
    instances.build(ws)
    return ws


def _display(path: Path) -> str:
    return str(path)


def read_module_files(
    ws: Workspace, mod: Module, files: list[Path], given: dict[str, str] | None = None
) -> None:
    """Parse the module's files (each directory once per import) and take its blocks."""
    for f in files:
        display = _display(f)
        key = f.resolve() if given is None or str(f) not in given else Path("<given>") / str(f)
        blocks = ws.parsed.get(key)
        if blocks is None:
            ws.file_count += 1
            if ws.file_count > MAX_FILES:
                raise AdvisorError(
                    [Diagnostic(str(f), 1, 1, f"more than {MAX_FILES} .tf files across modules")]
                )
            text = given[str(f)] if given and str(f) in given else read_text(f, display)
            ws.texts[display] = text
            blocks = parse_hcl(text, display, _make_reader(mod.dir))
            ws.parsed[key] = blocks
        mod.files.append(display)
        for block in blocks:
            _take_block(mod, block)


def local_source(mod: Module, call: Block) -> Path | None:
    """The folder a local `source` (`./x`, `../x`) names, else None (remote or computed)."""
    source = call.get("source")
    if not isinstance(source, str) or not source.startswith(("./", "../")):
        return None
    return Path(os.path.normpath(mod.dir / source))  # relative stays relative


def module_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.suffix == ".tf" and f.is_file())


def _take_block(mod: Module, block: Block) -> None:
    kind, labels = block.type, block.labels
    if kind == "resource" and len(labels) == 2:
        mod.resource_blocks[(labels[0], labels[1])] = block
    elif kind == "data" and len(labels) == 2:
        mod.data_blocks[(labels[0], labels[1])] = block
    elif kind == "locals":
        mod.locals.update(block.attrs)
    elif kind == "variable" and labels:
        mod.variables[labels[0]] = block.attrs.get("default")
        mod.var_blocks[labels[0]] = block
    elif kind == "output" and labels:
        mod.outputs[labels[0]] = block.attrs.get("value")
    elif kind == "module" and labels:
        mod.calls[labels[0]] = block


def _make_reader(folder: Path) -> Any:
    """`file()` / `templatefile()`: read a file beside the module (never outside reach)."""

    def reader(raw_path: str, variables: dict[str, Any] | None) -> Any:
        text_path = raw_path.replace("${path.module}", ".").replace("${path.root}", ".")
        text_path = text_path.replace("${path.cwd}", ".")
        if "${" in text_path:
            return None
        from advisor.importers.reading import read_beside

        content, _why = read_beside((folder / text_path).resolve(), MAX_READ_BYTES)
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


def render_template_file(template: Any, variables: Any) -> Any:
    """`data.template_file.<name>.rendered` (hashicorp/template): the `template` text with
    its `vars` substituted as `templatefile()` does. `file()` has already read the text
    (and decoded JSON); a JSON document is rendered string by string."""
    if not isinstance(variables, dict) or not variables:
        return template
    if isinstance(template, str):
        return _maybe_json(_render_template(template, variables))
    if isinstance(template, dict):
        return {k: render_template_file(v, variables) for k, v in template.items()}
    if isinstance(template, list):
        return [render_template_file(v, variables) for v in template]
    return template


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


def home_of(ref: Ref, mod: Module) -> Module:
    """The module instance a reference is resolved in."""
    return ref.home if isinstance(ref.home, Module) else mod


def resolve_ref(
    ws: Workspace, mod: Module, path: str, depth: int = 0
) -> list[tuple[Resource, str]]:
    """The resource instances a reference names, with the attribute used (`arn`, ...).

    Follows module outputs, variables passed by a parent, and locals, through their
    evaluated values. Returns [] for references to things outside the configuration
    (`data.aws_region...`, unset variables) and to resources that are not created.
    """
    from advisor.importers.terraform.evaluate import EvalError, parse_path, render_step

    if depth > MAX_RESOLVE_DEPTH:
        return []
    try:
        root, steps = parse_path(path)
    except EvalError:
        return []
    names = [s[1] for s in steps[:1] if s[0] == "attr"]
    if not names:
        return []
    name, rest = names[0], steps[1:]
    if root == "module":
        key, rest = _key_step(rest)
        registry = [r for r in mod.registry.values() if r.name == name and _matches(r, key)]
        if registry:
            attr = "".join(render_step(s) for s in rest).lstrip(".")
            return [(r, attr) for r in registry]
        out: list[tuple[Resource, str]] = []
        for child in mod.instances(name):
            if not _matches(child, key):
                continue
            if not rest or rest[0][0] != "attr":
                out.extend((r, "") for r in child.all_resources())
                continue
            try:
                value = child.env.output(rest[0][1], 0)
            except EvalError:
                continue
            out.extend(resolve_value(ws, child, value, depth + 1))
        return out
    if root in ("var", "local"):
        env = mod.env
        if env is None:
            return []
        try:
            value = env.var(name, 0) if root == "var" else env.local(name, 0)
        except EvalError:
            return []
        if isinstance(value, Ref) and value.path.split(".")[:2] == [root, name]:
            return []  # no value: nothing to follow
        return resolve_value(ws, mod, value, depth + 1)
    if root == "data":
        if not rest or rest[0][0] != "attr":
            return []
        data = mod.data.get((name, rest[0][1]))
        attr = "".join(render_step(s) for s in rest[1:]).lstrip(".")
        return [(data, attr)] if data is not None else []
    if root.startswith("aws_"):
        key, rest = _key_step(rest)
        found = [r for r in mod.resources.get((root, name), []) if _matches(r, key)]
        attr = "".join(render_step(s) for s in rest).lstrip(".")
        return [(r, attr) for r in found]
    return []


_ANY = object()


def _key_step(steps: list[tuple[str, Any]]) -> tuple[Any, list[tuple[str, Any]]]:
    """The instance key a reference selects (`_ANY` for none, `[*]` or an unknown key)."""
    if steps and steps[0][0] in ("index", "splat"):
        key = steps[0][1]
        if steps[0][0] == "splat" or isinstance(key, Ref | Expr):
            return _ANY, steps[1:]
        return key, steps[1:]
    return _ANY, steps


def _matches(item: Resource | Module, key: Any) -> bool:
    if key is _ANY or item.key is None:
        return True  # one instance answers any key (count = 1, or not known)
    return bool(item.key == key or str(item.key) == str(key))


def resolve_value(
    ws: Workspace, mod: Module, value: Any, depth: int = 0
) -> list[tuple[Resource, str]]:
    """The resources every reference inside a value names (deduplicated, in order)."""
    out: list[tuple[Resource, str]] = []
    seen: set[tuple[str, str]] = set()
    if value is None or depth > MAX_RESOLVE_DEPTH:
        return out
    for ref in iter_refs(value):
        for res, attr in resolve_ref(ws, home_of(ref, mod), ref.path, depth):
            key = (res.address, attr)
            if key not in seen:
                seen.add(key)
                out.append((res, attr))
    return out


def is_config_ref(path: str) -> bool:
    """References we expect to resolve (not `path.module`, `each.value`, `count.index`)."""
    head = path.split(".", 1)[0]
    return head in ("module", "var", "local") or head.startswith("aws_")


def is_absent(mod: Module, path: str) -> bool:
    """A reference to something the configuration declares but does not create here
    (`count = 0`, an empty `for_each`): nothing to report, nothing to resolve."""
    head = strip_indexes(path).split(".")
    if head[0] == "module" and len(head) >= 2:
        return head[1] in mod.calls and not mod.instances(head[1]) and not any(
            r.name == head[1] for r in mod.remote.values()
        )
    if len(head) >= 2 and head[0].startswith("aws_"):
        return (head[0], head[1]) in mod.resource_blocks and not mod.resources.get(
            (head[0], head[1])
        )
    return False
