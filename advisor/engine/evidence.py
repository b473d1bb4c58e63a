"""Evidence: why the engine believes what a finding says, as `{kind, detail, path, line}`.

Handler inspection leaves its findings on the function's node (`glue_evidence`: items
separated by "; ", each `[kind: ]detail[ at line N]`, the first the forwarding call; see
advisor/importers/handlers/verdict.py) and where the code is (`code`). This module reads
them back into items a finding carries (`Finding.evidence`, text and JSON), adds what the
design itself states (`glue = true`) and what structure alone shows, and answers the
questions the rules and rewrites ask of it (did the function unmarshall? set an SNS
Subject? take its target from the event?). The engine never reads files: this is all
from the node's props.

Item kinds: `sdk-call` (the forwarding call), the transformations of handler inspection
(`parse`, `decode`, `unmarshall`, `marshall`, `document-client`, `adds-fields`,
`maps-fields`, `whole-event`, `partial-batch`, `dynamic-target`), `payload` (what the
forwarding call sends, in terms of the event: advisor/importers/handlers/payload.py
says its text; `payload` below reads it), `stated` (the design
says `glue = true`), `structure` (inferred from the graph), `code-not-read`, and
`counter` (what counts against "only forwards" on structure alone).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from advisor.datafiles import safe_load
from advisor.model import Location

_ITEM = re.compile(r"^(?:(?P<kind>[a-z][a-z-]*): )?(?P<detail>.*?)(?: at line (?P<line>\d+))?$",
                   re.S)

Item = dict[str, Any]


@cache
def glue_data() -> dict[str, Any]:
    """advisor/engine/glue.yaml: structure-only limits, IAM prefixes."""
    path = Path(__file__).with_name("glue.yaml")
    return safe_load(path.read_text("utf-8"), remember=True) or {}  # type: ignore[no-any-return]


def item(kind: str, detail: str, path: str | None = None, line: int | None = None) -> Item:
    return {"kind": kind, "detail": detail, "path": path, "line": line}


def parse(text: str | None, path: str | None = None) -> list[Item]:
    """`glue_evidence` text -> items (the first is the SDK call); `path` is the handler's
    file (the node's `code`), None for inline code."""
    if not text:
        return []
    out = []
    for i, part in enumerate(str(text).split("; ")):
        m = _ITEM.match(part.strip())
        if not m or not m.group("detail"):
            continue
        kind = m.group("kind") or ("sdk-call" if i == 0 else "note")
        line = int(m.group("line")) if m.group("line") else None
        out.append(item(kind, m.group("detail"), path, line))
    return out


def of_handler(props: dict[str, Any]) -> list[Item]:
    """What handler inspection found for a function (empty when its code was not read)."""
    code = props.get("code")
    return parse(props.get("glue_evidence"), str(code) if code else None)


def confirmed(props: dict[str, Any], loc: Location | None) -> list[Item]:
    """The evidence of confirmed glue: the handler's call and transformations, else the
    design's own statement."""
    found = of_handler(props)
    if found:
        return found
    where = loc.path if loc is not None else None
    return [item("stated", "the design states glue = true", where,
                 loc.line if loc is not None else None)]


def code_not_read(props: dict[str, Any]) -> Item:
    """Why the code gave no verdict: it was found but could not be classified, or no
    handler source was found (or given)."""
    code = props.get("code")
    if code:
        return item("code-not-read", "the handler source could not be classified", str(code))
    return item("code-not-read", "no handler source was found or given")


def has(items: list[Item], kind: str) -> Item | None:
    return next((i for i in items if i["kind"] == kind), None)


def call_params(items: list[Item]) -> tuple[str, ...]:
    """Parameter names of the forwarding call (`sns.publish(TopicArn, Subject)`)."""
    call = has(items, "sdk-call")
    if not call:
        return ()
    m = re.search(r"\(([^)]*)\)", call["detail"])
    return tuple(p.strip() for p in m.group(1).split(",") if p.strip()) if m else ()


_PAYLOAD = re.compile(r"^(?P<scope>each|first-record|whole-event|event|untraced) "
                      r"(?P<member>[^ :=]+)(?::? ?(?P<rest>.*))$", re.S)


def payload(items: list[Item]) -> Item | None:
    """What the forwarding call sends (the `payload` item), read back: `scope`
    (`each`, `first-record`, `whole-event`, `event`, `untraced`), `member` (the call's
    argument), `template` (against the Lambda record, or for `event` against the event;
    None: the record unchanged; for `whole-event`, `<$>` the event itself, None a value
    built from its Records) or `why` (untraced), with the item's path and line. None when
    none was recorded."""
    found = has(items, "payload")
    m = _PAYLOAD.match(str(found["detail"])) if found else None
    if found is None or m is None:
        return None
    out: Item = {"scope": m.group("scope"), "member": m.group("member"), "template": None,
                 "why": None, "path": found["path"], "line": found["line"]}
    rest = (m.group("rest") or "").strip()
    if out["scope"] == "untraced":
        out["why"] = rest or "not traced"
    elif out["scope"] == "whole-event":
        out["template"] = "<$>" if not rest else None  # the event itself / its Records
    elif rest.startswith("= template "):
        out["template"] = rest[len("= template "):]
    elif (rest != "= record" or out["scope"] == "event") and out["scope"] != "whole-event":
        out["scope"], out["why"] = "untraced", f"an unreadable payload fact ({rest})"
    return out


def where(i: Item) -> str:
    """`src/app.py:12` / `line 12` / `src/app.py` / ""."""
    path, line = i.get("path"), i.get("line")
    if path and line:
        return f"{path}:{line}"
    if line:
        return f"line {line}"
    return str(path or "")


def text(i: Item) -> str:
    """One item as a line of a report: `sdk-call dynamodb.put_item(...) (src/app.py:8)`."""
    at = where(i)
    return f"{i['kind']}: {i['detail']}" + (f" ({at})" if at else "")


def summary(items: list[Item]) -> str:
    """The message's short form: the call and where it is (`dynamodb.put_item at
    src/app.py:8`), else the first item's detail."""
    call = has(items, "sdk-call")
    if call:
        name = call["detail"].split("(")[0]
        at = where(call)
        return f"{name} at {at}" if at else name
    return items[0]["detail"] if items else ""


@cache
def _iam_sets() -> tuple[frozenset[str], frozenset[str]]:
    data = glue_data()
    return (frozenset(a.lower() for a in data.get("credential_actions", ())),
            frozenset(data.get("incidental_iam", ())))


def iam_service(action: str) -> str:
    return str(action).split(":", 1)[0].lower() if ":" in str(action) else str(action)


def policy_counter(permissions: list[Any], allowed_kinds: set[str]) -> str | None:
    """What a function's policy allows beyond its trigger and target (IAM actions of other
    services, per-request credentials), as a reason; None when nothing counts against."""
    if not permissions:
        return None
    data = glue_data()
    creds, incidental = _iam_sets()
    kinds = data.get("iam_kinds", {})
    extra, assume = [], []
    for action in permissions or ():
        a = str(action)
        if a.lower() in creds:
            assume.append(a)
            continue
        svc = iam_service(a)
        if svc in incidental:
            continue
        if kinds.get(svc, svc) not in allowed_kinds:
            extra.append(a)
    if assume:
        return (f"its policy allows {', '.join(sorted(set(assume)))}: per-request credentials"
                " a fixed integration role would not keep")
    if extra:
        shown = sorted(set(extra))
        more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
        return f"its policy also allows {', '.join(shown[:4])}{more}"
    return None
