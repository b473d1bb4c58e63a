"""Customer managed KMS keys of the template, connected to the resources they encrypt.

A resource encrypted with SSE-KMS whose key property (`KmsMasterKeyId`, `KmsKeyId`,
`KMSMasterKeyID` under `SSESpecification` or `BucketEncryption`, a stream's `KeyId`, ...)
names an `AWS::KMS::Key` of the template names that key's node in its `kms_key` prop: the
estimate then prices that key once instead of assuming one more key for the resource
(estimate.dimensions.kms_encryption_of); one that names an AWS managed key
(`alias/aws/...`) is marked `kms_managed`. A prop, not an edge: an edge out of a topic or a
rule reads as one of its subscriptions or targets."""

from __future__ import annotations

from typing import Any

from advisor.importers.cloudformation.context import Ctx
from advisor.importers.kms_aliases import is_aws_managed

# property names that hold the key of an encryption setting, at any depth
_KEY_WORDS = ("kms", "keyid", "keyarn")


def _key_values(value: Any) -> list[Any]:
    """The values of the key properties found anywhere in a resource's properties."""
    found: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and any(w in k.lower() for w in _KEY_WORDS):
                found.append(v)
            else:
                found.extend(_key_values(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_key_values(v))
    return found


def wire_encryption_keys(ctx: Ctx) -> None:
    for lid, node in sorted(ctx.names.items()):
        if node not in ctx.arch.graph or ctx.arch.kind(node) == "kms":
            continue
        if ctx.arch.props(node).get("encryption") != "sse-kms":
            continue
        for value in _key_values(ctx.props_of(lid)):
            keys = [k for k in ctx.node_refs(value) if ctx.arch.kind(k) == "kms"]
            if keys:
                ctx.set_props(node, kms_key=keys[0])
                break
            if is_aws_managed(ctx.text_of(value)):
                ctx.set_props(node, kms_managed=True)
                break
