"""Running tasks: in this process, or on a pool of worker processes; results in order.

`execute(tasks, settings, jobs)` yields one `Outcome` per task, in the order of the
tasks, as soon as that task and every one before it is done: a caller that writes each
result as it comes (the `jsonl` format) holds only the few that finished out of order.
Tasks are handed out at most `window` positions ahead of the oldest unfinished one, so
that buffer stays small however many files there are.

With `jobs > 1` the work goes to a small pool of worker processes that import the library
once and analyse many files each. The pool is our own rather than `concurrent.futures`,
because a `ProcessPoolExecutor` that loses a worker breaks every pending future and
cannot say which file killed it, and cannot stop a running task at all; here each worker
runs one file at a time, so a file that hangs past `timeout` is killed and reported as
timed out, a worker that dies is reported for the file it was running, and a fresh worker
takes its place. Workers are forked from this process once it is warm when it runs a
single thread (Linux), else started by the `forkserver` (`spawn` where that is missing);
see `_mp_context`. With `jobs == 1` files run in this process (the timeout then uses
SIGALRM, which cannot interrupt a long C call; use `jobs > 1` for hostile input).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from advisor.batch.unit import (
    STATUS_CRASH,
    STATUS_INTERNAL,
    STATUS_TIMEOUT,
    Outcome,
    Settings,
    Task,
    Timeout,
    analyze_task,
    error_result,
    timeout_result,
    warm_formats,
    warm_up,
)
from advisor.gcpause import paused

READY = b"ready"
STARTUP_LIMIT = 120.0  # seconds a new worker may take to import and warm up
MAX_START_FAILURES = 3  # workers that die before they are ready; then run in-process


def execute(tasks: Iterable[Task], settings: Settings, jobs: int = 1, *,
            window: int | None = None) -> Iterator[Outcome]:
    """One Outcome per task, in task order (see the module docstring)."""
    tasks = list(tasks)
    runnable = sum(1 for t in tasks if not t.error)
    if jobs <= 1 or runnable <= 1:
        yield from run_inline(tasks, settings)
        return
    pool = LocalPool(settings, min(jobs, runnable))
    try:
        yield from pool.outcomes(tasks, window=window)
    finally:
        pool.close()


def run_inline(tasks: Iterable[Task], settings: Settings) -> Iterator[Outcome]:
    """The tasks one after the other in this process (SIGALRM for the timeout)."""
    can_alarm = (settings.timeout and hasattr(signal, "SIGALRM")
                 and threading.current_thread() is threading.main_thread())
    for task in tasks:
        if can_alarm and not task.error:
            yield _with_alarm(task, settings)
        else:
            yield analyze_task(task, settings)


def _with_alarm(task: Task, settings: Settings) -> Outcome:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(settings.timeout or 0))
    try:
        return analyze_task(task, settings)
    except Timeout:  # fired between analyze_task's own handlers
        return Outcome(timeout_result(task.path, settings.timeout), STATUS_TIMEOUT)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _mp_context(settings: Settings, formats: tuple[str, ...]) -> Any:
    """How workers are started.

    On Linux, when this process runs a single thread, workers are forked from it after it
    has warmed up (imports, patterns, prices: ~1 s paid once, and needed here anyway by
    the report writers), so each worker starts warm in milliseconds. With other threads
    running, a fork could inherit a held lock, so the `forkserver` is used instead
    (it imports the library once; each worker then warms itself); `spawn` elsewhere.
    """
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        # the collector is paused until all is frozen: what the warm-up loads (modules,
        # patterns, prices) stays for the whole run, so every collection on the way (a
        # last one included, when the collector came back before the freeze) would only
        # rescan it: a twentieth of the serial start-up
        with paused():
            if settings.analyzer is None:
                warm_up(settings, formats)
            # what exists now is shared with the forked workers: keep the collector from
            # touching it there (each touch copies a page; gc.freeze is meant for this)
            gc.freeze()
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["advisor.batch", "advisor.pipeline", "advisor.engine",
                                    "advisor.estimate", "advisor.dsl", "advisor.importers"])
        return ctx
    return mp.get_context("spawn")


def _worker_main(conn: Any, settings: Settings, formats: tuple[str, ...] = ()) -> None:
    """Worker loop: receive a Task, send back the pickled Outcome; None means stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    if settings.memory_mb > 0:
        _limit_memory(settings.memory_mb)
    if settings.analyzer is None and formats:  # forked workers are warm already
        warm_up(settings, formats)
    try:
        conn.send_bytes(READY)
    except (BrokenPipeError, OSError):
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        outcome = analyze_task(task, settings)
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result the library made unpicklable: still report it
            payload = pickle.dumps(Outcome(error_result(
                task.path, f"internal error: result could not be sent back: {exc}"),
                STATUS_INTERNAL, outcome.seconds))
        try:
            conn.send_bytes(payload)
        except (BrokenPipeError, OSError):
            return


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform
        return
    limit = megabytes * 1024 * 1024
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


class _Worker:
    def __init__(self, ctx: Any, settings: Settings, formats: tuple[str, ...]) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        warm = () if ctx.get_start_method() == "fork" else formats
        self.proc = ctx.Process(target=_worker_main, args=(child, settings, warm), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False  # it sends READY once imported and warm
        self.task: Task | None = None
        self.position = -1  # of its task in the list being run
        # the position of the task sent ahead, waiting in the pipe: the worker starts it
        # the moment it has sent the last result, instead of idling until this process
        # (competing for the same cores) gets round to sending the next one
        self.queued: int | None = None
        self.started = time.monotonic()  # of the worker until ready, then of its task
        self.deadline: float | None = self.started + STARTUP_LIMIT

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=0 if kill else 2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()


class LocalPool:
    """N workers, one task each at a time (and one more sent ahead, queued in its pipe);
    a hung or dead worker is replaced, and the task it had queued goes back to the rest.

    A task's clock starts when a warm worker receives it (a queued task's when the result
    before it arrives), so the import and warm-up of
    a fresh worker never count against a file's timeout. Workers that cannot even start
    (MAX_START_FAILURES of them) make the rest of the batch run in this process. The
    workers live until `close()`, so one pool can serve many calls of `outcomes` (a Dask
    worker keeps one for all the files it is given).
    """

    def __init__(self, settings: Settings, size: int) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.ctx: Any = None
        self.workers: list[_Worker] = []
        self.start_failures = 0
        self.formats: tuple[str, ...] = ("dsl",)  # the parsers workers set up: see warm_formats

    def close(self) -> None:
        for w in self.workers:
            w.stop(kill=w.task is not None or not w.ready)
        self.workers = []

    def outcomes(self, tasks: Sequence[Task], window: int | None = None) -> Iterator[Outcome]:
        """One Outcome per task, in order (see the module docstring for `window`)."""
        if self.ctx is None:
            self.formats = warm_formats(tasks)
            self.ctx = _mp_context(self.settings, self.formats)
        window = window or max(64, 16 * self.size)
        done: dict[int, Outcome] = {}
        pending: deque[int] = deque()
        for pos, task in enumerate(tasks):
            if task.error:  # nothing to run: report at once
                done[pos] = analyze_task(task, self.settings)
            else:
                pending.append(pos)
        emitted = 0
        try:
            want = min(self.size, len(pending))
            while len(self.workers) < want:
                self.workers.append(_Worker(self.ctx, self.settings, self.formats))
            while True:
                while emitted < len(tasks) and emitted in done:
                    yield done.pop(emitted)
                    emitted += 1
                if emitted >= len(tasks) or not self.workers:
                    break
                self._dispatch(tasks, pending, emitted + window)
                if not any(w.task is not None for w in self.workers) and not pending:
                    break
                self._wait(tasks, pending, done)
        except GeneratorExit:
            self.close()
            raise
        finally:
            for w in self.workers:  # a task still running here was abandoned
                if w.task is not None:
                    w.stop(kill=True)
            self.workers = [w for w in self.workers if w.task is None and w.proc.is_alive()]
        if pending:  # the pool could not start: finish here rather than lose anything
            for pos, outcome in zip(list(pending), run_inline([tasks[p] for p in pending],
                                                              self.settings), strict=True):
                done[pos] = outcome
        while emitted < len(tasks):
            yield done.pop(emitted, None) or Outcome(error_result(
                tasks[emitted].path, "internal error: no result was produced"),
                STATUS_INTERNAL)
            emitted += 1

    def _dispatch(self, tasks: Sequence[Task], pending: deque[int], limit: int) -> None:
        timeout = self.settings.timeout
        for w in self.workers:  # first every idle worker one task, then one ahead each
            if w.ready and w.task is None and pending and pending[0] < limit:
                w.position = pending.popleft()
                w.task = tasks[w.position]
                w.started = time.monotonic()
                w.deadline = w.started + timeout if timeout else None
                with contextlib.suppress(OSError):  # dead: its sentinel tells below
                    w.conn.send(w.task)
        # ... but not the last ones: a task queued behind a long file would wait while
        # another worker goes idle
        for w in self.workers:
            if len(pending) <= len(self.workers):
                break
            if w.task is not None and w.queued is None and pending[0] < limit:
                w.queued = pending.popleft()
                with contextlib.suppress(OSError):
                    w.conn.send(tasks[w.queued])

    @staticmethod
    def _next_queued(w: _Worker, tasks: Sequence[Task], now: float, timeout: float | None,
                     ) -> None:
        """The task sent ahead becomes the one running (or none is)."""
        if w.queued is None:
            w.task = None
            w.deadline = None
            return
        w.position, w.queued = w.queued, None
        w.task = tasks[w.position]
        w.started = now
        w.deadline = now + timeout if timeout else None

    @staticmethod
    def _give_back(w: _Worker, pending: deque[int]) -> None:
        """A replaced worker's queued task returns to the pending ones, in order."""
        if w.queued is None:
            return
        pos, w.queued = w.queued, None
        at = 0
        while at < len(pending) and pending[at] < pos:
            at += 1
        pending.insert(at, pos)

    def _wait(self, tasks: Sequence[Task], pending: deque[int],
              done: dict[int, Outcome]) -> None:
        from multiprocessing.connection import wait

        workers = self.workers
        deadlines = [w.deadline for w in workers if w.deadline is not None]
        wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = set(wait([w.conn for w in workers] + [w.proc.sentinel for w in workers],
                         timeout=wait_for))
        now = time.monotonic()
        keep: list[_Worker] = []
        for w in workers:
            if self._step(w, ready, now, done, tasks):
                keep.append(w)
            else:
                self._give_back(w, pending)
                w.stop(kill=True)
                if pending and self.start_failures < MAX_START_FAILURES:
                    keep.append(_Worker(self.ctx, self.settings, self.formats))
        self.workers = keep

    def _step(self, w: _Worker, ready: set[Any], now: float, done: dict[int, Outcome],
              tasks: Sequence[Task]) -> bool:
        """Handle what happened to one worker; False when it must be replaced."""
        signalled = w.conn in ready or w.proc.sentinel in ready
        if not w.ready:
            if signalled and self._receive_ready(w):
                w.ready, w.deadline = True, None
                return True
            if signalled or (w.deadline is not None and now >= w.deadline):
                self.start_failures += 1
                return False
            return True
        task = w.task
        if task is None:
            return not signalled  # an idle worker only signals by dying
        if signalled:
            outcome = self._receive(w)
            if outcome is not None:
                done[w.position] = outcome
                self._next_queued(w, tasks, now, self.settings.timeout)
                return True
            w.proc.join(timeout=2)  # reap it, so the exit status can be reported
            outcome = Outcome(error_result(
                task.path, "worker process died while analysing this file "
                f"({_exit_text(w.proc.exitcode)})",
                "this is a bug in archadvisor or a resource limit; please report it "
                "with this input"), STATUS_CRASH, now - w.started)
        elif w.deadline is not None and now >= w.deadline:
            outcome = Outcome(timeout_result(task.path, self.settings.timeout),
                              STATUS_TIMEOUT, now - w.started)
        else:
            return True
        w.task = None
        done[w.position] = outcome
        return False

    @staticmethod
    def _receive_ready(w: _Worker) -> bool:
        try:
            return bool(w.conn.poll()) and w.conn.recv_bytes() == READY
        except (EOFError, OSError):
            return False

    @staticmethod
    def _receive(w: _Worker) -> Outcome | None:
        try:
            if not w.conn.poll():
                return None
            data = w.conn.recv_bytes()
        except (EOFError, OSError):
            return None
        try:
            outcome = pickle.loads(data)
        except Exception:
            return None
        return outcome if isinstance(outcome, Outcome) else None


def _exit_text(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


__all__ = ["LocalPool", "default_jobs", "execute", "run_inline"]
