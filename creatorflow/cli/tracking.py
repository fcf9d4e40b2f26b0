"""`creatorflow campaign track | deliverable | status`"""

from __future__ import annotations

import json
from typing import Any

import typer

from creatorflow.cli.app import (
    campaign_app,
    command,
    guard_prefect_server,
    parse_as_of,
    print_table,
    terminal_text,
)
from creatorflow.errors import InputError
from creatorflow.services.tracking.compliance_status import problem_line
from creatorflow.wiring import wire


@campaign_app.command("track")
def campaign_track(
    slug: str = typer.Argument(..., help="Campaign slug."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to run as (UTC)."),
) -> None:
    """Read replies, send follow-ups and reminders, detect deliverables and poll engagement.

    Exit 0: done (creators whose account cannot be read are named with the next step); 3: a
    platform's work was deferred (quota or throttle), the next run resumes; 1: failed.
    """
    from creatorflow.domain.inbound import describe_inbox
    from creatorflow.services.creators.refresh_summary import EXIT_DEFERRED
    from creatorflow.services.tracking.run_summary import gone_post_line, inbox_steps

    moment = parse_as_of(as_of)
    guard_prefect_server()  # an unknown campaign fails here, before Prefect is even imported
    from flows.tracking import track_campaigns

    summary = track_campaigns(campaign_slug=slug, as_of=moment)
    detection = summary.get("detection", {})
    polling = summary.get("polling", {})
    reminders = summary.get("reminders", {}).get(slug, {})
    typer.echo(f"tracked {slug} as of {moment.isoformat()}")
    inbox = summary.get("inbox") or {}
    typer.echo(f"  inbox: {inbox.get('fetched', 0)} read, {describe_inbox(inbox)}")
    for step in inbox_steps(inbox):
        typer.echo(f"  warning: {step.removeprefix('- ')}")
    typer.echo(f"  reminders: {reminders.get('sent', 0)} sent, {reminders.get('planned', 0)} due")
    _print_sending(summary, slug)
    typer.echo(
        f"  deliverables: {detection.get('new', 0)} new "
        f"({detection.get('undisclosed', 0)} without ad disclosure)"
    )
    typer.echo(
        f"  polling: {polling.get('snapshots', 0)} snapshots, {polling.get('gone', 0)} gone, "
        f"{polling.get('requests', 0)} API calls"
    )
    for item in polling.get("gone_posts") or []:  # which posts disappeared (issue 14)
        line = gone_post_line(item).replace("`", "")
        typer.echo(terminal_text(f"  gone: {line} (snapshots kept)"))
    for platform in polling.get("quota_exhausted", []):
        typer.echo(f"  {platform}: quota spent or throttled; the next run resumes polling")
    attention = summary.get("attention") or {}
    for item in attention.get("accounts") or []:
        typer.echo(f"  needs attention: {item['account']} ({item['status']}): {item['reason']}")
    for line in attention.get("deferred") or []:
        typer.echo(f"  deferred {line}; the next run resumes")
    for item in attention.get("early_posts") or []:  # issue 18
        typer.echo(f"  posted before draft approval: {item['account']} {item['post_id']}")
    for item in attention.get("compliance") or []:  # sponsored-post disclosure (issue 16)
        typer.echo(terminal_text(f"  needs attention: {problem_line(item).removeprefix('- ')}"))
    if polling.get("quota_exhausted") or detection.get("quota_exhausted"):
        raise typer.Exit(EXIT_DEFERRED)


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
    wiring = wire()
    status = campaign_status(
        engine=wiring.engine, campaign_slug=slug, sender=wiring.settings.sender
    )
    if format == "json":
        typer.echo(json.dumps(status.as_json(), indent=2, sort_keys=True))
        return
    from rich.table import Table

    funnel = Table(title=terminal_text(f"{status.campaign}: {status.name} ({status.status})"))
    for name in FUNNEL:
        funnel.add_column(name, justify="right")
    funnel.add_row(*(str(status.funnel[name]) for name in FUNNEL))
    print_table(funnel, width=120)
    if any(status.portal.values()):  # the creator portal (issue 18)
        typer.echo(
            "portal: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in status.portal.items())
        )
    creators = Table(title="creators")
    for column in ("platform", "handle", "tier", "stage", "due", "posts", "gone"):
        creators.add_column(column, justify="right" if column in ("posts", "gone") else "left")
    for c in status.creators:
        creators.add_row(
            *map(
                terminal_text,
                (
                    c.platform,
                    c.handle,
                    c.tier or "-",
                    c.stage,
                    (c.due_at or "-")[:10],
                    str(c.deliverables),
                    str(c.gone),
                ),
            )
        )
    print_table(creators, width=120)
    _print_stories(status)  # Instagram stories (issue 17)
    for c in status.creators:  # sponsored-post disclosure (issue 16)
        if c.compliance:
            typer.echo(terminal_text(f"compliance: {c.platform}:{c.handle}: {c.compliance}"))
    for c in status.creators:  # in full, never cut by the table's width
        if c.problem:
            typer.echo(
                f"needs attention: {c.platform}:{c.handle} ({c.account_status}): {c.problem}"
            )
    _print_outbox_problems(status.send_problems, status.sending_paused)


def _print_sending(summary: dict[str, Any], slug: str) -> None:
    """Follow-ups, then every send problem by creator and the guard's lines, in full."""
    from creatorflow.cli.outreach import print_send_problems

    follow_ups = summary.get("follow_ups", {}).get(slug, {})
    shown = ", ".join(f"{n} {status}" for status, n in follow_ups.items() if n)
    typer.echo(f"  follow-ups: {shown or 'none due'}")
    print_send_problems(
        list(summary.get("send_problems") or []) + list(summary.get("send_waiting") or []), slug
    )
    for line in summary.get("sending_paused") or []:
        typer.echo(f"  {line}")
    for line in summary.get("sending_warnings") or []:
        typer.echo(f"  warning: {line}")


def _print_outbox_problems(problems: list[dict[str, Any]], paused: list[dict[str, str]]) -> None:
    """Messages that did not surely arrive, one full line each (a table would cut them)."""
    for row in problems:
        typer.echo(
            terminal_text(
                f"outbox {row['status']}: {row['creator']} {row['step']} at {row['at']} "
                f"Message-ID {row['message_id']}: {row['reason']}"
            )
        )
    for pause in paused:
        typer.echo(terminal_text(pause["line"]))


def _print_stories(status: Any) -> None:
    """Each story (live with its CDN URL, or expired) and the story mentions awaiting a match."""
    for s in status.stories:
        shown = {"views": s.views, "reach": s.reach, "taps": s.link_taps, "replies": s.replies}
        figures = ", ".join(f"{k} {v}" for k, v in shown.items() if v is not None)
        where = f" {s.media_url}" if s.media_url else ""
        typer.echo(
            terminal_text(
                f"story {s.deliverable_id}: {s.creator} at {(s.posted_at or '-')[:16]}, "
                f"{s.state}{where}; results {s.results}" + (f" ({figures})" if figures else "")
            )
        )
    for e in status.stories_unmatched:
        typer.echo(
            terminal_text(
                f"story mention {e['event_id']} at {(e['at'] or '-')[:16]} waits for a match: "
                f"creatorflow campaign match-story {status.campaign} {e['event_id']} "
                "PLATFORM:HANDLE"
            )
        )
