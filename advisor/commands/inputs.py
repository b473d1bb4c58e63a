"""Which inputs the paths on a command line name: one walk for every command that takes a
directory (`analyze`, `fix`), so they consider the same files, skip the same ones and give
each its result line (see advisor/batch/discovery.py for the rules)."""

from __future__ import annotations

import os
from typing import Any


def discover_inputs(paths: tuple[str, ...], exclude: tuple[str, ...] = (),
                    hook: bool = False) -> list[Any]:
    """batch.discover, except that a CDK cloud assembly (cdk.out, or an app folder with
    one) named on the command line is one input, like a Terraform module."""
    from advisor import batch
    from advisor.cdkpaths import find_assembly, is_unsynthesized_app

    out: list[Any] = []
    plain: list[str] = []
    for raw in paths:
        if os.path.isdir(raw) and (find_assembly(raw) or is_unsynthesized_app(raw)):
            if plain:
                out.extend(batch.discover(plain, exclude=exclude, hook=hook))
                plain = []
            out.append(batch.Input(raw, kind="module"))
        else:
            plain.append(raw)
    if plain:
        out.extend(batch.discover(plain, exclude=exclude, hook=hook))
    return out
