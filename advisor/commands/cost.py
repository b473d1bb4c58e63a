"""`advisor cost` (monthly cost and latency, optional traffic sweep) and
`advisor pricing import` (AWS Price List offer file -> pricing YAML)."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import click

from advisor.commands.tfvars import terraform_variables
from advisor.errors import AdvisorError, Diagnostic, ExitCode

_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([KMB])?\s*(/\s*(?:s|min|h|hour|day|month))?\s*$", re.I)


def parse_requests(text: str) -> float:
    """`10M/month`, `50/s`, `2.5B`, `1000` -> requests per month."""
    from advisor import units

    m = _RATE.match(text or "")
    if not m:
        raise click.BadParameter(f"'{text}' is not a rate; write e.g. 10M/month or 50/s")
    number, suffix, rate = m.group(1), m.group(2), m.group(3)
    value, _dim = units.normalise(
        float(number), suffix.upper() if suffix else None, (rate or "/month").replace(" ", "")
    )
    return float(value)


def _money(x: float) -> str:
    return f"${x:,.2f}" if abs(x) >= 0.01 or x == 0 else f"${x:,.4f}"


def workload_line(est: Any) -> str:
    """`workload: 50M requests/month at browser, 2 KB per request (stated in the design)`."""
    from advisor.estimate.assumptions import workload_text

    return workload_text(getattr(est, "workload_summary", None) or {})


def _print_assumptions(est: Any, after_est: Any = None) -> None:
    from advisor.estimate.assumptions import assumption_line, assumption_rows

    rows = assumption_rows(est, after_est)
    click.echo(f"  {workload_line(est)}")
    if not rows:
        click.echo("  assumptions: none (every figure is stated)")
        return
    click.echo("  assumptions (defaults used where nothing was stated):")
    for row in rows:
        click.echo(f"    - {assumption_line(row)}")
        if row.get("state"):
            click.echo(f"      state it with: {row['state']}")


def _print_text(path: str, est: Any, after_est: Any = None) -> None:
    click.echo(f"{path}: {est.region}, {est.entry_requests:,.0f} requests/month at the entry")
    click.echo("")
    # columns as wide as their longest value: a node, a price component or a unit is read
    # whole, never cut (a long one widens its column)
    comps = list(est.components)
    node_w = max([len("node"), *(len(str(c["node"])) for c in comps)])
    name_w = max([len("component"), *(len(str(c["name"])) for c in comps)])
    unit_w = max([len("unit"), *(len(str(c["unit"])) for c in comps)])
    click.echo(f"  {'node':<{node_w}} {'component':<{name_w}} {'quantity':>16} "
               f"{'unit':<{unit_w}} {'monthly':>12}")
    for c in comps:
        click.echo(
            f"  {c['node']:<{node_w}} {c['name']:<{name_w}} {c['quantity']:>16,.4f} "
            f"{c['unit']:<{unit_w}} {_money(c['monthly_usd']):>12}"
        )
    click.echo("")
    click.echo("  per node:")
    by_w = max([30, *(len(str(n)) for n in est.by_node)])
    for name, usd in est.by_node.items():
        click.echo(f"    {name:<{by_w}} {_money(usd):>12}")
    click.echo(f"  {'total':<{by_w + 2}} {_money(est.monthly_usd):>12} / month")
    lat = est.latency
    click.echo("")
    if est.has_response:
        click.echo(
            f"  response: p50 {lat['response_p50_ms']:.1f} ms, p99 {lat['response_p99_ms']:.1f} ms"
            f"  ({' -> '.join(lat['response_path'])})"
        )
    else:
        click.echo("  response: no client-facing synchronous path")
    click.echo(
        f"  delivery: p50 {lat['delivery_p50_ms'] / 1000:.1f} s, "
        f"p99 {lat['delivery_p99_ms'] / 1000:.1f} s  ({' -> '.join(lat['delivery_path'])})"
    )
    if after_est is not None:
        d = after_est.monthly_usd - est.monthly_usd
        click.echo(
            f"  optimized design: {_money(after_est.monthly_usd)} / month ({'+' if d >= 0 else '-'}"
            f"{_money(abs(d))})"
        )
    click.echo("")
    _print_assumptions(est, after_est)
    for note in est.notes:
        click.echo(f"  note: {note}")


def _human(r: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if r >= step:
            return f"{r / step:.3g}{suffix}"
    return f"{r:.3g}"


def _print_sweep(sw: Any) -> None:
    click.echo("")
    click.echo("  cost over traffic (requests/month):")
    head = f"    {'traffic':>8} {'before':>14}"
    if sw.after is not None:
        head += f" {'after':>14}"
    click.echo(head)
    for i, p in enumerate(sw.points):
        line = f"    {_human(p):>8} {_money(sw.before[i]):>14}"
        if sw.after is not None:
            line += f" {_money(sw.after[i]):>14}"
        click.echo(line)
    if sw.after is not None:
        be = ", ".join(_human(x) for x in sw.break_even_requests) or "none in 1K..10B"
        click.echo(f"    before/after break-even: {be}")
    for c in sw.comparisons:
        click.echo("")
        click.echo(f"  {c.title} ({c.node}):")
        click.echo(f"    {'traffic':>8} {c.a_label:>14} {c.b_label:>14}")
        for r, a, b in c.rows:
            click.echo(f"    {_human(r):>8} {_money(a):>14} {_money(b):>14}")
        be = ", ".join(_human(x) for x in c.break_even_requests)
        click.echo(f"    break-even: {be or 'none in 1K..10B (one is cheaper throughout)'}")
        if "break_even_duration_ms" in c.extra:
            d = c.extra["break_even_duration_ms"]
            click.echo(
                "    Express costs what Standard does at an execution duration of "
                + (f"{d / 1000:.1f} s" if d is not None else "- (none within Express's 5 min)")
            )
        free = c.extra.get("break_even_requests_month_free_tier")
        if free:
            click.echo(
                "    with the free tier, Standard is cheaper below "
                + ", ".join(_human(x) for x in free)
                + " executions/month"
            )


def _glue_rewrites(arch: Any, findings: list[Any]) -> list[tuple[str, Any]]:
    """Each glue finding's native rewrite (found on the input design, whatever is
    applied): the same designs `analyze` reports, so the sweep and the report agree."""
    glue: list[tuple[str, Any]] = []
    for finding in findings:
        if not finding.rule.startswith("GLUE-"):
            continue
        lambdas = [n for n in finding.nodes if n in arch.graph and arch.kind(n) == "lambda"]
        rewrite = next((a.after for a in finding.alternatives if a.after is not None), None)
        if lambdas and rewrite is not None:
            glue.append((lambdas[0], rewrite))
    return glue


@click.command("cost")
@click.argument("file", type=click.Path())
@click.option(
    "--requests",
    "requests_text",
    default=None,
    metavar="RATE",
    help="Entry rate overriding the design's workload, e.g. 10M/month or 50/s.",
)
@click.option("--region", default="us-east-1", show_default=True, help="AWS region to price.")
@click.option(
    "--pricing",
    "pricing_file",
    default=None,
    type=click.Path(),
    help="A pricing YAML (from `advisor pricing import`) to use instead.",
)
@click.option("--free-tier", is_flag=True, help="Subtract the always-free AWS allowances.")
@click.option("--free-tier-12-month", "free_tier_12", is_flag=True,
              help="Also subtract the 12-month free tier of new accounts (created before 2025-07-15).")
@click.option("--usage-file", type=click.Path(dir_okay=False),
              help="Infracost-format usage file (default: the config's usage-file, else the "
                   "nearest infracost-usage.yml).")
@click.option(
    "--sweep",
    "do_sweep",
    is_flag=True,
    help="Cost over 1K..10B requests/month with break-even points.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@terraform_variables
def cost_cmd(
    file: str,
    requests_text: str | None,
    region: str,
    pricing_file: str | None,
    free_tier: bool,
    free_tier_12: bool,
    usage_file: str | None,
    do_sweep: bool,
    fmt: str,
    var_files: tuple[str, ...] = (),
    tf_vars: tuple[str, ...] = (),
) -> None:
    """Estimate the monthly cost and the latency of the design in FILE.

    Costs are per node and per pricing dimension; latency is the client-facing response
    path (p50/p99) and the time until data reaches its final store.
    """
    from advisor.config import discover_config
    from advisor.estimate.usagefile import discover_usage_file
    from advisor.pipeline import FileResult, Options, analyze_architecture, load_architecture

    requests = parse_requests(requests_text) if requests_text else None
    tier: Any = "12-month" if free_tier_12 else bool(free_tier)
    try:
        usage = discover_usage_file(usage_file, discover_config().usage_file)
        options = Options(region=region, requests=requests, free_tier=tier,
                          pricing_file=pricing_file, usage_file=usage)
        arch = load_architecture(file, var_files=var_files, var_values=tf_vars)
        # the optimized design is the one `analyze` makes with the same region, traffic
        # and pricing: its judge weighs rewrites at the figures printed here
        result = analyze_architecture(arch, options, FileResult(source=file))
        est, after_est = result.before_estimate, result.after_estimate
        sw = None
        if do_sweep:
            from advisor.estimate.sweep import sweep

            sw = sweep(arch, after=result.after,
                       glue_rewrites=_glue_rewrites(arch, result.findings),
                       **options.estimate_kwargs())
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.INPUT)
    if fmt == "json":
        out: dict[str, Any] = {"source": file, **est.to_dict()}
        if after_est is not None:
            out["after"] = after_est.to_dict()
        if sw is not None:
            out["sweep"] = sw.to_dict()
        click.echo(json.dumps(out, indent=2, sort_keys=True))
        return
    _print_text(file, est, after_est)
    if sw is not None:
        _print_sweep(sw)


@click.group("pricing")
def pricing_group() -> None:
    """Pricing data: import AWS Price List offer files for any region."""


@pricing_group.command("import")
@click.argument("offer", type=click.Path())
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(),
    help="Pricing YAML to write (merged when it exists); default <region>.yaml.",
)
@click.option("--region", default=None, help="Region to take from the offer (needed when it holds several).")
def pricing_import(offer: str, output: str | None, region: str | None) -> None:
    """Convert an AWS Price List bulk offer file (JSON) into a pricing YAML.

    Use the result with `advisor cost --pricing FILE --region REGION`, or put it in a
    directory listed in $ADVISOR_PRICING_PATH.
    """
    from advisor.estimate.priceimport import import_file

    try:
        target, doc = import_file(offer, output, region)
    except AdvisorError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(ExitCode.INPUT)
    keys = sorted(doc["prices"])
    click.echo(f"{target}: {doc['region']}, {len(keys)} prices ({', '.join(keys)})")


def register(group: click.Group) -> None:
    group.add_command(cost_cmd)
    group.add_command(pricing_group)


__all__ = ["Diagnostic", "parse_requests", "register"]
