"""What several families use: a list from a scalar or list, the node a reference names (else an
external node when its ARN tells the kind), and the account's default event bus."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx, kind_from_arn


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def target_node(ctx: Ctx, value: Any, what: str, owner: str, kind: str | None = None) -> str | None:
    """The node `value` names, else an external node when its ARN tells the kind."""
    node = ctx.node_ref(value)
    if node is not None:
        return node
    if value is None:
        return None
    guess = kind or kind_from_arn(ctx.text_of(value))
    named = ctx.by_physical_name(value, guess)
    if named is not None:
        return named
    if guess is None:
        line, col = ctx.line_of(value, owner)
        names = ctx.ref_names(value)
        if names:
            ctx.info(f"{what} of {owner} refers to {', '.join(names)}, which is not a resource "
                     "of this template; no edge drawn", line, col)
        return None
    return ctx.external_node(value, guess, f"{what} of {owner}", None, owner)


def default_bus(ctx: Ctx) -> str:
    """The account's default event bus, as a node, created the first time it is needed."""
    return ctx.implicit_node("DefaultEventBus", "eventbridge",
                             {"description": "the account's default event bus"})
