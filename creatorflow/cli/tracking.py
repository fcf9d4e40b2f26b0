"""`creatorflow campaign track | deliverable | status`"""

from __future__ import annotations

import json

import typer

from creatorflow.cli.app import campaign_app, command, parse_as_of
from creatorflow.errors import InputError
from creatorflow.wiring import wire


@campaign_app.command("track")
def campaign_track(
    slug: str = typer.Argument(..., help="Campaign slug."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to run as (UTC)."),
) -> None:
    """Read replies, send follow-ups and reminders, detect deliverables and poll engagement."""
    from flows.tracking import track_campaigns

    moment = parse_as_of(as_of)
    summary = track_campaigns(campaign_slug=slug, as_of=moment)
    detection = summary.get("detection", {})
    polling = summary.get("polling", {})
    reminders = summary.get("reminders", {}).get(slug, {})
    typer.echo(f"tracked {slug} as of {moment.isoformat()}")
    typer.echo(f"  reminders: {reminders.get('sent', 0)} sent, {reminders.get('planned', 0)} due")
    typer.echo(
        f"  deliverables: {detection.get('new', 0)} new "
        f"({detection.get('undisclosed', 0)} without ad disclosure)"
    )
    typer.echo(
        f"  polling: {polling.get('snapshots', 0)} snapshots, {polling.get('gone', 0)} gone, "
        f"{polling.get('requests', 0)} API calls"
    )
    for platform in polling.get("quota_exhausted", []):
        typer.echo(f"  {platform}: quota spent; the next run resumes polling")


@campaign_app.command("deliverable")
def campaign_deliverable(
    slug: str = typer.Argument(..., help="Campaign slug."),
    url: str = typer.Argument(..., help="The post's URL (YouTube, Instagram, TikTok)."),
    creator: str | None = typer.Option(
        None, "--creator", help="PLATFORM:HANDLE, when the API cannot tell whose post it is."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record it at."),
) -> None:
    """Record a post submitted by URL, after checking through the API whose it is."""
    from creatorflow.services.tracking.submission import submit_deliverable

    run = command("cli:campaign deliverable", as_of)
    result = run(submit_deliverable, campaign_slug=slug, url=url, creator=creator)
    verb = "recorded" if result.created else "already recorded"
    typer.echo(
        f"{verb}: deliverable {result.deliverable_id} ({result.platform.value} {result.post_id} "
        f"by {result.handle}), provenance {result.provenance.value}; {result.note}"
    )
    if result.disclosure_ok is False:
        typer.echo("warning: no ad disclosure (#ad, #sponsored or paid-promotion flag)")


@campaign_app.command("status")
def campaign_status(
    slug: str = typer.Argument(..., help="Campaign slug."),
    format: str = typer.Option("table", "--format", help="table or json."),  # noqa: A002
) -> None:
    """The campaign's funnel and each creator's stage."""
    from creatorflow.services.tracking.status import FUNNEL, campaign_status

    if format not in {"table", "json"}:
        raise InputError(f"--format: {format!r} is not one of table, json")
    status = campaign_status(engine=wire().engine, campaign_slug=slug)
    if format == "json":
        typer.echo(json.dumps(status.as_json(), indent=2, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    funnel = Table(title=f"{status.campaign}: {status.name} ({status.status})")
    for name in FUNNEL:
        funnel.add_column(name, justify="right")
    funnel.add_row(*(str(status.funnel[name]) for name in FUNNEL))
    console.print(funnel)
    creators = Table(title="creators")
    for column in ("platform", "handle", "tier", "stage", "due", "posts", "gone"):
        creators.add_column(column)
    for c in status.creators:
        creators.add_row(
            c.platform,
            c.handle,
            c.tier or "-",
            c.stage,
            (c.due_at or "-")[:10],
            str(c.deliverables),
            str(c.gone),
        )
    console.print(creators)
