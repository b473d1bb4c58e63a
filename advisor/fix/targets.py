"""The files a fix edits, per input format: `open_target(result)`.

A target knows its format (the registry key), gives generators the object they edit
(`for_rewrite`), can be snapshotted and restored (one rewrite is all or nothing), and
renders its files (`files()` -> [PatchedFile]).
"""

from __future__ import annotations

import os
from typing import Any

from advisor.fix.cfn.template import Template, Unpatchable


def read(path: str) -> str:
    from advisor.importers import MAX_BYTES
    from advisor.importers.reading import read_text

    return read_text(path, MAX_BYTES)


class CfnTarget:
    format = "cloudformation"

    def __init__(self, path: str, text: str | None = None,
                 texts: dict[str, str] | None = None) -> None:
        self.path = path
        self.text = read(path) if text is None else text
        from ruamel.yaml import YAMLError

        try:
            self.template = Template(path, self.text, texts)
        except YAMLError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Unpatchable(f"the template cannot be read for editing ({first})") from exc

    def for_rewrite(self, ctx: Any) -> Template:
        return self.template

    def snapshot(self) -> Any:
        return self.template.snapshot()

    def restore(self, snap: Any) -> None:
        self.template.restore(snap)

    def files(self) -> list[Any]:
        from advisor.fix.runner import PatchedFile

        out = [PatchedFile(self.path, self.text, self.template.render())]
        for p, doc in sorted(self.template.extra.items()):
            out.append(PatchedFile(p, doc.text, doc.render()))
        return out


def open_target(result: Any, texts: dict[str, str] | None = None) -> Any:
    texts = texts or {}
    fmt = result.format
    path = result.source
    if fmt == "cloudformation":
        if path not in texts and not os.path.isfile(path):
            raise Unpatchable(f"{path} is not a file that can be patched")
        others = {os.path.normpath(p): t for p, t in texts.items() if p != path}
        return CfnTarget(path, texts.get(path), others)
    if fmt == "terraform":
        from advisor.fix.terraform.target import TerraformTarget

        return TerraformTarget(path, result, texts)
    if fmt == "dsl":
        from advisor.fix.dslfix import DslTarget

        return DslTarget(path, texts.get(path))
    raise Unpatchable(f"no patches for {fmt} inputs")
