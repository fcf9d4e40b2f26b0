"""`creatorflow campaign launch | outbox | resolve | resume` and `creatorflow suppress`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from creatorflow.cli.app import app, campaign_app, command, guard_prefect_server, parse_as_of
from creatorflow.errors import InputError
from creatorflow.settings import get_settings


@campaign_app.command("launch")
def campaign_launch(
    file: Path = typer.Argument(..., help="The campaign YAML file."),
    approve: bool = typer.Option(False, "--approve", help="Approve the shortlist and send."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Render every first email into the preview folder; send nothing."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to run as (UTC)."),
) -> None:
    """Shortlist creators, then send the first emails (--approve) or preview them (--dry-run)."""
    from creatorflow.services.outreach.preflight import load_launch_file

    # a bad file or template set fails here, before any flow run
    spec = load_launch_file(file, templates_dir=get_settings().templates_dir)
    if not approve and not dry_run:
        raise InputError(
            "campaign launch needs --approve (send after shortlisting) or --dry-run (preview "
            "only); to approve in the Prefect UI instead, run the deployment "
            f"launch-campaign/manual with campaign={spec.slug!r}"
        )
    if not dry_run:
        get_settings().require("sender", "postal_address")
    from flows.outreach import launch_campaign

    moment = parse_as_of(as_of)
    guard_prefect_server()
    summary = launch_campaign(campaign=str(file), approve=approve, dry_run=dry_run, as_of=moment)
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    typer.echo(summary["shortlist"])
    slug = summary.get("slug", "SLUG")
    if summary.get("reasons"):
        typer.echo(
            f"not shortlisted (every creator and reason: artifact shortlist-exclusions-{slug}):"
        )
        for line in summary["reasons"]:
            typer.echo(f"  {line}")
    if summary.get("unknown_engagement"):
        typer.echo(
            f"note: {summary['unknown_engagement']} shortlisted creator(s) have an unknown "
            "engagement rate: `creatorflow creators refresh` reads it"
        )
    if summary.get("removed"):
        typer.echo("removed: " + ", ".join(summary["removed"]))
    counts = summary.get("send", {})
    line = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to send"
    if not summary.get("shortlisted"):
        line += " (nobody shortlisted)"
    typer.echo(f"first emails: {line}")
    if summary.get("preview_dir"):
        typer.echo(f"previews (nothing sent): {summary['preview_dir']}")
    print_send_problems(summary.get("problems", []), summary.get("slug", "SLUG"))
    for line in summary.get("pauses", []):
        typer.echo(line)
    for line in summary.get("warnings", []):
        typer.echo(f"warning: {line}")


def print_send_problems(problems: list[dict[str, Any]], slug: str) -> None:
    """One line per message that did not surely arrive: who, which step, when, which Message-ID."""
    for row in problems:
        typer.echo(
            f"  {row['status']}: {row['creator']} <{row['to']}> {row['step']} at "
            f"{row['at'] or '?'} Message-ID {row['message_id'] or '-'}: {row['reason']}"
        )
    if any(r["status"] == "unknown" for r in problems):
        typer.echo(
            "  unknown outcomes are never resent: check the mailbox's Sent folder, then "
            f"`creatorflow campaign resolve {slug} PLATFORM:HANDLE --step STEP "
            "--delivered` (or --not-delivered)"
        )


@campaign_app.command("outbox")
def campaign_outbox(
    slug: str = typer.Argument(..., help="Campaign slug."),
    status: str | None = typer.Option(
        None, "--status", help="Only unknown, failed or deferred messages (default: all three)."
    ),
    format: str = typer.Option("table", "--format", help="table or json."),  # noqa: A002
) -> None:
    """Messages that did not surely arrive: unknown, failed and deferred, each by name."""
    from creatorflow.services.outreach.outbox_review import list_outbox

    if format not in {"table", "json"}:
        raise InputError(f"--format: {format!r} is not one of table, json")
    wanted = status.strip().lower() if status is not None else None
    entries = command("cli:campaign outbox")(list_outbox, campaign_slug=slug, status=wanted)
    if format == "json":
        typer.echo(json.dumps([e.as_json() for e in entries], indent=2, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{slug}: {len(entries)} message(s) to look at")
    for column in ("creator", "step", "status", "at (UTC)", "Message-ID"):
        table.add_column(column, no_wrap=True)  # whole, to search the mail server's log with
    table.add_column("reason", overflow="fold", min_width=20)
    for e in entries:
        reason = e.reason or ""
        if e.next_try is not None:
            reason = f"{reason} [next try {e.next_try:%Y-%m-%d %H:%M}]".strip()
        table.add_row(e.creator, e.step, e.status, f"{e.at:%Y-%m-%d %H:%M}", e.message_id, reason)
    Console(width=160).print(table)


@campaign_app.command("resolve")
def campaign_resolve(
    slug: str = typer.Argument(..., help="Campaign slug."),
    creator: str = typer.Argument(..., help="PLATFORM:HANDLE, e.g. instagram:anna.glow"),
    step: str = typer.Option(..., "--step", help="initial, follow_up_1, brief, ..."),
    delivered: bool = typer.Option(
        False, "--delivered", help="It arrived (found in the Sent folder or the server log)."
    ),
    not_delivered: bool = typer.Option(
        False, "--not-delivered", help="It did not arrive: send it again, once."
    ),
) -> None:
    """Settle one unknown, failed or deferred message: --delivered or --not-delivered."""
    from creatorflow.services.outreach.outbox_review import resolve_message

    if delivered == not_delivered:
        raise InputError("campaign resolve needs exactly one of --delivered or --not-delivered")
    result = command("cli:campaign resolve")(
        resolve_message,
        campaign_slug=slug,
        creator=creator,
        step=step.strip(),
        delivered=delivered,
    )
    typer.echo(result.summary())


@campaign_app.command("resume")
def campaign_resume(slug: str = typer.Argument(..., help="Campaign slug.")) -> None:
    """Lift the deliverability guard's pause of a campaign and of its sending mailbox."""
    from creatorflow.services.outreach.sending_pauses import resume_sending

    result = command("cli:campaign resume")(resume_sending, campaign_slug=slug)
    for line in result.lines():
        typer.echo(line)


@app.command("suppress")
def suppress_address(
    email: str = typer.Argument(..., help="The address never to email again."),
    reason: str = typer.Option("manual", "--reason", help="Why (kept with the entry)."),
) -> None:
    """Add an address to the global suppression list (every campaign, at send time)."""
    from creatorflow.services.outreach.suppression import suppress

    added = command("cli:suppress")(suppress, email=email, reason=reason, source="cli")
    address = email.strip().lower()
    typer.echo(f"suppressed {address}" if added else f"{address} was already suppressed")
