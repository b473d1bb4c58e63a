"""JUnit XML for CI systems that show test results (GitLab, Jenkins, Azure, CircleCI).

One <testsuite> per input file and one <testcase> per rule: a rule with findings at or
above `fail_on` (default: warning) is a <failure> listing them; findings below it go to
<system-out> and the case passes; a rule with no findings passes. A file that did not
parse is one <testcase name="parse"> with an <error>.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from advisor.report import common
from advisor.vocabulary import SEVERITIES, at_or_above


def write(report: Any, *, fail_on: str = "warning", **_: Any) -> str:
    threshold = fail_on if fail_on in SEVERITIES else "warning"
    root = ET.Element("testsuites", name="archadvisor")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    all_rules = common.known_rules(report)
    for result in report.results:
        suite = ET.SubElement(root, "testsuite", name=str(result.source))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        case = ET.SubElement(suite, "testcase", classname=str(result.source), name="parse")
        counts["tests"] += 1
        if getattr(result, "skipped", None):
            ET.SubElement(case, "skipped", message=str(result.skipped))
        elif result.errors:
            counts["errors"] += 1
            err = ET.SubElement(case, "error", type="input-error", message=result.errors[0].message)
            err.text = "\n".join(
                f"{e.path}:{e.line}:{e.column}: {e.message}" for e in result.errors
            )
        else:
            by_rule: dict[str, list[Any]] = {}
            for f in result.findings:
                by_rule.setdefault(f.rule, []).append(f)
            for rule in sorted(set(all_rules) | set(by_rule)):
                findings = sorted(by_rule.get(rule, []), key=common.finding_key)
                doc = common.rule_doc(report, rule, findings[0] if findings else None)
                case = ET.SubElement(
                    suite, "testcase", classname=str(result.source), name=f"{rule}: {doc['title']}"
                )
                counts["tests"] += 1
                failing = [f for f in findings if at_or_above(f.severity, threshold)]
                text = "\n".join(
                    f"[{f.severity}] {common.location_text(f.location) or result.source}: "
                    f"{f.message} (nodes: {', '.join(f.nodes)})"
                    for f in findings
                )
                if failing:
                    counts["failures"] += 1
                    fail = ET.SubElement(
                        case, "failure", type=failing[0].severity, message=failing[0].message
                    )
                    fail.text = text
                elif findings:
                    ET.SubElement(case, "system-out").text = text
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
