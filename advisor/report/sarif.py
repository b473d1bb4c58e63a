"""SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, VS Code's SARIF viewer).

One run; the driver lists every rule that produced a finding, with the help text of its
pattern (description, why it matters, references). Each result points at the line in the
source file where the flagged node was declared; a finding without a location points at
the file's first line, since code scanning needs a physical location. Input errors are
tool execution notifications, so a file that did not parse is visible too.
The output validates against schemas/sarif-schema-2.1.0.json (tests/test_report_sarif.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

from advisor import __version__
from advisor.report import common

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def uri_of(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative paths stay relative to %SRCROOT% (what code scanning
    expects); absolute ones under the working directory are made relative too."""
    return _uri(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _uri(path: str, cwd: str) -> tuple[str, str | None]:
    """`uri_of` for one working directory (a report names each file once per finding)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(cwd)
        except ValueError:
            return p.as_uri(), None
    return PurePosixPath(*p.parts).as_posix(), "%SRCROOT%"


def _artifact(path: str) -> dict[str, Any]:
    uri, base = uri_of(path)
    out: dict[str, Any] = {"uri": uri}
    if base:
        out["uriBaseId"] = base
    return out


def _rule(report: Any, rule_id: str, finding: Any) -> dict[str, Any]:
    doc = common.rule_doc(report, rule_id, finding)
    text_parts = [doc["description"] or doc["title"]]
    if doc["rationale"]:
        text_parts.append("Why it matters: " + doc["rationale"])
    md_parts = [f"**{doc['title']}**", "", doc["description"] or doc["title"]]
    if doc["rationale"]:
        md_parts += ["", "Why it matters: " + doc["rationale"]]
    if doc["references"]:
        text_parts.append("References: " + " ".join(doc["references"]))
        md_parts += ["", "References:", *[f"- <{r}>" for r in doc["references"]]]
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(w.capitalize() for w in rule_id.replace("_", "-").split("-")),
        "shortDescription": {"text": doc["title"]},
        "fullDescription": {"text": doc["description"] or doc["title"]},
        "help": {"text": "\n\n".join(text_parts), "markdown": "\n".join(md_parts)},
        "defaultConfiguration": {"level": LEVEL.get(doc["severity"], "warning")},
        "properties": {
            "tags": sorted({"well-architected", "serverless", doc["pillar"]} - {""}),
            "pillar": doc["pillar"],
        },
    }
    if doc["references"]:
        rule["helpUri"] = doc["references"][0]
    return rule


def _fingerprint(source: str, f: Any) -> str:
    key = json.dumps([f.rule, source, sorted(f.nodes)], sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _result(result: Any, f: Any) -> dict[str, Any]:
    """A finding as a SARIF result, but for its `ruleIndex` (`assemble` adds it)."""
    loc = getattr(f, "location", None)
    path = getattr(loc, "path", None) or result.source
    region = {"startLine": max(1, int(getattr(loc, "line", 1) or 1))}
    if loc is not None and getattr(loc, "column", 0):
        region["startColumn"] = max(1, int(loc.column))
    message = f.message
    alts = getattr(f, "alternatives", []) or []
    if alts:
        message += " Fix: " + "; ".join(f"{a.title} ({common.alt_delta_text(a)})" for a in alts)
    return {
        "ruleId": f.rule,
        "level": LEVEL.get(f.severity, "warning"),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": _artifact(path), "region": region},
                "logicalLocations": [{"name": n, "kind": "resource"} for n in f.nodes],
            }
        ],
        "partialFingerprints": {"archadvisorFinding/v1": _fingerprint(result.source, f)},
        "properties": {
            "pillar": f.pillar,
            "nodes": list(f.nodes),
            "likely": bool(getattr(f, "likely", False)),
            "alternatives": [a.to_dict() for a in alts if hasattr(a, "to_dict")],
            **({"evidence": [dict(e) for e in f.evidence]} if getattr(f, "evidence", None)
               else {}),
        },
    }


def part(result: Any, rules: Any) -> dict[str, Any]:
    """One result's share of the log, as plain data: its SARIF results (without their
    `ruleIndex`, which depends on the whole run), the driver entry of each rule it is the
    first to use (`rules`: the report's rule docs), and its input errors as notifications.
    A batch worker or the result cache hands these over, and the log is only assembled
    here (`assemble`), as the JSON writer assembles encoded results."""
    firsts: dict[str, Any] = {}
    for f in result.findings:
        firsts.setdefault(f.rule, f)
    docs = SimpleNamespace(rules=rules)  # what `common.rule_doc` reads of a report
    return {
        "results": [_result(result, f)
                    for f in sorted(result.findings, key=common.finding_key)],
        "rules": {rid: _rule(docs, rid, f) for rid, f in firsts.items()},
        "notifications": [_notification(result, e) for e in result.errors],
        "artifact": {"location": _artifact(result.source)},
    }


def _notification(result: Any, e: Any) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": e.message + (f" (hint: {e.suggestion})" if e.suggestion else "")},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(e.path or result.source),
                    "region": {"startLine": max(1, e.line), "startColumn": max(1, e.column)},
                }
            }
        ],
    }


def assemble(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF log of the results whose `part`s these are, in order: a rule's driver
    entry is the one of the first result using it, rules are sorted by id."""
    rules: dict[str, Any] = {}
    for p in parts:
        for rid, rule in p["rules"].items():
            rules.setdefault(rid, rule)
    order = sorted(rules)
    index = {rid: i for i, rid in enumerate(order)}
    results = []
    for p in parts:
        for r in p["results"]:
            results.append({**r, "ruleIndex": index[r["ruleId"]]})
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "archadvisor",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/welcome.html",
                "rules": [rules[rid] for rid in order],
            }
        },
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
            n for p in parts for n in p["notifications"]]}],
        "artifacts": [p["artifact"] for p in parts],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def build(report: Any, parts: list[bytes | None] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (tests validate this against the schema); `parts[i]`, when
    given, is `encode_part(part(results[i], ...))`, made where the result was."""
    from advisor.report.jsonout import decode

    rules = getattr(report, "rules", None)
    made = []
    for i, r in enumerate(report.results):
        given = parts[i] if parts is not None else None
        made.append(decode(given) if given is not None else part(r, rules))
    return assemble(made)


def encode_part(data: dict[str, Any]) -> bytes:
    """A `part` as bytes (a worker sends them, the result cache keeps them)."""
    from advisor.report.jsonout import encode

    return encode(data)


def write(report: Any, *, parts: list[bytes | None] | None = None, **_: Any) -> str:
    """The log as text; `parts` as in `build`."""
    from advisor.report.jsonout import encode  # the same bytes as json.dumps, faster

    return encode(build(report, parts)).decode("utf-8", errors="surrogatepass") + "\n"
