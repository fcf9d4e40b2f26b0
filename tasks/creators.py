"""Prefect tasks for refreshing creators: one task run per batch of 50 accounts, not per creator.

Only transient platform failures (connection errors, 5xx, short throttling) are retried by
Prefect; a bad key or a malformed answer fails fast with its message. One creator's bad token
marks that account, and a throttle or quota outlasting a sensible wait ends the batch with what
was fetched (the summary says so): neither fails the task.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from creatorflow.domain.model import Platform
from creatorflow.platforms.registry import with_quota_budget
from creatorflow.services.creators import refresh as service
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import get_settings
from creatorflow.wiring import wire
from tasks.runtime import retry_transient_only, retrying, run_service


@task(name="plan-refresh")
def plan_refresh_batches(platform: Platform | None, as_of: datetime) -> list[tuple[str, list[int]]]:
    return run_service(service.plan_refresh, platform=platform, now=as_of)


@task(
    name="refresh-batch",
    task_run_name="refresh-{platform}-{account_ids[0]}",
    **retrying(retry_transient_only),
)
def refresh_batch(
    platform: Platform,
    account_ids: list[int],
    as_of: datetime,
    quota_budget: int | None = None,
    completes: bool = False,
) -> service.RefreshSummary:
    """Refresh up to 50 accounts; ``quota_budget`` is what is left of the run's units on a
    platform that budgets them (YouTube); ``completes``: the platform's last batch."""
    settings = get_settings()
    if quota_budget is not None:
        settings = with_quota_budget(settings, platform, quota_budget)
    with wire(settings).platform_client(platform) as client:
        summary = run_service(
            service.refresh_batch,
            settings=settings,
            platform=platform,
            account_ids=account_ids,
            client=client,
            rules=load_default_tier_rules(settings.config_dir),
            now=as_of,
            completes=completes,
        )
        summary.quota_units = service.quota_units(client)
    return summary
