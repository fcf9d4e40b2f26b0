"""`creatorflow campaign waive | evidence`: sponsored-post compliance (issue 16)."""

from __future__ import annotations

from pathlib import Path

import typer

from creatorflow.cli.app import campaign_app, command


@campaign_app.command("waive")
def campaign_waive(
    slug: str = typer.Argument(..., help="Campaign slug."),
    post_id: str = typer.Argument(..., help="The post's id (as `campaign status` shows it)."),
    reason: str = typer.Option(..., "--reason", help="Why the problem is accepted (kept)."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record it at."),
) -> None:
    """Waive a post's open compliance problems: no nudge or reminder goes out for them."""
    from creatorflow.services.tracking.compliance import waive_problems

    run = command("cli:campaign waive", as_of)
    waived = run(waive_problems, campaign_slug=slug, post_id=post_id, reason=reason)
    if not waived:
        typer.echo(f"post {post_id} has no open compliance problem: nothing waived")
        return
    typer.echo(f"waived {len(waived)} problem(s) of post {post_id}: {reason}")


@campaign_app.command("evidence")
def campaign_evidence(
    slug: str = typer.Argument(..., help="Campaign slug."),
    out: Path = typer.Option(..., "--out", help="Folder to write the CSV and JSON into."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="ISO date-time the record is shown at (UTC); default now."
    ),
) -> None:
    """Export every post's caption history and verdicts (CSV and JSON) for legal or an
    auditor; the same --as-of gives byte-identical files."""
    from creatorflow.services.tracking.compliance_evidence import export_evidence

    run = command("cli:campaign evidence", as_of)
    files = run(export_evidence, campaign_slug=slug, out_dir=out)
    typer.echo(
        f"wrote {files.csv} and {files.json}: {files.posts} post(s), "
        f"{files.versions} caption version(s)"
    )
