"""The result cache: a rerun over files that did not change reads their results back.

Like ruff's cache, it lives in a directory of the project (`.archadvisor_cache/`, beside
the configuration file, else in the working directory; `--cache-dir` or the `cache-dir`
setting moves it), holds a `.gitignore` of `*` so it never lands in a commit, and is on
by default (`--no-cache` skips it). It is keyed by:

- the run: the resolved configuration (every option that changes a result), the content
  of the pattern packs (built-in and `--patterns`), the content of the pricing data, the
  tool's version and its installed code (path, size and mtime of each file of the
  package), the Python version;
- each input: its path as shown (results name it), its absolute path (side files are
  found from there), how it was found, and its content (a directory module: the names
  in it; the `.tf` files are dependencies).

A result also depends on files the input points to: handler code, state machine
definitions, OpenAPI bodies, local Terraform modules. Every file the importers ask
`advisor.importers.reading.read_text` for while analysing the input (read or not) is
recorded with its state (content hash, or absent), and a result with a Lambda function
also records the names under its folder (a handler file that appears later changes the
lookup). A cached result is used only when all of them are as they were.

Entries are written atomically (a temporary file renamed over the entry), so concurrent
runs at worst compute the same result twice. They are read back without running code:
the JSON of the result and its summary figures are plain data, and the objects other
formats need are unpickled with an allow-list (data classes of this package and
networkx's graph classes; nothing else can be named, so a forged entry cannot execute
anything). A cache directory is trusted like any build cache: restore it from your own
CI cache, not from a repository under review.

Beside an entry, the cache keeps the writers' parts of its result (`part`, `put_part`):
its section of the text report at one width and colour, its part of the SARIF log for one
working directory. Each is stamped with the digest of the entry header it was made from,
so a rewritten entry leaves no stale part behind. A rerun in those formats reads plain
data and parts, and unpickles nothing (the first run at a new width makes the parts).

Timeouts, crashes and internal errors are never cached: they may not happen next time.

A whole run that the cache served can also be replayed (`advisor.batch.replay`): the
same command over unchanged files prints the last run's bytes before this module is even
imported. It reads the states of files and folders from `advisor.batch.states`, as this
module does, and the dependencies of every entry through `ResultCache.watched`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from advisor.batch.files import NotReadable, read_bytes
from advisor.batch.states import (
    CACHE_DIR_NAME,
    code_stamp,
    digest,
    file_state,
    tree_content,
    tree_state,
)

ENTRY_FORMAT = 1
MAGIC = b"archadvisor-cache %d\n" % ENTRY_FORMAT
PART_MAGIC = b"archadvisor-cache-part %d " % ENTRY_FORMAT
HEADER_LIMIT = 16 * 1024 * 1024
PICKLE_PROTOCOL = 5  # pickle.HIGHEST_PROTOCOL of the Pythons we support
ENTRY_LIMIT = 1 << 30
KEEP_RUNS = 8  # run directories kept (older configurations and versions are pruned)
GITIGNORE = "# Created by archadvisor: the result cache, never committed.\n*\n"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by archadvisor.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")


try:
    from orjson import OPT_SORT_KEYS
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _loads

    def _dumps(data: Any) -> bytes:
        return _orjson_dumps(data, option=OPT_SORT_KEYS, default=str)
except ImportError:  # pragma: no cover - orjson is a dependency
    import json
    from json import loads as _loads

    def _dumps(data: Any) -> bytes:
        return json.dumps(data, sort_keys=True, default=str).encode()


# ------------------------------------------------------------------ entries


def encode_entry(task: Any, result: Any, status: str, reads: Sequence[str]) -> bytes:
    """A result as the cache stores it (built in the worker that analysed it)."""
    import pickle

    from advisor.report.jsonout import encode_result

    fragment = encode_result(result)
    blob = pickle.dumps(result, protocol=PICKLE_PROTOCOL)
    deps = [[p, file_state(p)] for p in dict.fromkeys(reads)]
    tree = None
    if _has_function(result):
        folder = task.path if task.kind == "module" else os.path.dirname(task.path) or "."
        folder = os.path.abspath(folder)
        tree = [folder, tree_state(folder)]
    header = {
        "status": status,
        "deps": deps,
        "tree": tree,
        "light": _light(result),
        "sizes": [len(fragment), len(blob)],
    }
    return MAGIC + _dumps(header) + b"\n" + fragment + blob


def _has_function(result: Any) -> bool:
    arch = getattr(result, "before", None)
    graph = getattr(arch, "graph", None)
    if graph is None:
        return False
    return any(attrs.get("kind") == "lambda" for _, attrs in graph.nodes(data=True))


def _light(result: Any) -> dict[str, Any]:
    """What the summary, the exit code and the progress bar read, as plain data."""
    def usd(est: Any) -> float | None:
        return None if est is None else float(est.monthly_usd)

    return {
        "source": result.source,
        "format": result.format,
        "skipped": getattr(result, "skipped", None),
        "errors": [d.message for d in result.errors],
        "findings": [[f.severity, f.pillar, f.rule, [str(n) for n in (f.nodes or ())]]
                     for f in result.findings],
        "before_usd": usd(getattr(result, "before_estimate", None)),
        "after_usd": usd(getattr(result, "after_estimate", None)),
        # (applied, available) savings USD/month, as `FileResult.savings()` says
        "savings": list(result.savings()) if hasattr(result, "savings") else [0.0, 0.0],
    }


class LightFinding(NamedTuple):
    severity: str
    pillar: str
    rule: str
    nodes: tuple[str, ...]


class LightError(NamedTuple):
    message: str


class LightEstimate(NamedTuple):
    monthly_usd: float


class LightResult:
    """A result reduced to plain data: what the summary, the exit code and baselines
    read (`Report.summary()` and `baseline.write_baseline` accept it)."""

    def __init__(self, light: dict[str, Any]) -> None:
        self.source: str = light["source"]
        self.format: str = light["format"]
        self.skipped: str | None = light["skipped"]
        self.errors = [LightError(m) for m in light["errors"]]
        self.findings = list(map(LightFinding._make, light["findings"]))
        self.before_estimate = (None if light["before_usd"] is None
                                else LightEstimate(light["before_usd"]))
        self.after_estimate = (None if light["after_usd"] is None
                               else LightEstimate(light["after_usd"]))
        self._savings = tuple(light.get("savings") or (0.0, 0.0))
        self.blocked: list[Any] = []  # made afresh with --show-blocked, never cached

    def savings(self) -> tuple[float, float]:
        """(applied, available) USD/month, as the full result said."""
        return float(self._savings[0]), float(self._savings[1])


_SHARED: dict[tuple[str, str], LightFinding] = {}
_AN_ERROR = LightError("input error")


def summary_only(result: Any) -> LightResult:
    """What the summary and the exit code read, and nothing else: each finding is a shared
    (severity, pillar) record, errors one shared marker (a streamed scan of any size
    keeps a few bytes per finding)."""
    light = light_result(result)
    light.findings = [_SHARED.setdefault((f.severity, f.pillar),
                                         LightFinding(f.severity, f.pillar, "", ()))
                      for f in light.findings]
    light.errors = [_AN_ERROR] if light.errors else []
    return light


def light_result(result: Any) -> LightResult:
    """The plain-data summary of a result (of a cached one: without its JSON and objects)."""
    if isinstance(result, LightResult):
        light = LightResult.__new__(LightResult)
        light.__dict__.update({k: v for k, v in vars(result).items()
                               if k not in ("json_fragment", "_blob")})
        return light
    return LightResult(_light(result))


class CachedResult(LightResult):
    """A result read back from the cache: its plain-data summary, its JSON, and `load()`
    for the full FileResult (the text, SARIF, Markdown, ... writers need it)."""

    def __init__(self, light: dict[str, Any], fragment: bytes, blob: bytes) -> None:
        super().__init__(light)
        self.json_fragment = fragment
        self._blob = blob

    def load(self) -> Any:
        return safe_unpickle(self._blob)


_SAFE_BUILTINS = frozenset({"set", "frozenset", "complex", "slice"})


def safe_unpickle(data: bytes) -> Any:
    """Unpickle allowing only this package's data classes, networkx's graph classes and
    plain builtins (pickle.UnpicklingError for anything else: nothing can be called)."""
    import pickle

    class SafeUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module == "builtins" and name in _SAFE_BUILTINS:
                return super().find_class(module, name)
            if module.startswith(("advisor.", "networkx.classes.")) and "." not in name:
                obj = super().find_class(module, name)
                if isinstance(obj, type) and (module.startswith("networkx.classes.")
                                              or dataclasses.is_dataclass(obj)):
                    return obj
            raise pickle.UnpicklingError(f"not allowed in a cache entry: {module}.{name}")

    return SafeUnpickler(io.BytesIO(data)).load()


def entry_fragment(data: bytes) -> bytes:
    """The result's JSON inside an entry (what the JSON writer needs), cheaply."""
    end = data.index(b"\n", len(MAGIC))
    n_json = _loads(data[len(MAGIC):end])["sizes"][0]
    return data[end + 1:end + 1 + n_json]


def decode_entry(data: bytes) -> tuple[dict[str, Any], CachedResult]:
    """(header, result) of an entry; ValueError if it is not one."""
    if not data.startswith(MAGIC):
        raise ValueError("not a cache entry")
    end = data.index(b"\n", len(MAGIC))
    header = _loads(data[len(MAGIC):end])
    n_json, n_blob = header["sizes"]
    body = data[end + 1:]
    if len(body) != n_json + n_blob:
        raise ValueError("truncated cache entry")
    return header, CachedResult(header["light"], body[:n_json], body[n_json:])


# ------------------------------------------------------------------ the cache


def run_key(settings: Any) -> str:
    """Everything a run's results depend on besides the inputs themselves."""
    import advisor

    options = settings.options
    config = {
        "options": dataclasses.asdict(options) if dataclasses.is_dataclass(options)
        else repr(options),
        "workload_defaults": settings.workload_defaults,
        "analyzer": getattr(settings.analyzer, "__qualname__", None),
    }
    parts = [
        _dumps(config),
        tree_content(content_roots(settings)).encode(),
        f"{advisor.__version__} {sys.version_info[:2]} {PICKLE_PROTOCOL}".encode(),
        code_stamp(package_dir()).encode(),
    ]
    return digest(*parts)


def package_dir() -> str:
    """The installed package's folder (its code stamp and built-in data are under it)."""
    import advisor

    return str(Path(advisor.__file__).resolve().parent)


def content_roots(settings: Any) -> list[str]:
    """The folders whose every file's content a run's results depend on: the pattern
    packs (the built-in one, as `advisor.resources.bundled("patterns")` finds it in a
    checkout and in a wheel, and `--patterns`) and the pricing data (built in, and the
    folders `ADVISOR_PRICING_PATH` adds)."""
    from advisor.estimate.pricingdirs import search_dirs

    package = package_dir()
    pricing = search_dirs()
    return [os.path.join(package, "patterns"), *settings.options.pattern_dirs,
            os.path.join(package, "estimate", "data"), *pricing]


class ResultCache:
    """One run's view of a cache directory (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str], key: str) -> None:
        self.directory = Path(directory)
        self.root = self.directory / f"v{ENTRY_FORMAT}" / key[:24]
        self._root_text = str(self.root)
        self._states: dict[str, str] = {}
        self._trees: dict[str, str] = {}
        self._stamps: dict[str, str] = {}  # key -> digest of the header `check` accepted
        self.hits = 0
        self.misses = 0
        self.unkeyed = 0  # inputs that could not be cached (analysed afresh every time)
        self.writable = True
        self.watch = False  # keep the dependencies of the entries written (`watched`)
        self._written_deps: dict[str, str] = {}
        self._written_trees: dict[str, str] = {}

    @classmethod
    def for_settings(cls, directory: str | os.PathLike[str], settings: Any) -> ResultCache:
        cache = cls(directory, run_key(settings))
        with contextlib.suppress(OSError):
            os.utime(cache.root)  # used now: pruning keeps the recently used runs
        return cache

    # --------------------------------------------------------------- keys
    def _state(self, path: str) -> str:
        state = self._states.get(path)
        if state is None:
            state = self._states[path] = file_state(path)
        return state

    def key_for(self, inp: Any) -> str | None:
        """The entry name for an input; None when it cannot be cached (a discovery error
        or a path that is not a regular file, reported afresh each time)."""
        if inp.error:
            self.unkeyed += 1
            return None
        where = os.path.abspath(inp.path)  # side files are found from here
        if inp.kind == "module":
            try:
                names = sorted(os.listdir(inp.path))
            except OSError:
                self.unkeyed += 1
                return None
            content = "\0".join(names).encode("utf-8", "surrogateescape")
        else:
            state = self._state(where)
            if state == "absent" or state.startswith("unreadable"):
                self.unkeyed += 1
                return None
            content = state.encode()
        return digest(inp.path.encode("utf-8", "surrogateescape"),
                       where.encode("utf-8", "surrogateescape"),
                       f"{inp.kind} {int(bool(inp.scanned))}".encode(), content)

    def watched(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """What this run's results were checked against or written with, the inputs and
        their dependencies (what a replay of the run checks, `advisor.batch.replay`):
        file -> state taken here before any analysis read it; file -> state a worker
        took after its analysis read it (entries written); folder -> tree state."""
        return dict(self._states), dict(self._written_deps), \
            {**self._written_trees, **self._trees}

    def _entry_path(self, key: str) -> str:
        return os.path.join(self._root_text, key[:2], key)

    # --------------------------------------------------------------- read
    def check(self, key: str) -> str | None:
        """The status of a usable entry (it exists and every dependency is unchanged),
        else None. Only the entry's header is read."""
        try:
            with open(self._entry_path(key), "rb") as handle:
                magic = handle.readline()
                line = handle.readline(HEADER_LIMIT)
            if magic != MAGIC or not line.endswith(b"\n"):
                raise ValueError("not a cache entry")
            header = _loads(line)
            status, deps, tree = header["status"], header["deps"], header.get("tree")
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        if any(self._state(path) != state for path, state in deps) or (
                tree and self._tree(tree[0]) != tree[1]):
            self.misses += 1
            return None
        self.hits += 1
        self._stamps[key] = digest(line)
        return str(status)

    def load(self, key: str) -> CachedResult | None:
        """The result of an entry `check` accepted (None if it vanished since)."""
        try:
            return decode_entry(read_bytes(self._entry_path(key), ENTRY_LIMIT))[1]
        except (NotReadable, ValueError, KeyError, TypeError):
            return None

    def part(self, key: str, tag: str) -> bytes | None:
        """A writer's part of an entry `check` accepted (`unit.part_tags` names them: a
        text section at one width, a SARIF part for one working directory), or None.

        Parts are kept beside the entry, each stamped with the digest of the entry's
        header it was made from: when the entry is written again (a dependency
        changed), the old parts no longer match and are made afresh."""
        stamp = self._stamps.get(key)
        if stamp is None:
            return None
        try:
            data = read_bytes(self._part_path(key, tag), ENTRY_LIMIT)
        except NotReadable:
            return None
        head = PART_MAGIC + stamp.encode() + b"\n"
        return data[len(head):] if data.startswith(head) else None

    def put_part(self, key: str, tag: str, data: bytes, entry: bytes | None = None) -> None:
        """Keep a part beside the entry it was made from: `entry` when it was just
        written, else the one `check` accepted."""
        if entry is not None:
            end = entry.find(b"\n", len(MAGIC))
            stamp = digest(entry[len(MAGIC):end + 1]) if end >= 0 else None
        else:
            stamp = self._stamps.get(key)
        if stamp is None or not self.writable:
            return
        try:
            from advisor.usercache import write_atomic

            write_atomic(Path(self._part_path(key, tag)),
                         PART_MAGIC + stamp.encode() + b"\n" + data)
        except OSError:
            self.writable = False

    def _part_path(self, key: str, tag: str) -> str:
        return f"{self._entry_path(key)}.{digest(tag.encode('utf-8', 'surrogateescape'))[:16]}"

    def _tree(self, folder: str) -> str:
        state = self._trees.get(folder)
        if state is None:
            state = self._trees[folder] = tree_state(folder)
        return state

    # --------------------------------------------------------------- write
    def put(self, key: str, entry: bytes) -> None:
        """Store an entry atomically; a cache that cannot be written is left alone."""
        if not self.writable:
            return
        if self.watch:
            self._note_written(entry)
        target = Path(self._entry_path(key))
        try:
            self._prepare(target.parent)
            from advisor.usercache import write_atomic

            write_atomic(target, entry)
        except OSError:
            self.writable = False  # read-only checkout, full disk: run on without it

    def _note_written(self, entry: bytes) -> None:
        end = entry.find(b"\n", len(MAGIC))
        header = _loads(entry[len(MAGIC):end])
        self._written_deps.update((path, state) for path, state in header["deps"])
        if header.get("tree"):
            self._written_trees[header["tree"][0]] = header["tree"][1]

    def _prepare(self, folder: Path) -> None:
        if folder.is_dir():
            return
        new_run = not self.root.exists()
        folder.mkdir(parents=True, exist_ok=True)
        _write_if_missing(self.directory / ".gitignore", GITIGNORE)
        _write_if_missing(self.directory / "CACHEDIR.TAG", CACHEDIR_TAG)
        if new_run:
            self._prune()

    def _prune(self) -> None:
        """Keep the KEEP_RUNS most recently used run directories (a configuration or a
        version not used for a while is dropped)."""
        import shutil

        try:
            runs = sorted((p for p in self.root.parent.iterdir() if p.is_dir()),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in runs[KEEP_RUNS:]:
            if old != self.root:
                shutil.rmtree(old, ignore_errors=True)


def _write_if_missing(path: Path, text: str) -> None:
    with contextlib.suppress(FileExistsError), open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


def default_directory(config_path: str | None) -> Path:
    """Beside the configuration file when there is one (the project root), else here."""
    if config_path:
        return Path(config_path).resolve().parent / CACHE_DIR_NAME
    return Path.cwd() / CACHE_DIR_NAME


__all__ = ["CACHE_DIR_NAME", "CachedResult", "LightResult", "ResultCache", "decode_entry",
           "default_directory", "encode_entry", "entry_fragment", "file_state",
           "light_result", "run_key", "summary_only", "tree_state"]
