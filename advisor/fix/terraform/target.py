"""A Terraform module (a `.tf` file or a directory, with the local modules it calls) being
patched. Each node's block is found from its `loc` (file and line, in the module's own
file for a local module); new blocks go into the file of the block they serve, with
references local to that module."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from advisor.fix.cfn.template import Unpatchable
from advisor.fix.terraform.hcl import HclFile


class TerraformTarget:
    format = "terraform"

    def __init__(self, path: str, result: Any, texts: dict[str, str]) -> None:
        self.path = path
        self.texts = texts
        self.files_open: dict[str, HclFile] = {}
        self.before = result.before

    def file(self, path: str) -> HclFile:
        if path not in self.files_open:
            from advisor.fix.targets import read

            text = self.texts[path] if path in self.texts else read(path)
            f = HclFile(path, text)
            f.module_prefix = self._prefix_of(f)
            self.files_open[path] = f
        return self.files_open[path]

    def _prefix_of(self, f: HclFile) -> str:
        """`module.x.` for a file of a local module: from a node declared in it."""
        for _, data in self.before.graph.nodes(data=True):
            loc, sid = data.get("loc"), str(data.get("source_id") or "")
            if loc is None or loc.path != f.path:
                continue
            block = f.block_at(loc.line)
            if block is not None and block.type == "resource":
                addr = f"{block.labels[0]}.{block.labels[1]}"
                if sid.endswith(addr):
                    return sid[:-len(addr)]
        return ""

    def for_rewrite(self, ctx: Any) -> TerraformTarget:
        return self

    def snapshot(self) -> Any:
        return {p: f.snapshot() for p, f in self.files_open.items()}

    def restore(self, snap: Any) -> None:
        for p in list(self.files_open):
            if p in snap:
                self.files_open[p].restore(snap[p])
            else:
                del self.files_open[p]

    def files(self) -> list[Any]:
        from advisor.fix.runner import PatchedFile

        return [PatchedFile(p, f.text, f.render()) for p, f in sorted(self.files_open.items())]

    # --- locating
    def block_of(self, ctx: Any, node: str) -> tuple[HclFile, Any, str]:
        """(file, block, address) of the resource a node came from."""
        data = ctx.node(node)
        loc = data.get("loc")
        sid = str(data.get("source_id") or "")
        if loc is None or not sid:
            raise Unpatchable(f"{node} is not declared in this module")
        f = self.file(loc.path)
        block = f.block_at(loc.line)
        if block is None:
            raise Unpatchable(f"no block of {node} at {loc.path}:{loc.line}")
        if block.type == "module":
            src = block.attrs.get("source")
            raise Unpatchable(f"{node} comes from the module '{block.labels[0]}' ({src}); "
                              "set it through the module's inputs")
        if block.type != "resource":
            raise Unpatchable(f"{node} is a {block.type} block, not a resource")
        if "count" in block.attrs or "for_each" in block.attrs:
            raise Unpatchable(f"{sid} uses count/for_each; its instances need indexed "
                              "references")
        return f, block, sid

    def edge_block(self, ctx: Any, a: str, b: str) -> tuple[HclFile, Any]:
        g = ctx.before.graph
        loc = g.edges[a, b].get("loc") if g.has_edge(a, b) else None
        if loc is None:
            raise Unpatchable(f"the template does not say where {a} -> {b} is wired")
        f = self.file(loc.path)
        block = f.block_at(loc.line)
        if block is None or block.type != "resource":
            raise Unpatchable(f"no resource wires {a} -> {b} at {loc.path}:{loc.line}")
        return f, block

    def unique_name(self, f: HclFile, rtype: str, base: str) -> str:
        import re

        base = re.sub(r"[^A-Za-z0-9_-]", "_", base) or "fix"
        if base[0].isdigit():
            base = "r_" + base
        # any resource's name, of any type: the importer names nodes after resources, and
        # two resources of one name get their type prefixed (which would rename a node)
        folder = Path(f.path).parent
        taken = {b.labels[1] for p in sorted(folder.glob("*.tf")) if p.is_file()
                 for b in self.file(str(p) if str(p) != f.path else f.path).resources()}
        for other in self.files_open.values():
            if Path(other.path).parent == folder:
                taken |= {b.labels[1] for b in other.resources()}
                taken |= set(getattr(other, "new_names", set()))
        name, i = base, 2
        while name in taken:
            name = f"{base}_{i}"
            i += 1
        f.__dict__.setdefault("new_names", set()).add(name)
        return name


def load_patched(source: str, texts: dict[str, str], before: Any = None) -> Any:
    """Import the module with `texts` in place of its files. The module's directory and
    every directory a node came from (local modules) are copied to a scratch tree with
    their relative layout, so `../modules/x` sources, handler code and `file()` targets
    still resolve."""
    from advisor.importers import load_any

    root = Path(source).resolve()
    root_dir = root if root.is_dir() else root.parent
    dirs = {root_dir} | {Path(p).resolve().parent for p in texts}
    if before is not None:
        for _, data in before.graph.nodes(data=True):
            loc = data.get("loc")
            if loc is not None and os.path.isfile(loc.path):
                dirs.add(Path(loc.path).resolve().parent)
            code = (data.get("props") or {}).get("code")  # handler sources read by path
            if isinstance(code, str) and os.path.isfile(code):
                dirs.add(Path(code).resolve().parent)
    common = Path(os.path.commonpath([str(d) for d in dirs]))
    with tempfile.TemporaryDirectory(prefix="fix-tf-") as tmp:
        dest = Path(tmp) / "w"
        for d in sorted(dirs):
            _copy_tree(d, dest / d.relative_to(common))
        for p, text in texts.items():
            (dest / Path(p).resolve().relative_to(common)).write_bytes(text.encode("utf-8"))
        arch = load_any(str(dest / root.relative_to(common)))
    _relocate(arch, str(dest), str(common))
    arch.source = source
    return arch


def _relocate(arch: Any, old: str, new: str) -> None:
    """Point the locations read in the scratch tree back at the real files."""
    from advisor.model import Location

    def move(loc: Any) -> Any:
        if loc is None or not str(loc.path).startswith(old):
            return loc
        return Location(new + str(loc.path)[len(old):], loc.line, loc.column)

    for _, data in arch.graph.nodes(data=True):
        data["loc"] = move(data.get("loc"))
        code = (data.get("props") or {}).get("code")
        if isinstance(code, str) and code.startswith(old):
            data["props"]["code"] = os.path.relpath(new + code[len(old):])
        if data.get("prop_locs"):
            data["prop_locs"] = {k: move(v) for k, v in data["prop_locs"].items()}
    for _, _, data in arch.graph.edges(data=True):
        data["loc"] = move(data.get("loc"))


SKIP_DIRS = {".terraform", ".git", "node_modules"}
MAX_COPY_BYTES = 50 * 1024 * 1024


def _copy_tree(src: Path, dest: Path) -> None:
    """Regular files only, contents without permissions (inputs may be read-only),
    bounded in size."""
    total = 0
    for folder, subdirs, files in os.walk(src):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS)
        out = dest / Path(folder).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            path = Path(folder) / name
            if not path.is_file() or path.is_symlink():
                continue
            total += path.stat().st_size
            if total > MAX_COPY_BYTES:
                raise Unpatchable(f"{src} is too large to copy for verification")
            shutil.copyfile(path, out / name)
