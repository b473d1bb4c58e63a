"""`advisor check`, `advisor fmt`, `advisor graph`: read, validate, print back, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, ExitCode


def _load(path: str, var_files: tuple[str, ...] = (),  # type: ignore[no-untyped-def]
          tf_vars: tuple[str, ...] = ()):
    from advisor.pipeline import load_architecture

    return load_architecture(path, var_files=var_files, var_values=tf_vars)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@terraform_variables
def check(files: tuple[str, ...], var_files: tuple[str, ...] = (),
          tf_vars: tuple[str, ...] = ()) -> None:
    """Parse and validate FILES (DSL or templates); one summary line per file.

    Exit 0 when every file is valid, 2 when any has an error (all errors are printed).
    """
    failed = 0
    for path in files:
        try:
            arch = _load(path, var_files, tf_vars)
        except AdvisorError as exc:
            failed += 1
            click.echo(exc.render(), err=True)
            click.echo(f"{path}: {len(exc.diagnostics)} error(s)")
            continue
        g = arch.graph
        notes = [n for n in arch.notes if hasattr(n, "render")]
        more = f", {len(notes)} note{'s' if len(notes) > 1 else ''}" if notes else ""
        click.echo(f"{path}: ok ({arch.format}, {g.number_of_nodes()} nodes, "
                   f"{g.number_of_edges()} edges, {len(arch.groups)} groups{more})")
        # an empty result says why; a warning (a type that would not deploy) always shows
        for note in notes:
            if not g.number_of_nodes() or getattr(note, "severity", "") == "warning":
                click.echo(note.render(), err=True)
    sys.exit(ExitCode.INPUT if failed else ExitCode.CLEAN)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--check", "check_only", is_flag=True,
              help="Do not write; exit 1 if any file is not in canonical form (for CI).")
@click.option("--stdout", is_flag=True, help="Print the canonical text instead of rewriting.")
def fmt(files: tuple[str, ...], check_only: bool, stdout: bool) -> None:
    """Reformat DSL FILES: statements and comments kept in order, layout normalised."""
    from advisor.dslfmt import format_text
    from advisor.importers.reading import read_text

    status: int = ExitCode.CLEAN
    for path in files:
        try:
            current = read_text(path)
            text = format_text(current, path)
        except AdvisorError as exc:
            click.echo(exc.render(), err=True)
            status = ExitCode.INPUT
            continue
        if stdout:
            click.echo(text, nl=False)
        elif check_only:
            if current != text:
                click.echo(f"{path}: would reformat")
                status = max(status, ExitCode.FINDINGS)
        elif current != text:
            Path(path).write_text(text, "utf-8")
            click.echo(f"{path}: reformatted")
    sys.exit(status)


@click.command()
@click.argument("file", type=click.Path())
@click.option("--format", "fmt_", type=click.Choice(["dot", "json"]), default="dot",
              show_default=True)
@click.option("-o", "--output", type=click.Path(), help="Write here instead of stdout.")
@terraform_variables
def graph(file: str, fmt_: str, output: str | None, var_files: tuple[str, ...] = (),
          tf_vars: tuple[str, ...] = ()) -> None:
    """Export the architecture graph of FILE as Graphviz DOT or JSON."""
    try:
        arch = _load(file, var_files, tf_vars)
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.INPUT)
    if fmt_ == "json":
        text = json.dumps(
            {"name": arch.name, "workload": arch.workload, **arch.to_dict()},
            indent=2, sort_keys=True) + "\n"
    else:
        text = _dot(arch)
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)


def _dot(arch) -> str:  # type: ignore[no-untyped-def]
    """DOT for one architecture in the diagrams' visual language (pydot)."""
    from advisor.render import diagram

    return str(diagram(arch).to_string())


def register(group: click.Group) -> None:
    group.add_command(check)
    group.add_command(fmt)
    group.add_command(graph)
