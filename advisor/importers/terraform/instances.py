"""What a configuration creates: `count`, `for_each` and `dynamic` blocks, evaluated.

Every module instance gets a `ModuleEnv` (its variables, locals, outputs, resources and
child modules as values for `advisor.importers.terraform.evaluate`). `build(ws)` then
walks the module tree from the root:

- a `module` call with a local source becomes one child instance per `count` index or
  `for_each` key (none for `count = 0`), each called with its own arguments; other
  sources are kept as `RemoteCall`s (the importer reads known registry modules);
- a resource or data source becomes one `Resource` per instance, its arguments evaluated
  for that instance (`each.key`, `each.value`, `count.index`), null arguments dropped
  (Terraform treats null as unset) and `dynamic` blocks expanded;
- a `count` / `for_each` whose value the configuration does not tell (it depends on a
  resource attribute, a data source or a variable with no value) gives one instance and
  an info note saying so. A declaration created 0 times is listed in one note per module.

Variable values: the root's come from `--var`, `--var-file`, `*.auto.tfvars`,
`terraform.tfvars` and defaults (advisor.importers.terraform.variables); a child's from
the arguments of its call, evaluated in the parent, else its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from advisor.importers.terraform.evaluate import (
    EvalError,
    ModuleValue,
    Scope,
    as_number,
    as_string,
    carry,
    evaluate,
    evaluate_strict,
    is_known,
    is_known_shallow,
)
from advisor.importers.terraform.hcl import Block, Ref, iter_refs
from advisor.importers.terraform.module import (
    MAX_MODULE_DEPTH,
    Module,
    RemoteCall,
    Resource,
    Workspace,
    local_source,
    module_files,
    read_module_files,
    render_key,
    render_template_file,
)

MAX_INSTANCES = 256  # instances of one declaration; above it, one instance and a note
_SHOWN = 6  # absent declarations named in a note
_BUSY = object()
_RAW_BLOCKS = ("lifecycle", "provisioner", "connection")


@dataclass
class Expansion:
    """How many instances a declaration has: `one`, `count`, `each` or `unknown`."""

    kind: str
    keys: list[Any]
    values: dict[Any, Any]
    why: str = ""

    def names(self, key: Any) -> dict[str, Any]:
        if self.kind == "count":
            return {"count": {"index": key}}
        if self.kind == "each":
            return {"each": {"key": key, "value": self.values[key]}}
        return {}

    @property
    def indexed(self) -> bool:
        return self.kind == "each" or (self.kind == "count" and len(self.keys) > 1)


class ModuleEnv:
    """One module instance's values, computed on demand and remembered."""

    def __init__(self, ws: Workspace, mod: Module, call_names: dict[str, Any]) -> None:
        self.ws = ws
        self.mod = mod
        self.home = mod
        self.call_names = call_names  # count/each of the call, for its arguments
        self._memo: dict[tuple[str, str], Any] = {}
        self._expansions: dict[tuple[str, str, str], Expansion] = {}
        self.building: set[str] = set()  # module calls being built (a cycle guard)
        self.done: set[str] = set()  # module calls built
        self.depth = 0
        self.seen: tuple[Any, ...] = ()  # module folders from the root down (cycle check)

    def scope(self, names: dict[str, Any] | None = None) -> Scope:
        return Scope(self, dict(names or {}))

    def _remember(self, kind: str, name: str, compute: Any, line: int, fallback: str) -> Any:
        key = (kind, name)
        found = self._memo.get(key)
        if found is _BUSY:
            return Ref(fallback, line, self.mod)  # a cycle: leave it symbolic
        if found is not None or key in self._memo:
            return found
        self._memo[key] = _BUSY
        try:
            value = compute()
        except EvalError:
            del self._memo[key]
            raise
        self._memo[key] = value
        return value

    # ------------------------------------------------------------- Env protocol
    def var(self, name: str, line: int) -> Any:
        return self._remember("var", name, lambda: self._var(name, line), line, f"var.{name}")

    def _var(self, name: str, line: int) -> Any:
        from advisor.importers.terraform.variables import convert, declared_default

        mod = self.mod
        block = mod.var_blocks.get(name)
        type_expr = block.get("type") if block is not None else None
        if mod.parent is not None and mod.call is not None and name in mod.call.attrs:
            # evaluated in the parent when the call was; its references stay the parent's
            value = carry(mod.call.attrs[name], mod.parent)
            if value is None and block is not None and block.get("nullable") is False:
                value = declared_default(self, block)
        elif mod.parent is None and name in mod.inputs:
            value = mod.inputs[name]
        elif block is not None and "default" in block.attrs:
            value = declared_default(self, block)
        else:
            return Ref(f"var.{name}", line, mod)
        return convert(value, type_expr)

    def local(self, name: str, line: int) -> Any:
        mod = self.mod
        if name not in mod.locals:
            return Ref(f"local.{name}", line, mod)
        return self._remember(
            "local", name, lambda: evaluate(mod.locals[name], self.scope()), line, f"local.{name}"
        )

    def output(self, name: str, line: int) -> Any:
        mod = self.mod
        if name not in mod.outputs:
            raise EvalError(f"module {mod.label} has no output {name!r}")
        return self._remember(
            "output", name, lambda: carry(evaluate(mod.outputs[name], self.scope()), mod), line,
            f"module.{mod.name}.{name}",
        )

    def module(self, name: str, line: int) -> Any:
        mod = self.mod
        call = mod.calls.get(name)
        if call is None or name in self.building:
            return Ref(f"module.{name}", line, mod)
        ensure_call(self.ws, mod, name)
        exp = self.expansion("module", name, call)
        children = mod.instances(name)
        if not children:
            if not exp.keys:  # created 0 times
                return [] if exp.kind == "count" else {}
            return Ref(f"module.{name}", line, mod)  # not followed (remote, missing)
        values = {c.key: ModuleValue(c.env.output, c.label) for c in children}
        if exp.kind == "count":
            return [values[k] for k in exp.keys if k in values]
        if exp.kind == "each":
            return {k: values[k] for k in exp.keys if k in values}
        return next(iter(values.values()))

    def resource(self, rtype: str, name: str, line: int) -> Any:
        block = self.mod.resource_blocks.get((rtype, name))
        address = f"{rtype}.{name}"
        if block is None:
            return Ref(address, line, self.mod)
        exp = self.expansion("resource", address, block)
        if exp.kind == "count":
            return [Ref(f"{address}[{i}]", line, self.mod) for i in exp.keys]
        if exp.kind == "each":
            return {k: Ref(address + render_key(k), line, self.mod) for k in exp.keys}
        return Ref(address, line, self.mod)

    def data(self, rtype: str, name: str, line: int) -> Any:
        """A data source read before `terraform apply` can be: `template_file` (its
        `rendered` text). Every other data source stays symbolic."""
        block = self.mod.data_blocks.get((rtype, name))
        address = f"data.{rtype}.{name}"
        if rtype != "template_file" or block is None or \
                "count" in block.attrs or "for_each" in block.attrs:
            return Ref(address, line, self.mod)

        def rendered() -> Any:
            scope = self.scope()
            return {"rendered": render_template_file(
                evaluate(block.attrs.get("template"), scope),
                evaluate(block.attrs.get("vars"), scope))}

        return self._remember("data", address, rendered, line, address)

    # ------------------------------------------------------------- count / for_each
    def expansion(self, what: str, address: str, block: Block) -> Expansion:
        key = (what, address, block.path)
        found = self._expansions.get(key)
        if found is None:
            self._expansions[key] = Expansion("unknown", [None], {}, "it depends on itself")
            found = _expand(self, block)
            self._expansions[key] = found
        return found


def _expand(env: ModuleEnv, block: Block) -> Expansion:
    count, for_each = block.attrs.get("count"), block.attrs.get("for_each")
    if count is None and for_each is None:
        return Expansion("one", [None], {})
    scope = env.scope()
    try:
        value = evaluate_strict(count if count is not None else for_each, scope)
    except EvalError as exc:
        return Expansion("unknown", [None], {}, f"it cannot be evaluated ({exc})")
    if not is_known_shallow(value):
        return Expansion("unknown", [None], {}, _why_unknown(value))
    if count is not None:
        if not is_known(value):
            return Expansion("unknown", [None], {}, _why_unknown(value))
        try:
            n = int(as_number(value))
        except EvalError as exc:
            return Expansion("unknown", [None], {}, f"it is not a number ({exc})")
        if n > MAX_INSTANCES:
            return Expansion("unknown", [None], {}, f"it is {n}, over the {MAX_INSTANCES} read")
        return Expansion("count", list(range(max(n, 0))), {})
    if isinstance(value, dict):
        keys = sorted(value)
        values = dict(value)
    elif isinstance(value, list):  # a set (toset() reads as a list)
        try:
            keys = sorted({as_string(v) for v in value})
        except Exception:
            return Expansion("unknown", [None], {}, "its elements are not all known strings")
        values = {k: k for k in keys}
    elif value is None:
        return Expansion("unknown", [None], {}, "it is null")
    else:
        return Expansion("unknown", [None], {}, "it is not a map or a set")
    if len(keys) > MAX_INSTANCES:
        return Expansion(
            "unknown", [None], {}, f"it has {len(keys)} keys, over the {MAX_INSTANCES} read"
        )
    return Expansion("each", keys, values)


def _why_unknown(value: Any) -> str:
    for ref in iter_refs(value):
        return f"it depends on {ref.path}"
    return "its value is not known before apply"


# ----------------------------------------------------------------- blocks per instance
def evaluate_block(block: Block, scope: Scope, *, drop_null: bool = True) -> Block:
    """A copy of the block with its arguments evaluated and `dynamic` blocks expanded."""
    attrs: dict[str, Any] = {}
    for k, v in block.attrs.items():
        value = v if k in ("count", "for_each", "depends_on") else evaluate(v, scope)
        if value is None and drop_null:
            continue
        attrs[k] = value
    blocks: list[Block] = []
    for sub in block.blocks:
        if sub.type == "dynamic" and sub.labels:
            blocks.extend(_dynamic(sub, scope))
        elif sub.type in _RAW_BLOCKS:
            blocks.append(sub)
        else:
            blocks.append(evaluate_block(sub, scope))
    return replace(block, attrs=attrs, blocks=blocks)


def _dynamic(dyn: Block, scope: Scope) -> list[Block]:
    label = dyn.labels[0]
    iterator = dyn.attrs.get("iterator")
    var = iterator.path if isinstance(iterator, Ref) else label
    content = next((b for b in dyn.blocks if b.type == "content"), None)
    if content is None:
        return []
    try:
        items = evaluate_strict(dyn.attrs.get("for_each"), scope)
    except EvalError:
        items = None
    if isinstance(items, dict):
        pairs = [(k, items[k]) for k in sorted(items)]
    elif isinstance(items, list):
        pairs = list(enumerate(items))
    else:  # not known here: keep one content block, as the block reads
        inner = evaluate_block(content, scope)
        return [replace(dyn, attrs={"for_each": items}, blocks=[inner])]
    out = []
    for k, v in pairs[:MAX_INSTANCES]:
        inner = evaluate_block(content, scope.with_names(**{var: {"key": k, "value": v}}))
        out.append(replace(inner, type=label, labels=()))
    return out


# ----------------------------------------------------------------- the module tree
def build(ws: Workspace) -> None:
    """Instances of every module call, resource and data source, from the root down."""
    root = ws.root
    root.env = ModuleEnv(ws, root, {})
    _build_module(ws, root, depth=0, seen=(root.dir.resolve(),))


def _build_module(ws: Workspace, mod: Module, depth: int, seen: tuple[Any, ...]) -> None:
    mod.env.depth, mod.env.seen = depth, seen
    for name in sorted(mod.calls):
        ensure_call(ws, mod, name)
    env: ModuleEnv = mod.env
    for (rtype, name), block in sorted(mod.resource_blocks.items()):
        instances = _instances(ws, env, rtype, name, block, data=False)
        if instances:
            mod.resources[(rtype, name)] = instances
    for (rtype, name), block in sorted(mod.data_blocks.items()):
        instances = _instances(ws, env, rtype, name, block, data=True)
        if instances:
            mod.data[(rtype, name)] = instances[0]
    if not mod.indexed:  # instances of one call are noted together by _build_call
        _absent_note(ws, mod)


def _absent_note(ws: Workspace, mod: Module, where: str | None = None) -> None:
    """One note per module (or per group of a call's instances that leave out the same
    declarations) naming what its variable values leave out."""
    if not mod.absent:
        return
    declared = len(mod.resource_blocks) + len(mod.calls)
    where = mod.prefix.rstrip(".") if where is None else where
    names = [a[len(mod.prefix):] for a in mod.absent]
    if mod.call is not None:
        path, line = mod.call.path, mod.call.line
    else:
        first = mod.absent_blocks[0] if mod.absent_blocks else None
        path = first.path if first else (mod.files[0] if mod.files else "")
        line = first.line if first else 1
    if len(names) == declared and mod.call is not None:
        ws.note(path, line, f"{where} creates nothing with these variable values "
                            "(every resource has count = 0 or an empty for_each)")
        return
    # what a reader looks for first: components and wiring, IAM and support last
    names.sort(key=lambda n: (n.startswith(("aws_iam_", "aws_s3_object")), n))
    shown = ", ".join(names[:_SHOWN]) + (
        f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    )
    head = f"{where}: " if where else ""
    ws.note(
        path, line,
        f"{head}{len(names)} of {declared} declared resources and modules not created with "
        f"these variable values (count = 0 or an empty for_each): {shown}",
    )


def _instances(
    ws: Workspace, env: ModuleEnv, rtype: str, name: str, block: Block, *, data: bool
) -> list[Resource]:
    mod = env.mod
    address = f"data.{rtype}.{name}" if data else f"{rtype}.{name}"
    exp = env.expansion("data" if data else "resource", address, block)
    if exp.kind == "unknown" and not data:
        what = "count" if "count" in block.attrs else "for_each"
        ws.note(
            block.path, block.line,
            f"{what} of {mod.prefix}{address} is not known from the configuration "
            f"({exp.why}): imported as one instance",
        )
    if not exp.keys:
        if not data:
            mod.absent.append(mod.prefix + address)
            mod.absent_blocks.append(block)
        return []
    out = []
    for key in exp.keys:
        scope = env.scope(exp.names(key))
        instance = evaluate_block(block, scope)
        out.append(
            Resource(
                rtype, name, instance, mod, data=data,
                key=key if exp.kind in ("count", "each") else None,
                indexed=exp.indexed,
            )
        )
    return out


def ensure_call(ws: Workspace, mod: Module, name: str) -> None:
    """The instances of module call `name` (built once): children, or remote calls."""
    env: ModuleEnv = mod.env
    if name in env.building or name in env.done:
        return
    env.building.add(name)
    try:
        _build_call(ws, mod, name)
    finally:
        env.building.discard(name)
        env.done.add(name)


def _build_call(ws: Workspace, mod: Module, name: str) -> None:
    call = mod.calls[name]
    env: ModuleEnv = mod.env
    exp = env.expansion("module", name, call)
    if exp.kind == "unknown":
        what = "count" if "count" in call.attrs else "for_each"
        ws.note(
            call.path, call.line,
            f"{what} of {mod.prefix}module.{name} is not known from the configuration "
            f"({exp.why}): read as one instance",
        )
    if not exp.keys:
        mod.absent.append(f"{mod.prefix}module.{name}")
        mod.absent_blocks.append(call)
        return
    folder = local_source(mod, call)
    depth, seen = env.depth, env.seen
    for key in exp.keys:
        names = exp.names(key)
        evaluated = evaluate_block(call, env.scope(names), drop_null=False)
        key_value = key if exp.kind in ("count", "each") else None
        remote = RemoteCall(name, evaluated, key_value, exp.indexed)
        why = _not_followed(folder, call, depth, seen)
        if why is not None:
            if why:
                ws.note(call.path, call.line, f"module '{name}' {why}")
            mod.remote[remote.label] = remote
            continue
        assert folder is not None
        prefix = f"{mod.prefix}module.{name}" + (render_key(key) if exp.indexed else "") + "."
        child = Module(
            dir=folder, prefix=prefix, parent=mod, call=evaluated, name=name,
            key=key_value, indexed=exp.indexed,
        )
        read_module_files(ws, child, module_files(folder))
        if remote.label == name or key == exp.keys[0]:  # once per call, not per instance
            _undeclared_arguments(ws, call, child)
        child.env = ModuleEnv(ws, child, names)
        mod.children[remote.label] = child
        _build_module(ws, child, depth + 1, (*seen, folder.resolve()))
    if exp.indexed:
        _absent_notes_of_call(ws, mod, name)


def _absent_notes_of_call(ws: Workspace, mod: Module, name: str) -> None:
    """Instances leaving out the same declarations share one note."""
    groups: dict[tuple[str, ...], list[Module]] = {}
    for child in mod.instances(name):
        key = tuple(a[len(child.prefix):] for a in child.absent)
        groups.setdefault(key, []).append(child)
    for key, children in sorted(groups.items()):
        if not key:
            continue
        first = children[0]
        where = first.prefix.rstrip(".")
        if len(children) > 1:
            where = f"{mod.prefix}module.{name} ({len(children)} instances)"
        _absent_note(ws, first, where)


_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}


def _undeclared_arguments(ws: Workspace, call: Block, child: Module) -> None:
    """Arguments the module does not declare: Terraform refuses them; here they are
    ignored, said once (often an example written for another version of the module)."""
    extra = sorted(k for k in call.attrs if k not in _META_ARGUMENTS and k not in child.var_blocks)
    if extra:
        ws.note(
            call.path, call.attr_lines.get(extra[0], call.line),
            f"module '{call.labels[0]}': {', '.join(extra)} not declared by the module "
            "(ignored here; Terraform refuses undeclared arguments)",
        )


def _not_followed(folder: Any, call: Block, depth: int, seen: tuple[Any, ...]) -> str | None:
    """Why a call is not read as a local module ("" for a remote source, noted later)."""
    if folder is None:
        return ""
    source = call.get("source")
    if depth + 1 > MAX_MODULE_DEPTH:
        return f"not followed: deeper than {MAX_MODULE_DEPTH} levels"
    if folder.resolve() in seen:
        return "not followed: it calls itself (cycle)"
    if not folder.is_dir():
        return f"not read: local source '{source}' not found"
    if not module_files(folder):
        return f"not read: local source '{source}' has no .tf files (is the module's folder there?)"
    return None
