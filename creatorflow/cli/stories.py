"""`creatorflow campaign story-results | match-story` (Instagram Stories, issue 17)"""

from __future__ import annotations

import typer

from creatorflow.cli.app import campaign_app, command, terminal_text


@campaign_app.command("story-results")
def campaign_story_results(
    slug: str = typer.Argument(..., help="Campaign slug."),
    creator: str = typer.Argument(..., help="PLATFORM:HANDLE of the story's creator."),
    views: int | None = typer.Option(None, "--views", min=0, help="Views the creator reported."),
    reach: int | None = typer.Option(None, "--reach", min=0, help="Accounts reached."),
    taps: int | None = typer.Option(None, "--taps", min=0, help="Link (sticker) taps."),
    replies: int | None = typer.Option(None, "--replies", min=0, help="Replies to the story."),
    story: int | None = typer.Option(
        None, "--story", help="The story's deliverable id (default: the oldest without figures)."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record them at."),
) -> None:
    """Record a story's figures as the creator reported them (provenance submitted)."""
    from creatorflow.services.tracking.story_results import record_story_results

    run = command("cli:campaign story-results", as_of)
    result = run(
        record_story_results,
        campaign_slug=slug,
        creator=creator,
        views=views,
        reach=reach,
        taps=taps,
        replies=replies,
        story=story,
    )
    if not result.recorded:
        typer.echo(
            f"already recorded: story {result.deliverable_id} has these figures at this instant"
        )
        return
    note = " (replaces the figures recorded before)" if result.replaced else ""
    typer.echo(
        terminal_text(
            f"recorded: story {result.deliverable_id} of {result.creator}, provenance "
            f"submitted{note}"
        )
    )
    typer.echo(_figures_line(result.figures, result.given, result.kept))


def _figures_line(
    figures: dict[str, int | None], given: tuple[str, ...], kept: tuple[str, ...]
) -> str:
    """``given: views 111; kept: reach 63341; unknown: replies`` (a correction's carry-over)."""
    unknown = [name for name, value in figures.items() if value is None]
    parts = [
        f"{label}: " + ", ".join(f"{name} {figures[name]}" for name in names)
        for label, names in (("given", given), ("kept", kept))
        if names
    ]
    if unknown:
        parts.append("unknown: " + ", ".join(unknown))
    return "; ".join(parts)


@campaign_app.command("match-story")
def campaign_match_story(
    slug: str = typer.Argument(..., help="Campaign slug."),
    event_id: int = typer.Argument(..., help="The queued story mention (campaign status)."),
    creator: str = typer.Argument(..., help="PLATFORM:HANDLE whose story it is."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record it at."),
) -> None:
    """Say whose story a queued story mention is (Meta did not name the sender)."""
    from creatorflow.services.tracking.stories import match_story

    run = command("cli:campaign match-story", as_of)
    result = run(match_story, campaign_slug=slug, event_id=event_id, creator=creator)
    verb = "recorded" if result.created else "already recorded"
    typer.echo(
        terminal_text(f"{verb}: story {result.deliverable_id} of {result.creator} in {slug}")
    )
