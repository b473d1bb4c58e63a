"""What a glue handler forwards: the payload argument of its forwarding SDK call (the
`MessageBody` of `sqs.send_message`, the `Message` of `sns.publish`, ...), in terms of
the event it receives.

The one owner of that question. Handler inspection records the answer on the function
(`payload` evidence, in `glue_evidence`); the engine's pipe obligations read the fact
(advisor/engine/evidence.py `payload`, advisor/engine/pipeinput.py), and `advisor fix`
writes its pipe input template with `record_template` below from the same reading
(advisor.importers.handlers.sends): both state the same template.

The template is written against the record a Lambda function receives (`<$.body>`,
`<$.kinesis.partitionKey>`, `<$.dynamodb.NewImage>`, `{"id": <$.body.id>}`); None means
the record itself, unchanged. advisor/engine/pipeinput.py turns it into the template of
a pipe reading a given source (a pipe's Kinesis record has no `kinesis` level).

A payload built from the event's own fields (`event["detail"]`, the whole event), not from
a record's, is stated against the event instead (`event_template`): what an EventBridge
rule target sends with InputPath / InputTransformer (advisor/engine/deliveryinput.py). For
a per-record source such a payload is not the same in each record: no pipe template.

The fact's text (`Evidence.detail`, kind `payload`):
    each MessageBody = template <$.body>    each record's body
    each MessageBody = record                each record, unchanged
    first-record Message = template <$.body>         from `Records[0]` only
    whole-event Message                              the event itself, as it came
    whole-event Message = records                    built from the event's Records list
    event MessageBody = template <$.detail>          JSON built from the event's own fields
    untraced Message: <what stands in the way>       computed, dynamic, several shapes
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from advisor.importers.handlers.sends import (
    Concat,
    Const,
    Env,
    Event,
    Json,
    Num,
    SdkArgs,
    Str,
    Untraced,
    read_call,
)
from advisor.importers.handlers.verdict import Evidence, SdkCall, data, service_kind

KIND = "payload"
EnvLookup = Callable[[str], str]  # an environment variable's literal value (or Untraced)


def member(target_kind: str) -> str | None:
    """The argument of a call to `target_kind` that carries what is sent (data.yaml
    `payload_members`): `MessageBody` for SQS, `Entries.0.Detail` for EventBridge."""
    found = (data().get("payload_members") or {}).get(target_kind)
    return str(found) if found else None


def value_at(args: dict[str, Any], path: str) -> Any:
    """The expression at a dotted member path of the call's arguments (`Record.Data`,
    `Entries.0.Detail`); Untraced when the call has no such member."""
    node: Any = args
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise Untraced(f"the call has no {path}")
    return node


def events(e: Any) -> Iterator[Event]:
    """Every part of the event an expression reads."""
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Event):
            yield x
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, Json | Str | Num):
            stack.append(x.inner)
        elif isinstance(x, Concat):
            stack.extend(x.parts)


def _records(x: Event) -> bool:
    return x.where == "doc" and x.keys[:1] == ("Records",)


def whole_event(e: Any) -> bool:
    """The expression reads the event as a whole (or its `Records` list): the batch."""
    return any(x.where == "event" or _records(x) for x in events(e))


WHOLE = "<$>"  # the template of the event itself
RECORD_PARTS = frozenset({"record", "parsed"})
REQUEST_PARTS = frozenset({"body", "path", "query", "header"})


def request_part(x: Event) -> str | None:
    """Which part of the request an API Gateway proxy event carries `x` reads: `body`
    (the body text), `doc` (the body parsed as JSON, or a field of it), `path`, `query`,
    `header`; None for anything else. The event's own fields (`event["x"]`,
    `event["requestContext"]`) are not the request's: on a proxy event `event["x"]` is no
    body field (a mapping reading `$.x` of the body would send something else). The one
    reading of this for the payload fact (`shape`) and advisor fix's request mappings
    (advisor/fix/requests.py)."""
    if x.where in REQUEST_PARTS:
        return x.where
    return "doc" if x.where == "doc" and x.request else None


@dataclass(frozen=True)
class Shape:
    """What one call's payload is, in terms of the event: `scope` (`each`,
    `first-record`: a template against the record, None the record unchanged;
    `whole-event`: the event itself (template `<$>`) or a value built from its Records
    (None); `event`: a template against the event; `untraced`, with `why`)."""

    scope: str
    template: str | None = None
    why: str | None = None


def shape(value: Any, first_record: bool = False, env: EnvLookup | None = None) -> Shape:
    """The one reading of a payload expression both the fact and `advisor fix` use."""
    try:
        if value == Json(Event("event")):
            return Shape("whole-event", WHOLE)
        if value == Event("event"):
            raise Untraced("it sends the event object itself, not its JSON text")
        if any(_records(x) for x in events(value)):
            return Shape("whole-event")  # built from the batch's Records
        parts = {x.where for x in events(value)}
        if any(request_part(x) for x in events(value)):
            raise Untraced("it sends a part of an API request (its body, path, query or "
                           "headers), which only a request mapping builds")
        if parts and not parts & RECORD_PARTS:
            try:
                return Shape("event", event_template(value, env))
            except Untraced as exc:
                raise Untraced(f"{exc} (and it reads the event itself, not a record)") \
                    from exc
        if parts - RECORD_PARTS:
            raise Untraced("it sends fields of the event itself with a record's, which no "
                           "template of one record builds")
        template = record_template(value, env)
    except Untraced as exc:
        return Shape("untraced", why=str(exc))
    return Shape("first-record" if first_record else "each", template)


# ------------------------------------------------------------------ the template
def record_template(e: Any, env: EnvLookup | None = None) -> str | None:
    """The input template sending `e` for each record, against the Lambda record (None:
    the record unchanged). `env` gives an environment variable's literal value; without
    it a payload that reads the environment is Untraced (its value is the template's)."""
    if isinstance(e, Json) and isinstance(e.inner, Event) and e.inner.where == "record" \
            and not e.inner.keys:
        return None
    if isinstance(e, Json) and isinstance(e.inner, dict):
        return _json(e.inner, env)
    return record_text(e, env, quoted=False)


def record_text(e: Any, env: EnvLookup | None, quoted: bool) -> str:
    """One value as template text: constants as text, event parts as `<$.path>`."""
    if isinstance(e, Const):
        text = str(e.value)
        if "<" in text or ">" in text:
            raise Untraced("a constant with `<` or `>`, which a pipe template reads as a "
                           "placeholder")
        return json.dumps(text)[1:-1] if quoted else text
    if isinstance(e, Env):
        if env is None:
            raise Untraced(f"it sends ${e.name} from its environment (the template's value)")
        return record_text(Const(env(e.name)), env, quoted)
    if isinstance(e, Concat):
        return "".join(record_text(p, env, quoted) for p in e.parts)
    return "<" + _path(e) + ">"


def _path(e: Any) -> str:
    if isinstance(e, Event):
        if e.where == "parsed":
            return "$.body" + "".join(f".{k}" for k in e.keys)
        if e.where == "record" and e.keys:
            return "$." + ".".join(e.keys)
        if e.where != "record":
            raise Untraced(f"it sends {describe(e)}, a part of the event itself, not of "
                           "each record")
    if isinstance(e, Json) and isinstance(e.inner, Event) and e.inner.where == "parsed" and \
            not e.inner.keys:
        return "$.body"
    if isinstance(e, Str | Num):
        return _path(e.inner)
    raise Untraced(f"it sends {describe(e)} for each record, which a pipe's input template "
                   "cannot build")


def _json(d: Any, env: EnvLookup | None) -> str:
    if isinstance(d, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + _json(v, env) for k, v in d.items()) + "}"
    if isinstance(d, list):
        return "[" + ", ".join(_json(v, env) for v in d) + "]"
    if isinstance(d, Const) and not isinstance(d.value, str):
        return json.dumps(d.value)
    if isinstance(d, Event) and d.where == "parsed":
        return "<" + _path(d) + ">"  # the JSON value itself
    return '"' + record_text(d, env, quoted=True) + '"'


# ------------------------------------------------------------------ against the event
KEY = re.compile(r"[A-Za-z0-9_-]+")  # a key EventBridge's JSON path names in dot notation


def event_template(e: Any, env: EnvLookup | None = None) -> str:
    """What `e` sends as JSON built from the event itself (not from a record): `<$>` the
    whole event, `<$.detail>` the JSON value of a part of it, an object or list of those
    and constants (`{"id": <$.detail.id>, "kind": "order"}`). Text that is not JSON (a
    field's text as it is, a string joined from fields) is Untraced: a rule target
    delivers a part of the event as JSON (a string in quotes) and inserts values into a
    template without escaping them."""
    if not isinstance(e, Json):
        raise Untraced(f"it sends {describe(e)} as text, which a rule target delivers as "
                       "JSON (a string in quotes)")
    return _event_json(e.inner, env)


def _event_json(d: Any, env: EnvLookup | None) -> str:
    if isinstance(d, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + _event_json(v, env)
                               for k, v in d.items()) + "}"
    if isinstance(d, list):
        return "[" + ", ".join(_event_json(v, env) for v in d) + "]"
    if isinstance(d, Env):
        if env is None:
            raise Untraced(f"it sends ${d.name} from its environment (the template's value)")
        d = Const(env(d.name))
    if isinstance(d, Const):
        text = json.dumps(d.value)
        if "<" in text or ">" in text:
            raise Untraced("a constant with `<` or `>`, which an input template reads as a "
                           "placeholder")
        return text
    if isinstance(d, Event) and d.where == "event":
        return "<$>"
    if isinstance(d, Event) and d.where == "doc":
        bad = [k for k in d.keys if not KEY.fullmatch(k)]
        if bad:
            raise Untraced(f"it reads the event's field {bad[0]!r}, which EventBridge's "
                           "JSON path cannot name")
        return "<$" + "".join(f".{k}" for k in d.keys) + ">"
    raise Untraced(f"it sends {describe(d)} inside the message, which an input "
                   "transformer cannot build")


def describe(e: Any) -> str:
    """A value the handler sends, in words (for the reasons)."""
    if isinstance(e, Event):
        keys = ".".join(e.keys)
        if e.where == "event":
            return "the whole event"
        if e.where in ("doc", "body"):
            return f"event.{keys or e.where}" if e.where == "body" or keys else \
                "the event's parsed body"
        if e.where == "record":
            return f"record.{keys}" if keys else "the record"
        if e.where == "parsed":
            return f"the record body's {keys}" if keys else "the record's parsed body"
        return f"the event's {e.where}" + (f" {keys}" if keys else "")
    if isinstance(e, Json):
        return "JSON text of " + (describe(e.inner) if not isinstance(e.inner, dict | list)
                                  else "an object it builds")
    if isinstance(e, Concat):
        return "text joined from several values"
    if isinstance(e, dict | list):
        return "a structure it builds"
    return type(e).__name__


# ------------------------------------------------------------------ the fact
def fact(args: SdkArgs, name: str) -> str:
    """The `payload` fact's text for a call read as `args` whose payload is `name`."""
    try:
        value = value_at(args.args, name)
    except Untraced as exc:
        return f"untraced {name}: {exc}"
    found = shape(value, args.first_record)
    if found.scope == "untraced":
        return f"untraced {name}: {found.why}"
    if found.scope == "whole-event":
        return f"whole-event {name}" + ("" if found.template == WHOLE else " = records")
    if found.template is None:
        return f"{found.scope} {name} = record"
    if "; " in found.template:  # the evidence separator: kept out of a fact
        return f"untraced {name}: the template it needs holds '; '"
    return f"{found.scope} {name} = template {found.template}"


def read(language: str, text: str, function: str | None, call: SdkCall) -> Evidence | None:
    """The `payload` evidence of the forwarding call `call` in a handler's source (never
    run): what it sends, or why that is not traced; None for a call to a service whose
    payload argument data.yaml does not name (a table's item is no pipe's payload)."""
    name = member(service_kind(call.service))
    if name is None:
        return None
    try:
        args = read_call("the handler", call.text(), function, text=text, first_record=True,
                         language=language)
    except Untraced as exc:
        return Evidence(call.line, KIND, f"untraced {name}: {exc}")
    return Evidence(args.line or call.line, KIND, fact(args, name))
