"""The words every layer shares: finding severities, Well-Architected pillars, and the edge
labels the engine reads besides the importers (advisor.importers.edge_labels holds the rest).

One order for each, used by the pattern schema's checks, the pipeline's summary, the
writers, `--fail-on`, the app and the rule docs alike.
"""

from __future__ import annotations

SEVERITIES = ("error", "warning", "info")  # worst first
# an edge from code answering a workflow's task token (states:SendTaskSuccess/Failure): it
# resumes an execution that waits, it starts none, so no rule target or pipe can do it
TASK_TOKEN = "answers a task token"
PILLARS = (  # the Well-Architected Framework's own order
    "operational-excellence",
    "security",
    "reliability",
    "performance-efficiency",
    "cost-optimization",
    "sustainability",
)


def severity_rank(severity: str) -> int:
    """0 for the worst severity; an unknown one ranks after every known one."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return len(SEVERITIES)


def at_or_above(severity: str, threshold: str) -> bool:
    """`severity` is as bad as `threshold` or worse (`--fail-on` semantics)."""
    return severity_rank(severity) <= severity_rank(threshold)
