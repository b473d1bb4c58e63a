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
| `states` | what a file or folder looks like now (content hash, names), for the cache |
| `replay` | the record of a whole run, replayed when the same command sees no change |
| `runner` | a run: cache first, then an executor; outcomes in input order |
| `files` | the few bytes the main process reads (ignore files, fingerprints) |

Every input gets exactly one `Outcome` (a result and a status), in input order, whatever
happens to the others. The names below are the package's interface (`from advisor import
batch; batch.discover(...); batch.run(...)`).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing's own flag costs its import, which a replay avoids
if TYPE_CHECKING:
    from typing import Any

# name -> the module that owns it; each module is imported on first use, so a rerun
# served from the cache never loads the worker pool, and `from advisor.batch import X`
# works as it always did
_HOMES = {
    **dict.fromkeys(("CONSIDERED_SUFFIXES", "DATA_SUFFIXES", "DEFAULT_EXCLUDES",
                     "DSL_SUFFIXES", "TEMPLATE_SUFFIXES", "Input", "discover"), "discovery"),
    **dict.fromkeys(("default_jobs", "execute", "LocalPool"), "execution"),
    "IgnoreRules": "ignore",
    **dict.fromkeys(("run", "run_iter"), "runner"),
    **dict.fromkeys(("CACHEABLE", "STATUS_CRASH", "STATUS_INPUT", "STATUS_INTERNAL",
                     "STATUS_OK", "STATUS_SKIPPED", "STATUS_TIMEOUT", "Outcome", "Settings",
                     "Task", "analyze_task", "error_result", "skipped_result",
                     "timeout_result", "warm_up"), "unit"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'advisor.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"advisor.batch.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = sorted(_HOMES)
