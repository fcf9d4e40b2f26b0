"""`creatorflow campaign launch` and `creatorflow suppress`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from creatorflow.cli.app import app, campaign_app, command, parse_as_of
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
    from creatorflow.storage.campaigns import load_campaign_file

    spec = load_campaign_file(file)  # a bad file fails here, before any flow run
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
    summary = launch_campaign(campaign=str(file), approve=approve, dry_run=dry_run, as_of=moment)
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    typer.echo(summary["shortlist"])
    if summary.get("removed"):
        typer.echo("removed: " + ", ".join(summary["removed"]))
    counts = summary.get("send", {})
    line = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to send"
    typer.echo(f"first emails: {line}")
    if summary.get("preview_dir"):
        typer.echo(f"previews (nothing sent): {summary['preview_dir']}")
    for row in summary.get("problems", []):
        typer.echo(f"  {row['status']}: {row['creator']} <{row['to']}>: {row['reason']}")
    if any(r["status"] == "unknown" for r in summary.get("problems", [])):
        typer.echo(
            "  unknown outcomes are never resent: check the mailbox's Sent folder, then decide"
        )


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
