"""SAM connectors (`AWS::Serverless::Connector` and the `Connectors:` resource attribute):
the user's statement that data flows from a source to one or more destinations.

SAM turns a connector into permissions (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/managing-permissions-connectors.html):
a policy on the source's role, a Lambda permission, or a queue/topic policy naming the
source. Here a connector with `Write` is an edge source -> destination, the edge the
expanded template's policy shows (`iam.wire_iam`, `wiring.wire_permissions`,
`wiring.wire_resource_policies`). `Read` alone draws no edge, as a read-only role policy
draws none; nor does a write SAM grants on the role of a rule (its targets are the
edges). A connector from a queue or stream to a function only lets the function poll it;
the event source mapping is the edge.

Endpoints are `Id: LogicalId` or, for resources outside SAM's reach, `Arn` / `ResourceId`
/ `Name` / `QueueUrl` with a `Type`, and `RoleName` for the role SAM attaches a source's
policy to: when given, the source is whatever acts with that role (SAM writes the policy
there, whatever the `Arn` says).
"""

from __future__ import annotations

from typing import Any

from advisor.catalog import kind_for_cloudformation
from advisor.importers.cloudformation.context import Ctx, data

CONNECTOR = "AWS::Serverless::Connector"
# a destination function fed by one of these polls it: the permission is the function's
POLLED_SOURCES = ("sqs", "kinesis", "dynamodb")
_NAMING_KEYS = ("Arn", "ResourceId", "Name", "QueueUrl")
QUEUE_POLICY_SOURCES = ("sns", "eventbridge")  # SAM grants them a queue policy
# a write is an edge where the expanded template shows it as one: a role policy of a
# function or state machine (iam.wire_iam), or a resource policy of the destination
ROLE_SOURCES = ("lambda", "sfn")
RESOURCE_POLICY_TARGETS = ("lambda", "sqs", "sns")


def wire_connectors(ctx: Ctx) -> None:
    for lid in ctx.of_type(CONNECTOR):
        p = ctx.props_of(lid)
        _connect(ctx, lid, p.get("Source"), p.get("Destination"), p.get("Permissions"))
    for lid, res in ctx.resources.items():
        embedded = res.get("Connectors") if isinstance(res, dict) else None
        if not isinstance(embedded, dict):
            continue
        for spec in embedded.values():
            p = spec.get("Properties") if isinstance(spec, dict) else None
            if isinstance(p, dict):
                _connect(ctx, str(lid), {"Id": str(lid)}, p.get("Destination"),
                         p.get("Permissions"))


def _connect(ctx: Ctx, owner: str, source: Any, destination: Any, permissions: Any) -> None:
    perms = permissions if isinstance(permissions, list) else [permissions]
    if "Write" not in [ctx.scalar(x) for x in perms]:
        return
    src = _endpoint(ctx, source, role_based=True)
    dests = destination if isinstance(destination, list) else [destination]
    for dest in dests:
        # a queue policy (from a topic or rule) is attached to the queue `QueueUrl` names
        keys = ("QueueUrl",) if src is not None and ctx.arch.kind(src) in QUEUE_POLICY_SOURCES \
            and isinstance(dest, dict) and dest.get("QueueUrl") is not None else _NAMING_KEYS
        target = _endpoint(ctx, dest, role_based=False, keys=keys)
        if src is None or target is None:
            continue
        if ctx.arch.kind(target) == "lambda" and ctx.arch.kind(src) in POLLED_SOURCES:
            continue
        if ctx.arch.kind(src) not in ROLE_SOURCES and ctx.arch.kind(target) not in \
                RESOURCE_POLICY_TARGETS:
            continue  # SAM grants it on the source's role, as a rule's for its targets
        if ctx.arch.kind(src) in ROLE_SOURCES and not ctx.permission_is_use(src, target):
            continue  # as for the role policy it becomes (iam.wire_iam)
        ctx.edge(src, target, anchor=owner)


def _endpoint(ctx: Ctx, spec: Any, *, role_based: bool,
              keys: tuple[str, ...] = _NAMING_KEYS) -> str | None:
    """The node a connector endpoint names."""
    if not isinstance(spec, dict):
        return None
    if spec.get("Id") is not None:
        lid = ctx.sam_ref(spec.get("Id"))
        return _node_of(ctx, lid) if lid is not None else None
    kind = kind_for_cloudformation(str(ctx.scalar(spec.get("Type")) or ""))
    if role_based and spec.get("RoleName") is not None:
        return _role_holder(ctx, spec.get("RoleName"), kind)
    for key in keys:
        for node in ctx.node_refs(spec.get(key)):
            if kind is None or ctx.arch.kind(node) == kind:
                return node
    return None


def _node_of(ctx: Ctx, lid: str) -> str | None:
    """A resource's node; a wiring resource (an AppSync data source) stands for the node
    it belongs to (`alias_owner` in data.yaml)."""
    from advisor.importers.cloudformation.aliases import values_at

    node = ctx.node_for(lid)
    if node is not None:
        return node
    for path in data()["alias_owner"].get(ctx.rtype(lid), []):
        for value in values_at(ctx.props_of(lid), path):
            for ref in ctx.node_refs(value):
                return ref
    return None


def _role_holder(ctx: Ctx, role_name: Any, kind: str | None) -> str | None:
    """The one node of `kind` acting with the role `role_name` names (a `Ref` to a role,
    or the role's physical `RoleName`)."""
    from advisor.importers.cloudformation.iam import role_ids

    roles = [r for r in ctx.resource_refs(role_name) if ctx.rtype(r) == "AWS::IAM::Role"]
    literal = ctx.scalar(role_name)
    if not roles and isinstance(literal, str):
        roles = [r for r in ctx.of_type("AWS::IAM::Role")
                 if ctx.scalar(ctx.props_of(r).get("RoleName")) == literal]
    holders = sorted({ctx.names[lid] for lid in ctx.names if lid in ctx.resources
                      and set(role_ids(ctx, lid)) & set(roles)
                      and (kind is None or ctx.arch.kind(ctx.names[lid]) == kind)})
    return holders[0] if len(holders) == 1 else None
