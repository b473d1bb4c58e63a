"""How both importers read IAM policy statements: writes, wildcards, wide policies.

- A function's role allowed `sqs:SendMessage` on a queue the template declares says the
  code sends there: an edge function -> queue (`write_kind`, table `iam_writes.yaml`).
- A statement granting every action (`*`), every action of a service (`sqs:*`), or
  `Resource: "*"` where a resource could be named is a wildcard (`is_wildcard`).
- `AdministratorAccess`, `PowerUserAccess` and `*FullAccess` managed policies are wide.

The CloudFormation and Terraform importers each kept their own copy of these rules, and
the copies disagreed (only one counted a task-token callback, `states:SendTaskSuccess`;
one drew an edge to every resource of a statement that wrote to any; `Resource: "*"` was
a wildcard on one side only): the same role gave different edges and findings.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _table() -> dict[str, dict[str, Any]]:
    from advisor.importers.reading import package_yaml

    return package_yaml("iam_writes.yaml")  # type: ignore[no-any-return]


def write_kind(action: str) -> str | None:
    """The catalog kind an IAM action writes to (`sqs:SendMessage` -> sqs), or None for a
    read, a management call or a service without a kind. `sqs:*` and `sqs:Send*` count;
    a bare `*` names no service and counts for none."""
    if ":" not in action:
        return None
    prefix, verb = action.lower().split(":", 1)
    spec = _table().get(prefix)
    if spec is None:
        return None
    allowed: list[str] = spec["actions"]
    if verb == "*" or (verb.endswith("*") and any(a.startswith(verb[:-1]) for a in allowed)):
        return str(spec["kind"])
    if any(verb == a or (a.endswith("*") and verb.startswith(a[:-1])) for a in allowed):
        return str(spec["kind"])
    return None


# Actions that have no resource-level permissions, so `Resource: "*"` is the only option.
NO_RESOURCE_LEVEL = ("xray:", "logs:createloggroup", "cloudwatch:putmetricdata",
                     "ec2:createnetworkinterface", "ec2:describenetworkinterfaces",
                     "ec2:deletenetworkinterface", "ec2:assignprivateipaddresses",
                     "ec2:unassignprivateipaddresses", "ec2:describe")
WIDE_MANAGED = ("AdministratorAccess", "PowerUserAccess", "FullAccess")


def managed_policy_is_wide(name: str) -> bool:
    return any(w in name for w in WIDE_MANAGED)


def is_wildcard(actions: list[str], resources: list[Any]) -> bool:
    """An Allow statement's actions and resources: every action (`*`) or every action of
    a service (`sqs:*`), or `Resource: "*"` where a resource could have been named. A
    wildcard that only completes one action name (`sqs:SendMessage*`, SAM's
    SQSSendMessagePolicy) is not one: it grants that action's variants, not the service
    (the serverless-rules reading of Lambda star permissions, WS1003)."""
    if any(a == "*" or ":*" in a for a in actions):
        return True
    if "*" in resources:
        return not all(a.lower().startswith(NO_RESOURCE_LEVEL) for a in actions if a)
    return False
