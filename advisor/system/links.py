"""Resolve what ties the stacks of a system together, and rewrite each template to say it.

Four kinds of link, each ending at an `Endpoint` (a resource of some stack):

- an `Fn::ImportValue` whose (evaluated) name is the `Export.Name` of another stack's
  output: the output's `Value` names the resource (`!GetAtt Queue.Arn`, `!Ref Bus`,
  `!Sub "https://${Api}.execute-api..."`);
- an SSM parameter read (`{{resolve:ssm:/shop/bus}}`, or a parameter typed
  `AWS::SSM::Parameter::Value<String>` whose default or passed value names it) that an
  `AWS::SSM::Parameter` of some stack writes with a `Value` naming a resource;
- a nested stack's parameter the parent passes a reference to (`BusArn: !GetAtt Bus.Arn`);
- a nested stack's output the parent reads (`!GetAtt Dlq.Outputs.QueueArn`).

Links chain (a child's output may be a parameter its parent passed, which may be an
import). Each template is then rewritten, on a copy, so that every resolved reference is
an `Fn::ImportValue` of a link key the CloudFormation importer turns into a placeholder
node (`import_template(..., links=...)`); the merge replaces each placeholder by the real
node. A parameter the parent passes a literal (or something that evaluates to one) is
passed as a parameter value instead. A reference that cannot be resolved is left as the
template wrote it (the per-file import makes of it what it always does) and gets a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import Diagnostic
from advisor.importers.cloudformation.template import LineDict, LineList
from advisor.system.stacks import NESTED_TYPES, Stack
from advisor.system.values import is_ssm_typed, matches

_SSM = re.compile(r"\{\{resolve:ssm:([^}:]+(?:\$\{[^}]*\}[^}:]*)*)(?::\d+)?\}\}")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
MAX_CHAIN = 12
REWRITTEN_SECTIONS = ("Resources", "Globals")
SKIPPED_TYPES = ("AWS::CDK::Metadata",)  # CDK's version report: not a component


@dataclass(frozen=True)
class Endpoint:
    """A resource `lid` of stack `stack` (by the stack's unique name)."""

    stack: str
    lid: str

    @property
    def key(self) -> str:
        return f"{self.stack}#{self.lid}"


@dataclass(frozen=True)
class Link:
    """One resolved cross-stack reference, for the report."""

    via: str  # "export" | "ssm" | "parameter" | "output"
    name: str  # the export / SSM name, or the nested stack's parameter / output
    source: str  # the stack that reads
    target: Endpoint

    def to_dict(self) -> dict[str, str]:
        return {"via": self.via, "name": self.name, "from": self.source,
                "to": self.target.stack, "resource": self.target.lid}


@dataclass
class Prepared:
    """A stack ready for the per-file importer."""

    data: Any  # the rewritten template
    links: dict[str, Endpoint] = field(default_factory=dict)  # link key -> endpoint
    parameters: dict[str, Any] = field(default_factory=dict)  # literal values passed in


@dataclass
class _Export:
    name: str  # evaluated Export.Name (maybe with a wildcard stack name)
    stack: Stack
    output: str
    value: Any


class Linker:
    """Exports, SSM writers and nested-stack wiring of a set of stacks."""

    def __init__(self, stacks: list[Stack]) -> None:
        self.stacks = {s.name: s for s in stacks}
        self.exports: list[_Export] = []
        self.writers: list[tuple[str, Stack, str, Any]] = []  # (ssm name, stack, lid, Value)
        self.links: list[Link] = []
        self.notes: list[Diagnostic] = []
        self.used_writers: set[tuple[str, str]] = set()  # (stack, lid) of linked SSM params
        self._noted: set[tuple[str, int, str]] = set()
        for stack in stacks:  # parents come before their children
            if stack.parent is not None:
                ev = stack.parent.evaluator()
                for name, value in stack.passed.items():
                    text = ev.text(value) if name in stack.parameters else None
                    if text is not None:
                        stack.values[name] = text
        for stack in stacks:
            self._index(stack)

    def _index(self, stack: Stack) -> None:
        ev = stack.evaluator()
        for out_name, out in stack.section("Outputs").items():
            export = out.get("Export") if isinstance(out, dict) else None
            if isinstance(export, dict) and "Name" in export:
                name = ev.text(export["Name"])
                if name is not None:
                    self.exports.append(_Export(name, stack, str(out_name), out.get("Value")))
        for lid, body in stack.resources.items():
            if isinstance(body, dict) and body.get("Type") == "AWS::SSM::Parameter":
                props = body.get("Properties") if isinstance(body.get("Properties"), dict) \
                    else {}
                name = ev.text(props.get("Name"))
                if name is not None:
                    self.writers.append((name, stack, str(lid), props.get("Value")))

    # ------------------------------------------------------------------ resolution
    def endpoint(self, stack: Stack, value: Any, depth: int = 0) -> Endpoint | None:
        """The resource `value` names, following links across stacks; None if none."""
        if depth > MAX_CHAIN:
            return None
        if isinstance(value, str):
            m = _SSM.fullmatch(value.strip())
            return self.ssm_target(stack, m.group(1), depth)[0] if m else None
        if isinstance(value, list):
            return _one({self.endpoint(stack, v, depth + 1) for v in value})
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (key, inner), = value.items()
        if key == "Ref" and isinstance(inner, str):
            return self._named(stack, inner, None, depth)
        if key == "Fn::GetAtt":
            head, attr = _getatt(inner)
            return self._named(stack, head, attr, depth) if head else None
        if key == "Fn::Sub":
            text, local = _sub_parts(inner)
            found = set()
            for var in _SUB_VAR.findall(text):
                var = var.strip()
                head, _, attr = var.partition(".")
                if head in local:
                    found.add(self.endpoint(stack, local[head], depth + 1))
                else:
                    found.add(self._named(stack, head, attr or None, depth))
            for m in _SSM.finditer(text):
                found.add(self.ssm_target(stack, m.group(1), depth, sub=local)[0])
            return _one(found)
        if key in ("Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64"):
            return _one({self.endpoint(stack, v, depth + 1) for v in _flat(inner)})
        if key == "Fn::ImportValue":
            return self.import_target(stack, inner, depth)[0]
        return None

    def _named(self, stack: Stack, name: str, attr: str | None, depth: int) -> Endpoint | None:
        if name in stack.children:
            if attr and attr.startswith("Outputs."):
                return self.output_target(stack.children[name], attr[len("Outputs."):],
                                          depth)[0]
            return None
        if name in stack.resources:
            return None if stack.rtype(name) in NESTED_TYPES else Endpoint(stack.name, name)
        if name in stack.parameters and attr is None:
            return self.param_target(stack, name, depth)[0]
        if name in ("ServerlessRestApi", "ServerlessHttpApi"):
            return Endpoint(stack.name, name)  # SAM's implicit API
        return None

    def param_target(self, stack: Stack, name: str, depth: int = 0) -> tuple[Endpoint | None, str]:
        """What a parameter names: a reference its parent passes, or an SSM parameter."""
        parent = stack.parent
        if parent is not None and name in stack.passed and name not in stack.values:
            ep = self.endpoint(parent, stack.passed[name], depth + 1)
            return ep, "" if ep else (f"parameter {name} of nested stack {stack.name}: what "
                                      f"{parent.name} passes is not known before deployment")
        spec = stack.parameters.get(name)
        if is_ssm_typed(spec):
            ssm = stack.values.get(name, spec.get("Default"))
            if not isinstance(ssm, str) or not ssm:
                return None, (f"parameter {name} reads an SSM parameter, but no name is given "
                              "(no Default, nothing passed in); not linked")
            return self.ssm_target(stack, ssm, depth)
        return None, ""

    def output_target(self, child: Stack, output: str, depth: int = 0) -> tuple[Endpoint | None, str]:
        out = child.section("Outputs").get(output)
        if not isinstance(out, dict):
            return None, f"nested stack {child.name} has no output {output}"
        ep = self.endpoint(child, out.get("Value"), depth + 1)
        return ep, "" if ep else f"output {output} of nested stack {child.name} names no resource"

    def import_target(self, stack: Stack, inner: Any, depth: int = 0) -> tuple[Endpoint | None, str]:
        name = stack.evaluator().text(inner)
        if name is None:
            return None, ("the export name of this Fn::ImportValue is not known before "
                          "deployment (a parameter without a default, or a runtime value); "
                          "not linked")
        exact = [e for e in self.exports if e.stack is not stack and e.name == name]
        cands = exact or [e for e in self.exports if e.stack is not stack and
                          matches(e.name, name)]
        if not cands:
            return None, (f"no stack of this system exports {name!r}; the reference stays "
                          "outside the system")
        if len({id(c.stack) for c in cands}) > 1:
            which = ", ".join(sorted({c.stack.name for c in cands}))
            return None, f"export {name!r} could come from several stacks ({which}); not linked"
        export = cands[0]
        ep = self.endpoint(export.stack, export.value, depth + 1)
        if ep is None:
            return None, (f"export {name!r} of stack {export.stack.name} ({export.output}) "
                          "names no resource; not linked")
        self._record(Link("export", name, stack.name, ep))
        return ep, ""

    def ssm_target(self, stack: Stack, raw: str, depth: int = 0,
                   sub: dict[str, Any] | None = None) -> tuple[Endpoint | None, str]:
        name = stack.evaluator().text({"Fn::Sub": [raw, sub or {}]}) if "${" in raw else raw
        if name is None:
            return None, f"the SSM parameter name {raw!r} is not known before deployment"
        cands = [w for w in self.writers if matches(w[0], name)]
        if not cands:
            return None, (f"no stack of this system writes the SSM parameter {name!r}; "
                          "not linked")
        if len(cands) > 1:
            which = ", ".join(sorted({w[1].name for w in cands}))
            return None, f"SSM parameter {name!r} is written by several stacks ({which})"
        _, writer, lid, value = cands[0]
        ep = self.endpoint(writer, value, depth + 1)
        if ep is None:
            return None, (f"SSM parameter {name!r} ({writer.name}) holds a value that names "
                          "no resource; not linked")
        self.used_writers.add((writer.name, lid))
        self._record(Link("ssm", name, stack.name, ep))
        return ep, ""

    def _record(self, link: Link) -> None:
        if link not in self.links:
            self.links.append(link)

    # ------------------------------------------------------------------ rewriting
    def prepare(self, stack: Stack, kind_of: Callable[[Endpoint], str | None]) -> Prepared:
        """The stack's template with every resolved link made an `Fn::ImportValue` of a
        link key, its followed nested stacks and CDK's metadata resource left out."""
        prep = Prepared(data=stack.data)
        parent = stack.parent
        for name in stack.passed:
            if name in stack.values:
                prep.parameters[name] = stack.values[name]
            elif parent is not None and name in stack.parameters:
                ep, why = self.param_target(stack, name)
                if ep is not None:
                    self._record(Link("parameter", name, stack.name, ep))
                elif why:
                    self._note(parent, parent.line_of(stack.resource or ""), why)
        walker = _Rewrite(self, stack, prep, kind_of)
        data = dict(stack.data)
        for section in REWRITTEN_SECTIONS:
            if isinstance(stack.data.get(section), dict):
                data[section] = walker.section(section, stack.data[section])
        prep.data = _like(stack.data, data)
        return prep

    def _note(self, stack: Stack, where: tuple[int, int], message: str) -> None:
        key = (stack.path, where[0], message)
        if key in self._noted:
            return
        self._noted.add(key)
        self.notes.append(Diagnostic(stack.path, where[0], where[1], message, severity="info"))


class _Rewrite:
    """Copy-on-write walk of one template section, replacing linked references."""

    def __init__(self, linker: Linker, stack: Stack, prep: Prepared,
                 kind_of: Callable[[Endpoint], str | None]) -> None:
        self.kind_of = kind_of
        self.linker = linker
        self.stack = stack
        self.prep = prep
        self.where = (1, 1)
        self.counter = 0

    def section(self, name: str, body: dict[str, Any]) -> Any:
        if name != "Resources":
            return self.value(body)
        out = {}
        for lid, res in body.items():
            if isinstance(res, dict) and (res.get("Type") in SKIPPED_TYPES or
                                          lid in self.stack.children):
                continue
            self.where = self.stack.line_of(lid)
            res = _cdk_code_uri(res, self.stack)
            out[lid] = self.value(res)
        return _like(body, out)

    def link(self, ep: Endpoint | None, why: str) -> Any:
        if ep is None:
            if why:
                self.linker._note(self.stack, self.where, why)
            return None
        if ep.stack == self.stack.name:
            return {"Ref": ep.lid}
        if self.kind_of(ep) is None:
            target = self.linker.stacks[ep.stack]
            self.linker._note(self.stack, self.where, (
                f"this reference names {target.rtype(ep.lid) or ep.lid} {ep.lid} of stack "
                f"{ep.stack}, which is not a component; no edge drawn for it"))
            return None
        self.prep.links[ep.key] = ep
        return {"Fn::ImportValue": ep.key}

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                replaced = self.intrinsic(value)
                if replaced is not None:
                    return replaced
            changed = {k: self.value(v) for k, v in value.items()}
            if all(changed[k] is value[k] for k in value):
                return value
            return _like(value, changed)
        if isinstance(value, list):
            items = [self.value(v) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return _like(value, items)
        if isinstance(value, str) and "{{resolve:ssm:" in value:
            return self.ssm_string(value)
        return value

    def intrinsic(self, value: dict[str, Any]) -> Any:
        (key, inner), = value.items()
        stack, linker = self.stack, self.linker
        if key == "Fn::ImportValue":
            ep, why = linker.import_target(stack, inner)
            return self.link(ep, why)
        if key == "Ref" and isinstance(inner, str) and self._linked_param(inner):
            return self.link(*linker.param_target(stack, inner))
        if key == "Fn::GetAtt":
            head, attr = _getatt(inner)
            if head in stack.children and attr and attr.startswith("Outputs."):
                ep, why = linker.output_target(stack.children[head], attr[len("Outputs."):])
                if ep is not None:
                    self.linker._record(Link("output", attr[8:], stack.name, ep))
                return self.link(ep, why) or value
            return None
        if key == "Fn::Sub":
            return self.sub(inner)
        return None

    def _linked_param(self, name: str) -> bool:
        stack = self.stack
        if name not in stack.parameters or name in stack.values:
            return False
        return (stack.parent is not None and name in stack.passed) or \
            is_ssm_typed(stack.parameters[name])

    def sub(self, inner: Any) -> Any:
        text, local = _sub_parts(inner)
        if not text:
            return None
        variables = {k: self.value(v) for k, v in local.items()}
        changed = any(variables[k] is not local[k] for k in local)

        def var(m: re.Match[str]) -> str:
            nonlocal changed
            name = m.group(1).strip()
            head, _, attr = name.partition(".")
            if head in local:
                return m.group(0)
            replacement = None
            if not attr and self._linked_param(head):
                replacement = self.link(*self.linker.param_target(self.stack, head))
            elif head in self.stack.children and attr.startswith("Outputs."):
                ep, why = self.linker.output_target(self.stack.children[head], attr[8:])
                if ep is not None:
                    self.linker._record(Link("output", attr[8:], self.stack.name, ep))
                replacement = self.link(ep, why)
            if replacement is None:
                return m.group(0)
            changed = True
            return "${" + self._fresh(variables, replacement) + "}"

        text2 = _SUB_VAR.sub(var, text)

        def ssm(m: re.Match[str]) -> str:
            nonlocal changed
            replacement = self.link(*self.linker.ssm_target(self.stack, m.group(1), sub=local))
            if replacement is None:
                return m.group(0)
            changed = True
            return "${" + self._fresh(variables, replacement) + "}"

        text2 = _SSM.sub(ssm, text2)
        if not changed:
            return None
        return {"Fn::Sub": [text2, variables]}

    def ssm_string(self, value: str) -> Any:
        whole = _SSM.fullmatch(value.strip())
        if whole:
            got = self.link(*self.linker.ssm_target(self.stack, whole.group(1)))
            return value if got is None else got
        got = self.sub(value)
        return value if got is None else got

    def _fresh(self, variables: dict[str, Any], replacement: Any) -> str:
        self.counter += 1
        name = f"SystemLink{self.counter}"
        variables[name] = replacement
        return name


def _cdk_code_uri(res: dict[str, Any], stack: Stack) -> dict[str, Any]:
    """A CDK function's code is an asset folder beside the template (`Metadata:
    aws:asset:path`): point the import at it (as `CodeUri`) so its handler is read."""
    meta = res.get("Metadata")
    props = res.get("Properties")
    if not (isinstance(meta, dict) and isinstance(props, dict)
            and meta.get("aws:asset:property") == "Code"
            and isinstance(meta.get("aws:asset:path"), str)
            and res.get("Type") == "AWS::Lambda::Function" and "CodeUri" not in props):
        return res
    from pathlib import Path

    if not (Path(stack.path).parent / meta["aws:asset:path"]).is_dir():
        return res
    return _like(res, {**res, "Properties": _like(props, {**props,
                                                          "CodeUri": meta["aws:asset:path"]})})


def _like(old: Any, new: Any) -> Any:
    """`new` with the line marks of `old` (LineDict / LineList), so notes keep lines."""
    if isinstance(old, LineDict) and isinstance(new, dict):
        out = LineDict(new)
        out.line, out.col = old.line, old.col
        out.key_lines = dict(old.key_lines)
        return out
    if isinstance(old, LineList) and isinstance(new, list):
        lst = LineList(new)
        lst.line, lst.col = old.line, old.col
        return lst
    return new


def _one(found: set[Endpoint | None]) -> Endpoint | None:
    found.discard(None)
    return next(iter(found)) if len(found) == 1 else None


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in (_flat(v) if isinstance(v, list) else [v])]
    return [value]


def _getatt(inner: Any) -> tuple[str | None, str | None]:
    if isinstance(inner, list) and inner and isinstance(inner[0], str):
        attr = inner[1] if len(inner) > 1 and isinstance(inner[1], str) else None
        return inner[0], attr
    if isinstance(inner, str):
        head, _, attr = inner.partition(".")
        return head, attr or None
    return None, None


def _sub_parts(inner: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(inner, str):
        return inner, {}
    if isinstance(inner, list) and inner and isinstance(inner[0], str):
        local = inner[1] if len(inner) > 1 and isinstance(inner[1], dict) else {}
        return inner[0], dict(local)
    return "", {}
