"""The ``refresh-creators`` flow: plan batches of 50 accounts, refresh them batch by batch.

Batches run one after the other so the YouTube quota budget is shared by the whole run (each
batch gets what is left); a spent quota stops the run cleanly with the reset time in the summary.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import QuotaExhausted
from creatorflow.services.creators.refresh import RefreshSummary
from creatorflow.settings import SettingsError, get_settings
from tasks.creators import plan_refresh_batches, refresh_batch


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    platform = params.get("platform") or "all"
    as_of = params.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = datetime.fromisoformat(as_of)
        except ValueError:
            as_of = None
    when = as_of if isinstance(as_of, datetime) else datetime.now(UTC)
    return f"refresh-creators-{platform}-{when:%Y-%m-%dT%H%M}"


@flow(name="refresh-creators", flow_run_name=_run_name, validate_parameters=True)
def refresh_creators_flow(
    platform: Platform | None = None, as_of: datetime | None = None
) -> RefreshSummary:
    """Refresh followers, recent posts, engagement rate and tier of every known account."""
    when = (as_of or datetime.now(UTC)).astimezone(UTC)
    logger = get_run_logger()
    settings = get_settings()
    budget = settings.youtube_quota_budget
    summary = RefreshSummary()
    unconfigured: set[Platform] = set()
    for plat_name, ids in plan_refresh_batches(platform):
        plat = Platform(plat_name)
        if plat in unconfigured:
            continue
        try:
            result = refresh_batch(
                plat, ids, when, quota_budget=budget if plat is Platform.YOUTUBE else None
            )
        except SettingsError as exc:
            if platform is not None:
                raise
            summary.skipped.append(f"{plat.value} ({exc})")
            unconfigured.add(plat)
            continue
        except QuotaExhausted as exc:
            summary.stopped = str(exc)
            break
        if plat is Platform.YOUTUBE:
            budget -= result.quota_units
        summary = summary.add(result)
    logger.info(summary.line())
    create_markdown_artifact(
        key="refresh-creators", markdown=f"## Creator refresh\n\n{summary.line()}\n"
    )
    return summary
