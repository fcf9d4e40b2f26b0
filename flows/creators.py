"""The ``refresh-creators`` flow: plan batches of 50 accounts, refresh them batch by batch.

Batches run one after the other so the YouTube quota budget is shared by the whole run (each
batch gets what is left). A platform that defers (a throttle or quota outlasting a sensible
wait) stops for this run with what was fetched saved, and the other platforms go on; the summary
names every account with a problem and every deferred platform, and the next run resumes with
the accounts not reached.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from creatorflow.domain.model import Platform
from creatorflow.platforms.registry import quota_budget
from creatorflow.services.creators.refresh import RefreshSummary
from creatorflow.settings import SettingsError, get_settings
from creatorflow.wiring import run_as_of
from tasks.creators import plan_refresh_batches, refresh_batch
from tasks.personal_data import apply_retention_task
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
    deferred: set[Platform] = set()
    batches = plan_refresh_batches(platform, when)
    last = {Platform(name): index for index, (name, _) in enumerate(batches)}
    for index, (plat_name, ids) in enumerate(batches):
        plat = Platform(plat_name)
        if plat in deferred:
            summary.add_left(plat.value, len(ids))
            continue
        if plat in unconfigured:
            continue
        budget = budgets.setdefault(plat, quota_budget(plat, settings))
        try:
            result = refresh_batch(
                plat, ids, when, quota_budget=budget, completes=index == last[plat]
            )
        except SettingsError as exc:
            if platform is not None:
                raise
            summary.skipped.append(f"{plat.value} ({exc})")
            unconfigured.add(plat)
            continue
        if budget is not None:
            budgets[plat] = budget - result.quota_units
        summary = summary.add(result)
        if result.deferred:
            deferred.add(plat)
    for line in summary.lines():
        logger.info(line)
    create_markdown_artifact(key="refresh-creators", markdown=summary.markdown())
    # the daily housekeeping of personal data: contacts who never answered, erased (issue 19)
    kept = apply_retention_task(when)
    create_markdown_artifact(key="retention", markdown=kept.markdown())
    return summary
