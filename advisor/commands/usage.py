"""`advisor usage --template PATH`: write an Infracost-format usage file for a design.

Every key the design's priced resources use is written, commented out with the value the
estimate assumes (as `infracost breakdown --sync-usage-file` does); values an existing
file at `-o` states are kept. Uncomment and edit a key to state that usage: the estimate
then uses it and stops listing it as an assumption.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from advisor.errors import AdvisorError

EXIT_INPUT = 2


@click.command("usage")
@click.option("--template", "template", required=True, type=click.Path(),
              help="The design: a DSL file, a CloudFormation/SAM template or a Terraform module.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Usage file to write (its stated values are kept); default: standard output.")
@click.option("--region", default="us-east-1", show_default=True, help="Pricing region.")
@click.option("--requests", "requests_text", default=None, metavar="RATE",
              help="Entry rate for the values shown, e.g. 10M/month.")
def usage_cmd(template: str, output: str | None, region: str, requests_text: str | None) -> None:
    """Write an infracost-usage.yml with every usage key the design in TEMPLATE uses."""
    from advisor.commands.cost import parse_requests
    from advisor.estimate import estimate
    from advisor.estimate.usage import load_usage, usage_template
    from advisor.pipeline import load_architecture

    requests = parse_requests(requests_text) if requests_text else None
    try:
        arch = load_architecture(template)
        existing = load_usage(output) if output and Path(output).is_file() else None
        est = estimate(arch, region=region, requests=requests, usage=existing)
        text = usage_template(arch, est, existing)
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_INPUT)
    if output:
        Path(output).write_text(text, "utf-8")
        click.echo(f"{output}: usage keys for {template}", err=True)
    else:
        click.echo(text, nl=False)


def register(group: click.Group) -> None:
    group.add_command(usage_cmd)
