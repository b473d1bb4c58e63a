"""`arch.aliases` for Terraform: every consumed resource's address -> the node it belongs to.

Why: checkov, tfsec and peers report findings on the resource carrying the setting
(`aws_api_gateway_stage.prod`, `aws_lambda_permission.allow_sqs`, `aws_iam_role.lambda`),
which the importer folds into a node instead of making it one. The owner is what the
resource's own attributes name (`terraform/mapping.yaml` `alias_owner`: a stage's `rest_api_id`,
a permission's `function_name`, a subscription's `endpoint`), following chains of consumed
resources (role policy -> role -> function); failing that, the first node referencing it
(a role belongs to the function whose `role` names it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from advisor import catalog
from advisor.importers.terraform.hcl import Block, Ref, iter_refs
from advisor.importers.terraform.module import Resource, home_of, resolve_ref


def build_aliases(ctx: Any) -> dict[str, str]:
    """Address -> node name for every consumed resource whose owner is known."""
    from advisor.importers.terraform.importer import is_consumed, mapping

    table: dict[str, list[str]] = mapping()["alias_owner"]
    folded = {
        r.address: r for r in ctx.ws.resources()
        if not r.data and r.address not in ctx.node_of
        and catalog.kind_for_terraform(r.type) is None and is_consumed(r.type)
    }
    users = _users(ctx, folded)
    memo: dict[str, str | None] = {}

    def owner_of_ref(res: Resource, ref: Ref, trail: frozenset[str]) -> str | None:
        for target, _attr in resolve_ref(ctx.ws, home_of(ref, res.module), ref.path):
            found = owner(target.address, trail)
            if found is not None:
                return found
        return None

    def owner(address: str, trail: frozenset[str]) -> str | None:
        if address in ctx.node_of:
            return str(ctx.node_of[address])
        res = folded.get(address)
        if res is None or address in trail:
            return None
        if address in memo:
            return memo[address]
        trail = trail | {address}
        found: str | None = None
        for attr in _attrs_for(table, res.type):
            for value in _values(res.block, attr.split(".")):
                refs = list(iter_refs(value))
                for ref in refs:
                    found = owner_of_ref(res, ref, trail)
                    if found is not None:
                        break
                if found is None and not refs:
                    found = next(iter(ctx.by_literal(value) if isinstance(value, str) else []),
                                 None)
                if found is not None:
                    break
            if found is not None:
                break
        if found is None:
            found = _first_user(ctx, [owner(u, trail) for u in users.get(address, [])])
        if found is not None or len(trail) == 1:  # a None cut short by the trail may differ
            memo[address] = found
        return found

    out = dict(getattr(ctx, "folded", {}))  # components folded into another (log groups)
    for address in sorted(folded):
        node = owner(address, frozenset())
        if node is not None:
            out[address] = node
    return dict(sorted(out.items()))


def _attrs_for(table: dict[str, list[str]], rtype: str) -> list[str]:
    """The table entry for a type: exact key, else the longest matching `prefix*` key."""
    if rtype in table:
        return table[rtype]
    best = max((k for k in table if k.endswith("*") and rtype.startswith(k[:-1])),
               key=len, default=None)
    return table[best] if best else []


def _values(block: Block, keys: list[str]) -> list[Any]:
    """Values at `attr` or `nested_block.attr` (a nested block written as an object too)."""
    head, rest = keys[0], keys[1:]
    if not rest:
        return [block.attrs[head]] if head in block.attrs else []
    out: list[Any] = []
    for sub in block.sub(head):
        out.extend(_values(sub, rest))
    value = block.attrs.get(head)
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(item, dict) and rest[0] in item:
            out.append(item[rest[0]])
    return out


def _all_values(block: Block) -> Iterator[Any]:
    stack = [block]
    while stack:
        b = stack.pop()
        yield from (b.attrs[k] for k in sorted(b.attrs))
        stack.extend(b.blocks)


def _users(ctx: Any, folded: dict[str, Resource]) -> dict[str, list[str]]:
    """Consumed address -> addresses of the resources that reference it."""
    out: dict[str, list[str]] = {}
    everything = [r for r in ctx.ws.resources() if not r.data]
    everything += [r for r in ctx.arch.graph.graph.get("tf_registry", [])]
    for res in sorted(everything, key=lambda r: r.address):
        for value in _all_values(res.block):
            for ref in iter_refs(value):
                for target, _attr in resolve_ref(ctx.ws, home_of(ref, res.module), ref.path):
                    if target.address in folded and target.address != res.address:
                        bucket = out.setdefault(target.address, [])
                        if res.address not in bucket:
                            bucket.append(res.address)
    return out


def _first_user(ctx: Any, nodes: list[str | None]) -> str | None:
    from advisor.importers.terraform.importer import mapping

    found = {n for n in nodes if n is not None}
    if not found:
        return None
    order = list(mapping()["alias_user_kinds"])

    def rank(name: str) -> tuple[int, str]:
        kind = ctx.arch.kind(name)
        return (order.index(kind) if kind in order else len(order), name)

    return min(found, key=rank)
