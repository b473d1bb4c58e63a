"""The verdict on one handler: its SDK calls, and whether they amount to glue.

`HandlerReport` holds what a language scanner found (SDK call sites, HTTP calls, branches);
`decide` turns that into `glue` / `logic` / `unknown` with the reasons. The rules are data
(`data.yaml`: which services are auxiliary, which methods compute, the limits).
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
    """One SDK call site: service (SDK name), method/command, 1-based line."""

    line: int
    service: str
    method: str

    def text(self) -> str:
        return f"{self.service}.{self.method}"


@dataclass
class HandlerReport:
    language: str
    verdict: str  # "glue" | "logic" | "unknown"
    calls: list[SdkCall] = field(default_factory=list)
    http_calls: int = 0
    decisions: int = 0
    reasons: list[str] = field(default_factory=list)
    path: str | None = None

    @property
    def glue(self) -> bool | None:
        return {"glue": True, "logic": False}.get(self.verdict)

    @property
    def forwarding(self) -> list[SdkCall]:
        aux = set(data()["aux_services"])
        return [c for c in self.calls if norm(c.service) not in aux]

    def _single(self) -> list[SdkCall]:
        """The forwarding call when there is one API action, made at one or more call
        sites (the same PutItem in both branches of an if is still one forwarding call)."""
        fwd = self.forwarding
        actions = {(norm(c.service), c.method.lower()) for c in fwd}
        return fwd[:1] if len(actions) == 1 else []

    @property
    def evidence(self) -> str | None:
        fwd = self._single()
        return fwd[0].text() if fwd else None

    @property
    def read_only(self) -> bool:
        """The single forwarding call fetches (get/list/query...) rather than sends."""
        fwd = self._single()
        if not fwd:
            return False
        verb = re.sub(r"(?<!^)(?=[A-Z])", "_", fwd[0].method).lower()
        return any(verb == v or verb.startswith(v + "_") for v in data()["read_verbs"])

    @property
    def target(self) -> str | None:
        """Catalog kind (or service name) the single forwarding call reaches."""
        fwd = self._single()
        return service_kind(fwd[0].service) if fwd else None


def norm(service: str) -> str:
    return service.lower().replace("_", "-")


def service_kind(service: str) -> str:
    table = data()["services"]
    key = norm(service)
    return str(table.get(key) or table.get(key.replace("-", "")) or key)


def decide(report: HandlerReport, functions: int) -> HandlerReport:
    limits = data()
    aux = set(limits["aux_services"])
    aux_calls = [c for c in report.calls if norm(c.service) in aux]
    logic_calls = [c for c in report.calls if c.method in set(limits["logic_methods"])]
    report.calls = [c for c in report.calls if c not in logic_calls]
    fwd = report.forwarding
    distinct = sorted({(norm(c.service), c.method.lower()) for c in fwd})
    if logic_calls:
        report.verdict = "logic"
        report.reasons.append("computes with SDK credentials: "
                              + ", ".join(sorted({c.text() for c in logic_calls})))
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
        report.reasons.append(f"one SDK call ({fwd[0].text()}) with little control flow")
    return report


