"""The `advisor` command: a click group; each sub-command lives in advisor/commands/.

Exit codes: `advisor.errors.ExitCode` (documented in the README, tested in
tests/test_cli_analyze.py): 0 clean, 1 findings at or above --fail-on, 2 input errors,
3 internal error (a bug: reported, never a bare traceback).
"""

from __future__ import annotations

import importlib
import sys

import click

from advisor import __version__
from advisor.errors import ExitCode

# Each module defines `register(group: click.Group) -> None`.
COMMAND_MODULES = (
    "advisor.commands.core",  # check, fmt, graph
    "advisor.commands.importing",  # import
    "advisor.commands.analyze",  # analyze
    "advisor.commands.fix",  # fix
    "advisor.commands.catalog",  # patterns, explain, optimize
    "advisor.commands.cost",  # cost, pricing
    "advisor.commands.usage",  # usage
    "advisor.commands.report",  # report
    "advisor.commands.app",  # app
)


# Which module registers which command, so that `advisor analyze` imports only
# advisor.commands.analyze. A command missing here is still found: any other name makes
# the group import every module (as listing the commands for --help does).
COMMAND_HOMES = {
    "check": "advisor.commands.core", "fmt": "advisor.commands.core",
    "graph": "advisor.commands.core", "import": "advisor.commands.importing",
    "analyze": "advisor.commands.analyze", "patterns": "advisor.commands.catalog",
    "explain": "advisor.commands.catalog", "optimize": "advisor.commands.catalog",
    "cost": "advisor.commands.cost", "pricing": "advisor.commands.cost",
    "report": "advisor.commands.report", "app": "advisor.commands.app",
    "fix": "advisor.commands.fix", "usage": "advisor.commands.usage",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            home = COMMAND_HOMES.get(cmd_name)
            if home is not None:
                _register(home)
            if cmd_name not in self.commands:
                _register_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register_all()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="advisor")
def cli() -> None:
    """archadvisor: find what the Well-Architected Serverless Lens would flag, rewrite the
    architecture, and show what it does to monthly cost and latency.

    Inputs: the architecture DSL (*.arch), CloudFormation/SAM (YAML/JSON), Terraform (*.tf).
    """


_REGISTERED: set[str] = set()


def _register(name: str) -> None:
    if name in _REGISTERED:
        return
    _REGISTERED.add(name)
    importlib.import_module(name).register(cli)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        _register(name)


def main(argv: list[str] | None = None) -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        cli.main(args=argv, prog_name="advisor", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except OSError as exc:  # an output path that cannot be written, a full disk, ...
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"advisor: cannot write or read{where}: {exc.strerror or exc}", err=True)
        click.echo("hint: check that the directory exists and is writable", err=True)
        sys.exit(ExitCode.INPUT)
    except Exception as exc:  # a bug, not bad input
        import traceback

        click.echo(f"advisor: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("please report it with the input that caused it; details:", err=True)
        click.echo("".join(traceback.format_exception(exc)[-3:]).rstrip(), err=True)
        sys.exit(ExitCode.INTERNAL)


if __name__ == "__main__":
    main()
