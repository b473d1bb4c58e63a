"""The very same `advisor analyze` over unchanged files prints what the last one printed.

The result cache (`cache`) makes a rerun read each result back instead of analysing it,
but the rerun still starts click and the package, resolves the configuration, walks the
directories and reads one entry per input. In pre-commit and CI most reruns are the same
command over the same files, so a run also leaves a *replay record*: what it printed on
standard output and standard error, its exit code, and every fact about the file system
that what it printed was made from. The next identical command checks those facts first,
before anything but this module is imported, and when every one still holds it prints the
recorded bytes and exits with the recorded code. When one does not (or anything goes
wrong), the run goes on as usual and leaves a fresh record. A replay is exactly what the
full run would print now: it is used only when none of its inputs changed.

What a record is keyed on (its file name): the command line, the working directory, the
Python executable and version, the tool's version, which of standard input, output and
error are terminals, and the environment variables that change an output (`ENV_NAMES`,
`ENV_PREFIXES`).

What it checks (each as it was when the run finished):

- the package's code stamp, and the content of the pattern packs and pricing data (as
  the result cache's run key does);
- every file the run's own process read and every folder it listed to find its inputs
  (ignore files, `.tf` module calls, the directory walk: through `advisor.batch.files`,
  the one reader of the main process), and the files its settings came from (config,
  usage file, baseline, Terraform variable files); the Python installation and the
  package are covered by the version and the code stamp;
- where a config or usage file could appear: each candidate name in the working
  directory and each folder above it, and every path named on the command line;
- every input's content and every dependency its cached result was checked against
  (handler code, state machines, OpenAPI bodies, the names under a function's folder).

Only a run that can be repeated leaves a record: one served by the result cache (so not
`--no-cache`, standard input, `--show-blocked` or a system), with no glob for the walk
to expand (a shell's expansion is fine), writing its report to standard output or to
`-o FILE` (kept, and written there again by the replay; not `--write-baseline`), on
this machine's workers (not Dask), with neither
standard output nor standard error a terminal (a person at a terminal does not need 50 ms
and would see colours and a progress bar), where every input had a cacheable result (no
timeout, crash or internal error; every input fingerprinted), during which nothing it
checks changed (a file's time at or after the run's start), and whose output is under
`COPY_LIMIT` (a streamed `jsonl` scan keeps flat memory). Records live in the cache
directory's `replay/` folder; the `KEEP` most recent are kept. A record is trusted like
the rest of the cache directory (restore it from your own CI cache, not from a repository
under review); it is text and bytes, never code.

Finding a record before the configuration is read: under `--cache-dir` when it is given,
else in `.archadvisor_cache` beside `--config`, in the working directory or in a folder
above it (where the cache goes by default). A cache moved by the config's `cache-dir`
setting works, without the replay.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time

from advisor.batch import files
from advisor.batch.states import (
    CACHE_DIR_NAME,
    code_stamp,
    digest,
    file_state,
    listing_state,
    tree_content,
    tree_folders,
    tree_state,
)

MAGIC = b"archadvisor-replay 3\n"
FOLDER = "replay"
KEEP = 8  # records kept per cache directory (one per distinct command)
COPY_LIMIT = 32 * 1024 * 1024  # bytes of output a record may hold
RECORD_LIMIT = COPY_LIMIT + 64 * 1024 * 1024  # the output and its checks
ENV_NAMES = frozenset({"NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS",
                       "LINES", "TERM", "COLORTERM", "LANG", "LANGUAGE", "LC_ALL",
                       "LC_CTYPE", "LC_MESSAGES", "TZ"})
ENV_PREFIXES = ("ADVISOR_", "ARCHADVISOR_", "PYTHON")
TICK_NS = 20_000_000  # file times are taken from a coarse clock: up to a tick behind
_WRITE_MODES = frozenset("wax+")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_SYSTEM = ("/proc/", "/sys/", "/dev/")


# ------------------------------------------------------------------ serving


def record_name(args: list[str]) -> str:
    """The file name of the record of `advisor ARGS` run here, now (see the docstring)."""
    import advisor

    env = sorted((k, v) for k, v in os.environ.items()
                 if k in ENV_NAMES or k.startswith(ENV_PREFIXES))
    terminals = "".join("1" if os.isatty(fd) else "0" for fd in (0, 1, 2))
    return digest(MAGIC, sys.executable.encode("utf-8", "surrogateescape"),
                  sys.version.encode(), advisor.__version__.encode(),
                  os.getcwd().encode("utf-8", "surrogateescape"),
                  "\0".join(args).encode("utf-8", "surrogateescape"),
                  repr(env).encode("utf-8", "surrogateescape"), terminals.encode())


def candidate_dirs(args: list[str]) -> list[str]:
    """The cache directories a record of this command may be in (see the docstring)."""
    given = _option(args, "--cache-dir")
    if given is not None:
        return [given]
    found = []
    config = _option(args, "--config")
    if config is not None:
        found.append(os.path.join(os.path.dirname(os.path.abspath(config)), CACHE_DIR_NAME))
    here = os.getcwd()
    while True:
        found.append(os.path.join(here, CACHE_DIR_NAME))
        parent = os.path.dirname(here)
        if parent == here:
            return found
        here = parent


def _option(args: list[str], name: str) -> str | None:
    """The value of a long option as click reads it (`--name VALUE` or `--name=VALUE`;
    the last one wins), or None."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg[len(name) + 1:]
    return value


def serve(args: list[str]) -> None:
    """Print the record of this command and exit, when there is one whose every check
    still holds; otherwise return (and the command runs as usual)."""
    try:
        if any(os.isatty(fd) for fd in (1, 2)):
            return
        name = record_name(args)
        for where in candidate_dirs(args):
            record = _open(os.path.join(where, FOLDER, name))
            if record is not None:
                break
        else:
            return
    except Exception:  # a damaged record, an odd file system: the full run decides
        return
    fd, checks, code, start, sizes = record
    n_out, n_err, n_file = sizes
    try:
        if not all(holds(check) for check in checks):
            os.close(fd)
            return
        target = next((arg for kind, arg, _ in checks if kind == "o"), None)
        if target is not None:  # `-o FILE`: the report goes there, as the run wrote it
            with open(target, "wb") as report:
                _copy(fd, start + n_out + n_err, n_file, report.fileno(), quiet=False)
    except Exception:  # an unreadable check, an unwritable -o: the full run decides
        os.close(fd)
        return
    # from here on the output is being written: whatever happens, this run has answered
    try:
        _copy(fd, start, n_out, 1)
        _copy(fd, start + n_out, n_err, 2)
    finally:
        os.close(fd)
    raise SystemExit(code)


def _open(path: str) -> tuple[int, list[list[str]], int, int, tuple[int, int, int]] | None:
    """(descriptor, checks, exit code, where the output starts, the sizes of standard
    output, standard error and the `-o` report) of the record at `path`, None when there
    is none or it is not one. The output stays in the file (`_copy` hands it on without
    reading it into memory)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > RECORD_LIMIT:
            raise ValueError("not a record")
        code, n_checks, sizes, start = _head(os.pread(fd, 256, 0))
        if start + n_checks + sum(sizes) != status.st_size:
            raise ValueError("truncated record")
        checks = _checks(os.pread(fd, n_checks, start))
        return fd, checks, code, start + n_checks, sizes
    except (OSError, ValueError):
        os.close(fd)
        return None


def _head(data: bytes) -> tuple[int, int, tuple[int, int, int], int]:
    """(exit code, size of the checks, sizes of stdout, stderr and the -o report, where
    the checks start)."""
    if not data.startswith(MAGIC):
        raise ValueError("not a record")
    end = data.index(b"\n", len(MAGIC))
    code, n_checks, n_out, n_err, n_file = map(int, data[len(MAGIC):end].split())
    return code, n_checks, (n_out, n_err, n_file), end + 1


def _checks(blob: bytes) -> list[list[str]]:
    """The checks are NUL-separated (kind, path, state) triples: no path holds a NUL,
    and reading them needs no parser (json would cost the `re` import a replay avoids)."""
    fields = blob.decode("utf-8", "surrogateescape").split("\0")
    if len(fields) % 3:
        raise ValueError("damaged record")
    return [fields[i:i + 3] for i in range(0, len(fields), 3)]


def parse(data: bytes) -> tuple[list[list[str]], int, bytes, bytes, bytes]:
    """(checks, exit code, stdout, stderr, -o report) of a whole record; ValueError if it
    is not one."""
    code, n_checks, (n_out, n_err, n_file), start = _head(data[:256])
    if len(data) != start + n_checks + n_out + n_err + n_file:
        raise ValueError("truncated record")
    out = start + n_checks
    err = out + n_out
    return (_checks(data[start:out]), code, data[out:err], data[err:err + n_err],
            data[err + n_err:])


def _write_record(path: str, checks: list[list[str]], code: int, out: bytes | bytearray,
                  err: bytes | bytearray, report: bytes = b"") -> None:
    """Write a record atomically (a temporary file renamed over it), its output as it
    was kept, without joining it into one more copy."""
    from pathlib import Path

    from advisor.usercache import write_atomic

    fields = "\0".join(field for check in checks for field in check).encode(
        "utf-8", "surrogateescape")
    head = MAGIC + b"%d %d %d %d %d\n" % (code, len(fields), len(out), len(err), len(report))
    write_atomic(Path(path), (head, fields, out, err, report))


def holds(check: list[str]) -> bool:
    """Is this fact about the file system still true?"""
    kind, arg, state = check
    if kind == "f":
        return file_state(arg) == state
    if kind == "l":
        return listing_state(arg) == state
    if kind == "t":
        return tree_state(arg) == state
    if kind == "c":
        return tree_content([arg]) == state
    if kind == "s":
        return code_stamp(arg) == state
    return kind == "o"  # where the -o report goes: no fact to check


def _copy(source: int, offset: int, count: int, target: int, quiet: bool = True) -> None:
    """`count` bytes of the file `source` from `offset` to the descriptor `target`
    (sendfile where the system has it). A descriptor that cannot take them (a closed
    pipe, a full disk) ends it, as it ends any program's output (`quiet`), or raises
    OSError (not `quiet`: a report file, which the full run then writes or fails on)."""
    sendfile = getattr(os, "sendfile", None)
    try:
        while count > 0:
            try:
                if sendfile is not None:
                    sent = sendfile(target, source, offset, count)
                else:
                    data = os.pread(source, min(count, 1 << 20), offset)
                    sent = os.write(target, data) if data else 0
            except BlockingIOError:  # a non-blocking pipe that is full: wait for it
                import select

                select.select([], [target], [])
                continue
            except OSError as exc:
                if sendfile is None or isinstance(exc, BrokenPipeError):
                    raise
                sendfile = None  # a descriptor sendfile does not serve: read and write
                continue
            if sent == 0:
                if not quiet:
                    raise OSError("the record ended early")
                return
            offset += sent
            count -= sent
    except OSError:
        if not quiet:
            raise


# ------------------------------------------------------------------ recording


class _Copy(io.BufferedIOBase):
    """A binary stream that writes through to `target` and keeps a copy (up to
    COPY_LIMIT bytes; beyond it the copy is dropped and the record is off)."""

    def __init__(self, target: io.BufferedIOBase) -> None:
        super().__init__()
        self.target = target
        self.copy: bytearray | None = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.target.write(data)
        if self.copy is not None:
            self.copy += data
            if len(self.copy) > COPY_LIMIT:
                self.copy = None
        return len(data)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()


class Recorder:
    """Watches a run's own process (its reads, listings and output) so that, when the run
    turns out to be repeatable, `finish` can leave its record."""

    def __init__(self, args: list[str]) -> None:
        self.args = list(args)
        self.name = record_name(args)
        self.started_ns = time.time_ns()
        self.watch = files.Watch()
        self.cache = None
        self.extra: list[str] = []  # paths named on the command line
        self.read: list[str] = []  # the files the settings came from
        self.output: str | None = None  # `-o FILE`: the report the run writes there
        self.roots: list[str] = []
        self.repeatable = False
        self.completed = False  # the command reached its end with every result cacheable
        self.streams: list[tuple[_Copy, io.TextIOWrapper]] = []

    def copy_output(self) -> None:
        """Keep a copy of what is printed (standard output and error)."""
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            copy = _Copy(stream.buffer)
            wrapper = io.TextIOWrapper(copy, encoding=stream.encoding, errors=stream.errors,
                                       line_buffering=stream.line_buffering,
                                       write_through=True)
            setattr(sys, name, wrapper)
            self.streams.append((copy, wrapper))

    def accept(self, cache: object, roots: list[str], paths: list[str],
               read: list[str], output: str | None = None) -> None:
        """The command is repeatable so far: its results come through `cache`, which
        depends on the content under `roots`; `paths` were named on its command line;
        `read` are the files its settings came from (config, usage file, baseline,
        Terraform variable files)."""
        self.cache = cache
        self.roots = list(roots)
        self.extra = [os.path.abspath(p) for p in paths]
        self.read = [os.path.abspath(p) for p in read]
        self.output = os.path.abspath(output) if output else None
        self.repeatable = True
        cache.watch = True  # type: ignore[attr-defined]

    def complete(self, cacheable: bool) -> None:
        """The command printed its whole report; `cacheable`: every result came from or
        went into the cache (no timeout, crash or internal error)."""
        self.completed = cacheable

    def decline(self) -> None:
        """Something makes this run unrepeatable (see the module docstring)."""
        self.repeatable = False
        self.cache = None
        for copy, _ in self.streams:
            copy.copy = None

    def finish(self, code: object) -> None:
        """Leave the record, if the run was repeatable to the end (never raises: the run
        has answered already)."""
        try:
            self._finish(code)
        except Exception:  # a closed stream, a file system that changed: no record
            return

    def _finish(self, code: object) -> None:
        files.WATCH = None  # what the checks below read is not the run's
        for _, wrapper in self.streams:
            wrapper.flush()
        copies = [copy.copy for copy, _ in self.streams]
        cache = self.cache
        if not (self.repeatable and self.completed) or self.watch.globbed or cache is None \
                or len(copies) != 2 or None in copies or not isinstance(code, int) \
                or not getattr(cache, "writable", False) or getattr(cache, "unkeyed", 1):
            return
        directory = os.path.abspath(str(cache.directory))
        try:
            checks = self._checks(cache, directory)
        except Exception:  # a file system that changed under us: no record
            return
        if checks is None:
            return
        report = b""
        if self.output is not None:  # the report as the run wrote it
            report = files.read_bytes(self.output, COPY_LIMIT + 1)
            if len(report) > COPY_LIMIT:
                return
            checks.insert(0, ["o", self.output, ""])
        folder = os.path.join(directory, FOLDER)
        try:
            os.makedirs(folder, exist_ok=True)
            _write_record(os.path.join(folder, self.name), checks, code, copies[0], copies[1],
                          report)
            _prune(folder)
        except OSError:
            return

    def _checks(self, cache: object, cache_dir: str) -> list[list[str]] | None:
        """Every fact the run's output was made from (see the module docstring); None
        when an input lies where the checks cannot see it."""
        from advisor.batch.cache import package_dir
        from advisor.usercache import entry_path

        package = package_dir()
        unseen = tuple(os.path.join(os.path.realpath(p), "") for p in
                       {sys.prefix, sys.base_prefix, sys.exec_prefix})
        # what the package derives from its own files (covered by the code stamp and the
        # content of its data) and the import system's own look-ups
        derived = entry_path("")
        covered = (os.path.join(package, ""), os.path.join(cache_dir, ""), *unseen, *_SYSTEM,
                   *((os.path.join(os.path.abspath(derived), ""),) if derived else ()))
        if any(os.path.join(p, "").startswith(unseen) for p in self.extra):
            return None  # inputs inside the Python installation: not watched
        checks: dict[tuple[str, str], str] = {
            ("s", package): code_stamp(package),
        }
        early, late_deps, trees = cache.watched()
        for path, state in early.items():  # taken before the analysis read the file
            checks[("f", path)] = state
        late: dict[tuple[str, str], None] = {}  # taken after the content was used
        for path, state in late_deps.items():
            if ("f", path) not in checks:
                checks[("f", path)] = state
                late[("f", path)] = None
        read = [os.path.abspath(p) for p in self.watch.read]
        # read when the run started, before the inputs' states were taken: the settings,
        # whatever else they are (a config file is also an input of a walk)
        for path in self.read:
            if not path.startswith(covered):
                checks.setdefault(("f", path), file_state(path))
                late[("f", path)] = None
        # named on the command line, where a config or usage file could be, read by the
        # walk: their states are taken now, unless the cache took them before (inputs)
        for path in (*self.extra, *_probes(self.extra), *read):
            if ("f", path) not in checks and not path.startswith(covered):
                checks[("f", path)] = file_state(path)
                late[("f", path)] = None
        listed = set()
        for raw, state in self.watch.listed.items():  # as the walk saw them
            path = os.path.abspath(raw)
            if not os.path.join(path, "").startswith(covered):
                checks[("l", path)] = state
                listed.add(path)
        for folder, state in trees.items():
            # a folder whose every listing is checked already: its tree cannot change
            if not all(os.path.abspath(f) in listed for f in tree_folders(folder)):
                checks[("t", folder)] = state
        if _changed_since(self.started_ns, late):
            return None
        out = [[kind, arg, state] for (kind, arg), state in checks.items()]
        out.extend(["c", root, tree_content([root])] for root in dict.fromkeys(self.roots))
        return out


def _probes(paths: list[str]) -> list[str]:
    """Files whose appearing would change what the run does, looked for by their name
    only: a CDK assembly or app in a folder named on the command line
    (advisor.cdkpaths), a config or usage file here or in any folder above
    (advisor.config, advisor.estimate.usagefile)."""
    from advisor.cdkpaths import looked_at
    from advisor.config import YAML_NAMES
    from advisor.estimate.usagefile import FILE_NAMES

    names = (*YAML_NAMES, "pyproject.toml", *FILE_NAMES)
    out = [probe for path in paths if os.path.isdir(path) for probe in looked_at(path)]
    here = os.getcwd()
    while True:
        out.extend(os.path.join(here, name) for name in names)
        parent = os.path.dirname(here)
        if parent == here:
            return out
        here = parent


def _changed_since(started_ns: int, checked: dict[tuple[str, str], None]) -> bool:
    """Did any file or folder whose state was taken after the run used it change while
    the run was going (its mtime at or after the run's start, less a clock tick)? Then
    what the run printed may be of the content before, and the state of the content
    after: no record (as git's index does for racily clean files)."""
    since = started_ns - TICK_NS
    for _, path in checked:
        try:
            if os.stat(path).st_mtime_ns >= since:
                return True
        except OSError:
            continue
    return False


def _prune(folder: str) -> None:
    """Keep the KEEP most recent records."""
    try:
        with os.scandir(folder) as it:
            records = sorted((e for e in it if e.is_file() and not e.name.startswith(".")),
                             key=lambda e: e.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in records[KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(old.path)


_RECORDER: Recorder | None = None


def start(args: list[str]) -> None:
    """Watch this run, to leave its record at the end (see the module docstring)."""
    global _RECORDER
    if any(os.isatty(fd) for fd in (1, 2)):
        return
    recorder = Recorder(args)
    files.WATCH = recorder.watch
    recorder.copy_output()
    _RECORDER = recorder


def current() -> Recorder | None:
    """The recorder of this run, if it is watched."""
    return _RECORDER


__all__ = ["Recorder", "candidate_dirs", "current", "holds", "record_name", "serve", "start"]
