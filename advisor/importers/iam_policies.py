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
# The CloudWatch Logs delivery actions are the ones a state machine's or API's logging
# needs, which Step Functions documents with `"Resource": "*"` ("IAM policies for logging
# to CloudWatch Logs", https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
NO_RESOURCE_LEVEL = ("xray:", "logs:createloggroup", "cloudwatch:putmetricdata",
                     "ec2:createnetworkinterface", "ec2:describenetworkinterfaces",
                     "ec2:deletenetworkinterface", "ec2:assignprivateipaddresses",
                     "ec2:unassignprivateipaddresses", "ec2:describe",
                     "logs:createlogdelivery", "logs:getlogdelivery", "logs:updatelogdelivery",
                     "logs:deletelogdelivery", "logs:listlogdeliveries",
                     "logs:putresourcepolicy", "logs:describeresourcepolicies",
                     "logs:describeloggroups",
                     # account-wide listings (Service Authorization Reference: no resource
                     # type), which a stream poller or pipe needs to find its stream
                     "dynamodb:liststreams", "dynamodb:listtables", "kinesis:liststreams",
                     "sqs:listqueues", "sns:listtopics", "s3:listallmybuckets",
                     "lambda:listfunctions", "states:liststatemachines")
# Grants on `Resource: "*"` that are named on their own: passing any role to a service is
# privilege escalation, completing any workflow's task token a confused-deputy risk.
NAMED_ON_ANY = ("iam:passrole", "states:sendtasksuccess", "states:sendtaskfailure",
                "states:sendtaskheartbeat")
WIDE_MANAGED = ("AdministratorAccess", "PowerUserAccess", "FullAccess")


def managed_policy_is_wide(name: str) -> bool:
    return any(w in name for w in WIDE_MANAGED)


def is_wildcard(actions: list[str], resources: list[Any]) -> bool:
    """An Allow statement's actions and resources: every action (`*`) or every action of
    a service (`sqs:*`), or `Resource: "*"` where a resource could have been named. A
    wildcard that only completes one action name (`sqs:SendMessage*`, SAM's
    SQSSendMessagePolicy) is not one: it grants that action's variants, not the service
    (the serverless-rules reading of Lambda star permissions, WS1003)."""
    return bool(wide_grants(actions, resources))


@cache
def _unscoped_services() -> dict[str, Any]:
    """The services of the Service Authorization Reference (`iam_unscoped_actions.yaml`,
    half a megabyte), read once per process: `_actions_of` asks it for each new prefix."""
    from advisor.importers.reading import package_yaml

    return package_yaml("iam_unscoped_actions.yaml").get("services") or {}


@cache
def _actions_of(prefix: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """A service's actions that take no resource type and those that take one (the
    Service Authorization Reference, `iam_unscoped_actions.yaml`); None for a prefix it
    does not list."""
    spec = _unscoped_services().get(prefix)
    if spec is None:
        return None
    return frozenset(spec["unscoped"].split()), frozenset(spec["scoped"].split())


def takes_no_resource(action: str) -> bool:
    """Whether `*` is the only resource `action` can be granted on: an action the
    reference lists with no resource type (`rekognition:DetectLabels`), a family whose
    every action is one (`xray:Put*`), or one of NO_RESOURCE_LEVEL. A family that also
    covers an action taking a resource (`comprehend:Detect*`: DetectEntities takes an
    endpoint) could have been narrowed, and is not one."""
    low = action.lower()
    if low.startswith(NO_RESOURCE_LEVEL):
        return True
    prefix, _, verb = low.partition(":")
    known = _actions_of(prefix) if verb and verb != "*" else None
    if known is None:
        return False
    unscoped, scoped = known
    if not verb.endswith("*"):
        return verb in unscoped
    stem = verb[:-1]
    return any(a.startswith(stem) for a in unscoped) and not any(
        a.startswith(stem) for a in scoped)


def wide_grants(actions: list[str], resources: list[Any]) -> list[str]:
    """What an Allow statement grants too widely, named for a message: `*`, `sqs:*`,
    `iam:PassRole on *`, `dynamodb:PutItem on *` (the rules of `is_wildcard`); empty
    when it is scoped."""
    out = [a for a in actions if a == "*" or ":*" in a]
    if "*" in resources:
        scoped = [a for a in actions if a and a not in out and not takes_no_resource(a)]
        named = [a for a in scoped if a.lower() in NAMED_ON_ANY]
        out += [f"{a} on *" for a in named]
        rest = [a for a in scoped if a not in named]
        if rest:
            out.append(f"{', '.join(rest[:3])}{', ...' if len(rest) > 3 else ''} on *")
    return out


def is_anyone(principal: Any) -> bool:
    """A resource policy's `Principal` that is everyone: `"*"`, `{"AWS": "*"}` (or a list
    holding `"*"`). A service principal is not: its callers are named by conditions
    (SEC-LAMBDA-PERMISSION-SOURCE reads those)."""
    if principal == "*":
        return True
    if isinstance(principal, dict):  # (Terraform's policy documents: type "*" too)
        return any(v == "*" or (isinstance(v, list) and "*" in v)
                   for k, v in principal.items() if k in ("AWS", "*"))
    return isinstance(principal, list) and "*" in principal


def open_to_anyone(effect: Any, principal: Any, condition: Any) -> bool:
    """An Allow statement of a resource policy that lets anyone, in any account, make the
    calls it grants: everyone as principal and no `Condition` at all (any condition, on a
    source ARN, account, VPC endpoint or organization, is taken to restrict it). What
    checkov's CKV_AWS_168/169 read as public for queue and topic policies."""
    return str(effect or "Allow") == "Allow" and is_anyone(principal) and not condition


def add_public_grants(props: dict[str, Any], actions: list[str]) -> None:
    """Record on a queue's or topic's props the actions its policy lets anyone make
    (`public_policy`, in the order found, no repeats): both importers."""
    known = list(props.get("public_policy") or ())
    props["public_policy"] = known + [a for a in dict.fromkeys(actions) if a not in known]


def add_wide_grants(props: dict[str, Any], grants: list[str]) -> None:
    """Record `grants` on a node's props (`iam_wildcard`, and `wide_grants` without
    repeats, in the order found): both importers, every role of a node."""
    known = list(props.get("wide_grants") or ())
    props["iam_wildcard"] = True
    props["wide_grants"] = known + [g for g in dict.fromkeys(grants) if g not in known]
