"""`campaign-report`: the scheduled stakeholder report (deployment `campaign-report/weekly`).

The schedule may fire twice and a run may be retried: the report service claims
(campaign, period) in the database before any email leaves, so each period is reported once.
Without a slug the run covers every active campaign; one campaign's failure does not stop the
others' reports, and the run fails at the end naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from creatorflow.wiring import run_as_of
from tasks.reporting import report_task, reportable_campaigns_task


def _run_name() -> str:
    from prefect.runtime import flow_run

    slug = flow_run.parameters.get("slug")
    return f"report-{slug}" if slug else "report-active-campaigns"


@flow(name="campaign-report", flow_run_name=_run_name, validate_parameters=True)
def campaign_report(
    slug: str | None = None, send: bool = True, as_of: datetime | None = None
) -> dict[str, Any]:
    """Report on campaign ``slug`` (default: every active one) as of ``as_of`` (default: now)."""
    moment = run_as_of(as_of)
    if slug is not None:
        return report_task(slug=slug, as_of=moment, send=send).as_json()
    results: dict[str, Any] = {}
    failed: list[str] = []
    for each in reportable_campaigns_task():
        state = report_task(slug=each, as_of=moment, send=send, return_state=True)
        if state.is_completed():
            results[each] = state.result().as_json()
        else:
            failed.append(each)
    if failed:
        raise RuntimeError(f"campaign report failed for: {', '.join(failed)} (see the task runs)")
    return {"campaigns": results}
