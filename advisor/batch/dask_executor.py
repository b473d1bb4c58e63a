"""The per-file unit on Dask (dask.distributed) workers, for organisation-wide scans.

`execute(tasks, settings, scheduler=None, workers=N)` sends the tasks to a Dask cluster
(the scheduler at `scheduler`, or a `LocalCluster` of N single-threaded worker processes)
and yields one `Outcome` per task, in task order, exactly as `execution.execute` does:
the same `unit.analyze_task` runs on every file, so the results are the same bytes as
`--jobs 1`.

- Files travel in chunks (a few dozen per Dask task) so the scheduler's cost per task is
  paid per chunk, and only a bounded number of chunks is in flight: the client holds the
  results of those chunks at most, however many files there are.
- On each Dask worker, files still run one at a time in a child process of that worker
  (an `execution.LocalPool` of one, kept for the worker's life), so a file that hangs
  past `--timeout` is killed and reported as timed out, and one that crashes is reported
  as crashed, without taking the Dask worker down. A worker whose processes may not have
  children (a daemonic Dask worker: started by a nanny with the default
  `distributed.worker.daemon: true`) analyses in its own thread instead, without the
  per-file time limit; start such workers with `DASK_DISTRIBUTED__WORKER__DAEMON=False`.
- A chunk whose Dask task fails (its worker was lost) is retried file by file; a file that
  fails again is reported as crashed.
- The workers read the files themselves: they must see the same paths as the client
  (the same machine, or a shared file system).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import pickle
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from advisor.batch.unit import STATUS_CRASH, Outcome, Settings, Task, analyze_task, error_result

MAX_CHUNK = 32
CHUNKS_PER_THREAD = 4  # in flight per worker thread


def execute(tasks: Sequence[Task], settings: Settings, *, scheduler: str | None = None,
            workers: int = 2) -> Iterator[Outcome]:
    """One Outcome per task, in task order (see the module docstring)."""
    tasks = list(tasks)
    if not tasks:
        return
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    with dask.config.set({"distributed.worker.daemon": False,
                          "distributed.logging.distributed": "critical"}):
        if scheduler:
            client = Client(scheduler, set_as_default=False)
        else:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                   processes=True, dashboard_address=":0",  # no fixed port to collide on
                                   scheduler_kwargs={"dashboard": False},
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster, set_as_default=False)
    try:
        yield from _stream(client, tasks, settings)
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _stream(client: Any, tasks: list[Task], settings: Settings) -> Iterator[Outcome]:
    from distributed import as_completed

    threads = max(1, sum(client.nthreads().values()))
    size = max(1, min(MAX_CHUNK, len(tasks) // (threads * CHUNKS_PER_THREAD) or 1))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    limit = threads * CHUNKS_PER_THREAD
    shared = client.scatter(settings, broadcast=True)
    done: dict[int, list[Outcome]] = {}
    slot: dict[Any, int] = {}

    def submit(index: int) -> Any:
        future = client.submit(run_chunk, chunks[index], shared, pure=False)
        slot[future] = index
        return future

    first = [submit(i) for i in range(min(limit, len(chunks)))]
    submitted = len(first)
    futures = as_completed(first, loop=client.loop)
    emitted = 0
    for future in futures:
        index = slot.pop(future)
        try:
            done[index] = future.result()
        except Exception as exc:  # the worker was lost: retry file by file
            done[index] = _one_by_one(client, chunks[index], shared, exc)
        future.release()
        while emitted in done:
            yield from done.pop(emitted)
            emitted += 1
            if submitted < len(chunks):
                futures.add(submit(submitted))
                submitted += 1
    while emitted in done:  # nothing left in flight
        yield from done.pop(emitted)
        emitted += 1


def _one_by_one(client: Any, chunk: list[Task], shared: Any, first: Exception) -> list[Outcome]:
    out: list[Outcome] = []
    for task in chunk:
        try:
            out.extend(client.submit(run_chunk, [task], shared, pure=False).result())
        except Exception as exc:
            out.append(Outcome(error_result(
                task.path, f"Dask worker lost while analysing this file ({exc or first})",
                "this is a bug in archadvisor or a resource limit of the Dask worker; "
                "please report it with this input"), STATUS_CRASH))
    return out


# ------------------------------------------------------------------ on the Dask worker

_POOLS: dict[tuple[int, str], Any] = {}
_POOLS_LOCK = threading.Lock()


def run_chunk(tasks: list[Task], settings: Settings) -> list[Outcome]:
    """Run on a Dask worker: the files of one chunk, each isolated in a child process."""
    pool = _pool_for(settings)
    if pool is None:
        return [analyze_task(task, settings) for task in tasks]
    return list(pool.outcomes(tasks))


def _pool_for(settings: Settings) -> Any:
    """This worker thread's pool of one child process, for these settings (kept)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return None  # may not have children: see the module docstring
    from advisor.batch.execution import LocalPool

    digest = hashlib.blake2b(pickle.dumps(settings), digest_size=16).hexdigest()
    key = (threading.get_ident(), digest)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            for old in [k for k in _POOLS if k[0] == key[0]]:  # settings of an old run
                _POOLS.pop(old).close()
            pool = _POOLS[key] = LocalPool(settings, 1)
    return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS.values()):
        with contextlib.suppress(Exception):
            pool.close()
    _POOLS.clear()


__all__ = ["execute", "run_chunk"]
