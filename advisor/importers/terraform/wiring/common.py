"""Helpers every wiring family uses: service words, external endpoints, the default
bus, DLQ marking. Nodes made here (an `http` endpoint, the default event bus) stand for
things the configuration names but does not declare."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Resource

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context


def services() -> dict[str, str]:
    from advisor.importers.terraform.importer import mapping

    return dict(mapping()["services"])


def ident(text: str) -> str:
    """A valid DSL identifier made from any text (the importer's naming rule)."""
    from advisor.importers.terraform.importer import _ident

    return _ident(text)


def http_node(ctx: Context, res: Resource, url: str) -> str:
    from advisor.importers.terraform.importer import _ident

    name = _ident(f"{res.name}_endpoint")
    i = 2
    while name in ctx.arch.graph and ctx.arch.props(name).get("url") != url:
        name, i = f"{_ident(res.name)}_endpoint_{i}", i + 1
    ctx.arch.add_node(
        name,
        "http",
        {"url": url} if "${" not in url else {},
        loc=ctx.loc(res.block),
        source_id=res.address + ".endpoint",
    )
    return name


DEFAULT_BUS = "default_bus"


def default_bus(ctx: Context, b: Block) -> str:
    """The account's default event bus, as a node, created the first time something in
    the configuration puts events there."""
    name = DEFAULT_BUS
    if name not in ctx.arch.graph:
        ctx.arch.add_node(name, "eventbridge", {}, loc=ctx.loc(b), source_id="default event bus")
    return name


def mark_dlq(ctx: Context, node: str) -> None:
    if ctx.arch.kind(node) == "sqs":
        ctx.set_props(node, is_dlq=True)
