"""`advisor patterns`, `advisor explain RULE`, `advisor optimize FILE`: the rule catalog
and the rewritten architecture."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from advisor.commands.options import split_values
from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, ExitCode, did_you_mean


def _patterns(dirs: tuple[str, ...]) -> list[Any]:
    from advisor.engine import load_all

    return load_all(dirs)


def _fail(exc: AdvisorError) -> None:
    click.echo(exc.render(), err=True)
    sys.exit(ExitCode.INPUT)


@click.command("patterns")
@click.option("--format", "fmt_", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--patterns", "pattern_dirs", multiple=True, type=click.Path(),
              help="Also load a pattern pack from this directory (repeatable).")
def patterns_cmd(fmt_: str, pattern_dirs: tuple[str, ...]) -> None:
    """List the pattern catalog: id, pillar, severity, rewrite policy, title."""
    try:
        pats = _patterns(pattern_dirs)
    except AdvisorError as exc:
        _fail(exc)
        return
    if fmt_ == "json":
        rows = [{"id": p.id, "title": p.title, "pillar": p.pillar, "severity": p.severity,
                 "rewrite": p.apply if p.rewrites else "advice", "equivalents":
                 list(p.equivalents), "references": list(p.references), "path": p.path}
                for p in pats]
        click.echo(json.dumps(rows, indent=2))
        return
    rows_t = [(p.id, p.pillar, p.severity, p.apply if p.rewrites else "advice", p.title)
              for p in pats]
    head = ("ID", "PILLAR", "SEVERITY", "REWRITE", "TITLE")
    widths = [max(len(r[i]) for r in [head, *rows_t]) for i in range(4)]
    for r in [head, *rows_t]:
        click.echo("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    click.echo(f"\n{len(rows_t)} patterns")


@click.command("explain")
@click.argument("rule")
@click.option("--patterns", "pattern_dirs", multiple=True, type=click.Path(),
              help="Also load a pattern pack from this directory (repeatable).")
def explain_cmd(rule: str, pattern_dirs: tuple[str, ...]) -> None:
    """Explain RULE (our id, or a peer id such as ES6000 or CKV_AWS_116): what it finds,
    why it matters, before/after, the fix, caveats and references."""
    from advisor.ruledocs import example_after, render_text

    try:
        pats = _patterns(pattern_dirs)
    except AdvisorError as exc:
        _fail(exc)
        return
    wanted = rule.upper()
    hits = [p for p in pats if p.id == wanted] or \
        [p for p in pats if wanted in (e.upper() for e in p.equivalents)]
    if not hits:
        hint = did_you_mean(rule, [p.id for p in pats])
        click.echo(f"advisor: no rule '{rule}'" + (f"; did you mean {hint}?" if hint else "")
                   + " (see `advisor patterns`)", err=True)
        sys.exit(ExitCode.INPUT)
    for i, p in enumerate(hits):
        if i:
            click.echo("-" * 72)
        click.echo(render_text(p, example_after(p)), nl=False)


@click.command("optimize")
@click.argument("file", type=click.Path())
@click.option("-o", "--output", type=click.Path(), help="Write the DSL here (default stdout).")
@click.option("--apply", "apply", type=click.Choice(["default", "all", "none"]),
              default="default", show_default=True,
              help="default: confirmed rewrites; all: also likely glue and opt-in rewrites; "
                   "none: print the design as it is.")
@click.option("--patterns", "pattern_dirs", multiple=True, type=click.Path(),
              help="Also load a pattern pack from this directory (repeatable).")
@click.option("--select", multiple=True, metavar="RULE,...",
              help="Only rules with these id prefixes (comma-separated or repeated).")
@click.option("--ignore", multiple=True, metavar="RULE,...",
              help="Skip rules with these id prefixes (comma-separated or repeated).")
@click.option("--choose", "choose", multiple=True, metavar="FINDING_ID[=N]",
              help="Apply exactly these findings (ids as in the JSON report), each with its"
                   " alternative N (default 0); repeatable. Overrides --apply.")
@terraform_variables
def optimize_cmd(file: str, output: str | None, apply: str, pattern_dirs: tuple[str, ...],
                 select: tuple[str, ...], ignore: tuple[str, ...],
                 choose: tuple[str, ...], var_files: tuple[str, ...] = (),
                 tf_vars: tuple[str, ...] = ()) -> None:
    """Rewrite FILE (DSL or template) into the optimized architecture, as DSL.

    The change log goes to stderr, one line per change.
    """
    from advisor.dsl import to_text
    from advisor.pipeline import Options, engine_for, load_architecture, run_engine

    options = Options(select=split_values(select), ignore=split_values(ignore), apply=apply,
                      pattern_dirs=pattern_dirs)
    try:
        arch = load_architecture(file, var_files=var_files, var_values=tf_vars)
        engine_for(options)  # a broken pack or an unknown prefix: exit 2 before anything
    except AdvisorError as exc:
        _fail(exc)
        return
    chosen: dict[str, int] = {}
    for item in choose:
        fid, _, index = item.rpartition("=") if "=" in item else (item, "", "0")
        if not index.isdigit():
            click.echo(f"--choose {item}: the alternative must be a number (ID=N)", err=True)
            sys.exit(ExitCode.INPUT)
        chosen[fid] = int(index)
    try:
        outcome = run_engine(arch, options, apply=chosen if choose else None)
    except ValueError as exc:
        click.echo(f"--choose: {exc}", err=True)
        sys.exit(ExitCode.INPUT)
    text = to_text(outcome.after)
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)
    for c in outcome.changes:
        click.echo(f"{c.rule}: {c.detail or c.action + ' ' + ', '.join(c.nodes)}", err=True)
    if not choose:
        for f in outcome.findings:
            if f.note:
                click.echo(f"{f.rule} ({', '.join(f.nodes)}): {f.note}", err=True)
    skipped = [f for f in outcome.findings if f.likely and f.alternatives
               and f.alternatives[0].applies_by_default is False and apply == "default"
               and any(a.title for a in f.alternatives)]
    click.echo(f"{len(outcome.changes)} change(s)"
               + (f"; {len(skipped)} likely rewrite(s) not applied (use --apply all)"
                  if skipped else "") + (f"; wrote {output}" if output else ""), err=True)


def register(group: click.Group) -> None:
    group.add_command(patterns_cmd)
    group.add_command(explain_cmd)
    group.add_command(optimize_cmd)
