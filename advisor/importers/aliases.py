"""Which node a template resource id belongs to, for findings reported by id (peer tools).

`owner_of(arch, resource_id)` answers, in order: a node whose `source_id` is the id; the
importer's `arch.aliases` (folded resources, SAM-generated ids); and ids SAM derives with a
content hash no template states (`<Api>Deployment<10 hex>`, `<Fn>Version<10 hex>`), which
belong to the owner of the id before the hash. None when the id names nothing known.
"""

from __future__ import annotations

import re

from advisor.model import Architecture

_SAM_HASHED = re.compile(r"^(?P<base>.+?)(?:Deployment|Version)[0-9a-f]{10}$")


def owner_of(arch: Architecture, resource_id: str) -> str | None:
    """The node `resource_id` (a logical ID or Terraform address) is part of, or None."""
    by_source = {str(d.get("source_id") or n): n for n, d in arch.graph.nodes(data=True)}
    if resource_id in by_source:
        return str(by_source[resource_id])
    if resource_id in arch.aliases:
        return arch.aliases[resource_id]
    m = _SAM_HASHED.match(resource_id)
    if m:
        base = m.group("base")
        return by_source.get(base) or arch.aliases.get(base)
    return None
