"""`--var-file FILE` and `--var NAME=VALUE`: Terraform root variables for every command
that reads an architecture (a helper, not a command: it is not in cli.COMMAND_MODULES)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _check_vars(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:  # click calls this for every run: the Terraform reader only when needed
        return values
    from advisor.importers.terraform.variables import parse_var_arg

    for text in values:
        try:
            parse_var_arg(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return values


def terraform_variables(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the two options; the command receives `var_files` and `tf_vars` (tuples)."""
    fn = click.option(
        "--var", "tf_vars", multiple=True, metavar="NAME=VALUE", callback=_check_vars,
        help="Terraform: set a root variable (as `terraform plan -var`); repeatable.",
    )(fn)
    return click.option(
        "--var-file", "var_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
        metavar="FILE",
        help="Terraform: read root variables from a .tfvars or .tfvars.json file; repeatable.",
    )(fn)
