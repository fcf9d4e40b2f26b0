"""Prefect task for campaign reports: one call to the report service, plus its artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from creatorflow.services.reporting.reports import reportable_campaigns, run_report
from tasks.runtime import run_service


@dataclass(frozen=True)
class ReportRun:
    """What one report task did: the built report stays in its artifacts, not in the result."""

    slug: str
    period: str
    as_of: datetime
    definitions_version: str
    prices_version: str
    send: str  # sent, skipped, ... or "not requested"
    detail: str = ""
    message_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "definitions_version": self.definitions_version,
            "prices_version": self.prices_version,
            "send": self.send,
            "detail": self.detail,
            "message_id": self.message_id,
        }


@task(retries=2, retry_delay_seconds=30, task_run_name="report-{slug}")
def report_task(slug: str, as_of: datetime, send: bool) -> ReportRun:
    """Build (and send) the report; the database's (campaign, period) claim makes retries safe.

    The run's clock is ``as_of`` (as in every tracking task): a replayed or simulated run dates
    its email and its claim at the moment it acts as of, not at the machine's clock."""
    report, outcome = run_service(run_report, slug=slug, as_of=as_of, send=send, now=as_of)
    key = f"report-{slug}"
    create_markdown_artifact(
        markdown=report.markdown, key=key, description=f"{slug} report {report.period}"
    )
    # a table a person reads (key columns, human headings); the CSV goes with the email
    create_markdown_artifact(
        markdown=report.creators_markdown,
        key=f"{key}-creators",
        description=f"{slug} per-creator figures {report.period}",
    )
    return ReportRun(
        slug=slug,
        period=report.period,
        as_of=as_of,
        definitions_version=report.figures.definitions_version,
        prices_version=report.figures.prices.version,
        send=outcome.status if outcome else "not requested",
        detail=outcome.detail if outcome else "",
        message_id=outcome.message_id if outcome else None,
    )


@task(task_run_name="reportable-campaigns")
def reportable_campaigns_task() -> list[str]:
    """The active campaigns, for the scheduled run that names none."""
    return run_service(reportable_campaigns)
