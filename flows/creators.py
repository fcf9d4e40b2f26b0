"""The ``refresh-creators`` flow: plan batches of 50 accounts, refresh them batch by batch.

Batches run one after the other so the YouTube quota budget is shared by the whole run (each
batch gets what is left); a spent quota stops the run cleanly with the reset time in the summary.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import QuotaExhausted
from creatorflow.platforms.registry import quota_budget
from creatorflow.services.creators.refresh import RefreshSummary
from creatorflow.settings import SettingsError, get_settings
from creatorflow.wiring import run_as_of
from tasks.creators import plan_refresh_batches, refresh_batch
from tasks.runtime import run_parameters


def _run_name() -> str:
    params, as_of = run_parameters()
    return f"refresh-creators-{params.get('platform') or 'all'}-{as_of:%Y-%m-%dT%H%M}"


@flow(name="refresh-creators", flow_run_name=_run_name, validate_parameters=True)
def refresh_creators_flow(
    platform: Platform | None = None, as_of: datetime | None = None
) -> RefreshSummary:
    """Refresh followers, recent posts, engagement rate and tier of every known account."""
    when = run_as_of(as_of)
    logger = get_run_logger()
    settings = get_settings()
    budgets: dict[Platform, int | None] = {}  # what is left of each platform's run budget
    summary = RefreshSummary()
    unconfigured: set[Platform] = set()
    for plat_name, ids in plan_refresh_batches(platform):
        plat = Platform(plat_name)
        if plat in unconfigured:
            continue
        budget = budgets.setdefault(plat, quota_budget(plat, settings))
        try:
            result = refresh_batch(plat, ids, when, quota_budget=budget)
        except SettingsError as exc:
            if platform is not None:
                raise
            summary.skipped.append(f"{plat.value} ({exc})")
            unconfigured.add(plat)
            continue
        except QuotaExhausted as exc:
            summary.stopped = str(exc)
            break
        if budget is not None:
            budgets[plat] = budget - result.quota_units
        summary = summary.add(result)
    logger.info(summary.line())
    create_markdown_artifact(
        key="refresh-creators", markdown=f"## Creator refresh\n\n{summary.line()}\n"
    )
    return summary
