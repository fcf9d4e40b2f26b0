"""`creatorflow campaign report | conversions`"""

from __future__ import annotations

from pathlib import Path

import typer

from creatorflow.cli.app import campaign_app, command


@campaign_app.command("report")
def campaign_report(
    slug: str = typer.Argument(..., help="Campaign slug."),
    send: bool = typer.Option(False, "--send", help="Email it (once per campaign and period)."),
    out: Path | None = typer.Option(None, "--out", help="Write HTML, PNG charts and CSV here."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time of the figures (UTC)."),
) -> None:
    """Build the campaign report as of a moment; print it, write it to disk and/or email it."""
    from creatorflow.services.reporting.reports import build_report, send_report, write_report

    run = command("cli:campaign report", as_of)
    moment = run.now
    report = run(build_report, slug=slug, as_of=moment)
    figures = report.figures
    if out is None and not send:
        typer.echo(report.text, nl=False)
        return
    typer.echo(
        f"report {slug} as of {moment.isoformat()}: period {report.period}, definitions "
        f"{figures.definitions_version}, prices {figures.prices.version}"
    )
    if out is not None:
        for path in write_report(report, out):
            typer.echo(f"  wrote {path}")
    if send:
        outcome = run(send_report, report=report)
        if outcome.status == "sent":
            typer.echo(f"  sent to {', '.join(outcome.recipients)} ({outcome.message_id})")
        else:
            typer.echo(f"  not sent: {outcome.detail}")


@campaign_app.command("conversions")
def campaign_conversions(
    slug: str = typer.Argument(..., help="Campaign slug."),
    file: Path = typer.Argument(
        ..., help="CSV export: utm_content or promo_code, clicks, leads, sales[, revenue, date]."
    ),
) -> None:
    """Import clicks, leads and sales by utm_content or promo code (idempotent)."""
    from creatorflow.services.tracking.conversions import import_conversions

    result = command("cli:campaign conversions")(import_conversions, slug=slug, path=file)
    typer.echo(f"{file}: {result.imported} rows imported, {result.already} already imported")
    for line, code in result.unknown:
        typer.echo(f"  line {line}: unknown code {code!r} (no creator in {slug} has it)")
    for line, code in result.ambiguous:
        typer.echo(f"  line {line}: utm_content {code!r} matches several creators; use promo_code")
