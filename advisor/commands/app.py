"""`advisor app`: start the Streamlit page (app/streamlit_app.py) on localhost.

The page lives next to the package in the repository (app/ is a thin shell over the
library, not part of the installed package), so the command finds it relative to this
checkout and says so plainly when it is not there (e.g. a wheel install without app/).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click

from advisor.errors import ExitCode


def app_script() -> Path:
    """app/streamlit_app.py, shipped with the package (advisor.resources)."""
    from advisor.resources import bundled

    return bundled("app") / "streamlit_app.py"


def streamlit_command(port: int, host: str, script: Path | None = None) -> list[str]:
    """The argv that runs the page headless (no browser opened, no usage statistics)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(script or app_script()),
        "--server.headless", "true",
        "--server.address", host,
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]


@click.command("app")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535),
              help="Port to serve the page on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the page on this machine.")
def app_cmd(port: int, host: str) -> None:
    """Start the web app (paste or upload a design; findings, diagrams, cost deltas)."""
    script = app_script()
    if not script.is_file():
        click.echo(f"advisor: the app is not installed here ({script} is missing); run it "
                   "from a checkout of the repository", err=True)
        sys.exit(ExitCode.INPUT)
    try:
        import streamlit  # noqa: F401
    except ImportError:
        click.echo("advisor: the app needs streamlit; install it with "
                   "pip install 'archadvisor[app]'", err=True)
        sys.exit(ExitCode.INPUT)
    click.echo(f"archadvisor app on http://{host}:{port}  (Ctrl+C stops it)", err=True)
    sys.exit(run_server(streamlit_command(port, host, script)))


def run_server(cmd: list[str]) -> int:
    """Run streamlit and pass a stop (SIGTERM, Ctrl+C) on to it, so no server is left."""
    proc = subprocess.Popen(cmd)
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=15)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(group: click.Group) -> None:
    group.add_command(app_cmd)
