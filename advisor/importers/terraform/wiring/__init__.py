"""Edges from Terraform wiring, one module per service family.

`read_wiring(ctx, res)` handles one wiring/support resource (counted as consumed by the
caller) through the family that declares its type in `WIRING`; `finish(ctx)` adds the
edges a component's own arguments imply (the family's `IMPLIED` reader per node kind:
environment variables, redrive policies, Firehose sources and destinations, pipes, state
machine definitions, OpenAPI bodies, schedules) and the cross-resource props (IAM on the
functions that assume a role, log retention, API auth, public buckets, code inspection).

Families: `functions` (Lambda), `apigw` (REST and HTTP/WebSocket APIs), `messaging`
(SNS, SQS), `events` (EventBridge, Pipes, Scheduler), `s3`, `streams` (Firehose), `logs`
(subscription filters), `capacity` (auto scaling), `iam`, `keys` (the KMS keys components
are encrypted with);
Step Functions definitions go through `advisor.importers.terraform.sfn` (shared ASL).
`common` holds what several families use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from advisor.importers.terraform.hcl import Block
from advisor.importers.terraform.module import Module, Resource
from advisor.importers.terraform.sfn import read_definition
from advisor.importers.terraform.wiring import (
    apigw,
    capacity,
    events,
    functions,
    iam,
    keys,
    logs,
    messaging,
    s3,
    streams,
)

if TYPE_CHECKING:
    from advisor.importers.terraform.importer import Context

def read_wiring(ctx: Context, res: Resource) -> None:
    handler = _WIRING.get(res.type)
    if handler is not None:
        handler(ctx, res, res.block, res.module)


def finish(ctx: Context) -> None:
    for name in ctx.arch.node_names():
        res = ctx.res_of.get(name)
        if res is None:
            continue
        kind = ctx.arch.kind(name)
        reader = _IMPLIED.get(kind)
        if reader is not None:
            reader(ctx, name, res, res.block, res.module)
    events.connect_default_bus(ctx)
    iam.read_roles(ctx)
    functions.log_retention(ctx)
    apigw.finish_apis(ctx)
    s3.finish_buckets(ctx)
    keys.name_encryption_keys(ctx)
    from advisor.importers.terraform.code import inspect_function

    for fn in list(ctx.arch.nodes_of_kind("lambda")):  # last: glue needs the callers known
        if fn in ctx.res_of:
            inspect_function(ctx, fn, ctx.res_of[fn])
    functions.env_write_backs(ctx)  # once the handlers are read


def _sfn_implied(ctx: Context, name: str, res: Resource, b: Block, mod: Module) -> None:
    read_definition(ctx, name, res, b.get("definition"), b, mod)




_FAMILIES = (functions, messaging, events, apigw, s3, streams, logs, capacity)
_WIRING: dict[str, Callable[..., None]] = {
    t: h for fam in _FAMILIES for t, h in fam.WIRING.items()  # type: ignore[attr-defined]
}
_IMPLIED: dict[str, Callable[..., Any]] = {
    k: h for fam in _FAMILIES for k, h in fam.IMPLIED.items()  # type: ignore[attr-defined]
}
_IMPLIED["sfn"] = _sfn_implied

__all__ = ["finish", "read_wiring"]
