"""Baselines: accept today's findings so CI shows only the new ones.

A finding's fingerprint is its rule, its source file and the names of the nodes it is
about — never a line number, so an edit that moves a resource down the file does not
bring its finding back, while a new resource with the same problem is new. The source is
stored relative to the baseline file's directory, so the same baseline works from any
working directory and on any checkout path.

The file is JSON, sorted, one entry per finding (a fingerprint may appear with a count
above 1 when the same rule matches the same nodes twice), with the rule, source and
nodes kept readable so a reviewer can see what was accepted:

    {"tool": "archadvisor", "version": 1,
     "findings": [{"fingerprint": "...", "rule": "...", "source": "...",
                   "nodes": [...], "count": 1}]}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError, Diagnostic

VERSION = 1


def source_key(source: str, base_dir: str | Path) -> str:
    """`source` relative to `base_dir`, with forward slashes (stable across checkouts)."""
    try:
        rel = os.path.relpath(os.path.abspath(source), os.path.abspath(base_dir))
    except ValueError:  # another drive on Windows
        rel = os.path.abspath(source)
    return rel.replace(os.sep, "/")


def fingerprint(rule: str, source: str, nodes: list[str] | tuple[str, ...]) -> str:
    """A short, stable hash of (rule, source, sorted node names)."""
    blob = json.dumps([rule, source, sorted(nodes)], separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def _entries(report: Any, base_dir: str | Path) -> list[tuple[str, str, str, list[str]]]:
    out = []
    for result in report.results:
        src = source_key(result.source, base_dir)
        for f in result.findings:
            nodes = sorted(str(n) for n in (f.nodes or []))
            out.append((fingerprint(f.rule, src, nodes), f.rule, src, nodes))
    return out


def write_baseline(report: Any, path: str | Path) -> int:
    """Write the fingerprints of every finding in `report`; returns how many."""
    path = Path(path)
    entries = _entries(report, path.resolve().parent)
    counts = Counter(e[0] for e in entries)
    seen: dict[str, dict[str, Any]] = {}
    for fp, rule, src, nodes in entries:
        seen.setdefault(fp, {"fingerprint": fp, "rule": rule, "source": src,
                             "nodes": nodes, "count": counts[fp]})
    doc = {
        "tool": "archadvisor",
        "version": VERSION,
        "findings": sorted(seen.values(), key=lambda e: (e["source"], e["rule"],
                                                         e["nodes"], e["fingerprint"])),
    }
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", "utf-8")
    return len(entries)


def load_baseline(path: str | Path) -> Counter[str]:
    """Fingerprint -> how many findings with it are accepted (AdvisorError if malformed)."""
    shown = str(path)
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise AdvisorError([Diagnostic(shown, 1, 1, "baseline file not found",
                                       "create it with --write-baseline FILE")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisorError([Diagnostic(shown, 1, 1, f"cannot read baseline: {exc}")]) \
            from None
    except json.JSONDecodeError as exc:
        raise AdvisorError([Diagnostic(shown, exc.lineno, exc.colno,
                                       f"baseline is not valid JSON: {exc.msg}")]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise AdvisorError([Diagnostic(shown, 1, 1, "not an archadvisor baseline",
                                       "expected an object with a 'findings' list")])
    if doc.get("version", VERSION) != VERSION:
        raise AdvisorError([Diagnostic(shown, 1, 1,
                                       f"baseline version {doc.get('version')!r} is not "
                                       f"supported (expected {VERSION})",
                                       "write it again with --write-baseline")])
    accepted: Counter[str] = Counter()
    for entry in doc["findings"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise AdvisorError([Diagnostic(shown, 1, 1,
                                           "baseline entry without a 'fingerprint'")])
        count = entry.get("count", 1)
        accepted[entry["fingerprint"]] += count if isinstance(count, int) and count > 0 else 1
    return accepted


def apply_baseline(report: Any, accepted: Counter[str], base_dir: str | Path) -> int:
    """Drop findings the baseline accepts from each result; returns how many were hidden."""
    budget = Counter(accepted)
    hidden = 0
    for result in report.results:
        src = source_key(result.source, base_dir)
        kept = []
        for f in result.findings:
            fp = fingerprint(f.rule, src, sorted(str(n) for n in (f.nodes or [])))
            if budget[fp] > 0:
                budget[fp] -= 1
                hidden += 1
            else:
                kept.append(f)
        result.findings = kept
    return hidden


__all__ = ["apply_baseline", "fingerprint", "load_baseline", "source_key", "write_baseline"]
