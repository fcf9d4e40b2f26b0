"""`creatorflow creators refresh` and `creatorflow creators discover`."""

from __future__ import annotations

import typer

from creatorflow.cli.app import command, creators_app, parse_choice
from creatorflow.domain.model import Platform


@creators_app.command("refresh")
def refresh(
    platform: str | None = typer.Option(None, "--platform", help="youtube, instagram or tiktok"),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time (default: now)"),
) -> None:
    """Refresh followers, recent posts, engagement rate and tier of every known account.

    Exit 0: done (accounts the platform would not show are named with the next step); 3: a
    platform's work was deferred (throttle or quota), the next run resumes; 1: failed.
    """
    from creatorflow.services.creators.refresh import refresh_creators
    from creatorflow.services.creators.refresh_summary import EXIT_DEFERRED

    run = command("cli:creators refresh", as_of)
    summary = run(refresh_creators, platform=parse_choice("--platform", platform, Platform))
    for line in summary.lines():
        typer.echo(line)
    if summary.deferred:
        raise typer.Exit(EXIT_DEFERRED)


@creators_app.command("discover")
def discover(
    platform: str = typer.Option(..., "--platform", help="youtube or instagram"),
    query: str = typer.Option(..., "--query", help="keywords (YouTube) or @usernames (Instagram)"),
    max_results: int = typer.Option(25, "--max", help="at most this many accounts"),
) -> None:
    """Find new creators on a platform and add them (deduplicated on platform + handle)."""
    from creatorflow.services.creators.discovery import discover_creators

    plat = parse_choice("--platform", platform, Platform)
    assert plat is not None
    run = command("cli:creators discover")
    summary = run(discover_creators, platform=plat, query=query, max_results=max_results)
    typer.echo(summary.line(plat))
