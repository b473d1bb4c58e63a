"""Customer managed KMS keys of the configuration, named by the resources they encrypt.

A component encrypted with SSE-KMS whose key argument (`kms_master_key_id`, `kms_key_id`,
`kms_key_arn`, `key_id` in a `server_side_encryption` block, ...) refers to an
`aws_kms_key` of the configuration names that key's node in its `kms_key` prop, so the
estimate prices that key once instead of assuming one more key for the component
(estimate.dimensions.kms_encryption_of); the CloudFormation importer does the same
(importers/cloudformation/wiring/keys.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from advisor.importers.kms_aliases import is_aws_managed
from advisor.importers.terraform.hcl import Block

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context

_KEY_WORDS = ("kms", "key_id", "key_arn")


def _key_args(b: Block) -> Iterator[tuple[Block, str, Any]]:
    """(block, argument, value) of every key argument of a block and its nested blocks."""
    for attr, value in b.attrs.items():
        if any(w in attr for w in _KEY_WORDS):
            yield b, attr, value
    for sub in b.blocks:
        yield from _key_args(sub)


def name_encryption_keys(ctx: Context) -> None:
    for name in ctx.arch.node_names():
        res = ctx.res_of.get(name)
        if res is None or ctx.arch.kind(name) == "kms":
            continue
        if ctx.arch.props(name).get("encryption") != "sse-kms":
            continue
        for block, attr, value in _key_args(res.block):
            keys = [k for k in ctx.nodes(res.module, value, block, attr)
                    if ctx.arch.kind(k) == "kms"]
            if keys:
                ctx.set_props(name, kms_key=keys[0])
                break
            if is_aws_managed(value):
                ctx.set_props(name, kms_managed=True)
                break
