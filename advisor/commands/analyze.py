"""`advisor analyze PATH...`: batch analysis for people and for CI.

Every input gets its result, in input order, whatever happened to the others (see
advisor/batch/ for discovery, the worker pool, Dask and the result cache). Settings come
from the nearest config file (advisor/config.py) and are overridden by flags. Results
come from the cache (`.archadvisor_cache/`) when the input and everything it depends on
are unchanged. `--format jsonl` writes each result as soon as it and all before it are
done, so a batch of any size holds only small summaries. Exit codes
(advisor.errors.ExitCode), worst wins:

    0  clean: no finding at or above --fail-on
    1  findings at or above --fail-on
    2  input errors: a file could not be read, parsed or analysed in time (wins over 1)
    3  internal error: a bug (an unexpected exception or a worker that died)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from advisor.commands.inputs import discover_inputs
from advisor.commands.options import split_values
from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, ExitCode
from advisor.report import FORMATS
from advisor.vocabulary import SEVERITIES, at_or_above

# jsonl streams one result per line: a format of `analyze` only (advisor.report.jsonout)
ANALYZE_FORMATS = tuple(dict.fromkeys((*FORMATS, "jsonl")))


def _fail(diags: AdvisorError) -> None:
    click.echo(diags.render(), err=True)
    sys.exit(ExitCode.INPUT)


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--format", "fmt", type=click.Choice(ANALYZE_FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to FILE instead of standard output.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Worker processes (default: the number of cores; 1 runs in-process).")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Lowest finding severity that makes the exit code 1 [default: error].")
@click.option("--select", multiple=True, metavar="RULE,...",
              help="Only these rules (id or id prefix); repeatable.")
@click.option("--ignore", multiple=True, metavar="RULE,...",
              help="Skip these rules (id or id prefix); repeatable.")
@click.option("--patterns", "pattern_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Extra pattern pack directory; repeatable.")
@click.option("--apply", "apply_", type=click.Choice(["default", "all", "none"]),
              help="Which rewrites make the 'after' architecture [default: default].")
@click.option("--requests", "requests_text", metavar="RATE",
              help="Entry traffic for every input, e.g. 10M/month or 50/s.")
@click.option("--region", help="Pricing region [default: us-east-1].")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip paths matching this .gitignore-style pattern; repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Per-file time limit [default: 60].")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Hide the findings recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Record the current findings as the baseline in FILE.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: the nearest .archadvisor.yaml or pyproject.toml "
                   "with [tool.archadvisor]).")
@click.option("--no-estimates", is_flag=True, help="Skip cost and latency estimates.")
@click.option("--system/--no-system", "system", default=None,
              help="Analyze the CloudFormation/SAM templates found as one system: "
                   "exports, SSM parameters and nested stacks linked across stacks "
                   "[default: off, or the config's `system`]. A CDK cdk.out is always "
                   "one system.")
@click.option("--usage-file", type=click.Path(dir_okay=False),
              help="Infracost-format usage file (default: the config's usage-file, else the "
                   "nearest infracost-usage.yml).")
@click.option("--hook", is_flag=True,
              help="pre-commit mode: skip named files that are not architecture inputs, "
                   "apply excludes to them, analyse a .tf file as its module directory.")
@click.option("--show-blocked", is_flag=True,
              help="Also list what a rule would have flagged but for a reason (a REST API "
                   "using a REST-only feature, a function whose size counts against glue): "
                   "`blocked by: ...`.")
@click.option("--memory-limit", type=click.IntRange(min=0), default=None, hidden=True,
              help="Address-space cap per worker in MB (0: none) [default: 2048].")
@click.option("--stdin-filename", metavar="NAME",
              help="With PATH '-' (standard input): the name results and findings use; "
                   "its suffix decides the format where the content does not (.tf).")
@click.option("--no-cache", is_flag=True,
              help="Analyse every input afresh; do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Result cache directory [default: .archadvisor_cache beside the config "
                   "file, else in the working directory].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="Where files are analysed: this machine's worker processes, or Dask "
                   "(dask.distributed) workers.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler to use with --executor dask, e.g. tcp://10.0.0.5:8786 "
                   "[default: a LocalCluster of --jobs workers].")
@terraform_variables
def analyze_cmd(paths: tuple[str, ...], fmt: str, output: str | None, jobs: int | None,
                fail_on: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
                pattern_dirs: tuple[str, ...], apply_: str | None, requests_text: str | None,
                region: str | None, exclude: tuple[str, ...], timeout: float | None,
                baseline: str | None, write_baseline: str | None, config_path: str | None,
                no_estimates: bool, system: bool | None, usage_file: str | None, hook: bool,
                memory_limit: int | None, stdin_filename: str | None, no_cache: bool,
                cache_dir: str | None, executor: str,
                scheduler: str | None, show_blocked: bool = False,
                var_files: tuple[str, ...] = (), tf_vars: tuple[str, ...] = ()) -> None:
    """Analyse architectures: .arch files, CloudFormation/SAM templates, Terraform modules.

    PATH may be a file, a directory (searched recursively; .gitignore and
    .archadvisorignore files are honoured) or a glob. Every YAML/JSON file a directory
    holds gets a result line: analysed, an error, or skipped (not a template). Exit codes:
    0 clean, 1 findings at or above --fail-on, 2 input errors, 3 internal error.
    """
    from advisor import batch
    from advisor.config import discover_config, parse_rate
    from advisor.pipeline import Options, Report

    try:
        cfg = discover_config(config_path)
    except AdvisorError as exc:
        _fail(exc)
    requests = None
    if requests_text:
        try:
            requests = parse_rate(requests_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--requests") from None
    usage = None
    if not no_estimates:
        from advisor.estimate.usagefile import discover_usage_file

        try:
            usage = discover_usage_file(usage_file, cfg.usage_file)
        except AdvisorError as exc:
            _fail(exc)
    options = Options(
        select=split_values(select) or cfg.select,
        ignore=split_values(ignore) or cfg.ignore,
        pattern_dirs=tuple(str(Path(d).resolve()) for d in pattern_dirs) or cfg.patterns,
        apply=apply_ or cfg.apply or "default",
        region=region or cfg.region or "us-east-1",
        requests=requests,
        estimates=not no_estimates,
        usage_file=usage,
        tf_var_files=tuple(var_files),
        tf_vars=tuple(tf_vars),
    )
    settings = batch.Settings(
        options=options,
        workload_defaults=cfg.workload_defaults,
        timeout=timeout or cfg.timeout or 60.0,
        memory_mb=2048 if memory_limit is None else memory_limit,
    )
    threshold = fail_on or cfg.fail_on or "error"
    baseline = baseline or cfg.baseline
    if options.pattern_dirs or options.select or options.ignore:
        _check_patterns(options)
    if executor == "dask":
        _check_dask()

    if "-" in paths and paths != ("-",):
        raise click.UsageError("'-' (standard input) is analysed alone, not with other paths")
    stdin = paths == ("-",)
    inputs = [] if stdin else discover_inputs(paths, tuple(cfg.exclude) + split_values(exclude),
                                              hook)
    if not inputs and not stdin:
        click.echo("advisor: no architecture inputs found in the given paths", err=True)
    as_system = (cfg.system if system is None else system) and not stdin
    cache = None
    # a cached result holds what the default report shows; blocked findings are made
    # afresh when asked for
    use_cache = not no_cache and (cfg.cache is None or cfg.cache) and not stdin \
        and not show_blocked
    if use_cache and inputs:
        from advisor.batch.cache import ResultCache, default_directory

        where = cache_dir or cfg.cache_dir or default_directory(cfg.path)
        cache = ResultCache.for_settings(where, settings)
    _watch(cache, settings, paths, repeatable=not (write_baseline or as_system
                                                    or executor == "dask"),
           read=[p for p in (cfg.path, usage, baseline, *var_files) if p], output=output)
    # workers (and the result cache) hand over each result's part of the text report or
    # of the SARIF log, so this process reads plain data and puts the parts together:
    # not where something after them changes a result (a baseline hides findings, a
    # system joins templates), nor on Dask (its workers' working directory, which SARIF
    # paths are relative to, is not this one)
    parts = executor != "dask" and not (baseline or write_baseline or as_system or stdin)
    if fmt == "text" and parts:
        # each worker writes its files' sections of the report at this process's width
        # and colour
        from dataclasses import replace

        from advisor.report.text import layout

        settings = replace(settings, text_layout=(
            *layout(color=None if output is None else False), bool(show_blocked)))
    if fmt == "sarif" and parts:
        from dataclasses import replace

        settings = replace(settings, sarif_parts=True)
    # the JSON formats read cached results as plain data and their JSON, and so do text
    # and SARIF made of parts; every other writer, a baseline and the blocked findings'
    # count need the result objects
    full = not (fmt in ("json", "jsonl") or (parts and fmt in ("text", "sarif"))) \
        or bool(baseline or write_baseline) or as_system or show_blocked
    if stdin:
        full = True
        stream: Iterator[Any] = iter([_stdin_outcome(stdin_filename or "<stdin>", settings)])
    else:
        stream = _run_all(inputs, settings, jobs or cfg.jobs or batch.default_jobs(),
                          as_system, paths, cache=cache, executor=executor,
                          scheduler=scheduler, materialize=full)
    if fmt == "jsonl" and not write_baseline:
        outcomes, report, hidden = _stream_lines(stream, output, baseline, show_blocked)
        _exit(outcomes, report, threshold)
    outcomes = list(stream)
    report = Report(results=[o.result for o in outcomes], show_blocked=show_blocked)
    hidden = _baselines(report, baseline, write_baseline)
    fragments = None if full else [o.fragment for o in outcomes]
    if fmt == "json":  # bytes straight to the output: a large report is not copied twice
        from advisor.report.jsonout import report_bytes

        with _binary_output(output) as out:
            out.write(report_bytes(report, fragments))
        _exit(outcomes, report, threshold)
    text = _render(report, fmt, threshold, color=None if output is None else False,
                   fragments=fragments,
                   sections=[o.text for o in outcomes] if settings.text_layout else None,
                   sarif_parts=[o.sarif for o in outcomes] if settings.sarif_parts else None)
    if fmt == "text":
        text += _summary_table(report, outcomes, hidden, color=output is None)
    if output:
        Path(output).write_text(text if text.endswith("\n") else text + "\n", "utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    _exit(outcomes, report, threshold)


def _watch(cache: Any, settings: Any, paths: tuple[str, ...], repeatable: bool,
           read: list[str], output: str | None) -> None:
    """Tell the replay recorder (advisor.batch.replay) whether this run can be replayed:
    its results come through the result cache (`read`: the files its settings came
    from; `output`: the -o file its report goes to)."""
    from advisor.batch import replay

    recorder = replay.current()
    if recorder is None:
        return
    if cache is None or not repeatable:
        recorder.decline()
        return
    from advisor.batch.cache import content_roots

    recorder.accept(cache, content_roots(settings), list(paths), read, output)


def _exit(outcomes: list[Any], report: Any, threshold: str) -> None:
    """Exit with the run's code, once its report is written (the replay recorder learns
    whether every result was cacheable)."""
    from advisor import batch
    from advisor.batch import replay

    recorder = replay.current()
    if recorder is not None:
        recorder.complete(all(o.status in batch.CACHEABLE for o in outcomes))
    sys.exit(exit_code(outcomes, report, threshold))


def _run_all(inputs: list[Any], settings: Any, jobs: int, as_system: bool,
             paths: tuple[str, ...], **kwargs: Any) -> Iterator[Any]:
    """Per-input results; with `as_system`, the CloudFormation/SAM templates among the
    inputs are one system (one result, placed where its first template was)."""
    from advisor import batch

    members = [i for i in inputs if as_system and _is_template(i)]
    if not members:
        yield from _run(inputs, settings, jobs, **kwargs)
        return
    from dataclasses import replace

    from advisor.pipeline import analyze_system

    rest = [i for i in inputs if i not in members]
    done = iter(_run(rest, settings, jobs, **kwargs)) if rest else iter(())
    options = replace(settings.options, workload_defaults=dict(settings.workload_defaults))
    source = paths[0] if len(paths) == 1 and os.path.isdir(paths[0]) else None
    system = [batch.Outcome(r, batch.STATUS_INPUT if r.errors else batch.STATUS_OK)
              for r in analyze_system([m.path for m in members], options, source=source)]
    for item in inputs:
        if item is members[0]:
            yield from system
        elif item not in members:
            yield next(done)


def _stdin_outcome(name: str, settings: Any) -> Any:
    """`advisor analyze -`: standard input as one input named `name` (read in this
    process, bounded like a file; never a hang on an empty pipe: EOF ends it)."""
    from dataclasses import replace

    from advisor import batch
    from advisor.importers import MAX_BYTES
    from advisor.importers.reading import decode
    from advisor.pipeline import FileResult, analyze_source

    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        result = batch.error_result(name, f"standard input is larger than "
                                    f"{MAX_BYTES // (1024 * 1024)} MB", "give the file itself")
        return batch.Outcome(result, batch.STATUS_INPUT)
    options = replace(settings.options, workload_defaults=dict(settings.workload_defaults))
    try:
        result = analyze_source(name, options, text=decode(data, name))
    except AdvisorError as exc:
        result = FileResult(source=name, errors=list(exc.diagnostics))
    return batch.Outcome(result, batch.STATUS_INPUT if result.errors else batch.STATUS_OK)


def _is_template(item: Any) -> bool:
    """A CloudFormation/SAM template, by content (a file that cannot be read is not: it
    gets its own error result from the batch)."""
    from advisor import batch
    from advisor.importers import MAX_BYTES, detect_format
    from advisor.importers.reading import read_text

    if item.error is not None or item.kind != "file" \
            or not item.path.lower().endswith(batch.TEMPLATE_SUFFIXES):
        return False
    try:
        return detect_format(read_text(item.path, MAX_BYTES), item.path) == "cloudformation"
    except AdvisorError:
        return False


def _stream_lines(stream: Iterator[Any], output: str | None, baseline: str | None,
                  show_blocked: bool = False) -> tuple[list[Any], Any, int]:
    """`--format jsonl`: write each result as it comes; keep only what the summary line
    and the exit code read (`cache.summary_only`)."""
    from advisor.baseline import apply_baseline, load_baseline
    from advisor.batch.cache import summary_only
    from advisor.pipeline import Report
    from advisor.report.jsonout import encode_result, result_line, summary_line

    accepted = None
    if baseline:
        try:
            accepted = load_baseline(baseline)
        except AdvisorError as exc:
            _fail(exc)
    hidden = 0
    kept: list[Any] = []
    with _binary_output(output) as out:
        for outcome in stream:
            result, fragment = outcome.result, outcome.fragment
            if accepted is not None:
                hidden += apply_baseline(Report(results=[result]), accepted,
                                         Path(baseline or ".").resolve().parent)
                fragment = None
            if fragment is None:
                fragment = encode_result(result, show_blocked)
            out.write(result_line(fragment))
            out.flush()
            outcome.result = summary_only(result)  # what the summary and exit code read
            outcome.fragment = None
            kept.append(outcome)
        report = Report(results=[o.result for o in kept], show_blocked=show_blocked)
        out.write(summary_line(report))
    if baseline:
        click.echo(f"advisor: {hidden} finding(s) hidden by the baseline {baseline}", err=True)
    return kept, report, hidden


@contextlib.contextmanager
def _binary_output(output: str | None) -> Iterator[Any]:
    """Standard output or the -o file, as bytes."""
    if not output:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    with open(output, "wb") as handle:
        yield handle


def _check_dask() -> None:
    """`--executor dask` without dask installed: say how to install it, once."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        click.echo("advisor: --executor dask needs dask.distributed, which is not installed",
                   err=True)
        click.echo("hint: pip install 'archadvisor[dask]'", err=True)
        sys.exit(ExitCode.INPUT)


def _check_patterns(options: Any) -> None:
    """A broken pattern pack is one error up front, not the same error on every file."""
    from advisor.pipeline import engine_for

    try:
        engine_for(options)
    except AdvisorError as exc:
        _fail(exc)


def _run(inputs: list[Any], settings: Any, jobs: int, **kwargs: Any) -> Iterator[Any]:
    """The batch's outcomes in input order, with a progress bar on stderr only when it is
    a terminal."""
    from advisor import batch

    if not (sys.stderr.isatty() and len(inputs) > 1):
        yield from batch.run_iter(inputs, settings, jobs=jobs, **kwargs)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("analysing"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[last]}"),
                  console=Console(stderr=True), transient=True,
                  auto_refresh=False) as bar:  # no refresh thread: workers may be forked
        task = bar.add_task("analyse", total=len(inputs), last="")

        def tick(index: int, outcome: Any) -> None:
            bar.update(task, advance=1, last=inputs[index].path[-50:])
            bar.refresh()

        yield from batch.run_iter(inputs, settings, jobs=jobs, progress=tick, **kwargs)


def _baselines(report: Any, baseline: str | None, write_to: str | None) -> int:
    """Write and/or apply baselines; returns how many findings were hidden."""
    if not (baseline or write_to):
        return 0
    from advisor.baseline import apply_baseline, load_baseline, write_baseline

    hidden = 0
    if write_to:
        count = write_baseline(report, write_to)
        click.echo(f"advisor: wrote {count} finding(s) to the baseline {write_to}", err=True)
        try:
            hidden += apply_baseline(report, load_baseline(write_to),
                                     Path(write_to).resolve().parent)
        except AdvisorError as exc:
            _fail(exc)
    if baseline:
        try:
            accepted = load_baseline(baseline)
        except AdvisorError as exc:
            _fail(exc)
        hidden += apply_baseline(report, accepted, Path(baseline).resolve().parent)
        click.echo(f"advisor: {hidden} finding(s) hidden by the baseline {baseline}", err=True)
    return hidden


def _render(report: Any, fmt: str, threshold: str, color: bool | None,
            fragments: list[bytes | None] | None = None,
            sections: list[str | None] | None = None,
            sarif_parts: list[bytes | None] | None = None) -> str:
    """The report in `fmt` (advisor.report; jsonl from its JSON writer)."""
    from advisor.report import jsonout, write

    if fmt in ("json", "jsonl"):
        writer = jsonout.write if fmt == "json" else jsonout.write_lines
        return writer(report, fragments=fragments)
    opts: dict[str, Any] = {}
    if fmt == "text":
        opts["color"] = color
        opts["sections"] = sections
    elif fmt == "sarif":
        opts["parts"] = sarif_parts
    elif fmt == "junit":
        opts["fail_on"] = threshold
    return write(report, fmt, **opts)


def _summary_table(report: Any, outcomes: list[Any], hidden: int, color: bool) -> str:
    """Files, errors, findings by severity and pillar, total cost change: one table."""
    from advisor import batch
    from advisor.report.textlayout import Column, Page, Table, text

    s = report.summary()
    statuses = Counter(o.status for o in outcomes)
    table = Table([Column("what"), Column("count", justify="right")], [],
                  title=text("Summary", "italic"), header=False, edges=True)
    table.add_row("files", str(s["files"]))
    table.add_row("files with errors", str(s["errors"]))
    if s.get("skipped"):
        table.add_row("skipped (not templates, not regular files)", str(s["skipped"]))
    for status, label in ((batch.STATUS_TIMEOUT, "  of which timed out"),
                          (batch.STATUS_CRASH, "  of which crashed a worker"),
                          (batch.STATUS_INTERNAL, "  of which hit an internal error")):
        if statuses.get(status):
            table.add_row(label, str(statuses[status]))
    table.add_row("findings", str(s["findings"]))
    for sev in SEVERITIES:
        table.add_row(f"  {sev}", str(s["by_severity"].get(sev, 0)))
    for pillar, n in sorted(s.get("by_pillar", {}).items()):
        table.add_row(f"  {pillar}", str(n))
    if hidden:
        table.add_row("hidden by baseline", str(hidden))
    if any(r.before_estimate is not None for r in report.results):
        delta = s.get("cost_delta_usd_month", 0.0) or 0.0
        table.add_row("cost change (USD/month)", f"{delta:+,.2f}")
    from advisor.report.text import layout

    page = Page(*layout(color=None if color else False))  # as the report above it
    page.table(table)
    return page.getvalue()


def exit_code(outcomes: list[Any], report: Any, threshold: str) -> int:
    """Worst wins: internal error 3 > input error 2 > findings at/above threshold 1 > 0."""
    from advisor import batch

    if any(o.status in (batch.STATUS_INTERNAL, batch.STATUS_CRASH) for o in outcomes):
        return ExitCode.INTERNAL
    if any(r.errors for r in report.results):
        return ExitCode.INPUT
    for r in report.results:
        if any(at_or_above(f.severity, threshold) for f in r.findings):
            return ExitCode.FINDINGS
    return ExitCode.CLEAN


def register(group: click.Group) -> None:
    group.add_command(analyze_cmd)
