"""Usage you can state: an Infracost-compatible usage file (`infracost-usage.yml`).

    version: 0.1
    resource_usage:
      MyFunction:                       # CloudFormation/SAM: the logical id
        monthly_requests: 20000000
        request_duration_ms: 250
      aws_sqs_queue.jobs:               # Terraform: the resource address
        request_size_kb: 16
      forward:                          # DSL: the node name
        monthly_requests: 5000000
    resource_type_default_usage:
      aws_lambda_function:              # a Terraform or CloudFormation type, or a kind
        request_duration_ms: 100

Keys are Infracost's where Infracost has one (`monthly_requests`, `request_duration_ms`,
`monthly_connection_mins`, `storage_gb`, `standard.storage_gb`, ...; the table is
data/usage_keys.yaml), ours where it has none. A value for a resource wins over the
design's props, which win over the type defaults; what is stated stops being an
assumption in the output.

The file is found like the config file: `--usage-file PATH`, else the config's
`usage-file`, else the nearest `infracost-usage.yml` (or `.yaml`) at or above the working
directory. `advisor usage --template PATH` writes one with every key the design uses,
commented out with the value the estimate assumes (as `infracost --sync-usage-file`
does), keeping the values an existing file states.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from advisor import catalog
from advisor.datafiles import safe_load
from advisor.errors import AdvisorError, Diagnostic
from advisor.estimate.usagefile import FILE_NAMES, discover_usage_file, find_usage_file

if TYPE_CHECKING:  # finding the usage file (before a rerun from the cache) needs no model
    from advisor.model import Architecture

VERSIONS = ("0.1",)
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 6
MAX_NODES = 200_000
_TF_ADDRESS = re.compile(r"^(?:module\.[^.]+\.)*(aws_[a-z0-9_]+)\.")


@cache
def _table() -> dict[str, Any]:
    text = resources.files("advisor.estimate").joinpath("data", "usage_keys.yaml").read_text("utf-8")
    return safe_load(text, remember=True)  # type: ignore[no-any-return]


def keys_for(kind: str) -> dict[str, dict[str, Any]]:
    """Usage keys a kind accepts: {key: {prop, scale, doc, where, ours}}."""
    return dict(_table()["keys"].get(kind, {}))


@dataclass
class UsageFile:
    """A parsed usage file; `locations` keeps where each value was written."""

    path: str
    version: str = "0.1"
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> flat keys
    type_defaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> flat keys
    locations: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)

    def where(self, section: str, address: str, key: str) -> tuple[int, int]:
        return self.locations.get((section, address, key), (1, 1))


# ----------------------------------------------------------------------------- reading
def _bad(path: str, line: int, col: int, message: str, hint: str | None = None) -> AdvisorError:
    return AdvisorError([Diagnostic(path, line, col, message, hint)])


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Walker:
    """yaml nodes -> plain data with a node budget and a depth bound (no alias bombs)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            line, col = _mark(node)
            raise _bad(self.path, line, col, "usage file is too large or too deeply nested",
                       "a usage file maps resources to a few numeric keys")
        if isinstance(node, yaml.MappingNode):
            return {self.key(k): (self.value(v, depth + 1), _mark(k)) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v, depth + 1) for v in node.value]
        return _scalar(node)

    def key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            line, col = _mark(node)
            raise _bad(self.path, line, col, "a key must be a plain name")
        return str(node.value)


def _scalar(node: yaml.Node) -> Any:
    """A scalar as YAML 1.1 safe loading reads it (numbers, booleans, null, strings)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, tuple[Any, tuple[int, int]]]:
    """{standard: {storage_gb: 5}} -> {"standard.storage_gb": 5} (Infracost's nested keys)."""
    out: dict[str, tuple[Any, tuple[int, int]]] = {}
    for key, (value, mark) in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = (value, mark)
    return out


def parse_usage(text: str, path: str) -> UsageFile:
    """Validate a usage file's text (AdvisorError with line and column on any mistake)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _bad(path, line, col, f"usage file is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise _bad(path, 1, 1, "usage file is empty", "start with `version: 0.1`")
    if not isinstance(root, yaml.MappingNode):
        line, col = _mark(root)
        raise _bad(path, line, col, "a usage file is a mapping with `version` and `resource_usage`")
    doc = _Walker(path).value(root, 0)
    known = ("version", "resource_usage", "resource_type_default_usage")
    for key, (_v, (line, col)) in doc.items():
        if key not in known:
            from advisor.errors import did_you_mean

            guess = did_you_mean(key, known)
            raise _bad(path, line, col, f"unknown top-level key '{key}'",
                       f"did you mean '{guess}'?" if guess else f"expected {', '.join(known)}")
    version, (vline, vcol) = doc.get("version", (None, (1, 1)))
    if version is None:
        raise _bad(path, 1, 1, "usage file has no `version`", "add `version: 0.1` (Infracost's format)")
    if str(version) not in VERSIONS:
        raise _bad(path, vline, vcol, f"usage file version {version!r} is not supported",
                   "use `version: 0.1` (Infracost's format)")
    usage = UsageFile(path=path, version=str(version))
    for section, target in (("resource_usage", usage.resources),
                            ("resource_type_default_usage", usage.type_defaults)):
        value, (line, col) = doc.get(section, ({}, (1, 1)))
        if value is None:
            continue
        if not isinstance(value, dict):
            raise _bad(path, line, col, f"`{section}` must map names to their usage keys")
        for address, (keys, (aline, acol)) in value.items():
            if keys is None:
                continue
            if not isinstance(keys, dict):
                raise _bad(path, aline, acol, f"the usage of '{address}' must be a mapping of keys")
            flat = _flatten(keys)
            target[address] = {}
            for key, (v, (kline, kcol)) in flat.items():
                usage.locations[(section, address, key)] = (kline, kcol)
                if v is None:  # `key:` with nothing (or only commented-out keys) below it:
                    continue   # not stated, as in Infracost and the file `advisor usage` writes
                if isinstance(v, str):
                    target[address][key] = v  # e.g. Infracost's `architecture: arm64`: kept, not used
                    continue
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                    raise _bad(path, kline, kcol,
                               f"'{address}.{key}' must be a number of 0 or more, not {v!r}",
                               "usage values are monthly quantities, sizes or durations")
                target[address][key] = float(v)
    return usage


@cache
def _load_cached(path: str, mtime_ns: int, size: int) -> UsageFile:
    from advisor.importers.reading import read_text

    return parse_usage(read_text(path, MAX_BYTES), path)


def load_usage(path: str | Path) -> UsageFile:
    """Read and validate a usage file (cached per path and modification time)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise _bad(str(path), 1, 1, f"cannot read usage file: {exc.strerror or exc}",
                   "check the path given to --usage-file") from None
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


def resolve_usage(usage: UsageFile | str | Path | None) -> UsageFile | None:
    if usage is None or isinstance(usage, UsageFile):
        return usage
    return load_usage(usage)


# ----------------------------------------------------------------------------- applying
def _subtype(arch: Architecture, n: str) -> str:
    kind = arch.kind(n)
    props = arch.graph.nodes[n]["props"]
    if kind == "apigw":
        return str(props.get("type") or catalog.prop_value({}, "apigw", "type") or "rest")
    if kind == "sfn":
        return str(props.get("type") or "standard")
    if kind == "kinesis":
        return str(props.get("mode") or "on-demand")
    return ""


def node_types(arch: Architecture, n: str) -> set[str]:
    """Resource type names a node answers to in `resource_type_default_usage`: its
    Terraform type (from its address), the kind's Terraform and CloudFormation types
    (an API Gateway kind narrowed to its API type), and the kind name itself."""
    kind = arch.kind(n)
    data = arch.graph.nodes[n]
    out = {kind}
    m = _TF_ADDRESS.match(str(data.get("source_id") or ""))
    if m:
        out.add(m.group(1))
        return out
    types = _table().get("types", {})
    sub = _subtype(arch, n)
    if f"{kind}.{sub}" in types:
        out.update(types[f"{kind}.{sub}"])
        return out
    if kind in types:
        out.update(types[kind])
    spec = catalog._data()["kinds"].get(kind, {})
    out.update(spec.get("cloudformation", []) or [])
    out.update(spec.get("terraform", []) or [])
    if kind == "resource" and data["props"].get("type"):
        out.add(str(data["props"]["type"]))
    return out


def addresses(arch: Architecture) -> dict[str, str]:
    """Usage-file address -> node: the node's name, its template id (logical id, resource
    address) and the ids of template resources folded into it (a provisioned
    concurrency config, a stage, a log group)."""
    out: dict[str, str] = {}
    for n in arch.node_names():
        out.setdefault(n, n)
        sid = arch.graph.nodes[n].get("source_id")
        if sid:
            out[str(sid)] = n
    for rid, n in sorted(arch.aliases.items()):
        if n in arch.graph:
            out.setdefault(str(rid), n)
    return out


def _applies(spec: dict[str, Any], arch: Architecture, n: str) -> bool:
    where = spec.get("where") or {}
    return all(_subtype(arch, n) in values for _prop, values in where.items())


def _props_from(keys: dict[str, Any], arch: Architecture, n: str) -> tuple[dict[str, Any], list[str]]:
    table = keys_for(arch.kind(n))
    props: dict[str, Any] = {}
    unused: list[str] = []
    for key, value in sorted(keys.items()):
        spec = table.get(key)
        if spec is None or not _applies(spec, arch, n) or isinstance(value, str):
            unused.append(key)
            continue
        props[spec["prop"]] = float(value) * float(spec.get("scale", 1))
    return props, unused


def apply_usage(arch: Architecture, usage: UsageFile | None
                ) -> tuple[Architecture, list[str], set[tuple[str, str]]]:
    """A copy of `arch` with the usage file's values as node props (resource values over
    the design's props over type defaults), notes about keys not used, and the
    (node, prop) pairs the file stated. The design itself is never changed."""
    if usage is None or not (usage.resources or usage.type_defaults):
        return arch, [], set()
    by_address = addresses(arch)
    per_node: dict[str, dict[str, Any]] = {}
    defaults: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for address, keys in sorted(usage.resources.items()):
        n = by_address.get(address)
        if n is None:
            continue  # a resource of another design sharing the file
        props, unused = _props_from(keys, arch, n)
        per_node.setdefault(n, {}).update(props)
        if unused:
            notes.append(f"usage file: {', '.join(unused)} not used for {address} ({arch.kind(n)})")
    for n in arch.node_names():
        types = node_types(arch, n)
        for type_name, keys in sorted(usage.type_defaults.items()):
            if type_name in types:
                props, _unused = _props_from(keys, arch, n)
                defaults.setdefault(n, {}).update(props)
    if not per_node and not defaults:
        return arch, notes, set()
    out = arch.copy()
    stated: set[tuple[str, str]] = set()
    for n in sorted(set(per_node) | set(defaults)):
        props = out.graph.nodes[n]["props"]
        merged = {**defaults.get(n, {}), **props, **per_node.get(n, {})}
        stated.update((n, p) for p in per_node.get(n, {}))
        stated.update((n, p) for p in defaults.get(n, {}) if p not in props)
        props.clear()
        props.update(merged)
    return out, notes, stated


# ----------------------------------------------------------------------------- writing
def _current(est: Any, arch: Architecture, n: str, key: str, spec: dict[str, Any]) -> float | None:
    """The value the estimate used for a usage key of `n`, in the key's own unit."""
    scale = float(spec.get("scale", 1))
    prop = spec["prop"]
    props = arch.graph.nodes[n]["props"]
    value = props.get(prop)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / scale
    if spec.get("assumed"):
        from advisor.estimate.data import default_value

        return float(default_value(*spec["assumed"])) / scale
    shown = spec.get("shown")
    if shown:
        found = [c for c in est.components if c["node"] == n
                 and any(c["name"].startswith(prefix) for prefix in shown)]
        return sum(float(c.get("raw_quantity", c["quantity"])) for c in found)
    load = est.workload.nodes.get(n) if est.workload is not None else None
    if prop == "requests" and load is not None:
        return float(load.invocations if arch.kind(n) in ("lambda", "sfn") else load.records)
    if prop == "payload" and load is not None:
        return float(load.payload) / scale
    default = catalog.prop_value({}, arch.kind(n), prop)
    if isinstance(default, int | float) and not isinstance(default, bool):
        return float(default) / scale
    return None


def _fmt(value: float) -> str:
    rounded = round(value, 4)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return f"{rounded:.10g}"


def usage_template(arch: Architecture, est: Any, existing: UsageFile | None = None) -> str:
    """An Infracost-format usage file for `arch`: every key its priced nodes use, commented
    out with the value the estimate assumed, except those `existing` states (kept)."""
    by_node: dict[str, str] = {}
    for address, n in addresses(arch).items():
        sid = arch.graph.nodes[n].get("source_id")
        if address == (sid or n):
            by_node[n] = address
    lines = [
        "# Usage estimates for archadvisor (and Infracost: same format and key names).",
        "# Uncomment a key and set it to state that usage; what is stated stops being an",
        "# assumption in the estimate. Values shown are what the estimate assumed.",
        "version: 0.1",
        "resource_usage:",
    ]
    stated = existing.resources if existing else {}
    for n in arch.node_names():
        table = keys_for(arch.kind(n))
        props = arch.graph.nodes[n]["props"]
        keys = [(k, s) for k, s in table.items() if _applies(s, arch, n)
                and (not s.get("when") or props.get(s["when"]))]
        if not keys:
            continue
        address = by_node.get(n, n)
        lines.append(f"  {_yaml_key(address)}:  # {arch.kind(n)}")
        nested: dict[str, list[str]] = {}
        for key, spec in keys:
            have = stated.get(address, {}).get(key)
            if have is not None:
                text = f"{key.split('.')[-1]}: {_fmt(float(have)) if not isinstance(have, str) else have}"
                line = f"{text}  # {spec['doc']}"
            else:
                value = _current(est, arch, n, key, spec)
                shown = _fmt(value) if value is not None else "0"
                line = f"# {key.split('.')[-1]}: {shown}  # {spec['doc']}"
            if "." in key:
                nested.setdefault(key.split(".")[0], []).append(line)
            else:
                lines.append(f"    {line}")
        for group, items in nested.items():
            lines.append(f"    {group}:")
            lines += [f"      {item}" for item in items]
    lines.append("resource_type_default_usage: {}")
    return "\n".join(lines) + "\n"


def _yaml_key(text: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+", text):
        return text
    return json.dumps(text)  # a quoted YAML scalar


__all__ = ["FILE_NAMES", "UsageFile", "addresses", "apply_usage", "discover_usage_file",
           "find_usage_file", "keys_for",
           "load_usage", "node_types", "parse_usage", "resolve_usage", "usage_template"]
