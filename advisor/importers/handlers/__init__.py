"""Handler inspection (this package): is a Lambda function glue, or does it do real work?

"Glue" means: the function takes the event and makes one AWS SDK call that forwards it
(maybe reshaped) to one service, the case a native integration replaces. The source is
read, never imported or run: Python through `ast`, JavaScript/TypeScript through a small
tokenizer that drops comments and then regular expressions over the code.

The verdict is deliberately conservative (a false "glue" would advise deleting real
work): `glue` only with one forwarding SDK call, no HTTP client, no configuration or
telemetry calls, and little control flow; `logic` when the code shows several calls,
external HTTP, or branching; `unknown` when the code cannot be read. The evidence (the
call found and the service it targets) is kept so a report can show why.

Public API:
    inspect_source(text, language, *, path=None, function=None) -> HandlerReport
    inspect_file(path, function=None) -> HandlerReport
    handler_function(handler) -> the function name a `Handler` setting gives
    find_handler(code_dir, handler, runtime) -> Path | None
    language_of(path_or_runtime) -> "python" | "javascript" | None
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.gcpause import paused
from advisor.importers.handlers import payload
from advisor.importers.handlers.javascript import inspect_js
from advisor.importers.handlers.python import NOT_FOUND, inspect_python
from advisor.importers.handlers.verdict import (
    Evidence,
    HandlerReport,
    SdkCall,
    data,
    decide,
    service_kind,
)
from advisor.importers.reading import read_text

__all__ = ["JS_EXT", "PY_EXT", "HandlerReport", "SdkCall", "find_handler", "handler_function",
           "inspect_file", "inspect_source", "language_of", "not_found_reason", "service_kind"]

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_REMEMBERED = 256  # handler reports kept per process (keyed by a digest, not the text)
_REPORTS: OrderedDict[tuple[object, ...], HandlerReport] = OrderedDict()
PY_EXT = (".py",)
JS_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")

def language_of(hint: str | None) -> str | None:
    """`python` / `javascript` from a file name or a Lambda runtime id."""
    if not hint:
        return None
    h = hint.lower()
    if h.endswith(PY_EXT) or h.startswith("python"):
        return "python"
    if h.endswith(JS_EXT) or h.startswith("nodejs"):
        return "javascript"
    return None


def handler_function(handler: str | None) -> str | None:
    """The function a Lambda `Handler` names: `src/app.lambda_handler` -> `lambda_handler`."""
    if not isinstance(handler, str) or "." not in handler or "${" in handler:
        return None
    return handler.rsplit(".", 1)[1].strip() or None


def not_found_reason(report: HandlerReport) -> str | None:
    """Why nothing was recorded when the handler function is not in its file, else None."""
    return next((r for r in report.reasons if r.startswith(NOT_FOUND)), None)


def inspect_source(text: str, language: str, *, path: str | None = None,
                   extra: list[str] | None = None,
                   function: str | None = None) -> HandlerReport:
    """Classify one handler source (plus sources it imports, given as `extra`). With
    `function` (the name the `Handler` setting gives), the file is judged on that
    function and what it reaches in the file, not on the other handlers it holds.

    A source read before in this process (same text, imports, language and function:
    several templates of a repository, or several functions, pointing at one file) is
    not read again: its report is copied (the last MAX_REMEMBERED are kept)."""
    key = (language, function, _digest(text), tuple(_digest(more) for more in extra or ()))
    known = _REPORTS.get(key)
    if known is None:
        # A syntax tree and its index are thousands of small objects and no cycle the
        # call needs collected: an automatic collection in between would rescan the
        # whole import's objects (the template, the graph) for nothing.
        with paused():
            known = _REPORTS[key] = _inspect(text, language, extra, function)
        while len(_REPORTS) > MAX_REMEMBERED:
            _REPORTS.popitem(last=False)
    else:
        _REPORTS.move_to_end(key)
    return replace(known, calls=list(known.calls), reasons=list(known.reasons),
                   observed=list(known.observed), path=path)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _inspect(text: str, language: str, extra: list[str] | None,
             function: str | None) -> HandlerReport:
    if language == "python":
        report, functions = inspect_python(text, function)
        if not_found_reason(report):
            return report
    else:
        report, functions = inspect_js(text, function)
    inspect = inspect_python if language == "python" else inspect_js
    for more in extra or []:
        other, f2 = inspect(more)
        report.calls = sorted(set(report.calls) | set(other.calls))
        report.http_calls += other.http_calls
        report.decisions += other.decisions
        report.observed = sorted(set(report.observed) | set(_from_imported(other.observed)))
        functions += f2
    if report.verdict == "unknown" and report.reasons:
        return report
    report = decide(report, functions)
    call = report.forwarding_call
    sent = payload.read(language, text, function, call) if call is not None else None
    if sent is not None:  # what it forwards (advisor/importers/handlers/payload.py)
        report.observed = sorted(set(report.observed) | {sent})
    return report


def _from_imported(observed: list[Evidence]) -> list[Evidence]:
    """An imported module's observations, without the handler facts its lines would
    misplace; its batchItemFailures and side effects still count, without a line (the
    handler may return what it builds, and calls what it imports)."""
    kinds = set(data()["handler_facts"])
    out = [e for e in observed if e.kind not in kinds]
    for kind in ("partial-batch", "per-record-call"):
        first = next((e for e in sorted(observed) if e.kind == kind), None)
        if first is not None:
            out.append(Evidence(0, kind, f"{first.detail} in an imported module"))
    return out


def inspect_file(path: str | Path, function: str | None = None) -> HandlerReport:
    """Read a handler file (and local modules it imports) and classify it (the handler
    `function` only, when given: see inspect_source)."""
    p = Path(path)
    language = language_of(p.name) or "python"
    try:
        text = read_text(p, MAX_SOURCE_BYTES, lenient=True)
    except AdvisorError as exc:
        why = exc.diagnostics[0].message if exc.diagnostics else "unreadable"
        return HandlerReport(language, "unknown", reasons=[f"not read: {why}"], path=str(p))
    found, missing = local_imports(p, text, language)
    report = inspect_source(text, language, path=str(p), extra=_read_all(found),
                            function=function)
    if report.verdict == "glue" and missing:
        # what the handler calls in them is not read: its verdict cannot be confirmed
        report = replace(report, verdict="unknown", reasons=[
            *report.reasons, f"imports {', '.join(missing[:3])}, not found beside it: what "
            "it does there was not read"])
    return report


_PY_IMPORT = re.compile(r"^\s*(?:from\s+(\.?)([\w.]*)\s+import\s+([\w, ]+)|import\s+([\w.]+))",
                        re.M)
_JS_IMPORT = re.compile(r"(?:require\(\s*|from\s+|import\s+)['\"](\.{1,2}/[^'\"]+)['\"]")


def local_imports(path: Path, text: str, language: str) -> tuple[list[Path], list[str]]:
    """The sibling modules the handler imports (one level): the files found beside it,
    and the modules it imports by a relative path (`./ddb`, `from .util import x`) that
    are not there (a partial copy, a build step that makes them: what the handler calls
    there is not known). An absolute Python import that is no sibling is a package."""
    found: list[Path] = []
    missing: list[str] = []
    if language == "python":
        for m in _PY_IMPORT.finditer(text):
            dot, mod, names, plain = m.groups()
            mods = [plain] if plain else [mod] if mod else \
                [n.strip() for n in (names or "").split(",")]
            for name in mods:
                first = name.split(".")[0]
                cand = path.parent / f"{first}.py"
                if not first or cand == path:
                    continue
                if cand.is_file():
                    found.append(cand)
                elif dot and not (path.parent / first).is_dir():
                    missing.append(f".{name}" if mod else f".{first}")
    else:
        for m in _JS_IMPORT.finditer(text):
            base = path.parent / m.group(1)
            cand = next((c for c in [Path(str(base) + ext) for ext in ("", *JS_EXT)]
                         + [base / f"index{ext}" for ext in JS_EXT]  # a folder: its index
                         if c.is_file()), None)
            if cand is None:
                missing.append(m.group(1))
            elif cand != path:
                found.append(cand)
    return sorted(set(found)), sorted(set(missing))


def _read_all(paths: list[Path]) -> list[str]:
    """The sources of (at most 10) imported modules, as text."""
    out = []
    for cand in paths[:10]:
        try:
            out.append(read_text(cand, MAX_SOURCE_BYTES, lenient=True))
        except AdvisorError:
            continue
    return out


def find_handler(code_dir: Path, handler: str | None, runtime: str | None,
                 entry_points: list[str] | None = None) -> Path | None:
    """The source file a Lambda `Handler` names inside its code folder.

    `app.lambda_handler` -> app.py / app.js / app.mjs / app.ts (by runtime);
    `src/handlers/app.handler` keeps the folders; esbuild `EntryPoints` win for Node.
    """
    if not code_dir.is_dir():
        return code_dir if code_dir.is_file() else None
    for entry in entry_points or []:
        cand = code_dir / entry
        if cand.is_file():
            return cand
    if not handler or "." not in handler:
        return None
    module = handler.rsplit(".", 1)[0]
    lang = language_of(runtime) if runtime else None
    exts = PY_EXT if lang == "python" else JS_EXT if lang == "javascript" else PY_EXT + JS_EXT
    for base in (code_dir, code_dir / "src"):
        for ext in exts:
            cand = base / f"{module}{ext}"
            if cand.is_file():
                return cand
    if lang == "javascript":
        # a compiled path such as dist/app.handler whose source is app.ts or src/app.ts
        stem = Path(module).name
        for ext in JS_EXT:
            for cand in (code_dir / f"{stem}{ext}", code_dir / "src" / f"{stem}{ext}"):
                if cand.is_file():
                    return cand
    return None
