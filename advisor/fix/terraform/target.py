"""Terraform inputs: not patched yet (each rewrite is listed with this reason)."""

from __future__ import annotations

from typing import Any

from advisor.fix.cfn.template import Unpatchable


class TerraformTarget:
    format = "terraform"

    def __init__(self, path: str, result: Any, texts: dict[str, str]) -> None:
        raise Unpatchable("Terraform patches are not generated yet")
