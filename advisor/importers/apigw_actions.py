"""API Gateway service integrations: the action an integration calls, one spelling.

A template names that action three ways: a REST `action/` URI
(`arn:aws:apigateway:REGION:kinesis:action/PutRecord`), a REST `path/` URI whose mapping
template says `Action=SendMessage` (the usual SQS integration), or an HTTP API subtype
(`SQS-SendMessage`, `StepFunctions-StartExecution`). Both template importers turn each into
the IAM action, `service:Action` (`sqs:SendMessage`, `states:StartExecution`,
`events:PutEvents`): what the integration's role must allow, the same word whatever the
language, so the engine and the estimates read one value.
"""

from __future__ import annotations

import re
from typing import Any

# HTTP API integration subtype prefix -> IAM service prefix
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services-reference.html)
SUBTYPE_SERVICES = {"SQS": "sqs", "Kinesis": "kinesis", "EventBridge": "events",
                    "StepFunctions": "states", "AppConfig": "appconfig"}
_ACTION_PARAM = re.compile(r"(?:^|[?&\s\"'])Action=([A-Za-z]+)")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def subtype_action(subtype: str) -> str:
    """`SQS-SendMessage` -> `sqs:SendMessage`."""
    prefix, _, action = subtype.partition("-")
    service = SUBTYPE_SERVICES.get(prefix, prefix.lower())
    return f"{service}:{action}" if action else service


def uri_action(service: str, style: str, rest: str, templates: Any = None) -> str | None:
    """The action of a REST AWS integration, from its URI (`SERVICE:action/ACTION` or
    `...:path/...`, `rest` being what follows `action/` or `path/`) and its request
    templates; None when neither says (an S3 `path/` integration acts by HTTP method)."""
    action = None
    if style == "action":
        found = _ACTION_PARAM.search(rest) or _NAME.match(rest)
        action = found.group(1) if found and found.re is _ACTION_PARAM else \
            found.group(0) if found else None
    if action is None:
        for text in _strings(templates):
            found = _ACTION_PARAM.search(text)
            if found:
                action = found.group(1)
                break
    return f"{service}:{action}" if action else None


def _strings(value: Any) -> list[str]:
    """Every string inside a value (a mapping template, a dict of them, intrinsics)."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            stack.extend(item[k] for k in sorted(item, key=str, reverse=True))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
    return out
