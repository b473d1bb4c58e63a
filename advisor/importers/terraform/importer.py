"""Terraform (`.tf`) -> Architecture: components become nodes, wiring becomes edges.

`import_terraform(path)` reads a `.tf` file or a module directory (a directory of `.tf`
files is one module, so one architecture; a single file is read alone), follows local
modules, and maps:

- component resources (the catalog's `terraform:` types) to nodes named after the
  resource (made unique and a valid DSL identifier), keeping the address as `source_id`
  (`aws_lambda_function.forward`, `module.m.aws_sqs_queue.q`) and the block's location;
- wiring resources (event source mappings, subscriptions, notifications, rule targets,
  API Gateway integrations, IAM, ...) to edges and props, counted as consumed;
- unknown `aws_*` types to `resource` nodes, reported as info notes;
- every consumed resource's address to the node it belongs to (`arch.aliases`, tf_aliases).

Props are set only where the configuration states them; the catalog supplies defaults.
The per-type readers live in `props` (node props) and `wiring/` (edges, one module per
service family); this module owns naming, reference resolution to node names, entry
points and the final assembly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from advisor import catalog
from advisor.errors import Diagnostic
from advisor.importers.terraform.hcl import Block, Expr, Ref, iter_refs
from advisor.importers.terraform.module import (
    Module,
    Resource,
    Workspace,
    home_of,
    is_absent,
    is_config_ref,
    load_workspace,
    resolve_ref,
)
from advisor.model import Architecture, Location

_IDENT_RE = re.compile(r"[^A-Za-z0-9_]")
_NOT_BY_NAME = {"apigw", "logs", "cognito", "kms", "client", "cloudfront", "alb"}
_RESERVED = {"architecture", "workload", "group", "true", "false", "client"}
_GENERIC_NAMES = {"this", "main", "default", "self"}


@cache
def mapping() -> dict[str, Any]:
    from advisor.importers.reading import package_yaml

    return package_yaml("terraform/mapping.yaml")  # type: ignore[no-any-return]


def is_consumed(rtype: str) -> bool:
    for pat in mapping()["consumed"]:
        if (pat.endswith("*") and rtype.startswith(pat[:-1])) or rtype == pat:
            return True
    return False


@dataclass
class Context:
    """The import in progress: workspace, architecture, and resource -> node names."""

    ws: Workspace
    arch: Architecture
    node_of: dict[str, str] = field(default_factory=dict)  # address -> node name
    res_of: dict[str, Resource] = field(default_factory=dict)  # node name -> resource
    by_name: dict[str, list[str]] = field(default_factory=dict)  # literal AWS name -> nodes
    consumed: dict[str, int] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)  # address of a component folded -> node
    unresolved: set[tuple[str, int, str]] = field(default_factory=set)
    memo: dict[str, Any] = field(default_factory=dict)  # indexes built once per import

    # ------------------------------------------------------------- look-ups
    def loc(self, block: Block) -> Location:
        return Location(block.path, max(block.line, 1), max(block.column, 1))

    def note(self, block: Block | None, message: str, line: int | None = None) -> None:
        path = block.path if block is not None else self.arch.source
        at = line or (block.line if block is not None else 1)
        self.ws.notes.append(Diagnostic(path, max(at, 1), 1, message, severity="info"))

    def nodes(
        self, mod: Module, value: Any, block: Block | None = None, attr: str = ""
    ) -> list[str]:
        """Node names a value refers to (through passthrough types and literal names).

        Config references (`aws_*`, `module.`, `var.`, `local.`) that reach no node are
        reported once as info notes with their line.
        """
        out: list[str] = []
        if value is None:
            return out
        for ref in iter_refs(value):
            home = home_of(ref, mod)
            found = self.ref_nodes(home, ref.path, 0)
            if (
                not found
                and is_config_ref(ref.path)
                and block is not None
                and not is_absent(home, ref.path)
            ):
                line = ref.line or block.attr_lines.get(attr, block.line)
                key = (block.path, line, ref.path)
                if key not in self.unresolved and not _is_benign(ref.path):
                    self.unresolved.add(key)
                    self.note(block, f"reference '{ref.path}' does not name a component here", line)
            for n in found:
                if n not in out:
                    out.append(n)
        if not out:
            for text in _literals(value):
                for n in self.by_literal(text):
                    if n not in out:
                        out.append(n)
        return out

    def ref_nodes(self, mod: Module, path: str, depth: int) -> list[str]:
        out: list[str] = []
        if depth > 8:
            return out
        for res, _attr in resolve_ref(self.ws, mod, path):
            name = self.node_of.get(res.address)
            if name is not None:
                out.append(name)
                continue
            follow = mapping()["passthrough"].get(res.type)
            if follow and follow in res.block.attrs:
                for ref in iter_refs(res.block.attrs[follow]):
                    out.extend(self.ref_nodes(home_of(ref, res.module), ref.path, depth + 1))
                if not list(iter_refs(res.block.attrs[follow])):
                    out.extend(self.by_literal(str(res.block.attrs[follow])))
        return out

    def by_literal(self, text: str) -> list[str]:
        """The node whose literal AWS name matches a name or an ARN/URL's last segment.

        Only data-plane kinds count (an API or a log group sharing a table's name is not
        what a literal `orders` means), and only an unambiguous match is returned.
        """
        if not text or "${" in text:
            return []
        found = self.by_name.get(text)
        if found is None:
            tail = re.split(r"[:/]", text)[-1]
            found = self.by_name.get(tail, []) if tail and tail != text else []
        found = [n for n in found if self.arch.kind(n) not in _NOT_BY_NAME]
        return list(found) if len(found) == 1 else []

    def only_of(self, kind: str) -> list[str]:
        found = list(self.arch.nodes_of_kind(kind))
        return found if len(found) == 1 else []

    def set_props(self, node: str, **props: Any) -> None:
        data = self.arch.graph.nodes[node]["props"]
        for k, v in props.items():
            if v is not None:
                data[k] = v

    def edge(
        self,
        a: str,
        b: str,
        *,
        block: Block | None = None,
        mode: str | None = None,
        label: str | None = None,
        **props: Any,
    ) -> None:
        if a == b or a not in self.arch.graph or b not in self.arch.graph:
            return
        clean = {k: v for k, v in props.items() if v is not None}
        self.arch.add_edge(
            a, b, mode=mode, label=label, props=clean, loc=self.loc(block) if block else None
        )

    def consume(self, rtype: str) -> None:
        self.consumed[rtype] = self.consumed.get(rtype, 0) + 1


def _is_benign(path: str) -> bool:
    """References that never name a component (IAM roles and similar support types)."""
    head = path.split(".", 1)[0]
    return head.startswith(
        ("aws_iam_", "aws_cloudwatch_log_resource", "aws_kms_alias")
    ) or path.startswith("var.")


def _literals(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


# ----------------------------------------------------------------- naming
def _ident(text: str) -> str:
    name = _IDENT_RE.sub("_", text).strip("_") or "node"
    if name[0].isdigit():
        name = "n_" + name
    return name


def _is_reserved(name: str) -> bool:
    """DSL keywords cannot name a node (kind words can: `lambda lambda` parses)."""
    return name.lower() in _RESERVED


def _assign_names(items: list[tuple[Resource, str]]) -> dict[str, str]:
    """Address -> unique DSL-safe node name.

    The resource name when it is unique; on a collision `kind_name` (`lambda_forward`),
    then the module name in front, then a number. Root resources choose first, so a
    module's resources give way to the root's.
    """
    counts: dict[str, int] = {}
    for res, _kind in items:
        stem = _ident(res.label).lower()
        if not (res.module.parent and stem in _GENERIC_NAMES):  # those never take the stem
            counts[stem] = counts.get(stem, 0) + 1
    taken: set[str] = set()
    out: dict[str, str] = {}
    for res, kind in sorted(items, key=lambda it: (len(it[0].module.chain()), it[0].address)):
        stem = _ident(res.label)
        mod = _ident("_".join(m.label for m in res.module.chain())) if res.module.parent else ""
        # `this`/`main` says nothing outside its module: there the module names it
        generic = bool(mod) and stem.lower() in _GENERIC_NAMES
        candidates = [stem] if not generic and counts[stem.lower()] == 1 else []
        with_kind = stem if stem.lower().startswith(kind + "_") else f"{kind}_{stem}"
        if mod:
            candidates += [f"{mod}_{stem}", with_kind, f"{mod}_{with_kind}"]
        else:
            candidates += [with_kind]
        name = next((c for c in candidates if c.lower() not in taken and not _is_reserved(c)), None)
        if name is None:
            base, i = candidates[-1], 2
            name = f"{base}_{i}"
            while name.lower() in taken:
                i += 1
                name = f"{base}_{i}"
        taken.add(name.lower())
        out[res.address] = name
    return out


# ----------------------------------------------------------------- entry point
def import_terraform(
    path: str, text: str | None = None, variables: Any = None
) -> Architecture:
    """Import a `.tf` file or a module directory as one Architecture (AdvisorError on bad input).

    `text`, when given, is the content of the single file `path` (pasted HCL).
    `variables` (`advisor.importers.terraform.variables.VarInputs`) carries `--var-file`
    and `--var` values for the root module.
    """
    from advisor.importers.terraform import aliases, wiring
    from advisor.importers.terraform import props as node_props

    ws = load_workspace(path, text, variables)
    arch = Architecture(name=_arch_name(path), source=path, format="terraform")
    ctx = Context(ws=ws, arch=arch)
    _collect_registry_modules(ctx)

    function_logs = _function_log_groups(ws)
    items: list[tuple[Resource, str]] = []
    for res in ws.resources() + ctx_registry(ctx):
        kind = catalog.kind_for_terraform(res.type)
        if res.address in function_logs:
            continue  # part of its function (`_fold_function_logs`)
        if kind is not None:
            items.append((res, kind))
        elif not res.type.startswith("aws_"):
            ctx.note(res.block, f"'{res.type}.{res.name}' is not an AWS resource; not modelled")
        elif is_consumed(res.type):
            continue
        else:
            items.append((res, "resource"))
    names = _assign_names(items)
    for res, kind in items:
        name = names[res.address]
        props: dict[str, Any] = {"type": res.type} if kind == "resource" else {}
        arch.add_node(
            name,
            kind,
            props,
            loc=ctx.loc(res.block),
            group=_group(res.module),
            ignore=_ignores(res.block),
            source_id=res.address,
        )
        ctx.node_of[res.address] = name
        ctx.res_of[name] = res
        for attr in ("name", "function_name", "bucket", "table_name", "queue_name", "topic_name"):
            literal = res.block.attrs.get(attr)
            if isinstance(literal, str) and literal and "${" not in literal:
                ctx.by_name.setdefault(literal, []).append(name)
        if kind == "resource":
            ctx.note(
                res.block, f"'{res.type}' is not a known component type; kept as a generic resource"
            )

    for name in arch.node_names():
        node_props.read_node(ctx, name)
    _fold_function_logs(ctx, function_logs)
    for res in ws.resources():
        if catalog.kind_for_terraform(res.type) is None and is_consumed(res.type):
            ctx.consume(res.type)
            wiring.read_wiring(ctx, res)
    wiring.finish(ctx)
    arch.aliases = aliases.build_aliases(ctx)  # before the registry list is dropped
    wiring.iam.flag_wide_roles(ctx)  # every role's owner is known now
    _entry_points(ctx)
    _remote_module_notes(ctx)
    if ctx.consumed:
        total = sum(ctx.consumed.values())
        kinds = ", ".join(f"{t} x{n}" for t, n in sorted(ctx.consumed.items()))
        arch.notes.append(
            Diagnostic(
                path,
                1,
                1,
                f"{total} wiring/support resources read as edges or props: {kinds}",
                severity="info",
            )
        )
    arch.notes.extend(sorted(set(ws.notes)))
    arch.resolve_modes()
    return arch


def _arch_name(path: str) -> str:
    from pathlib import Path

    p = Path(path).resolve()
    return p.name if p.is_dir() else (p.parent.name or p.stem)


def _group(mod: Module) -> tuple[str, ...]:
    from advisor.importers.terraform.module import render_key

    return tuple(
        f"module.{m.name}" + (render_key(m.key) if m.indexed else "") for m in mod.chain()
    )


_CHECKOV_RE = re.compile(r"checkov:skip=\s*([A-Za-z0-9_.-]+)")
_ADVISOR_RE = re.compile(r"advisor:\s*ignore\s+([A-Za-z0-9_.,\s-]+)")
_TFSEC_RE = re.compile(r"(?:tfsec|trivy):ignore:([A-Za-z0-9_.-]+)")


def _ignores(block: Block) -> frozenset[str]:
    """Rule ids suppressed by comments inside the block (checkov, tfsec, advisor)."""
    out: set[str] = set()
    for comment in block.comments:
        for m in _CHECKOV_RE.finditer(comment):
            out.add(m.group(1))
        for m in _TFSEC_RE.finditer(comment):
            out.add(m.group(1))
        for m in _ADVISOR_RE.finditer(comment):
            out.update(p for p in re.split(r"[\s,]+", m.group(1).strip()) if p)
    return frozenset(out)


# ----------------------------------------------------------------- registry modules
def registry_key(source: str) -> str:
    """`registry.terraform.io/terraform-aws-modules/lambda/aws` ->
    `terraform-aws-modules/lambda/aws`: the key of mapping.yaml's registry tables. A
    submodule (`.../lambda/aws//modules/alias`) keeps its path: it is another module (an
    alias, a deployment), not the module's function."""
    return re.sub(r"^registry\.terraform\.io/", "", source)


def _collect_registry_modules(ctx: Context) -> None:
    reg = mapping()["registry_modules"]
    ctx.arch.graph.graph["tf_registry"] = []
    for mod in ctx.ws.modules():
        for label, remote in sorted(mod.remote.items()):
            call = remote.block
            source = str(call.get("source", ""))
            key = registry_key(source)
            rtype = reg.get(key)
            if rtype and not _registry_creates(ctx, key, call, rtype, remote.label):
                continue
            if rtype:
                res = Resource(
                    rtype, remote.name, call, mod, registry=True, key=remote.key,
                    indexed=remote.indexed,
                )
                mod.registry[label] = res
                ctx.arch.graph.graph["tf_registry"].append(res)
                ctx.note(
                    call,
                    f"registry module '{source}' read as {rtype} "
                    "(best effort; module not downloaded)",
                )


def _registry_creates(ctx: Context, key: str, call: Block, rtype: str, label: str) -> bool:
    """False (with a note) when the call's own switches turn the module's resource off."""
    from advisor.importers.terraform.evaluate import is_known

    for arg, on in (mapping().get("registry_creates", {}).get(key) or {}).items():
        value = call.attrs.get(arg)
        if value is not None and is_known(value) and value != on:
            ctx.note(call, f"registry module '{label}' creates no {rtype} here ({arg} = "
                           f"{str(value).lower() if isinstance(value, bool) else value})")
            return False
    return True


def registry_default(res: Resource, arg: str) -> Any:
    """An argument of a registry module call, or the module's documented default."""
    if arg in res.block.attrs:
        return res.block.attrs[arg]
    source = str(res.block.get("source", ""))
    key = registry_key(source)
    return (mapping().get("registry_defaults", {}).get(key) or {}).get(arg)


def ctx_registry(ctx: Context) -> list[Resource]:
    return list(ctx.arch.graph.graph.get("tf_registry", []))


def _remote_module_notes(ctx: Context) -> None:
    reg = mapping()["registry_modules"]
    from advisor.importers.terraform.module import local_source

    for mod in ctx.ws.modules():
        for _label, remote in sorted(mod.remote.items()):
            source = str(remote.block.get("source", ""))
            key = registry_key(source)
            if key not in reg and local_source(mod, remote.block) is None:
                ctx.note(
                    remote.block,
                    f"module '{remote.name}' (source '{source}') not followed: "
                    "only local modules are read",
                )
    ctx.arch.graph.graph.pop("tf_registry", None)


# ----------------------------------------------------------------- function log groups
def _function_log_groups(ws: Workspace) -> dict[str, Resource]:
    """Log group address -> the function it is the log group of: `name` is
    `/aws/lambda/<function>` naming a declared function (by reference or by its literal
    `function_name`), or a function's `logging_config.log_group` names it. Such a log
    group is part of its function (its `log_retention`), not a node, as CloudFormation's
    importer reads `/aws/lambda/${Fn}` log groups; every other log group, and one a
    subscription filter reads, is a node."""
    functions = [r for r in ws.resources() if r.type == "aws_lambda_function" and not r.data]
    by_name = {str(f.block.get("function_name")): f for f in functions
               if isinstance(f.block.get("function_name"), str)}
    subscribed = {t.address for r in ws.resources()
                  if r.type == "aws_cloudwatch_log_subscription_filter"
                  for ref in iter_refs(r.block.get("log_group_name"))
                  for t, _attr in resolve_ref(ws, home_of(ref, r.module), ref.path)}
    out: dict[str, Resource] = {}
    for fn in functions:
        cfg = fn.block.first("logging_config")
        for ref in iter_refs(cfg.get("log_group") if cfg is not None else None):
            for target, _attr in resolve_ref(ws, home_of(ref, fn.module), ref.path):
                if target.type == "aws_cloudwatch_log_group":
                    out[target.address] = fn
    for group in ws.resources():
        if group.type != "aws_cloudwatch_log_group" or group.data or group.address in out \
                or group.address in subscribed:  # a source of a subscription: a node
            continue
        name = group.block.get("name")
        if "/aws/lambda/" not in str(name):
            continue
        owners = [t for ref in iter_refs(name)
                  for t, _attr in resolve_ref(ws, home_of(ref, group.module), ref.path)
                  if t.type == "aws_lambda_function"]
        if not owners and isinstance(name, str):
            owner = by_name.get(name.split("/aws/lambda/", 1)[1])
            owners = [owner] if owner is not None else []
        if len(owners) == 1:
            out[group.address] = owners[0]
    return out


def _fold_function_logs(ctx: Context, owned: dict[str, Resource]) -> None:
    """Each function's log group gives the function `log_retention`; a finding about it
    points at the log group block (`prop_locs`); the group's address aliases the function."""
    from advisor.importers.terraform.props import num

    first: dict[str, Resource] = {}
    for r in ctx.ws.resources():
        first.setdefault(r.address, r)
    for address in sorted(owned):
        fn = ctx.node_of.get(owned[address].address)
        group = first.get(address)
        if fn is None or group is None:
            continue
        ctx.consume(group.type)
        ctx.folded[address] = fn
        ctx.arch.graph.nodes[fn].setdefault("prop_locs", {})["log_retention"] = ctx.loc(group.block)
        days = num(group.block.get("retention_in_days"))
        if days is not None:
            ctx.set_props(fn, log_retention=int(days))


# ----------------------------------------------------------------- entry points
def _entry_points(ctx: Context) -> None:
    """Add one `client` node, `clients` (the CloudFormation importer's name for it too),
    calling every API, function URL, public bucket and open topic (not one CloudWatch
    alarms notify: the alarms feed it, not clients)."""
    arch = ctx.arch
    alarmed = {n for r in ctx.ws.resources()
               if r.type in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm")
               and not r.data
               for key in ("alarm_actions", "ok_actions", "insufficient_data_actions")
               for n in ctx.nodes(r.module, r.block.get(key))}  # no notes: not components
    targets: list[str] = []
    for name in arch.node_names():
        kind = arch.kind(name)
        props = arch.props(name)
        if (
            kind in ("apigw", "appsync", "cloudfront")
            or (kind == "alb" and props.get("scheme") != "internal")
            or (kind == "lambda" and props.get("url"))
            or (kind == "s3" and props.get("public"))
            or (kind == "sns" and arch.graph.in_degree(name) == 0 and name not in alarmed)
        ):
            targets.append(name)
    # an API fronted by CloudFront is reached through it
    fronted = {b for a in targets if arch.kind(a) == "cloudfront" for b in arch.graph.successors(a)}
    targets = [t for t in targets if t not in fronted]
    if not targets:
        return
    client = "clients"
    i = 2
    while client in arch.graph:
        client, i = f"clients_{i}", i + 1
    arch.add_node(client, "client", {}, source_id=None)
    for t in targets:
        arch.add_edge(client, t)


__all__ = ["Context", "Expr", "Ref", "import_terraform", "is_consumed", "mapping"]
