"""What an edge means for the bill: read or write, an authorizer, cross-account, which
kind of EventBridge event; and which services a design uses without declaring them.

Reads and writes are decided from the edge's `action` (`PutItem`, `dynamodb:GetItem`,
`arn:aws:states:::dynamodb:getItem`, `s3.put_object`) and its label's words
(`"reads orders"`), never from a substring: "targets" is not a read because it contains
"get". The verb is the first word of the action's last segment once camelCase and
snake_case are split (`BatchWriteItem` -> batch, write, item).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from advisor.catalog import category_of, kind_names
from advisor.model import Architecture

READ_VERBS = frozenset({
    "get", "query", "scan", "read", "reads", "select", "list", "describe", "head", "fetch",
    "lookup", "load", "download", "receive", "retrieve", "search", "find",
})
WRITE_VERBS = frozenset({
    "put", "update", "delete", "write", "writes", "insert", "upload", "store", "save",
    "create", "send", "publish", "post", "append", "copy", "remove", "upsert", "modify",
})
PREFIXES = frozenset({"batch", "transact"})
AUTHORIZER_WORDS = frozenset({"authorizer", "authoriser", "authorizers", "authorization",
                              "authorisation", "authorize", "authorise"})
# kinds whose edge into an event bus publishes custom events (PutEvents from code or an
# integration); AWS services that emit on their own send management events (free), except
# S3, whose object events are opt-in data events (billed like custom events)
CUSTOM_EVENT_PUBLISHERS = frozenset({"lambda", "ecs", "client", "http", "apigw", "appsync", "alb",
                                     "cloudfront", "pipes", "scheduler", "sfn", "eventbridge",
                                     "sqs", "sns", "kinesis", "firehose"})
OPT_IN_EVENT_SOURCES = frozenset({"s3"})
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")


@dataclass(frozen=True)
class Operation:
    """How a call touches a data store."""

    kind: str | None  # "read", "write" or None (not stated)
    transactional: bool = False
    multi_item: bool = False  # Query / Scan: reads more than one item
    consistent: bool = False  # ConsistentRead stated


def words(text: str) -> list[str]:
    """`BatchWriteItem` -> [batch, write, item]; `put_item` -> [put, item]."""
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", text) for w in _CAMEL.findall(part)]


def _action_segment(action: str) -> str:
    """The operation name of an action: `dynamodb:GetItem` -> GetItem,
    `arn:aws:states:::aws-sdk:dynamodb:getItem.waitForTaskToken` -> getItem,
    `s3.put_object` -> put_object."""
    last = re.split(r"[:/]", action.strip())[-1]
    parts = [p for p in last.split(".") if p]
    if len(parts) > 1 and parts[-1].lower() in ("sync", "waitfortasktoken"):
        parts = parts[:-1]
    return parts[-1] if parts else last


def _verb(ws: list[str]) -> tuple[str | None, bool]:
    transactional = False
    for w in ws:
        if w in PREFIXES:
            transactional = transactional or w == "transact"
            continue
        if w in READ_VERBS:
            return "read", transactional
        if w in WRITE_VERBS:
            return "write", transactional
    return None, transactional


def operation(edge: dict[str, Any]) -> Operation:
    """Read or write from the edge's `action`, else its label (first verb wins)."""
    action = str((edge.get("props") or {}).get("action") or "")
    label = str(edge.get("label") or "")
    for text, from_action in ((action, True), (label, False)):
        if not text:
            continue
        ws = words(_action_segment(text)) if from_action else words(text)
        kind, transactional = _verb(ws)
        if from_action and kind is None:
            kind, transactional = _verb(words(text))
        if kind is not None:
            return Operation(
                kind=kind,
                transactional=transactional,
                multi_item=bool({"query", "scan"} & set(ws)),
                consistent="consistent" in words(text),
            )
    return Operation(kind=None)


def is_authorizer_edge(arch: Architecture, a: str, b: str) -> bool:
    """An API's call to its authorizer: labelled so (the importers label them
    "authorizer"), or a call from an API to an identity service (a Cognito user pool)."""
    data = arch.graph._succ[a][b]
    if AUTHORIZER_WORDS & set(words(str(data.get("label") or ""))):
        return True
    return category_of(arch.kind(a)) == "edge" and category_of(arch.kind(b)) == "identity"


def is_side_call(arch: Architecture, a: str, b: str) -> bool:
    """A call every request makes besides its route (an authorizer, a key, a log group):
    not one of the routes an API shares its requests among."""
    if is_authorizer_edge(arch, a, b):
        return True
    return category_of(arch.kind(b)) in ("identity", "security", "observability")


def is_cross_account(arch: Architecture, a: str, b: str) -> bool:
    """The edge crosses an account boundary: stated on the edge (`cross_account = true`),
    or both nodes state an `account` and they differ."""
    data = arch.graph._succ[a][b]
    if (data.get("props") or {}).get("cross_account") is True:
        return True
    pa = arch.graph._node[a]["props"].get("account")
    pb = arch.graph._node[b]["props"].get("account")
    return pa is not None and pb is not None and str(pa) != str(pb)


_AWS_SOURCE = re.compile(r'"source"\s*:\s*\[([^\]]*)\]', re.S)


def rule_event_type(pattern: Any) -> str:
    """What a rule with no publisher in the design receives, from its event pattern:
    "management" when every `source` is an AWS service (`aws.ec2`, `aws.inspector2`),
    "opt-in" when it matches S3 object events (`aws.s3`), else "custom"."""
    m = _AWS_SOURCE.search(str(pattern or ""))
    if not m:
        return "custom"
    sources = re.findall(r'"([^"]*)"', m.group(1))
    if not sources or not all(s.startswith("aws.") for s in sources):
        return "custom"
    return "opt-in" if any(s == "aws.s3" for s in sources) else "management"


def publisher_event_type(arch: Architecture, publisher: str) -> str:
    """The events `publisher` puts on a bus: custom (PutEvents from code or an
    integration), opt-in data events (S3), or AWS management events (other services)."""
    kind = arch.kind(publisher)
    if kind in OPT_IN_EVENT_SOURCES:
        return "opt-in"
    if kind in CUSTOM_EVENT_PUBLISHERS:
        return "custom"
    return "management"


@dataclass(frozen=True)
class ImplicitService:
    """A service a function calls (its handler's SDK call) that the design has no node
    for: the default event bus, a state machine started by ARN, a table named only in an
    environment variable. It exists in reality, so it is priced on both sides of a
    rewrite that makes it explicit."""

    caller: str
    kind: str
    name: str


def implicit_services(arch: Architecture) -> list[ImplicitService]:
    """Functions whose `glue_target` names a catalog kind none of their successors has."""
    known = set(kind_names()) - {"resource", "client", "http"}
    taken = set(arch.graph.nodes)
    out: list[ImplicitService] = []
    for fn in arch.nodes_of_kind("lambda"):
        target = str(arch.graph.nodes[fn]["props"].get("glue_target") or "")
        if target not in known:
            continue
        if any(arch.kind(s) == target for s in arch.graph.successors(fn)):
            continue
        name = f"{target}_target"
        i = 2
        while name in taken:
            name, i = f"{target}_target_{i}", i + 1
        taken.add(name)
        out.append(ImplicitService(caller=fn, kind=target, name=name))
    return out


__all__ = ["ImplicitService", "Operation", "implicit_services", "is_authorizer_edge",
           "is_cross_account", "is_side_call", "operation", "publisher_event_type",
           "rule_event_type", "words"]
