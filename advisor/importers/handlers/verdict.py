"""The verdict on one handler: its SDK calls, and whether they amount to glue.

`HandlerReport` holds what a language scanner found (SDK call sites with where their
target comes from, HTTP calls, branches, and the things that tell forwarding apart from
other work: acknowledging its own input, per-request credentials, transformations, work
libraries); `decide` turns that into `glue` / `logic` / `unknown` with the reasons. The
rules are data (`data.yaml`: which services are auxiliary, which methods acknowledge,
which parameters name the target, the limits).

Forwarding, and what is not forwarding:

- answering a Step Functions task token (`SendTaskSuccess`/`Failure`/`Heartbeat`): it
  resumes a paused execution, which no integration does;
- acknowledging or re-driving its own input (SQS `DeleteMessage`,
  `ChangeMessageVisibility`, `ReceiveMessage`): the function manages the queue it reads,
  it does not move data to another service;
- a target taken from the event (`StateMachineArn=event["detail"]["arn"]`, a task token,
  a WebSocket connection id, a queue URL from the record): a native integration has one
  fixed target;
- per-request credentials (STS `AssumeRole`, a client built with explicit keys or
  `credentials:`): the call acts as a tenant, which a fixed integration role would not;
- re-framing a response stream (SSE, response streaming) and real work (image, video,
  data libraries): not replaceable by an integration;
- answering some requests itself (`if ...: return {"statusCode": 400}`, validation; in
  an `else` or an `except`/`catch` too): a native integration forwards every request;
- fetching several times (a read inside any loop: over the event's records or items,
  what it computed from them, a module constant, pages fetched in a `while`) and
  combining the answers: an integration makes one call per request.

Transformations a native integration can also make (parsing the body, mapping fields,
DynamoDB (un)marshalling, adding timestamps, forwarding the whole batch envelope) keep the
verdict `glue`, and are kept as evidence: the alternative says what the user must add.

`evidence` is the text handler inspection leaves on the node (`glue_evidence`): items
separated by "; ", each `[kind: ]detail[ at line N]`; the first is the forwarding call,
`service.method(Param, ...)`. The engine reads it back (advisor/engine/evidence.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@cache
def data() -> dict[str, Any]:
    from advisor.importers.reading import package_yaml

    return package_yaml("handlers/data.yaml")  # type: ignore[no-any-return]


@dataclass(frozen=True, order=True)
class SdkCall:
    """One SDK call site: service (SDK name), method/command, 1-based line; the names of
    its parameters, and where the parameter naming its target comes from (`constant`,
    `env`, `event`, `unknown`; None when the call has no such parameter)."""

    line: int
    service: str
    method: str
    params: tuple[str, ...] = ()
    target_param: str | None = None
    target_origin: str | None = None
    # the target parameter's value when the code writes it as one string literal (a bus,
    # queue, topic or table named by its physical name): the importer resolves it to the
    # declared resource of that name, if there is one
    target_literal: str | None = None

    def text(self) -> str:
        return f"{self.service}.{self.method}"

    def signature(self) -> str:
        return f"{self.text()}({', '.join(self.params)})" if self.params else self.text()


@dataclass(frozen=True, order=True)
class Evidence:
    """One observation about the code: `kind` (see data.yaml `evidence_kinds`), what was
    seen, and the 1-based line (0: not tied to a line)."""

    line: int
    kind: str
    detail: str

    def text(self) -> str:
        where = f" at line {self.line}" if self.line else ""
        return f"{self.kind}: {self.detail}{where}"


@dataclass
class HandlerReport:
    language: str
    verdict: str  # "glue" | "logic" | "unknown"
    calls: list[SdkCall] = field(default_factory=list)
    http_calls: int = 0
    decisions: int = 0
    reasons: list[str] = field(default_factory=list)
    path: str | None = None
    # observations that are not SDK calls (credentials, transforms, work, streams)
    observed: list[Evidence] = field(default_factory=list)

    @property
    def glue(self) -> bool | None:
        return {"glue": True, "logic": False}.get(self.verdict)

    @property
    def forwarding(self) -> list[SdkCall]:
        aux = set(data()["aux_services"])
        return [c for c in self.calls if norm(c.service) not in aux and not is_ack(c)]

    def _single(self) -> list[SdkCall]:
        """The forwarding call when there is one API action, made at one or more call
        sites (the same PutItem in both branches of an if is still one forwarding call)."""
        fwd = self.forwarding
        actions = {(norm(c.service), c.method.lower()) for c in fwd}
        return fwd[:1] if len(actions) == 1 else []

    @property
    def forwarding_call(self) -> SdkCall | None:
        """The single forwarding call (its first call site), None when there is none."""
        fwd = self._single()
        return fwd[0] if fwd else None

    @property
    def evidence(self) -> str | None:
        """What the node's `glue_evidence` says: the single forwarding call (with its
        parameters and line), then what else the code does to the data."""
        fwd = self._single()
        if not fwd:
            return None
        call = fwd[0]
        items = [f"{call.signature()} at line {call.line}"]
        seen = set()
        for ev in sorted(self.observed):
            if ev.kind in data()["evidence_kinds"]["transform"] and ev.text() not in seen:
                seen.add(ev.text())
                items.append(ev.text())
        return "; ".join(items)

    @property
    def read_only(self) -> bool:
        """The single forwarding call fetches (get/list/query...) rather than sends."""
        fwd = self._single()
        if not fwd:
            return False
        verb = snake(fwd[0].method)
        return any(verb == v or verb.startswith(v + "_") for v in data()["read_verbs"])

    @property
    def target_literals(self) -> list[tuple[SdkCall, str]]:
        """The forwarding calls that name their target by a string literal, with it."""
        return [(c, c.target_literal) for c in self.forwarding if c.target_literal]

    @property
    def target(self) -> str | None:
        """Catalog kind (or service name) the single forwarding call reaches."""
        fwd = self._single()
        return service_kind(fwd[0].service) if fwd else None

    def observations(self, kind: str) -> list[Evidence]:
        return [e for e in self.observed if e.kind == kind]

    @property
    def facts(self) -> str | None:
        """What the node's `handler_facts` says: the observations of data.yaml
        `handler_facts` (how the handler treats its batch, its errors and batch API
        results), in the `glue_evidence` shape; `none` when the code was read and shows
        none of them; None when it was not read (no check may then claim anything)."""
        if self.verdict not in ("glue", "logic"):
            return None
        kinds = set(data()["handler_facts"])
        items = sorted({e for e in self.observed if e.kind in kinds})
        return "; ".join(e.text() for e in items) or "none"


def combine_origins(origins: list[str]) -> str:
    """The origin of a value made of parts of these origins (`event`, `env`, `constant`,
    `unknown`: see SdkCall.target_origin): any part from the event makes the whole from
    the event; all fixed parts fixed."""
    if "event" in origins:
        return "event"
    if not origins or "unknown" in origins:
        return "unknown"
    return "env" if "env" in origins else "constant"


def batch_result_fields(call: SdkCall) -> tuple[str, ...]:
    """The response fields that say which entries of a batch call failed (data.yaml
    `batch_results`), empty when the call is no such batch API."""
    table = data()["batch_results"].get(service_kind(call.service), {})
    return tuple(table.get(snake(call.method), ()))


def changes_something(call: SdkCall) -> bool:
    """An SDK call that writes or sends (not a read, configuration or telemetry call, nor
    a helper library such as a request signer): what a retried batch repeats."""
    verb = snake(call.method)
    return norm(call.service) not in set(data()["aux_services"]) | set(data()["sdk_libraries"]) \
        and not any(verb == v or verb.startswith(v + "_") for v in data()["read_verbs"])


def norm(service: str) -> str:
    return service.lower().replace("_", "-")


def snake(method: str) -> str:
    """`DeleteMessageBatch` / `deleteMessageBatch` / `delete_message_batch` ->
    `delete_message_batch`."""
    return re.sub(r"(?<!^)(?<!_)(?=[A-Z])", "_", method).lower()


def is_ack(call: SdkCall) -> bool:
    """The call acknowledges or re-drives the function's own input (data.yaml `acks`)."""
    acks = data()["acks"].get(service_kind(call.service), ())
    return snake(call.method) in acks


def service_kind(service: str) -> str:
    table = data()["services"]
    key = norm(service)
    return str(table.get(key) or table.get(key.replace("-", "")) or key)


def target_params(service: str) -> tuple[str, ...]:
    """The parameters that name the target of a call to `service` (lower-cased)."""
    table = data()["target_params"]
    return tuple(p.lower() for p in table.get(service_kind(service), ()))


def _lines(items: list[Any]) -> str:
    """`detail (line N), ...` of calls or observations, each once."""
    return ", ".join(sorted({f"{i.text() if isinstance(i, SdkCall) else i.detail} (line {i.line})"
                             for i in items}))


def _dedupe(observed: list[Evidence]) -> list[Evidence]:
    """One observation per kind and line (two markers of one decode are one decode), and
    per kind and detail (the same marker on several lines is named at its first)."""
    out: list[Evidence] = []
    seen: set[tuple[str, Any]] = set()
    for ev in sorted(observed):
        if (ev.kind, ev.line) in seen or (ev.kind, ev.detail) in seen:
            continue
        seen.update({(ev.kind, ev.line), (ev.kind, ev.detail)})
        out.append(ev)
    return out


def decide(report: HandlerReport, functions: int) -> HandlerReport:
    limits = data()
    aux = set(limits["aux_services"])
    logic_methods = set(limits["logic_methods"])
    logic_calls = [c for c in report.calls if c.method in logic_methods]
    report.calls = [c for c in report.calls if c not in logic_calls]
    acks = [c for c in report.calls if is_ack(c)]
    answers = [c for c in report.calls if snake(c.method) in
               limits["callback_answers"].get(service_kind(c.service), ())]
    credentials = report.observations("credentials") + [
        Evidence(c.line, "credentials", c.text()) for c in report.calls
        if norm(c.service) == "sts" and snake(c.method) in limits["credential_methods"]]
    aux_calls = [c for c in report.calls if norm(c.service) in aux
                 and not (norm(c.service) == "sts"
                          and snake(c.method) in limits["credential_methods"])]
    fwd = report.forwarding
    for c in fwd:
        if c.target_origin == "event":
            report.observed.append(Evidence(
                c.line, "dynamic-target", f"{c.target_param} of {c.text()} is read from the event"))
    report.observed = _dedupe(report.observed)
    distinct = sorted({(norm(c.service), c.method.lower()) for c in fwd})
    work = report.observations("work")
    streams = report.observations("stream")
    if logic_calls:
        report.verdict = "logic"
        report.reasons.append("computes with SDK credentials: "
                              + ", ".join(sorted({c.text() for c in logic_calls})))
    elif answers:
        report.verdict = "logic"
        report.reasons.append("answers a waiting workflow's task token: " + _lines(answers)
                              + " (no integration resumes a paused execution)")
    elif acks:
        report.verdict = "logic"
        report.reasons.append("acknowledges or re-drives its own input: " + _lines(acks))
    elif credentials:
        report.verdict = "logic"
        report.reasons.append("per-request credentials: " + _lines(credentials)
                              + " (a native integration acts with one fixed role)")
    elif streams:
        report.verdict = "logic"
        report.reasons.append("re-frames a response stream: " + _lines(streams))
    elif work:
        report.verdict = "logic"
        report.reasons.append("real work: " + _lines(work))
    elif report.observations("per-record-read") and report.read_only:
        report.verdict = "logic"
        report.reasons.append("fetches once per item and combines the answers: "
                              + _lines(report.observations("per-record-read"))
                              + " (an integration makes one call per request)")
    elif report.observations("rejects") and fwd:
        report.verdict = "logic"
        report.reasons.append("answers some requests itself: " + _lines(
            report.observations("rejects")) + " (a native integration forwards every request)")
    elif not fwd and not report.http_calls:
        report.verdict = "logic"
        report.reasons.append("no AWS SDK call: the function does its own work or only responds")
    elif report.http_calls:
        report.verdict = "logic"
        report.reasons.append(f"{report.http_calls} HTTP client call(s)")
    elif len(distinct) > 1:
        report.verdict = "logic"
        report.reasons.append(
            "several SDK calls: " + ", ".join(sorted({c.text() for c in fwd}))
        )
    elif aux_calls:
        report.verdict = "logic"
        report.reasons.append("also reads configuration or emits telemetry: "
                              + ", ".join(sorted({c.text() for c in aux_calls})))
    elif report.decisions > limits["max_decisions"]:
        report.verdict = "logic"
        report.reasons.append(f"{report.decisions} branches/loops: more than reshaping")
    elif functions > limits["max_functions"]:
        report.verdict = "logic"
        report.reasons.append(f"{functions} functions defined: more than forwarding")
    else:
        report.verdict = "glue"
        report.reasons.append(f"one SDK call ({fwd[0].text()}, line {fwd[0].line}) with"
                              " little control flow")
    return report
