"""`creatorflow creators refresh` and `creatorflow creators discover`."""

from __future__ import annotations

import typer

from creatorflow.cli.app import creators_app, parse_as_of
from creatorflow.domain.model import Platform
from creatorflow.errors import InputError
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for


def _platform(value: str | None) -> Platform | None:
    if value is None:
        return None
    try:
        return Platform(value.strip().lower())
    except ValueError:
        names = ", ".join(p.value for p in Platform)
        raise InputError(f"--platform: {value!r} is not one of {names}") from None


@creators_app.command("refresh")
def refresh(
    platform: str | None = typer.Option(None, "--platform", help="youtube, instagram or tiktok"),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time (default: now)"),
) -> None:
    """Refresh followers, recent posts, engagement rate and tier of every known account."""
    from creatorflow.services.creators.refresh import refresh_creators
    from tasks.runtime import current_actor

    settings = get_settings()
    summary = refresh_creators(
        engine=engine_for(settings.database_url),
        settings=settings,
        platform=_platform(platform),
        now=parse_as_of(as_of),
        actor=current_actor("cli:creators refresh"),
    )
    typer.echo(summary.line())


@creators_app.command("discover")
def discover(
    platform: str = typer.Option(..., "--platform", help="youtube or instagram"),
    query: str = typer.Option(..., "--query", help="keywords (YouTube) or @usernames (Instagram)"),
    max_results: int = typer.Option(25, "--max", help="at most this many accounts"),
) -> None:
    """Find new creators on a platform and add them (deduplicated on platform + handle)."""
    from creatorflow.services.creators.discovery import discover_creators
    from tasks.runtime import current_actor

    settings = get_settings()
    plat = _platform(platform)
    assert plat is not None
    summary = discover_creators(
        engine=engine_for(settings.database_url),
        settings=settings,
        platform=plat,
        query=query,
        max_results=max_results,
        now=parse_as_of(None),
        actor=current_actor("cli:creators discover"),
    )
    typer.echo(summary.line(plat))
