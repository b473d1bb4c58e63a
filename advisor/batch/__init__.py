"""Batch analysis: find the inputs under the given paths, analyse them in parallel, lose none.

| module | job |
|---|---|
| `discovery` | which inputs the paths name (walks, globs, ignore files, Terraform modules) |
| `ignore` | `.gitignore`-style rules (pathspec), per directory of the walk |
| `unit` | one input end to end: not a regular file? not a template? then the pipeline |
| `sniff` | a YAML/JSON file that is not a template: skipped, or an error when broken |
| `execution` | this process or a pool of worker processes; timeouts, crashes, order |
| `dask_executor` | the same unit on Dask (dask.distributed) workers |
| `cache` | the result cache (`.archadvisor_cache/`) |
| `runner` | a run: cache first, then an executor; outcomes in input order |
| `files` | the few bytes the main process reads (ignore files, fingerprints) |

Every input gets exactly one `Outcome` (a result and a status), in input order, whatever
happens to the others. The names below are the package's interface (`from advisor import
batch; batch.discover(...); batch.run(...)`).
"""

from __future__ import annotations

from advisor.batch.discovery import (
    CONSIDERED_SUFFIXES,
    DATA_SUFFIXES,
    DEFAULT_EXCLUDES,
    DSL_SUFFIXES,
    TEMPLATE_SUFFIXES,
    Input,
    discover,
)
from advisor.batch.execution import default_jobs, execute
from advisor.batch.ignore import IgnoreRules
from advisor.batch.runner import run, run_iter
from advisor.batch.unit import (
    CACHEABLE,
    STATUS_CRASH,
    STATUS_INPUT,
    STATUS_INTERNAL,
    STATUS_OK,
    STATUS_SKIPPED,
    STATUS_TIMEOUT,
    Outcome,
    Settings,
    Task,
    analyze_task,
    error_result,
    skipped_result,
    timeout_result,
    warm_up,
)

__all__ = [
    "CACHEABLE",
    "CONSIDERED_SUFFIXES",
    "DATA_SUFFIXES",
    "DEFAULT_EXCLUDES",
    "DSL_SUFFIXES",
    "STATUS_CRASH",
    "STATUS_INPUT",
    "STATUS_INTERNAL",
    "STATUS_OK",
    "STATUS_SKIPPED",
    "STATUS_TIMEOUT",
    "TEMPLATE_SUFFIXES",
    "IgnoreRules",
    "Input",
    "Outcome",
    "Settings",
    "Task",
    "analyze_task",
    "default_jobs",
    "discover",
    "error_result",
    "execute",
    "run",
    "run_iter",
    "skipped_result",
    "timeout_result",
    "warm_up",
]
