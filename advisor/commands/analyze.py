"""`advisor analyze PATH...`: batch analysis for people and for CI.

Every input gets its result, in input order, whatever happened to the others (see
advisor/batch.py for discovery and the worker pool). Settings come from the nearest
config file (advisor/config.py) and are overridden by flags. Exit codes
(advisor.errors.ExitCode), worst wins:

    0  clean: no finding at or above --fail-on
    1  findings at or above --fail-on
    2  input errors: a file could not be read, parsed or analysed in time (wins over 1)
    3  internal error: a bug (an unexpected exception or a worker that died)
"""

from __future__ import annotations

import io
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, ExitCode
from advisor.report import FORMATS
from advisor.vocabulary import SEVERITIES, at_or_above


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select A,B --select C` -> (A, B, C)."""
    return tuple(v.strip() for raw in values for v in raw.split(",") if v.strip())


def _fail(diags: AdvisorError) -> None:
    click.echo(diags.render(), err=True)
    sys.exit(ExitCode.INPUT)


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
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
@terraform_variables
def analyze_cmd(paths: tuple[str, ...], fmt: str, output: str | None, jobs: int | None,
                fail_on: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
                pattern_dirs: tuple[str, ...], apply_: str | None, requests_text: str | None,
                region: str | None, exclude: tuple[str, ...], timeout: float | None,
                baseline: str | None, write_baseline: str | None, config_path: str | None,
                no_estimates: bool, system: bool | None, usage_file: str | None, hook: bool,
                memory_limit: int | None, show_blocked: bool = False,
                var_files: tuple[str, ...] = (), tf_vars: tuple[str, ...] = ()) -> None:
    """Analyse architectures: .arch files, CloudFormation/SAM templates, Terraform modules.

    PATH may be a file, a directory (searched recursively; .gitignore and
    .archadvisorignore files are honoured) or a glob. Exit codes: 0 clean, 1 findings at
    or above --fail-on, 2 input errors, 3 internal error.
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
        from advisor.estimate.usage import discover_usage_file

        try:
            usage = discover_usage_file(usage_file, cfg.usage_file)
        except AdvisorError as exc:
            _fail(exc)
    options = Options(
        select=_split(select) or cfg.select,
        ignore=_split(ignore) or cfg.ignore,
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

    inputs = _discover(paths, tuple(cfg.exclude) + _split(exclude), hook)
    if not inputs:
        click.echo("advisor: no architecture inputs found in the given paths", err=True)
    as_system = cfg.system if system is None else system
    outcomes = _run_all(inputs, settings, jobs or cfg.jobs or batch.default_jobs(),
                        as_system, paths)
    report = Report(results=[o.result for o in outcomes], show_blocked=show_blocked)

    hidden = _baselines(report, baseline, write_baseline)
    text = _render(report, fmt, threshold, color=None if output is None else False)
    if fmt == "text":
        text += _summary_table(report, outcomes, hidden, color=output is None)
    if output:
        Path(output).write_text(text if text.endswith("\n") else text + "\n", "utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    sys.exit(exit_code(outcomes, report, threshold))


def _discover(paths: tuple[str, ...], exclude: tuple[str, ...], hook: bool) -> list[Any]:
    """batch.discover, except that a CDK cloud assembly (cdk.out, or an app folder with
    one) named on the command line is one input, like a Terraform module."""
    from advisor import batch
    from advisor.system.cdk import find_assembly, is_unsynthesized_app

    out: list[Any] = []
    plain: list[str] = []
    for raw in paths:
        if os.path.isdir(raw) and (find_assembly(raw) or is_unsynthesized_app(raw)):
            if plain:
                out.extend(batch.discover(plain, exclude=exclude, hook=hook))
                plain = []
            out.append(batch.Input(raw, kind="module"))
        else:
            plain.append(raw)
    if plain:
        out.extend(batch.discover(plain, exclude=exclude, hook=hook))
    return out


def _run_all(inputs: list[Any], settings: Any, jobs: int, as_system: bool,
             paths: tuple[str, ...]) -> list[Any]:
    """Per-input results; with `as_system`, the CloudFormation/SAM templates among the
    inputs are one system (one result, placed where its first template was)."""
    from advisor import batch

    members = [i for i in inputs if as_system and _is_template(i)]
    if not members:
        return _run(inputs, settings, jobs)
    from dataclasses import replace

    from advisor.pipeline import analyze_system

    rest = [i for i in inputs if i not in members]
    done = iter(_run(rest, settings, jobs)) if rest else iter(())
    options = replace(settings.options, workload_defaults=dict(settings.workload_defaults))
    source = paths[0] if len(paths) == 1 and os.path.isdir(paths[0]) else None
    system = [batch.Outcome(r, batch.STATUS_INPUT if r.errors else batch.STATUS_OK)
              for r in analyze_system([m.path for m in members], options, source=source)]
    out: list[Any] = []
    for item in inputs:
        if item is members[0]:
            out.extend(system)
        elif item not in members:
            out.append(next(done))
    return out


def _is_template(item: Any) -> bool:
    from advisor import batch

    return (item.error is None and item.kind == "file"
            and item.path.lower().endswith(batch.TEMPLATE_SUFFIXES)
            and batch.looks_like_template(item.path))


def _check_patterns(options: Any) -> None:
    """A broken pattern pack is one error up front, not the same error on every file."""
    from advisor.pipeline import engine_for

    try:
        engine_for(options)
    except AdvisorError as exc:
        _fail(exc)


def _run(inputs: list[Any], settings: Any, jobs: int) -> list[Any]:
    """Run the batch, with a progress bar on stderr only when it is a terminal."""
    from advisor import batch

    if not (sys.stderr.isatty() and len(inputs) > 1):
        return batch.run(inputs, settings, jobs=jobs)
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

        return batch.run(inputs, settings, jobs=jobs, progress=tick)


def _baselines(report: Any, baseline: str | None, write_to: str | None) -> int:
    """Write and/or apply baselines; returns how many findings were hidden."""
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


def _render(report: Any, fmt: str, threshold: str, color: bool | None) -> str:
    """The report in `fmt` (advisor.report)."""
    from advisor.report import write

    opts: dict[str, Any] = {}
    if fmt == "text":
        opts["color"] = color
    elif fmt == "junit":
        opts["fail_on"] = threshold
    return write(report, fmt, **opts)


def _summary_table(report: Any, outcomes: list[Any], hidden: int, color: bool) -> str:
    """Files, errors, findings by severity and pillar, total cost change: one table."""
    from rich.console import Console
    from rich.table import Table

    from advisor import batch

    s = report.summary()
    statuses = Counter(o.status for o in outcomes)
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("files", str(s["files"]))
    table.add_row("files with errors", str(s["errors"]))
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
    use_color = color and sys.stdout.isatty()
    buf = io.StringIO()
    width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 100
    Console(file=buf, width=width, force_terminal=use_color, no_color=not use_color,
            highlight=False, emoji=False).print(table)
    return buf.getvalue()


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
