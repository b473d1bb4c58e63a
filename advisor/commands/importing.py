"""`advisor import FILE_OR_DIR [-o design.arch]`: a template, written back as the DSL.

Users already have CloudFormation/SAM or Terraform; importing once gives them a `.arch`
file to read, diff and edit. The notes of the import (wiring consumed, unknown types,
unresolved references, outside resources) go to stderr so stdout stays pure DSL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, Diagnostic, ExitCode


@click.command("import")
@click.argument("source", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the DSL here instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the import notes.")
@terraform_variables
def import_(source: str, output: str | None, quiet: bool, var_files: tuple[str, ...] = (),
            tf_vars: tuple[str, ...] = ()) -> None:
    """Import SOURCE (CloudFormation/SAM YAML or JSON, a .tf file, or a directory of .tf
    files = one Terraform module) and print it as architecture DSL.

    Exit 0 on success, 2 when SOURCE cannot be read or imported.
    """
    from advisor.dsl import to_text
    from advisor.importers import load_any

    try:
        arch = load_any(source, var_files=var_files, var_values=tf_vars)
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.INPUT)
    if not quiet:
        for note in arch.notes:
            if isinstance(note, Diagnostic):
                click.echo(note.render(), err=True)
    text = to_text(arch)
    header = f"# imported from {source} ({arch.format}) by `advisor import`\n"
    if output:
        Path(output).write_text(header + text, "utf-8")
        g = arch.graph
        click.echo(f"{output}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges "
                   f"({len(arch.notes)} notes)", err=True)
    else:
        click.echo(header + text, nl=False)


def register(group: click.Group) -> None:
    group.add_command(import_)
