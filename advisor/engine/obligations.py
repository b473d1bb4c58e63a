"""What the user must add, per alternative: read from the alternative's `Delta`.

A rewrite that replaces a function by a native integration moves the function's work
into configuration: a mapping template, a pipe's input template, typed DynamoDB JSON, an
IAM role the integration assumes, a timeout that now bounds the call. Some of it changes
what the system does (a lost SNS Subject, typed DynamoDB JSON where consumers read plain
JSON, a batch sent message by message): such an alternative is never applied by
`--apply default` (advisor/engine/choose.py). Texts and flags are data
(obligations.yaml); each item is `{kind, detail, changes_behaviour}` and lands on
`Alternative.must_add` (text and JSON; `advisor fix` reads it too).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from advisor import catalog
from advisor.datafiles import safe_load
from advisor.engine import deliveryinput, evidence, pipeinput
from advisor.engine.edit import Delta
from advisor.engine.invariants import (
    FAILURE_LABELS,
    _mech_title,
    _mechanism,
    _work_succs,
    semantic_changes,
)

POLL_SOURCES = frozenset({"sqs", "kinesis", "dynamodb"})

Item = dict[str, Any]


@cache
def data() -> dict[str, Any]:
    path = Path(__file__).with_name("obligations.yaml")
    return safe_load(path.read_text("utf-8"), remember=True) or {}  # type: ignore[no-any-return]


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _text(text: str, **fields: Any) -> str:
    return text.format_map(_Fields(fields))


def must_add(d: Delta) -> list[Item]:
    """What the user must add for the design of `d` to do what it did, in a fixed order
    (each item once)."""
    nd = d.after.graph._node
    if not d.removed and all(nd.get(a, {}).get("props", {}).get("is_dlq") or a in d.failures
                             for a in d.added):
        return []  # a setting changed, or a dead-letter queue: nothing moves into configuration
    g = d.after.graph
    spec = data()
    any_service = d.params.get("glue_any_service") or {}
    fns = [x for x in d.removed if d.before_kind(x) == "lambda"]
    fn = ", ".join(fns) or "the removed node"
    calls = [evidence.has(evidence.of_handler(d.before_props(x)), "sdk-call") for x in fns]
    call = next((c["detail"].split("(")[0] for c in calls if c), "")
    call = f"the {call} call" if call else "the forwarding call"
    out: list[Item] = []

    def add(kind: str, detail: str, changes: bool = False, untraced: bool = False) -> None:
        entry = {"kind": kind, "detail": detail, "changes_behaviour": bool(changes)}
        if untraced:
            entry["untraced"] = True
        if entry not in out:
            out.append(entry)

    mechanisms: dict[tuple[str, str], str] = {}
    for a, b in d.new_edges:
        data_ab = g._succ[a][b]
        ka, kb = g._node[a]["kind"], g._node[b]["kind"]
        if ka in ("client", "lambda") or data_ab.get("label") in FAILURE_LABELS:
            continue
        pb = g._node[b]["props"]
        kb_eff = str(pb.get("service") or kb) if kb == "resource" else kb
        mech = _mechanism(ka, kb_eff, any_service, g._node[a]["props"], pb)
        if mech is None:
            continue
        mechanisms[(a, b)] = mech
        http = ka == "apigw" and catalog.prop_value(g._node[a]["props"], ka, "type") == "http"
        for entry in spec.get("integrations", {}).get(mech, ()):
            if entry.get("targets") and kb_eff not in entry["targets"]:
                continue
            text = entry.get("http_text") if http and entry.get("http_text") else entry["text"]
            add(entry["kind"], _text(text, a=a, b=b, fn=fn, call=call))
        if mech == "pipes_sources" and ka in POLL_SOURCES:
            # a pipe into a workflow the rewrite adds passes the record on to its task,
            # whose parameters build the call: the call's payload is not the pipe's
            into_new = any(t in d.added for t in g._succ[b])
            found = [e for x in fns for e in _stated(evidence.of_handler(d.before_props(x)),
                                                    ka, a, x)] if into_new \
                else pipe_input(d, fns, ka, a)
            for detail, untraced in found:
                add("input_template", detail, untraced=untraced)
        # a target the rewrite adds that passes on (a new workflow) takes the event to its
        # task, whose parameters build the call: the call's payload is not its input
        passes_on = b in d.added and bool(g._succ[b])
        if mech == "eventbridge_targets" and ka == "eventbridge" and not passes_on and \
                kb_eff in spec["rule_input_targets"]:
            for detail, untraced in rule_input(d, fns, a, b):
                add("target_input", detail, untraced=untraced)
        if mech == "sns_subscriptions" and ka == "sns" and not passes_on and \
                kb_eff in spec["raw_delivery_targets"]:
            for detail, changes, untraced in raw_delivery(d, fns, a, b):
                add("raw_delivery", detail, changes, untraced=untraced)
        if mech == "s3_notifications" and ka == "s3" and not passes_on and \
                kb_eff in spec["s3_event_targets"]:
            for detail in s3_event(d, fns, a, b):
                add("notification", detail, untraced=True)
    for n in sorted(d.touched):
        if n in g and n in d.nodes and g._node[n]["kind"] == "apigw":
            was = catalog.prop_value(d.before_props(n), "apigw", "type")
            now = catalog.prop_value(g._node[n]["props"], "apigw", "type")
            if was != now:
                add("api_type", _text(spec["api_type"], n=n, was=was, now=now), True)
    for n in d.added:
        rule = (spec.get("added") or {}).get(g._node[n]["kind"]) if n in g else None
        if rule:
            add(rule["kind"], _text(rule["text"], n=n, call=call, fn=fn))
    for x in fns:
        _from_evidence(d, x, mechanisms, any_service, add)
        _timeouts(d, x, add)
    for aspect, why in sorted(semantic_changes(d).items()):
        declared = (d.alternative.get("what_changes") or {}).get(aspect)
        if declared:
            add(aspect, f"{declared} ({why})", True)
    return out


def pipe_input(d: Delta, fns: list[str], source: str, a: str) -> list[tuple[str, bool]]:
    """The input template the pipe from `a` (a `source` queue or stream) needs to send
    what the removed functions sent, from handler inspection's `payload` fact, as
    (detail, untraced): the exact template when the payload was traced (none when the
    function sent each record unchanged); `payload not traced: ...` when it was not (the
    code was not read, the call's argument is computed or dynamic), which keeps the
    rewrite from `--apply default`. A function that sent the whole batch is said by the
    `whole-event` item (the batching changes); a design with no code says what it
    states (`_stated`)."""
    spec = data()
    out: list[tuple[str, bool]] = []
    for x in fns:
        props = d.before_props(x)
        items = evidence.of_handler(props)
        found = evidence.payload(items)
        if evidence.has(items, "whole-event") or (found and found["scope"] == "whole-event"):
            continue
        if found is None and not props.get("code") and (items or props.get("glue") is True):
            out += _stated(items, source, a, x)  # the design states it, no code to read
            continue
        if found is None:
            unread = evidence.code_not_read(props)
            why = ("handler inspection recorded no payload for its call" if items
                   else f"the handler's code was not read ({unread['detail']})")
            at, member = evidence.where(unread), "its call"
        else:
            at, member = evidence.where(found), found["member"]
            why = found["why"]
            if found["scope"] == "event":
                why = (f"it sends `{found['template']}`, built from the event itself, not "
                       "from each record")
            elif found["scope"] != "untraced":
                template, why = pipeinput.for_source(found["template"], source)
                if why is None:
                    if template is not None:
                        how = spec["pipe_input_first"] if found["scope"] == "first-record" \
                            else spec["pipe_input_each"]
                        out.append((_text(spec["pipe_input_text"], template=template, a=a,
                                          fn=x, member=member, at=at, how=how), False))
                    continue
        out.append((_text(spec["pipe_input_untraced"], why=why, a=a, fn=x, member=member,
                          at=f" ({at})" if at else ""), True))
    return out


def _payload(d: Delta, x: str) -> tuple[evidence.Item | None, str, str, str | None]:
    """(x's payload fact, where it is, the call's member, why none is known): None
    and the reason when the code was not read or inspection recorded none; None and no
    reason for a design with no code (it states the function's evidence by hand)."""
    props = d.before_props(x)
    items = evidence.of_handler(props)
    found = evidence.payload(items)
    if found is not None:
        return found, evidence.where(found), found["member"], None
    if not props.get("code") and (items or props.get("glue") is True):
        return None, "", "its call", None
    unread = evidence.code_not_read(props)
    why = ("handler inspection recorded no payload for its call" if items
           else f"the handler's code was not read ({unread['detail']})")
    return None, evidence.where(unread), "its call", why


def rule_input(d: Delta, fns: list[str], a: str, b: str) -> list[tuple[str, bool]]:
    """The input settings of rule `a`'s new target `b` that send what the removed
    functions sent, as (detail, untraced): nothing for the whole event, the exact
    InputPath or InputTransformer for a part of it or an object built from it
    (advisor/engine/deliveryinput.py, shared with `advisor fix`); `payload not traced:
    ...` otherwise, which keeps the rewrite from `--apply default`."""
    spec = data()
    out: list[tuple[str, bool]] = []
    for x in fns:
        found, at, member, why = _payload(d, x)
        if found is None and why is None:
            if evidence.of_handler(d.before_props(x)):
                out.append((_text(spec["rule_input_stated"], a=a, b=b, fn=x), False))
            continue
        if found is not None:
            why = found["why"]
            if found["scope"] != "untraced":
                shaped, why = deliveryinput.for_rule(found["scope"], found["template"])
                if shaped and _edge(d, a, x).get("transform"):
                    shaped, why = None, ("the rule already reshapes the event for it "
                                         "(Input, InputPath or InputTransformer), and it "
                                         "sends a part of that: both combine by hand")
                if shaped is not None:
                    if shaped:
                        out.append((_rule_text(shaped, a=a, b=b, fn=x, member=member,
                                               at=at), False))
                    continue
        out.append((_text(spec["rule_input_untraced"], why=why, a=a, b=b, fn=x,
                          member=member, at=f" ({at})" if at else ""), True))
    return out


def _edge(d: Delta, a: str, b: str) -> dict[str, Any]:
    data = d.edges.get((a, b)) or {}
    return dict(data.get("props") or data) if isinstance(data, dict) else {}


def _rule_text(shaped: dict[str, Any], **fields: Any) -> str:
    spec = data()
    if "InputPath" in shaped:
        return _text(spec["rule_input_path"], path=shaped["InputPath"], **fields)
    it = shaped["InputTransformer"]
    paths = ", ".join(f"{k}: {v}" for k, v in it["InputPathsMap"].items()) or "none"
    return _text(spec["rule_input_transformer"], paths=paths, template=it["InputTemplate"],
                 **fields)


def raw_delivery(d: Delta, fns: list[str], a: str, b: str) -> list[tuple[str, bool, bool]]:
    """RawMessageDelivery of the subscription of `b` to topic `a` that sends what the
    removed functions sent, as (detail, changes_behaviour, untraced): true for the
    notification's Message; false (the SNS envelope, a change: the consumers read
    another shape) for the whole Lambda record or event; `payload not traced: ...`
    otherwise (advisor/engine/deliveryinput.py, shared with `advisor fix`)."""
    spec = data()
    out: list[tuple[str, bool, bool]] = []
    for x in fns:
        found, at, member, why = _payload(d, x)
        if found is None and why is None:
            continue  # a design with no code: the pattern's text says raw delivery
        if found is not None:
            why = found["why"]
            if found["scope"] != "untraced":
                raw, why = deliveryinput.for_subscription(found["scope"], found["template"])
                if raw is not None:
                    key = "raw_delivery_true" if raw else "raw_delivery_false"
                    out.append((_text(spec[key], a=a, b=b, fn=x, member=member, at=at),
                                not raw, False))
                    continue
        out.append((_text(spec["raw_delivery_untraced"], why=why, a=a, b=b, fn=x,
                          member=member, at=f" ({at})" if at else ""), False, True))
    return out


def s3_event(d: Delta, fns: list[str], a: str, b: str) -> list[str]:
    """`payload not traced: ...` for each removed function that did not send the S3 event
    as it came (the notification of bucket `a` sends that event to `b`, no other shape);
    nothing for one that did, or a design with no code."""
    out = []
    for x in fns:
        found, at, member, why = _payload(d, x)
        if found is None and why is None:
            continue
        if found is not None:
            why = found["why"] if found["scope"] == "untraced" else \
                deliveryinput.s3_event(found["scope"], found["template"])
            if why is None:
                continue
        out.append(_text(data()["s3_event_untraced"], why=why, a=a, b=b, fn=x, member=member,
                         at=f" ({at})" if at else ""))
    return out


PAYLOAD_KINDS = ("parse", "decode", "unmarshall", "maps-fields")


def _stated(items: list[evidence.Item], source: str, a: str, fn: str) -> list[tuple[str, bool]]:
    """The template of the source kind, said plainly where the evidence shows the function
    took the payload out (parsed, decoded, unmarshalled, mapped fields), hedged where it
    shows only the call: for a design with no code that states the function's evidence
    by hand (a `.arch` file has nothing to read, and nothing a wrong template could
    break), and for a pipe into a new workflow (its task, not the template, builds the
    call)."""
    spec = data()
    template = spec["pipe_input_stated"].get(source)
    if not template or not items:
        return []
    if evidence.has(items, "whole-event"):
        return []
    if any(evidence.has(items, k) for k in PAYLOAD_KINDS):
        return [(_text(spec["pipe_input_stated_text"], template=template, a=a, fn=fn), False)]
    if evidence.has(items, "sdk-call"):
        return [(_text(spec["pipe_input_stated_unread"], template=template, a=a, fn=fn), False)]
    return []


def default_blockers(items: list[Item]) -> list[str]:
    """Why an alternative with these `must_add` items is not applied by `--apply
    default`: what it changes in what the system does, a payload not traced."""
    changes = [str(m["detail"]) for m in items if m.get("changes_behaviour")]
    out = [f"it changes what the system does: {'; '.join(changes)}"] if changes else []
    return out + [str(m["detail"]) for m in items if m.get("untraced")]


def _from_evidence(d: Delta, x: str, mechanisms: dict[tuple[str, str], str],
                   any_service: Any, add: Any) -> None:
    """Obligations from what x's code did to the data, against the new path into x's
    target(s)."""
    g = d.after.graph
    spec = data()["evidence"]
    props = d.before_props(x)
    items = evidence.of_handler(props)
    if not items:
        return
    targets = set(_work_succs(d, x)) | {a for a in d.added if a in g and not g._succ[a]}
    into = [(e, m) for e, m in sorted(mechanisms.items()) if e[1] in targets]
    sources = {d.before_kind(p) for p in d.before_preds(x)}
    for a_b, mech in into:
        a, b = a_b
        kb = g._node[b]["kind"]
        mtitle = _mech_title(mech, g._node[a]["kind"], any_service)
        if kb == "sns" and "Subject" in evidence.call_params(items):
            call = evidence.has(items, "sdk-call") or {}
            rule = spec["sns_subject"]
            if mech in rule["mechanisms"]:
                add(rule["kind"], _text(rule["text"], fn=x, b=b, at=evidence.where(call),
                                        mechanism=mtitle), True)
            else:
                add(rule["kind"], _text(spec["sns_subject_template"]["text"], fn=x,
                                        at=evidence.where(call)))
        for item in items:
            rule = spec.get(item["kind"])
            if not rule or item["kind"] == "sns_subject":
                continue
            if item["kind"] in ("document-client", "marshall") and kb != "dynamodb":
                continue
            if item["kind"] == "unmarshall" and "dynamodb" not in sources:
                continue
            if rule.get("poll_sources_only") and not sources & POLL_SOURCES:
                continue
            add(rule["kind"], _text(rule["text"], fn=x, b=b, at=evidence.where(item),
                                    detail=item["detail"]), rule.get("changes_behaviour", False))


def _timeouts(d: Delta, x: str, add: Any) -> None:
    """x's timeout against the limit of what now does its job (an Express workflow's 5
    minutes; API Gateway's 29 s when the API now makes the call)."""
    g = d.after.graph
    timeout = d.before_props(x).get("timeout")
    if timeout is None:
        return
    kinds = {g._node[a]["kind"] for a in d.added if a in g}
    for kind, rule in (data().get("timeouts") or {}).items():
        limit = float(rule["limit_ms"])
        if kind in kinds and float(timeout) > limit:
            add("timeout", _text(rule["text"], fn=x, seconds=f"{float(timeout) / 1000:g}",
                                 limit=f"{limit / 1000:g}"), rule.get("changes_behaviour", False))


__all__ = ["must_add"]
