"""Prefect task for campaign reports: one call to the report service, plus its artifacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from creatorflow.services.reporting.reports import reportable_campaigns, run_report
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for
from tasks.runtime import current_actor

ARTIFACT_ROWS = 200  # the table artifact shows the top creators; the CSV has them all


@task(retries=2, retry_delay_seconds=30, task_run_name="report-{slug}")
def report_task(slug: str, as_of: datetime, send: bool) -> dict[str, Any]:
    """Build (and send) the report; the database's (campaign, period) claim makes retries safe."""
    settings = get_settings()
    report, outcome = run_report(
        engine=engine_for(settings.database_url),
        settings=settings,
        slug=slug,
        as_of=as_of,
        send=send,
        now=datetime.now(UTC),
        actor=current_actor("cli:campaign report"),
    )
    key = f"report-{slug}"
    create_markdown_artifact(
        markdown=report.markdown, key=key, description=f"{slug} report {report.period}"
    )
    rows = sorted(report.table, key=lambda r: -int(r["engagements"]))[:ARTIFACT_ROWS]
    create_table_artifact(
        table=rows, key=f"{key}-creators", description=f"{slug} per-creator figures {report.period}"
    )
    return {
        "slug": slug,
        "period": report.period,
        "as_of": as_of.isoformat(),
        "definitions_version": report.figures.definitions_version,
        "prices_version": report.figures.prices.version,
        "send": outcome.status if outcome else "not requested",
        "detail": outcome.detail if outcome else "",
        "message_id": outcome.message_id if outcome else None,
    }


@task(task_run_name="reportable-campaigns")
def reportable_campaigns_task() -> list[str]:
    """The active campaigns, for the scheduled run that names none."""
    settings = get_settings()
    return reportable_campaigns(engine=engine_for(settings.database_url))
