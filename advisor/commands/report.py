"""`advisor report FILE --out DIR`: the files a design doc or a pull request embeds.

Always written: before.svg, after.svg, diff.svg (union graph: removed ✕, added +,
changed ~ with what changed, error badges, legend, before/after totals), compare.svg
(before above after, each with its totals), diff.mmd (the same diff as Mermaid),
report.md (links the SVGs), report.html (self-contained, SVGs inline) and report.json.
With --png / --dot the four diagrams are written as PNG / DOT as well (PNG is optional
because it is the slow, large format; DOT is the source for editing). Nodes carry their
AWS Architecture Icon unless --no-icons (or the icon set is not installed: then a note
says so and the plain category shapes are drawn).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from advisor.commands.tfvars import terraform_variables
from advisor.errors import ExitCode


@click.command("report")
@click.argument("file", type=click.Path())
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory to write the report files to (created if missing).")
@click.option("--png", is_flag=True, help="Also write the diagrams as PNG.")
@click.option("--dot", "dot_", is_flag=True, help="Also write the diagrams' DOT source.")
@click.option("--no-icons", "no_icons", is_flag=True,
              help="Plain category shapes instead of AWS Architecture Icons.")
@click.option("--dpi", type=click.FloatRange(24, 1200), default=None,
              help="PNG resolution [default: 144, sharp on screen and in print].")
@click.option("--region", default="us-east-1", show_default=True, help="Pricing region.")
@click.option("--apply", "apply_", type=click.Choice(["default", "all", "none"]),
              default="default", show_default=True,
              help="Which rewrites make the 'after' architecture.")
@terraform_variables
def report_cmd(file: str, out_dir: str, png: bool, dot_: bool, no_icons: bool, dpi: float | None,
               region: str, apply_: str,
               var_files: tuple[str, ...] = (), tf_vars: tuple[str, ...] = ()) -> None:
    """Write before/after/diff diagrams and Markdown + HTML reports for FILE into DIR."""
    from advisor.pipeline import Options, Report, analyze_source
    from advisor.render import dot_available, icons, render_result
    from advisor.report import write

    result = analyze_source(file, Options(region=region, apply=apply_,
                                          tf_var_files=var_files, tf_vars=tf_vars))
    if result.errors:
        for e in result.errors:
            click.echo(e.render(), err=True)
        sys.exit(ExitCode.INPUT)
    if not dot_available():
        click.echo("advisor: Graphviz `dot` is not installed; it is needed for diagrams "
                   "(apt-get install graphviz)", err=True)
        sys.exit(ExitCode.INPUT)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    formats = ("svg",) + (("png",) if png else ()) + (("dot",) if dot_ else ())
    if not no_icons and not icons.available():
        click.echo(f"advisor: note: {icons.unavailable_note()}", err=True)
    written = render_result(result, out, formats, icons=not no_icons, dpi=dpi)
    report = Report(results=[result])
    links = {name: f"{name}.svg" for name in ("diff", "compare", "before", "after")}
    for name, text in (
        ("diff.mmd", write(report, "mermaid", side="diff")),
        ("report.md", write(report, "markdown", diagrams=links)),
        ("report.html", write(report, "html", icons=not no_icons)),
        ("report.json", write(report, "json")),
    ):
        path = out / name
        path.write_text(text, "utf-8")
        written.append(path)
    for path in written:
        click.echo(str(path))


def register(group: click.Group) -> None:
    group.add_command(report_cmd)
