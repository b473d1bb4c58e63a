"""Batch analysis: find the inputs under the given paths, analyse them in parallel, lose none.

Two jobs, kept apart in this module:

- **discovery** (`discover`): files, directories (recursive, honouring `.gitignore` /
  `.archadvisorignore` files found in the tree and `--exclude` patterns, gitwildmatch
  syntax), globs. Symlinks are followed once (real paths are tracked, so a loop ends);
  an unreadable directory, a broken link or a path that does not exist becomes an input
  with an error, so it is reported rather than silently skipped. Which files count when a
  directory is walked: `*.arch`; `*.yaml|*.yml|*.json|*.template` that look like
  CloudFormation (a cheap sniff for `AWSTemplateFormatVersion` or a top-level
  `Resources`); and every directory holding `*.tf` files, which is one Terraform module,
  so one input (a local module it calls with `source = "./..."` is part of it, not an
  input of its own).
- **running** (`run`): every input gets exactly one `FileResult`, in input order,
  whatever happens to the others. With `jobs > 1` the work goes to a small pool of worker
  processes that import the library once and analyse many files each. The pool is our
  own rather than `concurrent.futures`, because a `ProcessPoolExecutor` that loses a
  worker breaks every pending future and cannot say which file killed it, and cannot stop
  a running task at all; here each worker runs one file at a time, so a file that hangs
  past `timeout` is killed and reported as timed out, a worker that dies is reported for
  the file it was running, and a fresh worker takes its place. Workers are forked from
  this process once it is warm when it runs a single thread (Linux), else started by the
  `forkserver` (`spawn` where that is missing); see `_mp_context`. With `jobs == 1`
  files run in this process
  (the timeout then uses SIGALRM, which cannot interrupt a long C call; use `jobs > 1`
  for hostile input).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pickle
import re
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import Diagnostic
from advisor.pipeline import FileResult, Options

# ---------------------------------------------------------------------------- discovery

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
DSL_SUFFIXES = (".arch",)
IGNORE_FILES = (".gitignore", ".archadvisorignore")
# Never worth walking into: VCS data, virtualenvs, dependency and build caches (SAM's
# .aws-sam/build and cdk.out hold generated copies of the templates in the tree).
DEFAULT_EXCLUDES = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", "node_modules/", ".terraform/",
    ".aws-sam/", "cdk.out/", "__pycache__/", ".tox/", ".mypy_cache/", ".pytest_cache/",
    ".ruff_cache/",
)
SNIFF_BYTES = 1024 * 1024  # CloudFormation's own template size cap
_CFN_MARKERS = re.compile(
    rb"AWSTemplateFormatVersion|^Resources\s*:|[\"']Resources[\"']\s*:", re.MULTILINE
)
_TF_LOCAL_SOURCE = re.compile(r"""\bsource\s*=\s*"(\.{1,2}/[^"]*)\"""")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Input:
    """One thing to analyse: a file, or a directory that is one Terraform module.

    `path` is how the user will see it (as given, or joined onto the directory they gave);
    `error`, when set, says why it cannot even be opened (it is reported, not dropped).
    """

    path: str
    kind: str = "file"  # "file" | "module"
    error: str | None = None


class IgnoreRule:
    """One gitwildmatch pattern (the syntax of .gitignore), relative to a base directory."""

    def __init__(self, pattern: str, base: str = "") -> None:
        self.source = pattern
        self.base = base.strip("/")
        self.negate = pattern.startswith("!")
        if self.negate or pattern.startswith(("\\!", "\\#")):
            pattern = pattern[1:]
        self.dir_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        anchored = "/" in pattern
        pattern = pattern.lstrip("/")
        body = _wildmatch_regex(pattern)
        prefix = "" if anchored else "(?:.*/)?"
        self.regex = re.compile(f"^{prefix}{body}$", re.DOTALL)

    def matches(self, rel: str, is_dir: bool) -> bool:
        """Does the rule match `rel` (a posix path relative to the walk root)?"""
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not rel.startswith(self.base + "/"):
                return False
            rel = rel[len(self.base) + 1:]
        return bool(self.regex.match(rel))


def _wildmatch_regex(pattern: str) -> str:
    """Translate gitwildmatch (`*`, `?`, `[...]`, `**`) into a regular expression body."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                if at_start and (j == n or pattern[j] == "/"):
                    if j == n:
                        out.append(".*")  # trailing /**: everything inside
                    else:
                        out.append("(?:.*/)?")  # **/: zero or more directories
                        j += 1
                    i = j
                    continue
                out.append("[^/]*")
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1: i + 2] in ("!", "^", "]") else i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                inner = pattern[i + 1: j]
                if inner[:1] in ("!", "^"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_ignore_lines(lines: Iterable[str], base: str = "") -> list[IgnoreRule]:
    """Rules from the lines of an ignore file (comments and blank lines skipped)."""
    rules = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        rules.append(IgnoreRule(line, base))
    return rules


def is_ignored(rules: Sequence[IgnoreRule], rel: str, is_dir: bool) -> bool:
    """The last matching rule wins; a `!` rule re-includes (as in git)."""
    ignored = False
    for rule in rules:
        if rule.matches(rel, is_dir):
            ignored = not rule.negate
    return ignored


def looks_like_template(path: str) -> bool:
    """Cheap sniff: does this YAML/JSON file look like CloudFormation/SAM?

    Unreadable files answer True, so the error is reported by the analysis instead of the
    file vanishing from the run.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return True
    return bool(_CFN_MARKERS.search(head))


def _tf_local_modules(directory: str, tf_files: Sequence[str]) -> set[str]:
    """Real paths of local modules (`source = "./x"`) that `directory`'s .tf files call."""
    found: set[str] = set()
    for name in tf_files:
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as h:
                text = h.read(SNIFF_BYTES)
        except OSError:
            continue
        for m in _TF_LOCAL_SOURCE.finditer(text):
            found.add(os.path.realpath(os.path.join(directory, m.group(1))))
    return found


@dataclass
class _Walk:
    exclude: list[IgnoreRule]
    seen: set[str] = field(default_factory=set)  # real paths of inputs already emitted
    tf_modules: set[str] = field(default_factory=set)  # real paths of called local modules


def _walk(root: str, rel: str, walk: _Walk, inherited: list[IgnoreRule],
          ancestors: frozenset[str]) -> Iterator[Input]:
    """Inputs below directory `root` (display path), depth first, names sorted."""
    real = os.path.realpath(root)
    if real in ancestors:
        return  # a symlink loop: this directory is already being walked above us
    ancestors = ancestors | {real}
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Input(root, error=f"cannot read directory: {exc.strerror or exc}")
        return
    rules = list(inherited)
    names = {e.name for e in entries}
    for ignore_name in IGNORE_FILES:
        if ignore_name in names:
            try:
                with open(os.path.join(root, ignore_name), encoding="utf-8",
                          errors="replace") as handle:
                    rules.extend(parse_ignore_lines(handle, rel))
            except OSError:
                pass
    tf_files = [e.name for e in entries if e.name.endswith(".tf") and _is_file(e)]
    if tf_files:
        walk.tf_modules |= _tf_local_modules(root, tf_files)
    module_emitted = False
    for entry in entries:
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        child = os.path.join(root, entry.name)
        is_dir = _is_dir(entry)
        if is_ignored(rules, child_rel, is_dir) or is_ignored(walk.exclude, child_rel, is_dir):
            continue
        if is_dir:
            yield from _walk(child, child_rel, walk, rules, ancestors)
            continue
        if entry.name.endswith(".tf"):
            if not module_emitted and real not in walk.tf_modules and real not in walk.seen:
                module_emitted = True
                walk.seen.add(real)
                yield Input(root, kind="module")
            continue
        if not entry.name.endswith(DSL_SUFFIXES + TEMPLATE_SUFFIXES):
            continue
        if entry.is_symlink() and not os.path.exists(child):
            yield Input(child, error="broken symbolic link")
            continue
        if entry.name.endswith(TEMPLATE_SUFFIXES) and not looks_like_template(child):
            continue
        key = os.path.realpath(child)
        if key in walk.seen:
            continue
        walk.seen.add(key)
        yield Input(child)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=True)
    except OSError:
        return False


def discover(paths: Sequence[str], exclude: Sequence[str] = (), *,
             use_default_excludes: bool = True, hook: bool = False) -> list[Input]:
    """The inputs named by `paths`, in the order given, each once (by real path).

    - a directory is walked (see the module docstring for what counts);
    - a file named explicitly is analysed whatever its name (the format is detected by
      content), unless `hook` is set: then, as pre-commit passes every file matching its
      regex, files that do not look like an input are skipped, excludes apply to them
      too, and a `.tf` file stands for its module directory;
    - a path that does not exist but contains `*`, `?` or `[` is a glob (`**` recurses);
    - anything else that does not exist is an input with an error.
    """
    rules = parse_ignore_lines(list(exclude) + (list(DEFAULT_EXCLUDES)
                                                if use_default_excludes else []))
    walk = _Walk(exclude=rules)
    out: list[Input] = []
    for raw in paths:
        for path in _expand(raw):
            out.extend(_one(path, walk, hook))
    # A module that another module calls is part of it, even if it was walked first.
    return [i for i in out
            if not (i.kind == "module" and os.path.realpath(i.path) in walk.tf_modules
                    and not _named_directly(i.path, paths))]


def _named_directly(path: str, paths: Sequence[str]) -> bool:
    return any(os.path.normpath(path) == os.path.normpath(p) for p in paths)


def _expand(raw: str) -> list[str]:
    if os.path.lexists(raw) or not _GLOB_CHARS.search(raw):
        return [raw]
    matches = sorted(glob.glob(raw, recursive=True))
    return matches or [raw]


def _one(path: str, walk: _Walk, hook: bool) -> Iterator[Input]:
    if not os.path.lexists(path):
        what = "no file matches this pattern" if _GLOB_CHARS.search(path) else \
            "no such file or directory"
        yield Input(path, error=what)
        return
    if not os.path.exists(path):
        yield Input(path, error="broken symbolic link")
        return
    if os.path.isdir(path):
        if _has_tf(path):
            real = os.path.realpath(path)
            if real not in walk.seen:
                walk.seen.add(real)
                yield Input(path, kind="module")
        yield from _walk(path, "", walk, [], frozenset())
        return
    if hook:
        name = os.path.basename(path)
        if _excluded_path(walk.exclude, os.path.relpath(path).replace(os.sep, "/")):
            return
        if name.endswith(".tf"):
            directory = os.path.dirname(path) or "."
            real = os.path.realpath(directory)
            if real not in walk.seen:
                walk.seen.add(real)
                yield Input(directory, kind="module")
            return
        if name.endswith(TEMPLATE_SUFFIXES) and not looks_like_template(path):
            return
        if not name.endswith(DSL_SUFFIXES + TEMPLATE_SUFFIXES):
            return
    real = os.path.realpath(path)
    if real in walk.seen:
        return
    walk.seen.add(real)
    yield Input(path)


def _excluded_path(rules: Sequence[IgnoreRule], rel: str) -> bool:
    """Is `rel` or one of its parent directories excluded (as a walk would have found)?"""
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        if is_ignored(rules, "/".join(parts[:depth]), True):
            return True
    return is_ignored(rules, rel, False)


def _has_tf(directory: str) -> bool:
    try:
        with os.scandir(directory) as it:
            return any(e.name.endswith(".tf") and _is_file(e) for e in it)
    except OSError:
        return False


# ---------------------------------------------------------------------------- one file

STATUS_OK = "ok"
STATUS_INPUT = "input-error"  # the file could not be read, parsed or analysed
STATUS_TIMEOUT = "timeout"
STATUS_CRASH = "crashed"  # the worker process died while running this file
STATUS_INTERNAL = "internal-error"  # a bug: an unexpected exception


@dataclass
class Task:
    """What a worker needs for one input (small and picklable)."""

    index: int
    path: str
    error: str | None = None


@dataclass
class Outcome:
    """One input's result plus how its analysis ended (see the STATUS_* values)."""

    result: FileResult
    status: str = STATUS_OK
    seconds: float = 0.0


@dataclass
class Settings:
    """Run-wide settings shared by every worker."""

    options: Options = field(default_factory=Options)
    workload_defaults: dict[str, float] = field(default_factory=dict)  # requests, payload
    timeout: float | None = 60.0  # per file, seconds; None: no limit
    memory_mb: int = 2048  # address-space cap per worker process; 0: none
    # Replaces the pipeline for each file (tests, embedding); must be a module-level
    # function so it pickles by reference into the workers.
    analyzer: Callable[[str, Settings], FileResult] | None = None


class _Timeout(BaseException):
    """Raised by SIGALRM in-process; a BaseException so library code cannot swallow it."""


def error_result(path: str, message: str, suggestion: str | None = None) -> FileResult:
    """A FileResult that only carries one error at the start of the file."""
    return FileResult(source=path, errors=[Diagnostic(path, 1, 1, message, suggestion)])


def analyze_task(task: Task, settings: Settings) -> Outcome:
    """Analyse one input; every failure becomes an error result with a status."""
    start = time.perf_counter()
    if task.error:
        return Outcome(error_result(task.path, task.error), STATUS_INPUT)
    try:
        result = (settings.analyzer or _analyze)(task.path, settings)
        status = STATUS_INPUT if result.errors else STATUS_OK
    except MemoryError:
        result = error_result(task.path, "analysis ran out of memory",
                              "the input is far larger or more deeply nested than a real "
                              "template; check it is the file you meant")
        status = STATUS_INPUT
    except RecursionError:
        result = error_result(task.path, "input is too deeply nested to analyse",
                              "flatten the structure; real templates nest a few levels")
        status = STATUS_INPUT
    except _Timeout:
        result = timeout_result(task.path, settings.timeout)
        status = STATUS_TIMEOUT
    except Exception as exc:  # a bug in the library: say so, keep going
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        result = error_result(
            task.path, f"internal error: {type(exc).__name__}: {exc}{where}",
            "this is a bug in archadvisor; please report it with this input")
        status = STATUS_INTERNAL
    return Outcome(_detach(result), status, time.perf_counter() - start)


def timeout_result(path: str, timeout: float | None) -> FileResult:
    return error_result(path, f"analysis timed out after {timeout:g} s",
                        "raise --timeout, or check the input is not pathological")


def _analyze(path: str, settings: Settings) -> FileResult:
    """`pipeline.analyze_source`, with the configuration's default workload."""
    from dataclasses import replace

    from advisor import pipeline

    options = settings.options
    if settings.workload_defaults:
        options = replace(options, workload_defaults=dict(settings.workload_defaults))
    return pipeline.analyze_source(path, options)


def _detach(result: FileResult) -> FileResult:
    """Drop what cannot cross a process boundary: alternatives' lazy rewrite closures.

    Writers read an alternative's title and deltas, never its `after` graph.
    """
    for finding in result.findings:
        for alt in getattr(finding, "alternatives", ()) or ():
            if hasattr(alt, "_build"):
                alt._build = None
                alt._after = None
                alt._built = True
    return result


# ---------------------------------------------------------------------------- running

ProgressFn = Callable[[int, Outcome], None]


def run(inputs: Sequence[Input], settings: Settings, jobs: int = 1,
        progress: ProgressFn | None = None) -> list[Outcome]:
    """One Outcome per input, in input order; `progress(index, outcome)` as each ends."""
    tasks = [Task(i, inp.path, inp.error) for i, inp in enumerate(inputs)]
    if jobs <= 1 or len([t for t in tasks if not t.error]) <= 1:
        return _run_inline(tasks, settings, progress)
    return _Pool(settings, min(jobs, len(tasks)), progress).run(tasks)


def _run_inline(tasks: Sequence[Task], settings: Settings,
                progress: ProgressFn | None) -> list[Outcome]:
    out = []
    can_alarm = (settings.timeout and hasattr(signal, "SIGALRM")
                 and threading.current_thread() is threading.main_thread())
    for task in tasks:
        if can_alarm and not task.error:
            outcome = _with_alarm(task, settings)
        else:
            outcome = analyze_task(task, settings)
        out.append(outcome)
        if progress:
            progress(task.index, outcome)
    return out


def _with_alarm(task: Task, settings: Settings) -> Outcome:
    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(settings.timeout or 0))
    try:
        return analyze_task(task, settings)
    except _Timeout:  # fired between analyze_task's own handlers
        return Outcome(timeout_result(task.path, settings.timeout), STATUS_TIMEOUT)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _mp_context(settings: Settings) -> Any:
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
        if settings.analyzer is None:
            warm_up(settings)
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["advisor.batch", "advisor.pipeline", "advisor.engine",
                                    "advisor.estimate", "advisor.dsl", "advisor.importers"])
        return ctx
    return mp.get_context("spawn")


def _worker_main(conn: Any, settings: Settings) -> None:
    """Worker loop: receive a Task, send back the pickled Outcome; None means stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    if settings.memory_mb > 0:
        _limit_memory(settings.memory_mb)
    if settings.analyzer is None:
        warm_up(settings)
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


WARM_UP_DESIGN = "architecture \"warm-up\"\nclient c\nlambda f\nsqs q\nc -> f -> q\n"


def warm_up(settings: Settings) -> None:
    """Load patterns, prices and parsers once per worker, before the first file.

    Every worker pays this once, in parallel, instead of the first file of each worker
    looking slow; a failure here is ignored, as the same failure will be reported for
    the files themselves.
    """
    from advisor import pipeline

    with contextlib.suppress(Exception):
        pipeline.analyze_source("<warm-up>", settings.options, text=WARM_UP_DESIGN)


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


READY = b"ready"
STARTUP_LIMIT = 120.0  # seconds a new worker may take to import and warm up
MAX_START_FAILURES = 3  # workers that die before they are ready; then run in-process


class _Worker:
    def __init__(self, ctx: Any, settings: Settings) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, settings), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False  # it sends READY once imported and warm
        self.task: Task | None = None
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


class _Pool:
    """N workers, one task each at a time; a hung or dead worker is replaced.

    A task's clock starts when a warm worker receives it, so the import and warm-up of
    a fresh worker never count against a file's timeout. Workers that cannot even start
    (MAX_START_FAILURES of them) make the rest of the batch run in this process.
    """

    def __init__(self, settings: Settings, size: int, progress: ProgressFn | None) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.progress = progress
        self.ctx = _mp_context(settings)
        self.start_failures = 0

    def run(self, tasks: Sequence[Task]) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(tasks)
        pending: deque[Task] = deque()
        for task in tasks:
            if task.error:  # nothing to run: report at once
                self._done(results, task, analyze_task(task, self.settings))
            else:
                pending.append(task)
        workers: list[_Worker] = []
        try:
            workers = [_Worker(self.ctx, self.settings)
                       for _ in range(min(self.size, len(pending)))]
            self._loop(workers, pending, results)
        finally:
            for w in workers:
                w.stop(kill=w.task is not None or not w.ready)
        if pending:  # the pool could not start: finish here rather than lose anything
            for outcome, task in zip(_run_inline(list(pending), self.settings, None),
                                     pending, strict=True):
                self._done(results, task, outcome)
        return [r if r is not None else Outcome(error_result(
            t.path, "internal error: no result was produced"), STATUS_INTERNAL)
            for t, r in zip(tasks, results, strict=True)]

    def _done(self, results: list[Outcome | None], task: Task, outcome: Outcome) -> None:
        results[task.index] = outcome
        if self.progress:
            self.progress(task.index, outcome)

    def _loop(self, workers: list[_Worker], pending: deque[Task],
              results: list[Outcome | None]) -> None:
        from multiprocessing.connection import wait

        timeout = self.settings.timeout
        while True:
            for w in workers:
                if w.ready and w.task is None and pending:
                    w.task = pending.popleft()
                    w.started = time.monotonic()
                    w.deadline = w.started + timeout if timeout else None
                    with contextlib.suppress(OSError):  # dead: its sentinel tells below
                        w.conn.send(w.task)
            if not any(w.task is not None for w in workers) and not pending:
                return
            if not workers:
                return  # no worker could start; run() finishes the rest in-process
            deadlines = [w.deadline for w in workers if w.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = set(wait([w.conn for w in workers] + [w.proc.sentinel for w in workers],
                             timeout=wait_for))
            now = time.monotonic()
            keep: list[_Worker] = []
            for w in workers:
                if self._step(w, ready, now, results):
                    keep.append(w)
                else:
                    w.stop(kill=True)
                    if pending and self.start_failures < MAX_START_FAILURES:
                        keep.append(_Worker(self.ctx, self.settings))
            workers[:] = keep

    def _step(self, w: _Worker, ready: set[Any], now: float,
              results: list[Outcome | None]) -> bool:
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
                w.task, w.deadline = None, None
                self._done(results, task, outcome)
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
        self._done(results, task, outcome)
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


__all__ = [
    "DEFAULT_EXCLUDES",
    "IgnoreRule",
    "Input",
    "Outcome",
    "Settings",
    "Task",
    "analyze_task",
    "default_jobs",
    "discover",
    "error_result",
    "is_ignored",
    "looks_like_template",
    "parse_ignore_lines",
    "run",
]
