"""A CDK app's cloud assembly (`cdk.out`) as one system.

`cdk synth` writes a cloud assembly: `manifest.json` lists the artifacts, each stack
(`aws:cloudformation:stack`) with its template file, its deployed name and its construct
path (`displayName`), stages as nested assemblies (`cdk:cloud-assembly`); the metadata
(in the manifest or the `additionalMetadataFile` beside it) maps construct paths to logical
ids. Nested stacks are assets of their parent (found by `stacks.collect` through the
asset metadata or the `*.assets.json`). Everything is read, nothing is run: the app is
never executed, so `cdk.out` must exist (`npx cdk synth`).

Node names come from the construct paths (`aws:cdk:path` metadata, else the manifest):
`ServiceStack/Ingest/Resource` is named `Ingest`, not `Ingest4069586C`; findings carry
the full construct path (`construct_path`) beside the template location.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisor.cdkpaths import MANIFEST
from advisor.errors import AdvisorError, Diagnostic
from advisor.system import System, build
from advisor.system.stacks import collect

MAX_ASSEMBLY_DEPTH = 5
MAX_MANIFEST_BYTES = 20 * 1024 * 1024


def unsynthesized_error(path: str) -> AdvisorError:
    return AdvisorError([Diagnostic(
        path, 1, 1, "a CDK app without a synthesized cloud assembly (no cdk.out/manifest.json)",
        "run `npx cdk synth` in the app first; archadvisor reads cdk.out and never runs "
        "your app")])


def _read_json(path: Path) -> Any:
    from advisor.importers.reading import read_text

    text = read_text(path, MAX_MANIFEST_BYTES)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise AdvisorError([Diagnostic(str(path), getattr(exc, "lineno", 1) or 1,
                                       getattr(exc, "colno", 1) or 1,
                                       f"invalid JSON in the cloud assembly: {exc}")]) from None


def stacks_of(directory: Path, depth: int = 0) -> list[dict[str, Any]]:
    """The stack artifacts of an assembly (and of the stages nested in it), in order."""
    manifest = _read_json(directory / MANIFEST)
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AdvisorError([Diagnostic(str(directory / MANIFEST), 1, 1,
                                       "cloud assembly manifest without `artifacts`")])
    out: list[dict[str, Any]] = []
    for art_id, art in artifacts.items():
        if not isinstance(art, dict):
            continue
        props = art.get("properties") if isinstance(art.get("properties"), dict) else {}
        if art.get("type") == "cdk:cloud-assembly" and depth < MAX_ASSEMBLY_DEPTH:
            sub = props.get("directoryName")
            if isinstance(sub, str) and (directory / sub / MANIFEST).is_file():
                out.extend(stacks_of(directory / sub, depth + 1))
            continue
        if art.get("type") != "aws:cloudformation:stack":
            continue
        template = props.get("templateFile")
        if not isinstance(template, str):
            continue
        out.append({
            "id": str(art_id),
            "template": str(directory / template),
            "deployed_name": props.get("stackName") or str(art_id),
            "construct_path": str(art.get("displayName") or art_id),
            "logical_ids": _logical_ids(directory, art),
        })
    return out


def _logical_ids(directory: Path, art: dict[str, Any]) -> dict[str, str]:
    """logical id -> construct path, from the artifact's metadata."""
    meta = art.get("metadata")
    extra = art.get("additionalMetadataFile")
    if not isinstance(meta, dict) and isinstance(extra, str):
        try:
            meta = _read_json(directory / extra)
        except AdvisorError:
            meta = None
    out: dict[str, str] = {}
    for cpath, entries in (meta or {}).items() if isinstance(meta, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId" \
                    and isinstance(entry.get("data"), str):
                out.setdefault(entry["data"], str(cpath).strip("/"))
    return out


def load_assembly(path: str) -> System:
    """Every stack of the cloud assembly at `path` (nested stacks followed) as one system."""
    directory = Path(path)
    arts = stacks_of(directory)
    if not arts:
        raise AdvisorError([Diagnostic(str(directory / MANIFEST), 1, 1,
                                       "the cloud assembly has no CloudFormation stacks")])
    names = {a["template"]: a["construct_path"] for a in arts}
    collected = collect([a["template"] for a in arts], names=names)
    by_path = {a["template"]: a for a in arts}
    for stack in collected.stacks:
        art = by_path.get(stack.path)
        if art is None or stack.parent is not None:
            continue
        stack.deployed_name = art["deployed_name"]
        stack.construct_root = art["construct_path"]
        stack.construct_paths.update(art["logical_ids"])
    app = directory.resolve().parent.name if directory.name == "cdk.out" else directory.name
    return build(collected, name=app or "cdk-app", source=path, kind="cdk")


def load_assembly_arch(path: str) -> Any:
    """`load_assembly` for `load_any`: the Architecture (the system's stacks and links in
    `arch.graph.graph["system"]`), or AdvisorError when a template cannot be read."""
    system = load_assembly(path)
    if system.errors or system.arch is None:
        raise AdvisorError([d for e in system.errors for d in e.diagnostics] or [
            Diagnostic(path, 1, 1, "no stack of the cloud assembly could be read")])
    system.arch.graph.graph["system"] = system.to_dict()
    return system.arch
