"""Prefect tasks for refreshing creators: one task run per batch of 50 accounts, not per creator.

Only transient platform failures (connection errors, 5xx, throttling) are retried by Prefect;
a bad token, a spent quota or a malformed answer fails fast with its message.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.tasks import exponential_backoff

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import TransientPlatformError
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.services.creators import refresh as service
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for
from tasks.runtime import current_actor, retry_only_on

#: Retry timeouts, 5xx and throttling; a bad key, unknown account or spent quota fails at once.
retry_transient_only = retry_only_on(TransientPlatformError)


@task(name="plan-refresh")
def plan_refresh_batches(platform: Platform | None) -> list[tuple[str, list[int]]]:
    settings = get_settings()
    return service.plan_refresh(engine=engine_for(settings.database_url), platform=platform)


@task(
    name="refresh-batch",
    task_run_name="refresh-{platform}-{account_ids[0]}",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_transient_only,
)
def refresh_batch(
    platform: Platform, account_ids: list[int], as_of: datetime, quota_budget: int | None = None
) -> service.RefreshSummary:
    """Refresh up to 50 accounts; ``quota_budget`` is what is left of the run's YouTube units."""
    settings = get_settings()
    if quota_budget is not None:
        settings = settings.model_copy(update={"youtube_quota_budget": quota_budget})
    client = client_for(platform, settings)
    try:
        summary = service.refresh_batch(
            engine=engine_for(settings.database_url),
            platform=platform,
            account_ids=account_ids,
            client=client,
            rules=load_default_tier_rules(settings.config_dir),
            now=as_of,
            actor=current_actor("cli:creators refresh"),
        )
        summary.quota_units = service.quota_units(client)
        return summary
    finally:
        close_client(client)
