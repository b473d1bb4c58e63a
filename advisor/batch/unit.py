"""One input end to end, wherever it runs (this process, a pool worker, a Dask worker).

`analyze_task` never raises: whatever happens to the input becomes a `FileResult` with a
status. Before the pipeline (`advisor.pipeline.analyze_source`, the per-file unit of the
whole tool) it settles what the pipeline should not have to:

- a path that is not a regular file is not opened: a FIFO, a socket or a device is
  *skipped* with the reason; a broken link or a link loop is an input error;
- a YAML/JSON file found by a walk (`Input.scanned`) that is not a template by content is
  *skipped* ("not a template"), or an input error when it does not even parse
  (`sniff.py`).

When the run keeps a result cache, the worker also encodes what the cache stores
(`cache.encode_entry`), so the main process only writes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.errors import AdvisorError, Diagnostic
from advisor.pipeline import FileResult, Options

STATUS_OK = "ok"
STATUS_SKIPPED = "skipped"  # looked at, not analysed: not a template, not a regular file
STATUS_INPUT = "input-error"  # the file could not be read, parsed or analysed
STATUS_TIMEOUT = "timeout"
STATUS_CRASH = "crashed"  # the worker process died while running this file
STATUS_INTERNAL = "internal-error"  # a bug: an unexpected exception
# Results worth keeping in the cache: the same input gives them again. A timeout, a
# crash or an internal error may not happen next time.
CACHEABLE = (STATUS_OK, STATUS_SKIPPED, STATUS_INPUT)


@dataclass
class Task:
    """What a worker needs for one input (small and picklable)."""

    index: int
    path: str
    error: str | None = None
    kind: str = "file"  # "file" | "module"
    scanned: bool = False  # found by a walk: a data file that is no template is skipped


@dataclass
class Outcome:
    """One input's result plus how its analysis ended (see the STATUS_* values).

    `entry` is the result encoded for the cache (`cache.encode_entry`), when the run keeps
    one; `fragment` its JSON (`jsonout.encode_result`), so the JSON writer need not
    encode it again (not made for a run whose report is text or SARIF parts, unless the
    cache entry holds it); `result` is a `cache.CachedResult` when it came from the cache.
    """

    result: Any  # FileResult | cache.CachedResult
    status: str = STATUS_OK
    seconds: float = 0.0
    entry: bytes | None = None
    cached: bool = False
    fragment: bytes | None = None
    text: str | None = None  # the result's section of the text report (`Settings.text_layout`)
    sarif: bytes | None = None  # the result's part of the SARIF log (`Settings.sarif_parts`)


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
    encode_for_cache: bool = False  # workers encode each result for the result cache
    # workers send back only the result's JSON and its plain-data summary (enough for the
    # JSON formats): nothing to unpickle or encode in the main process
    light_results: bool = False
    # (width, colour, show blocked): workers also write each result's section of the text
    # report (`report.text.section`), so the main process only puts them together
    text_layout: tuple[int, bool, bool] | None = None
    # workers also make each result's part of the SARIF log (`report.sarif.part`)
    sarif_parts: bool = False


class Timeout(BaseException):
    """Raised by SIGALRM in-process; a BaseException so library code cannot swallow it."""


def error_result(path: str, message: str, suggestion: str | None = None,
                 fmt: str = "unknown") -> FileResult:
    """A FileResult that only carries one error at the start of the file."""
    return FileResult(source=path, format=fmt,
                      errors=[Diagnostic(path, 1, 1, message, suggestion)])


def timeout_result(path: str, timeout: float | None) -> FileResult:
    return error_result(path, f"analysis timed out after {timeout:g} s",
                        "raise --timeout, or check the input is not pathological")


def skipped_result(path: str, why: str) -> FileResult:
    return FileResult(source=path, skipped=why)


def analyze_task(task: Task, settings: Settings) -> Outcome:
    """Analyse one input; every failure becomes an error result with a status.

    The cyclic garbage collector is paused for the whole task: an analysis keeps what it
    builds until its result is made (a 60,000-resource template: tens of millions of
    objects), and each automatic collection on the way would scan all of it again (a
    third of such a run's time); what the analysis lets go meanwhile is freed by
    reference counting (`overlay.drop_views`), the rest by the first collection after."""
    from advisor.gcpause import paused

    with paused():
        return _analyze_task(task, settings)


def _analyze_task(task: Task, settings: Settings) -> Outcome:
    start = time.perf_counter()
    if task.error:
        return Outcome(error_result(task.path, task.error), STATUS_INPUT)
    reads: list[str] = []
    try:
        if settings.analyzer is not None:
            result = settings.analyzer(task.path, settings)
        else:
            result, reads = _analyze(task, settings)
        status = (STATUS_SKIPPED if getattr(result, "skipped", None)
                  else STATUS_INPUT if result.errors else STATUS_OK)
    except MemoryError:
        result = error_result(task.path, "analysis ran out of memory",
                              "the input is far larger or more deeply nested than a real "
                              "template; check it is the file you meant")
        status = STATUS_INPUT
    except RecursionError:
        result = error_result(task.path, "input is too deeply nested to analyse",
                              "flatten the structure; real templates nest a few levels")
        status = STATUS_INPUT
    except Timeout:
        result = timeout_result(task.path, settings.timeout)
        status = STATUS_TIMEOUT
    except Exception as exc:  # a bug in the library: say so, keep going
        import traceback

        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        result = error_result(
            task.path, f"internal error: {type(exc).__name__}: {exc}{where}",
            "this is a bug in archadvisor; please report it with this input")
        status = STATUS_INTERNAL
    result = detach(result)
    for arch in (getattr(result, "before", None), getattr(result, "after", None)):
        if arch is not None:
            from advisor.overlay import drop_views

            drop_views(arch)  # no cycle: freed with the result, not by a collection
    text, sarif = render_parts(result, settings)
    entry = fragment = None
    if settings.encode_for_cache and status in CACHEABLE:
        from advisor.batch import cache

        with contextlib.suppress(Exception):  # a result that cannot be stored is not cached
            entry = cache.encode_entry(task, result, status, reads)
    wanted_parts = (settings.text_layout is None or text is not None) and (
        not settings.sarif_parts or sarif is not None)
    if settings.light_results and wanted_parts:  # else the main process writes them
        from advisor.batch.cache import entry_fragment, light_result

        if entry is not None:
            fragment = entry_fragment(entry)
        elif settings.text_layout is None and not settings.sarif_parts:
            # only the JSON formats read a result's JSON: a report put together from
            # text or SARIF parts has no use for it (a tenth of a text part's cost)
            from advisor.report.jsonout import encode_result

            fragment = encode_result(result)
        result = light_result(result)
    return Outcome(result, status, time.perf_counter() - start, entry, fragment=fragment,
                   text=text, sarif=sarif)


def render_parts(result: Any, settings: Settings) -> tuple[str | None, bytes | None]:
    """The result's section of the text report and its part of the SARIF log, as far as
    `settings` asks for them (None where one cannot be made: the main process then
    writes it from the full result)."""
    text = sarif = None
    if settings.text_layout is not None:
        from advisor.report.text import section as text_section

        with contextlib.suppress(Exception):
            text = text_section(result, *settings.text_layout)
    if settings.sarif_parts:
        from advisor.pipeline import BuiltinRuleDocs
        from advisor.report import sarif as sarif_writer

        with contextlib.suppress(Exception):
            sarif = sarif_writer.encode_part(sarif_writer.part(result, BuiltinRuleDocs()))
    return text, sarif


def part_tags(settings: Settings) -> dict[str, str]:
    """Names for the parts `settings` asks for, under which the result cache keeps them
    beside an entry: each names what the part depends on besides the result (the text
    layout; the working directory, which SARIF paths are made relative to)."""
    tags = {}
    if settings.text_layout is not None:
        width, color, blocked = settings.text_layout
        tags["text"] = f"text-{width}-{int(color)}-{int(blocked)}"
    if settings.sarif_parts:
        tags["sarif"] = f"sarif {os.getcwd()}"
    return tags


def _analyze(task: Task, settings: Settings) -> tuple[FileResult, list[str]]:
    """The checks before the pipeline, then `pipeline.analyze_source` with the
    configuration's default workload; also the files the importers asked to read."""
    from advisor import pipeline
    from advisor.importers.reading import logging_reads

    options = settings.options
    if settings.workload_defaults:
        options = replace(options, workload_defaults=dict(settings.workload_defaults))
    with logging_reads() as reads:  # the collector is paused around it (`analyze_task`)
        if task.kind == "module":
            return pipeline.analyze_source(task.path, options), reads
        unusable = _not_a_file(task.path, named=not task.scanned)
        if unusable is not None:
            return unusable, reads
        if not task.scanned:
            return pipeline.analyze_source(task.path, options), reads
        return _scanned(task.path, options), reads


def _not_a_file(path: str, named: bool = False) -> FileResult | None:
    """A skipped or error result for a path that is not a regular file (never opened).

    Found by a walk, a FIFO or a device is skipped (said on its result line); named on
    the command line (`advisor analyze <(...)`) it is an input error, so a CI job that
    meant to analyse something never passes on having analysed nothing."""
    from advisor.importers.reading import file_type

    try:
        st = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            why = "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"
            return error_result(path, why, "fix or remove the link")
        return error_result(path, f"cannot read: {exc.strerror or exc}",
                            "check the path and permissions")
    if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
        return None
    why = f"not a regular file ({file_type(st.st_mode)})"
    if named:
        return error_result(path, why, "only regular files are read; to analyse text from "
                            "a pipe, give it on standard input: `advisor analyze -`")
    return skipped_result(path, why)


def _scanned(path: str, options: Options) -> FileResult:
    """A data file a walk found: a template is analysed; anything else is skipped, or an
    input error when it does not parse."""
    from advisor import pipeline
    from advisor.batch.sniff import not_a_template
    from advisor.importers import MAX_BYTES, detect_format, guess_format
    from advisor.importers.reading import read_text

    try:
        text = read_text(path, MAX_BYTES)
        if detect_format(text, path) != "dsl":  # CloudFormation (or Terraform) by content
            return pipeline.analyze_source(path, options, text=text)
        return skipped_result(path, not_a_template(path, text))
    except AdvisorError as exc:
        return FileResult(source=path, format=guess_format(path), errors=list(exc.diagnostics))


def detach(result: Any) -> Any:
    """Drop what cannot cross a process boundary: alternatives' lazy rewrite closures.

    Writers read an alternative's title and deltas, never its `after` graph.
    """
    for finding in getattr(result, "findings", ()) or ():
        for alt in getattr(finding, "alternatives", ()) or ():
            if hasattr(alt, "_build"):
                alt._build = None
                alt._after = None
                alt._built = True
    return result


WARM_UP_DESIGN = "architecture \"warm-up\"\nclient c\nlambda f\nsqs q\nc -> f -> q\n"
WARM_UPS = {  # format -> (a name that reads as that format, a small input in it)
    "dsl": ("<warm-up>", WARM_UP_DESIGN),
    "cloudformation": ("<warm-up>.yaml", (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Q:\n    Type: AWS::SQS::Queue\n"
        "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: x\n"
        "      Events:\n        E:\n          Type: SQS\n"
        "          Properties:\n            Queue: !GetAtt Q.Arn\n")),
    "terraform": ("<warm-up>.tf", (
        'resource "aws_sqs_queue" "q" {}\n'
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  runtime = "python3.12"\n  handler = "app.handler"\n}\n'
        'resource "aws_lambda_event_source_mapping" "m" {\n'
        '  event_source_arn = aws_sqs_queue.q.arn\n'
        '  function_name = aws_lambda_function.f.arn\n}\n')),
}


def warm_formats(tasks: Iterable[Task]) -> tuple[str, ...]:
    """The formats a batch's files will be read as, judged by name (a guess is enough:
    a wrong one only leaves a parser to be set up by its first file)."""
    from advisor.cdkpaths import find_assembly
    from advisor.importers import guess_format

    seen = {("cloudformation" if find_assembly(t.path) else "terraform") if t.kind == "module"
            else guess_format(t.path) for t in tasks if not t.error}
    found = tuple(f for f in WARM_UPS if f in seen)
    return found or ("dsl",)


def warm_up(settings: Settings, formats: tuple[str, ...] = ("dsl",)) -> None:
    """Load patterns, prices and the parsers of `formats` once per worker, before the
    first file.

    Every worker pays this once, in parallel, instead of the first file of each worker
    looking slow; only the parsers the batch needs are set up (the DSL's grammar is a
    tenth of a second a CloudFormation batch has no use for). A failure here is ignored,
    as the same failure will be reported for the files themselves.
    """
    from advisor import pipeline

    for fmt in formats:
        path, text = WARM_UPS[fmt]
        with contextlib.suppress(Exception):
            pipeline.analyze_source(path, settings.options, text=text)


__all__ = ["CACHEABLE", "STATUS_CRASH", "STATUS_INPUT", "STATUS_INTERNAL", "STATUS_OK",
           "STATUS_SKIPPED", "STATUS_TIMEOUT", "Outcome", "Settings", "Task", "Timeout",
           "analyze_task", "detach", "error_result", "part_tags", "render_parts",
           "skipped_result", "timeout_result",
           "warm_formats", "warm_up"]
