"""`campaign-report`: the scheduled stakeholder report (deployment `campaign-report/weekly`).

The schedule may fire twice and a run may be retried: the report service claims
(campaign, period) in the database before any email leaves, so each period is reported once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow

from tasks.reporting import report_task


@flow(name="campaign-report", flow_run_name="report-{slug}", validate_parameters=True)
def campaign_report(slug: str, send: bool = True, as_of: datetime | None = None) -> dict[str, Any]:
    """Report on campaign ``slug`` as of ``as_of`` (default: now); email it when ``send``."""
    moment = as_of or datetime.now(UTC)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return report_task(slug=slug, as_of=moment, send=send)
