"""A batch run: inputs in, one Outcome per input out, in input order, nothing lost.

`run_iter` asks the result cache first (when the run has one), hands the inputs it cannot
answer to an executor (`execution.execute`: this process or the local pool;
`dask_executor.execute`: Dask workers), stores what comes back, and yields the outcomes
in input order as they become available: a `jsonl` report is written while the batch
runs, holding one result at a time. `run` is the same as a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from advisor.batch.cache import entry_fragment
from advisor.batch.discovery import Input
from advisor.batch.unit import (
    STATUS_INTERNAL,
    Outcome,
    Settings,
    Task,
    analyze_task,
    error_result,
    part_tags,
    render_parts,
)

ProgressFn = Callable[[int, Outcome], None]


def run_iter(inputs: Sequence[Input], settings: Settings, jobs: int = 1, *,
             cache: Any = None, executor: str = "local", scheduler: str | None = None,
             dask_workers: int | None = None, materialize: bool = True,
             progress: ProgressFn | None = None) -> Iterator[Outcome]:
    """One Outcome per input, in input order; `progress(index, outcome)` as each is
    yielded. `cache` is a `cache.ResultCache` or None. With `materialize`, every
    result is the full FileResult (what every writer reads); without it, plain data and
    its JSON (`cache.LightResult` and `Outcome.fragment`: enough for the JSON formats),
    for results from the cache and from the workers alike, plus the writers' parts the
    settings ask for (`Outcome.text`, `Outcome.sarif`), kept in the cache beside each
    entry: a rerun in the text or SARIF format then reads no result objects at all."""
    tasks = [Task(i, inp.path, inp.error, inp.kind, inp.scanned)
             for i, inp in enumerate(inputs)]
    keys: dict[int, str] = {}
    hits: dict[int, str] = {}  # index -> cached status; the entry is read when yielded
    if not materialize:
        settings = replace(settings, light_results=True)
    if cache is not None:
        settings = replace(settings, encode_for_cache=True)
        for task, inp in zip(tasks, inputs, strict=True):
            key = cache.key_for(inp)
            if key is None:
                continue
            keys[task.index] = key
            status = cache.check(key)
            if status is not None:
                hits[task.index] = status
    tags = {} if materialize else part_tags(settings)
    misses = [t for t in tasks if t.index not in hits]
    stream = _execute(misses, settings, jobs, executor, scheduler, dask_workers) if misses \
        else iter(())
    try:
        for task in tasks:
            outcome = None
            if task.index in hits:
                outcome = _from_cache(cache, keys[task.index], hits[task.index], materialize,
                                      settings, tags)
                if outcome is None:  # the entry vanished or does not load: analyse here
                    outcome = analyze_task(task, settings)
                    if outcome.entry is not None:
                        cache.put(keys[task.index], outcome.entry)
                        _put_parts(cache, keys[task.index], outcome, tags)
            else:
                outcome = next(stream, None) or Outcome(error_result(
                    task.path, "internal error: no result was produced"), STATUS_INTERNAL)
                if cache is not None and outcome.entry is not None:
                    if task.index in keys:
                        cache.put(keys[task.index], outcome.entry)
                        _put_parts(cache, keys[task.index], outcome, tags)
                    if outcome.fragment is None:
                        outcome.fragment = entry_fragment(outcome.entry)
            outcome.entry = None  # stored: no need to keep it
            if progress:
                progress(task.index, outcome)
            yield outcome
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()


def _from_cache(cache: Any, key: str, status: str, materialize: bool, settings: Settings,
                tags: dict[str, str]) -> Outcome | None:
    result = cache.load(key)
    if result is None:
        return None
    fragment = result.json_fragment
    parts = {kind: cache.part(key, tag) for kind, tag in tags.items()}
    if materialize or None in parts.values():
        try:
            full = result.load()
        except Exception:  # a damaged or foreign entry: never trusted, analysed afresh
            return None
        if materialize:
            return Outcome(full, status, cached=True, fragment=fragment)
        text, sarif = render_parts(full, settings)
        made = Outcome(full, status, cached=True, text=text, sarif=sarif)
        _put_parts(cache, key, made, tags)
        parts = {"text": made.text, "sarif": made.sarif}
        if any(parts[kind] is None for kind in tags):  # the writer makes it from `full`
            return Outcome(full, status, cached=True, fragment=fragment, text=text, sarif=sarif)
    text = parts.get("text")
    return Outcome(result, status, cached=True, fragment=fragment,
                   text=text.decode("utf-8", "surrogatepass") if isinstance(text, bytes) else text,
                   sarif=parts.get("sarif"))


def _put_parts(cache: Any, key: str, outcome: Outcome, tags: dict[str, str]) -> None:
    """Keep the writers' parts of a result beside its cache entry."""
    for kind, tag in tags.items():
        data = outcome.text if kind == "text" else outcome.sarif
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        if data is not None:
            cache.put_part(key, tag, data, entry=outcome.entry)


def run(inputs: Sequence[Input], settings: Settings, jobs: int = 1,
        progress: ProgressFn | None = None, **kwargs: Any) -> list[Outcome]:
    """`run_iter` as a list."""
    return list(run_iter(inputs, settings, jobs, progress=progress, **kwargs))


def _execute(tasks: list[Task], settings: Settings, jobs: int, executor: str,
             scheduler: str | None, dask_workers: int | None) -> Iterator[Outcome]:
    if executor == "dask":
        from advisor.batch import dask_executor

        return dask_executor.execute(tasks, settings, scheduler=scheduler,
                                     workers=dask_workers or jobs)
    from advisor.batch.execution import execute

    return execute(tasks, settings, jobs)


__all__ = ["run", "run_iter"]
