"""`advisor fix PATH...`: patches to the user's own templates for the applied rewrites.

The diff goes to standard output (so `advisor fix t.yaml > fix.patch && git apply
fix.patch` works; its paths are relative to the root of the git repository each file is
in, else to the current directory, so apply it from that root), the account of what was
patched, what was not and why, and which verification check failed, to standard error.
A directory is walked exactly as `advisor analyze` walks it (advisor/commands/inputs.py,
advisor/batch/): the same files, the same skips, one result line each. Exit codes: 0 every applied rewrite was
patched (and verified), 1 some were not (each one says why), 2 input errors.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from advisor.commands.options import split_values
from advisor.errors import AdvisorError

EXIT_CLEAN, EXIT_PARTIAL, EXIT_INPUT = 0, 1, 2


def _parse_choices(values: tuple[str, ...]) -> dict[str, int]:
    """`RULE:nodes` (first alternative) or `RULE:nodes=N` (1-based, as listed)."""
    out: dict[str, int] = {}
    for raw in values:
        fid, _, n = raw.partition("=")
        if ":" not in fid:
            raise click.BadParameter(f"{raw!r} is not a finding id (RULE:node[/node])",
                                     param_hint="--choose")
        try:
            index = int(n) - 1 if n else 0
        except ValueError:
            raise click.BadParameter(f"{raw!r}: the alternative must be a number",
                                     param_hint="--choose") from None
        if index < 0:
            raise click.BadParameter(f"{raw!r}: alternatives count from 1",
                                     param_hint="--choose")
        out[fid.strip()] = index
    return out


@click.command("fix")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--diff", "mode", flag_value="diff", default=True,
              help="Print a unified diff (git apply / patch -p1) [default].")
@click.option("--write", "mode", flag_value="write", help="Change the files in place.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False),
              help="Write patched copies under DIR (same relative paths).")
@click.option("--apply", "apply_", type=click.Choice(["default", "all"]),
              help="Which rewrites to patch [default: default].")
@click.option("--choose", multiple=True, metavar="FINDING_ID[=N]",
              help="Also patch this finding (with its N-th alternative); repeatable.")
@click.option("--select", multiple=True, metavar="RULE,...", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="RULE,...", help="Skip these rules.")
@click.option("--patterns", "pattern_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Extra pattern pack directory; repeatable.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check each patched file (parses, cfn-lint, re-import = after, findings "
                   "gone, idempotent).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (patches, what was not patched and why, checks).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip paths matching this .gitignore-style pattern; repeatable.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: the nearest one).")
def fix_cmd(paths: tuple[str, ...], mode: str, output_dir: str | None, apply_: str | None,
            choose: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...],
            pattern_dirs: tuple[str, ...], verify: bool, as_json: bool,
            config_path: str | None, exclude: tuple[str, ...] = ()) -> None:
    """Patch SAM/CloudFormation, Terraform and .arch files so the deployed system matches
    the rewritten architecture. Only the lines a rewrite needs change; what cannot be
    patched safely is listed with the reason."""
    from advisor import batch
    from advisor.commands.inputs import discover_inputs
    from advisor.config import discover_config
    from advisor.engine import Engine
    from advisor.fix import write_files
    from advisor.pipeline import Options

    try:
        cfg = discover_config(config_path)
        options = Options(
            select=split_values(select) or cfg.select,
            ignore=split_values(ignore) or cfg.ignore,
            pattern_dirs=tuple(str(Path(d).resolve()) for d in pattern_dirs) or cfg.patterns,
            apply=apply_ or (cfg.apply if cfg.apply in ("default", "all") else "default"),
            region=cfg.region or "us-east-1", estimates=False,
            workload_defaults=dict(cfg.workload_defaults),
        )
        Engine.default(extra_dirs=options.pattern_dirs, select=options.select,
                       ignore=options.ignore)
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_INPUT)
    choices = _parse_choices(choose)
    inputs = discover_inputs(paths, tuple(cfg.exclude) + split_values(exclude))
    if not inputs:
        click.echo("advisor: no architecture inputs found in the given paths", err=True)
        sys.exit(EXIT_INPUT)
    settings = batch.Settings(options=options, timeout=cfg.timeout or 60.0)
    seen: set[str] = set()  # the finding ids of every input, for --choose
    fixes = [_fix_one(outcome, settings, choices, verify, seen)
             for outcome in batch.run_iter(inputs, settings, jobs=1)]
    unknown = sorted(set(choices) - seen)
    if unknown:  # before anything is written: the patch the user asked for is not there
        from advisor.errors import did_you_mean

        hints = [did_you_mean(fid, sorted(seen)) for fid in unknown]
        raise click.BadParameter("no finding " + "; ".join(
            f"{fid}{f' (did you mean {hint}?)' if hint else ''}" for fid, hint in zip(unknown, hints,
                                                                       strict=True))
            + " in the given inputs (`advisor analyze` lists the ids)", param_hint="--choose")
    code = EXIT_CLEAN
    for f in fixes:
        if f.errors and not f.rewrites:
            code = EXIT_INPUT
        elif f.verified is False or any(r.status != "patched" or r.verified is False
                                        for r in f.rewrites):
            # a failed check of the file as a whole (one that names no rewrite) counts too
            code = max(code, EXIT_PARTIAL)
    if as_json:
        click.echo(json.dumps({"results": [f.to_dict() for f in fixes]}, indent=2))
        sys.exit(code)
    if mode == "write" or output_dir:
        for f in fixes:
            for dest in write_files(f, output_dir):
                click.echo(f"wrote {dest}")
    else:
        text = "".join(f.diff() for f in fixes)
        if text:
            click.echo(text, nl=False)
    for f in fixes:
        click.echo(_summary(f), err=True)
    sys.exit(code)


def _fix_one(outcome: Any, settings: Any, choices: dict[str, int], verify: bool,
             seen: set[str]) -> Any:
    """The patches for one input the batch analysed (skipped inputs and errors included:
    each gets its line)."""
    from advisor.fix import fix_result
    from advisor.fix.context import group_changes
    from advisor.fix.runner import FileFix

    result = outcome.result
    if getattr(result, "skipped", None):
        return FileFix(source=result.source, format=result.format or "unknown",
                       skipped=result.skipped)
    seen.update(f.id for f in getattr(result, "findings", ()))
    if choices and not result.errors:
        wanted = {rw.finding: rw.alternative for rw in group_changes(result.changes)}
        known = {f.id for f in result.findings}
        wanted.update({fid: n for fid, n in choices.items() if fid in known})
        for f in result.findings:
            n = choices.get(f.id)
            if n is not None and not (n < len(f.alternatives) and f.alternatives[n].applicable):
                raise click.BadParameter(f"finding {f.id} has no applicable alternative "
                                         f"{n + 1}", param_hint="--choose")
        import dataclasses

        from advisor import batch
        from advisor.batch.execution import run_inline

        chosen = dataclasses.replace(
            settings, options=dataclasses.replace(settings.options, apply=wanted))
        task = batch.Task(0, result.source, kind="module" if os.path.isdir(result.source)
                          else "file")
        result = next(iter(run_inline([task], chosen))).result
    return fix_result(result, verify=verify, options=settings.options)


def _summary(f: Any) -> str:
    from advisor.fix.diff import display_path

    lines = []
    src = display_path(f.source)
    if f.skipped:
        return f"{src}: skipped: {f.skipped}"
    for err in f.errors:
        lines.append(f"{src}: error: {err}")
    if not f.rewrites and not f.errors:
        lines.append(f"{src}: nothing to patch (no rewrite applied)")
        return "\n".join(lines)
    patched = [r for r in f.rewrites if r.status == "patched"]
    verdict = ""
    if f.verified is True:
        verdict = ", verified"
    elif f.verified is False:
        failed = next(k for k, v in f.checks.items() if v != "ok")
        verdict = f", NOT verified ({failed}: {f.checks[failed]})"
    lines.append(f"{src}: {len(patched)} of {len(f.rewrites)} rewrite(s) patched{verdict}")
    for r in f.rewrites:
        if r.status == "patched":
            lines.append(f"  patched      {r.finding}")
            lines.extend(f"    note: {n}" for n in r.notes)
        else:
            lines.append(f"  not patched  {r.finding}: {r.reason}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    group.add_command(fix_cmd)
