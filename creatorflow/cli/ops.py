"""`creatorflow serve`, `creatorflow demo` and `creatorflow prefect setup`: running the flows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from creatorflow.cli.app import app, guard_prefect_server

prefect_app = typer.Typer(help="Prefect set-up: global concurrency limits.", no_args_is_help=True)
app.add_typer(prefect_app, name="prefect")


def _ensure_limits() -> list[str]:
    """Create the global concurrency limits the tracking tasks use (strict: they must exist)."""
    from creatorflow.platforms.rate_limits import ensure_concurrency_limits

    return ensure_concurrency_limits()


@prefect_app.command("setup")
def prefect_setup() -> None:
    """Create the global concurrency limits creatorflow uses on the current Prefect API."""
    for name in _ensure_limits():
        typer.echo(f"concurrency limit {name}: ready")


@app.command("serve")
def serve(
    limit: int | None = typer.Option(None, help="At most this many runs at once."),
) -> None:
    """Serve every deployment with its schedule on this machine until interrupted."""
    from creatorflow.deployments import DEPLOYMENTS, serve_all

    guard_prefect_server()
    _ensure_limits()
    for deployment in DEPLOYMENTS:
        when = f"cron {deployment.cron} {deployment.timezone}" if deployment.cron else "on demand"
        typer.echo(f"serving {deployment.full_name} ({when})")
    serve_all(limit=limit)


@app.command("demo")
def demo(
    directory: Path = typer.Option(
        Path("demo-run"), "--dir", help="Fresh directory for the demo's files (replaced if a demo)."
    ),
    creators: int = typer.Option(300, min=50, max=5000, help="Creators in the simulated world."),
) -> None:
    """The whole lifecycle against the sandbox, in a fresh directory, in about two minutes."""
    from creatorflow.cli.server_guard import TOKEN_VARIABLE, start_guard
    from creatorflow.demo.environment import demo_environment, prepare_directory

    target = prepare_directory(directory)
    # the child and its Prefect server carry our guard's token: they stop when we do
    env = {**demo_environment(target, os.environ), TOKEN_VARIABLE: start_guard()}
    # A child process: Prefect reads PREFECT_HOME and friends once, at import.
    result = subprocess.run(
        [sys.executable, "-m", "creatorflow.demo", str(target), "--creators", str(creators)],
        env=env,
        check=False,
    )
    raise typer.Exit(result.returncode)
