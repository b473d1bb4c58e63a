"""What an EventBridge rule target and an SNS subscription must be told to deliver what a
removed glue function sent, from the `payload` fact of handler inspection
(advisor/importers/handlers/payload.py): the one place both the engine's obligation and
`advisor fix` turn the payload into target settings, so the two state the same thing (as
advisor/engine/pipeinput.py does for pipes).

A rule target delivers the whole matched event unless it has `InputPath` (a part of it,
as JSON) or `InputTransformer` (variables by JSON path, placed in a template).
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html

An SNS subscription of a queue, an HTTP/S endpoint or a Firehose stream delivers the
notification's JSON envelope unless `RawMessageDelivery` is true (then the Message alone).
https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html

An S3 event notification to a queue or topic sends the S3 event (`{"Records": [...]}`),
the structure a function receives; it cannot be reshaped.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"<(\$(?:\.[A-Za-z0-9_-]+)*)>")
WHOLE = "<$>"  # the payload fact's template of the event itself
WHOLE_EVENT = "aws.events.event.json"  # EventBridge's variable: the whole event, as JSON
MAX_VARIABLES = 100  # InputPathsMap entries (EventBridge quota)
SNS_MESSAGE = "<$.Sns.Message>"  # the notification's Message in a Lambda SNS record


def for_rule(scope: str, template: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(the rule target's input settings that send what the function sent, why there are
    none): {} for the whole event, {"InputPath": ...}, or {"InputTransformer":
    {"InputPathsMap", "InputTemplate"}}. `scope` and `template` as the payload fact
    states them (`whole-event`, or `event` with a template against the event)."""
    if scope == "whole-event":
        if template == WHOLE:
            return {}, None
        return None, "it sends a value built from the event's Records, not the event"
    if scope != "event" or template is None:
        return None, ("it sends a part of a record, and a rule delivers one event, not "
                      "records")
    if template == WHOLE:
        return {}, None
    whole = PLACEHOLDER.fullmatch(template)
    if whole:
        return {"InputPath": whole.group(1)}, None
    paths: dict[str, str] = {}

    def variable(m: re.Match[str]) -> str:
        path = m.group(1)
        if path == "$":
            return f"<{WHOLE_EVENT}>"
        name = path.rsplit(".", 1)[-1].replace("-", "_")
        while name in paths and paths[name] != path:
            name += "_"
        paths[name] = path
        return f"<{name}>"

    text = PLACEHOLDER.sub(variable, template)
    if len(paths) > MAX_VARIABLES:
        return None, f"it sends {len(paths)} fields, over a transformer's {MAX_VARIABLES}"
    return {"InputTransformer": {"InputPathsMap": paths, "InputTemplate": text}}, None


def for_subscription(scope: str, template: str | None) -> tuple[bool | None, str | None]:
    """(RawMessageDelivery of the subscription that replaces the function, why it cannot
    send the same): True when the function sent each notification's Message; False
    (the SNS envelope, a different shape: the caller says so) when it sent the whole
    Lambda record or event; None with the reason otherwise."""
    if scope in ("each", "first-record"):  # SNS invokes a function with one record
        if template == SNS_MESSAGE:
            return True, None
        if template is None:
            return False, None
        return None, (f"it sends `{template}`, which no subscription builds (it delivers the "
                      "Message, or the SNS envelope)")
    if scope == "whole-event":
        return False, None
    return None, ("it sends a value built from the event itself, which no subscription "
                  "builds (it delivers the Message, or the SNS envelope)")


def s3_event(scope: str, template: str | None) -> str | None:
    """Why an S3 event notification does not send what the function sent (None: it sends
    the same, the S3 event `{"Records": [...]}` as the function received it)."""
    if scope == "whole-event" and template == WHOLE:
        return None
    return ("it sends something other than the S3 event as it came, and the notification "
            "sends that event")
