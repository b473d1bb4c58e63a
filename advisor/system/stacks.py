"""Collect the stacks of a system: the templates given, and the nested stacks they create.

A stack is one instance of a template: a template nested twice (a shared dead-letter-queue
template) is two stacks with their own parameter values. Nested stacks are followed when
their template is a local file:

- `AWS::CloudFormation::Stack` with a local `TemplateURL` (`./db.yaml`, as
  `aws cloudformation package` and `sam build` accept), or CDK's asset metadata
  (`Metadata: aws:asset:path`), or a `TemplateURL` ending in an asset's object key that a
  `*.assets.json` beside the template maps to its local file (CDK without asset metadata);
- `AWS::Serverless::Application` with a local `Location`.

A template in S3, an application of the Serverless Application Repository, a missing
file or one nested too deep is reported in a note and stays what the per-file import
makes of it. A template given as input that another input nests is a child only (its
parameters come from its parent).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from advisor.errors import AdvisorError, Diagnostic
from advisor.system.values import Evaluator

NESTED_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
MAX_NESTING = 8
MAX_STACKS = 500
STANDARD_NAMES = ("template", "template.cfn", "samconfig-template", "main", "root")
_REMOTE = re.compile(r"^(https?|s3)://", re.I)
_CDK_NESTED = re.compile(r"^(.+)\.NestedStack/[^/]+\.NestedStackResource$")
_ASSET_KEY = re.compile(r"/?([0-9a-f]{64}\.json)$")


@dataclass
class Stack:
    """One stack: a parsed template, its name in the system and where it comes from."""

    name: str  # unique in the system: `orders`, `orders/Dlq`, `ServiceStack/Store`
    path: str  # the template file
    text: str
    data: Any  # the parsed template (LineDict)
    parent: Stack | None = None
    resource: str | None = None  # logical id of the nested-stack resource in the parent
    passed: dict[str, Any] = field(default_factory=dict)  # Parameters the parent passes
    values: dict[str, Any] = field(default_factory=dict)  # known parameter values
    deployed_name: str | None = None  # AWS::StackName when something says it
    children: dict[str, Stack] = field(default_factory=dict)  # nested-stack lid -> stack
    construct_paths: dict[str, str] = field(default_factory=dict)  # lid -> CDK path
    construct_root: str | None = None  # the CDK stack's own construct path

    def section(self, key: str) -> dict[str, Any]:
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}

    @property
    def resources(self) -> dict[str, Any]:
        return self.section("Resources")

    @property
    def parameters(self) -> dict[str, Any]:
        return self.section("Parameters")

    def rtype(self, lid: str) -> str:
        res = self.resources.get(lid)
        return str(res.get("Type", "")) if isinstance(res, dict) else ""

    def evaluator(self) -> Evaluator:
        return Evaluator(self.parameters, self.values, self.section("Mappings"),
                         self.deployed_name)

    def line_of(self, lid: str) -> tuple[int, int]:
        key_loc = getattr(self.resources, "key_loc", None)
        return key_loc(lid) if key_loc and lid in self.resources else (1, 1)

    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth() + 1


@dataclass
class Collected:
    stacks: list[Stack] = field(default_factory=list)
    errors: list[AdvisorError] = field(default_factory=list)  # inputs that did not parse
    notes: list[Diagnostic] = field(default_factory=list)


def parse(path: str) -> tuple[str, Any]:
    """Text and parsed template of one file (AdvisorError when it cannot be used)."""
    from advisor.importers import MAX_BYTES
    from advisor.importers.cloudformation.template import load_template
    from advisor.importers.reading import read_text

    text = read_text(path, MAX_BYTES)
    data = load_template(text, path)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise AdvisorError([Diagnostic(path, 1, 1, "not a CloudFormation template: no "
                                       "`Resources` mapping")])
    return text, data


def collect(paths: list[str], names: dict[str, str] | None = None) -> Collected:
    """Parse `paths` (templates), follow their nested stacks, name every stack."""
    out = Collected()
    parsed: dict[str, tuple[str, str, Any]] = {}  # real path -> (path, text, data)
    for path in paths:
        try:
            text, data = parse(path)
        except AdvisorError as exc:
            out.errors.append(exc)
            continue
        parsed.setdefault(os.path.realpath(path), (path, text, data))
    nested = {real for p, _t, data in parsed.values() for real in _child_files(data, p)}
    top = [item for real, item in parsed.items() if real not in nested]
    labels = names or stack_names([p for p, _, _ in top])
    for path, text, data in top:
        stack = Stack(labels.get(path, Path(path).stem), path, text, data)
        _samconfig(stack)
        out.stacks.append(stack)
        _follow(stack, out, parsed)
    return out


def _child_files(data: Any, path: str) -> list[str]:
    """Real paths of the local templates a template nests (to spot child-only inputs)."""
    base = Path(path).parent
    found = []
    res = data.get("Resources") if isinstance(data, dict) else None
    for body in (res or {}).values():
        if isinstance(body, dict) and body.get("Type") in NESTED_TYPES:
            rel = _local_template(body, base)
            if rel is not None:
                found.append(os.path.realpath(rel))
    return found


def _follow(stack: Stack, out: Collected, parsed: dict[str, tuple[str, str, Any]]) -> None:
    base = Path(stack.path).parent
    for lid, body in stack.resources.items():
        if not isinstance(body, dict) or body.get("Type") not in NESTED_TYPES:
            continue
        line, col = stack.line_of(lid)
        child_path = _local_template(body, base)
        if child_path is None:
            out.notes.append(_note(stack, line, col, _remote_text(lid, body)))
            continue
        if stack.depth() + 1 > MAX_NESTING or len(out.stacks) >= MAX_STACKS:
            out.notes.append(_note(stack, line, col, f"nested stack {lid} is not followed: "
                                   f"more than {MAX_NESTING} levels or {MAX_STACKS} stacks"))
            continue
        real = os.path.realpath(child_path)
        if _ancestor_has(stack, real):
            out.notes.append(_note(stack, line, col, f"nested stack {lid} nests its own "
                                   "template again; not followed"))
            continue
        try:
            text, data = parsed[real][1:] if real in parsed else parse(child_path)
        except AdvisorError as exc:
            out.errors.append(exc)
            out.notes.append(_note(stack, line, col, f"nested stack {lid}: {child_path} "
                                   "cannot be read; kept as a generic resource"))
            continue
        props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        passed = props.get("Parameters") if isinstance(props.get("Parameters"), dict) else {}
        child = Stack(_child_name(stack, lid, body), os.path.normpath(child_path), text, data,
                      parent=stack,
                      resource=lid, passed=dict(passed))
        stack.children[lid] = child
        out.stacks.append(child)
        _follow(child, out, parsed)


def _child_name(parent: Stack, lid: str, body: dict[str, Any]) -> str:
    """`parent/Lid`; a CDK nested stack by its construct path (`ServiceStack/Store`)."""
    meta = body.get("Metadata") if isinstance(body.get("Metadata"), dict) else {}
    cpath = meta.get("aws:cdk:path")
    m = _CDK_NESTED.match(cpath) if isinstance(cpath, str) else None
    return m.group(1) if m else f"{parent.name}/{lid}"


def _ancestor_has(stack: Stack | None, real: str) -> bool:
    while stack is not None:
        if os.path.realpath(stack.path) == real:
            return True
        stack = stack.parent
    return False


def _local_template(body: dict[str, Any], base: Path) -> str | None:
    """The local file a nested-stack resource creates its stack from, if any."""
    meta = body.get("Metadata") if isinstance(body.get("Metadata"), dict) else {}
    asset = meta.get("aws:asset:path")
    if isinstance(asset, str) and meta.get("aws:asset:property", "TemplateURL") in (
            "TemplateURL", "Location"):
        cand = base / asset
        if _is_file(cand):
            return str(cand)
    props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
    where = props.get("TemplateURL", props.get("Location"))
    if isinstance(where, str) and where and not _REMOTE.match(where):
        cand = base / where
        return str(cand) if _is_file(cand) else None
    key = _asset_key(where)
    if key is not None:
        return _asset_file(base, key)
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _asset_key(value: Any) -> str | None:
    """`<sha256>.json` at the end of a TemplateURL expression (CDK's asset object key)."""
    parts: list[Any] = [value]
    while parts:
        item = parts.pop()
        if isinstance(item, str):
            m = _ASSET_KEY.search(item)
            if m:
                return m.group(1)
        elif isinstance(item, dict):
            parts.extend(item.values())
        elif isinstance(item, list):
            parts.extend(item)
    return None


def _asset_file(base: Path, key: str) -> str | None:
    """The local source of asset object `key`, from the `*.assets.json` beside a template."""
    from advisor.importers.reading import read_text

    try:
        manifests = sorted(p for p in base.iterdir() if p.name.endswith(".assets.json"))
    except OSError:
        return None
    for manifest in manifests[:200]:
        try:
            doc = json.loads(read_text(manifest, 5 * 1024 * 1024))
        except (AdvisorError, ValueError):
            continue
        files = doc.get("files") if isinstance(doc, dict) else None
        for asset in (files or {}).values():
            if not isinstance(asset, dict):
                continue
            dests = asset.get("destinations") if isinstance(asset.get("destinations"), dict) else {}
            keys = {d.get("objectKey") for d in dests.values() if isinstance(d, dict)}
            src = asset.get("source") if isinstance(asset.get("source"), dict) else {}
            if key in keys and isinstance(src.get("path"), str):
                cand = base / src["path"]
                return str(cand) if _is_file(cand) else None
    return None


def _remote_text(lid: str, body: dict[str, Any]) -> str:
    props = body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
    where = props.get("TemplateURL", props.get("Location"))
    if isinstance(where, dict) and "ApplicationId" in where:
        return (f"nested application {lid} comes from the Serverless Application Repository; "
                "its template is not read (kept as a generic resource)")
    if isinstance(where, str) and where and not _REMOTE.match(where):
        return f"nested stack {lid}: template {where} not found; kept as a generic resource"
    return (f"nested stack {lid} has its template in S3 or behind an expression; not "
            "followed (kept as a generic resource): give its local template path")


def _note(stack: Stack, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(stack.path, line, col, message, severity="info")


def stack_names(paths: list[str]) -> dict[str, str]:
    """Short unique names: the path below the common folder, the standard file name
    (`template.yaml`) dropped, the suffix dropped: `bus/template.yaml` -> `bus`."""
    if not paths:
        return {}
    absolute = [os.path.abspath(p) for p in paths]
    common = os.path.commonpath([os.path.dirname(p) for p in absolute])
    out: dict[str, str] = {}
    for path, full in zip(paths, absolute, strict=True):
        rel = PurePosixPath(Path(os.path.relpath(full, common)).as_posix())
        stem = rel.name.split(".")[0] if rel.name.endswith(
            (".yaml", ".yml", ".json", ".template")) else rel.name
        parts = [*rel.parent.parts, stem]
        if stem in STANDARD_NAMES and len(parts) > 1:
            parts = parts[:-1]
        if parts == [stem] and stem in STANDARD_NAMES:
            parts = [Path(common).name or stem]
        out[path] = "/".join(parts)
    seen: dict[str, int] = {}
    for path in paths:  # the same name twice (a.yaml, a.json): keep the file name
        seen[out[path]] = seen.get(out[path], 0) + 1
    for path in paths:
        if seen[out[path]] > 1:
            out[path] = PurePosixPath(Path(os.path.relpath(os.path.abspath(path), common))
                                      .as_posix()).as_posix()
    return out


def _samconfig(stack: Stack) -> None:
    """`stack_name` and `parameter_overrides` of the default environment in the SAM CLI's
    samconfig.toml beside the template: what `sam deploy` would use."""
    cfg = Path(stack.path).parent / "samconfig.toml"
    if not cfg.is_file():
        return
    from advisor.importers.reading import read_text

    try:
        doc = tomllib.loads(read_text(cfg, 1024 * 1024))
    except (AdvisorError, tomllib.TOMLDecodeError):
        return
    env = doc.get("default") if isinstance(doc.get("default"), dict) else {}
    merged: dict[str, Any] = {}
    for section in ("global", "deploy"):
        part = env.get(section) if isinstance(env.get(section), dict) else {}
        params = part.get("parameters") if isinstance(part.get("parameters"), dict) else {}
        merged.update(params)
    if isinstance(merged.get("stack_name"), str):
        stack.deployed_name = merged["stack_name"]
    overrides = merged.get("parameter_overrides")
    pairs: list[tuple[str, str]] = []
    if isinstance(overrides, str):
        pairs = re.findall(r'(\w+)=("[^"]*"|\S+)', overrides)
    elif isinstance(overrides, list):
        pairs = [tuple(i.split("=", 1)) for i in overrides  # type: ignore[misc]
                 if isinstance(i, str) and "=" in i]
    for key, value in pairs:
        if key in stack.parameters:
            stack.values[key] = value.strip('"')
