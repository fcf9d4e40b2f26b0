"""Prefect tasks for tracking: each calls one service on a batch; rate limits live here.

Platform calls go through Prefect global concurrency limits used as rate limits
(``rate_limit(name, strict=True)``): ``youtube-api``, ``instagram-api``, ``tiktok-api``. They are
created by ``ensure_concurrency_limits()`` (called by ``creatorflow db upgrade`` and the tests);
strict means a missing limit is an error, not a silent "no limit".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from prefect import task
from prefect.concurrency.sync import rate_limit
from prefect.tasks import exponential_backoff

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PlatformClient
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.services.tracking import deliverables, polling, reminders
from creatorflow.services.tracking.campaign_terms import tracked_slugs
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for
from tasks.creators import retry_transient_only
from tasks.runtime import current_actor


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int  # slots: requests that may start at once
    per_second: float  # slot decay: sustained requests per second


#: Sustained rates well inside each platform's published limits (platform_apis.md): YouTube has
#: a daily unit quota but no per-second limit; Instagram's platform limit is per hour and user;
#: TikTok allows 600 requests a minute per endpoint.
RATE_LIMITS: dict[Platform, RateLimit] = {
    Platform.YOUTUBE: RateLimit("youtube-api", limit=200, per_second=200.0),
    Platform.INSTAGRAM: RateLimit("instagram-api", limit=50, per_second=5.0),
    Platform.TIKTOK: RateLimit("tiktok-api", limit=50, per_second=9.0),
}


def ensure_concurrency_limits(*, update: bool = False) -> list[str]:
    """Create the project's rate limits on the Prefect server when missing; returns their names.

    Existing limits are left as the operator tuned them (``prefect gcl update``) unless
    ``update`` is true.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    server = str(PREFECT_API_URL.value() or "ephemeral")
    if not update and server in _ENSURED:  # once per process and server: each check is a call
        return [spec.name for spec in RATE_LIMITS.values()]
    with get_client(sync_client=True) as client:
        for spec in RATE_LIMITS.values():
            if update:
                client.upsert_global_concurrency_limit_by_name(
                    spec.name, spec.limit, slot_decay_per_second=spec.per_second
                )
                continue
            try:
                client.read_global_concurrency_limit_by_name(spec.name)
            except ObjectNotFound:
                # another process may create it meanwhile: that is fine too
                with suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(
                            name=spec.name, limit=spec.limit, slot_decay_per_second=spec.per_second
                        )
                    )
    _ENSURED.add(server)
    return [spec.name for spec in RATE_LIMITS.values()]


_ENSURED: set[str] = set()


def throttle(platform: Platform, requests: int) -> None:
    """Wait for ``requests`` slots of the platform's rate limit (in chunks of at most its size)."""
    spec = RATE_LIMITS[platform]
    remaining = requests
    while remaining > 0:
        occupy = min(remaining, spec.limit)
        rate_limit(spec.name, occupy=occupy, strict=True)
        remaining -= occupy


class _Clients:
    """Platform clients built on demand for one task and closed when it ends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[Platform, PlatformClient] = {}
        self._lock = threading.Lock()

    def __call__(self, platform: Platform) -> PlatformClient:
        with self._lock:
            if platform not in self._made:
                self._made[platform] = client_for(platform, self.settings)
            return self._made[platform]

    def close(self) -> None:
        for client in self._made.values():
            close_client(client)


@contextmanager
def platform_clients(settings: Settings) -> Iterator[_Clients]:
    made = _Clients(settings)
    try:
        yield made
    finally:
        made.close()


_RETRY: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": retry_transient_only,
}


@task(name="campaigns-to-track")
def campaigns_to_track_task(campaign_slug: str | None) -> list[str]:
    return tracked_slugs(engine=engine_for(get_settings().database_url), slug=campaign_slug)


@task(name="send-reminders", task_run_name="reminders-{campaign_slug}")
def send_reminders_task(campaign_slug: str, as_of: datetime) -> dict[str, int]:
    settings = get_settings()
    return reminders.send_reminders(
        engine=engine_for(settings.database_url),
        settings=settings,
        campaign_slug=campaign_slug,
        now=as_of,
        actor=current_actor("task:send-reminders"),
    )


@task(name="plan-detection")
def plan_detection_task(campaign_slug: str | None) -> list[deliverables.DetectionBatch]:
    settings = get_settings()
    return deliverables.plan_detection(
        engine=engine_for(settings.database_url), campaign_slug=campaign_slug
    )


@task(name="detect-deliverables", **_RETRY)
def detect_deliverables_task(batch: deliverables.DetectionBatch, as_of: datetime) -> dict[str, Any]:
    settings = get_settings()
    with platform_clients(settings) as clients:
        report = deliverables.detect_deliverables(
            engine=engine_for(settings.database_url),
            clients=clients,
            batch=batch,
            now=as_of,
            actor=current_actor("task:detect-deliverables"),
            throttle=throttle,
        )
    return asdict(report)


@task(name="plan-polling")
def plan_polling_task(
    campaign_slug: str | None, as_of: datetime, parallelism: int = 1
) -> list[polling.PollBatch]:
    settings = get_settings()
    return polling.plan_polling(
        engine=engine_for(settings.database_url),
        campaign_slug=campaign_slug,
        now=as_of,
        parallelism=parallelism,
    )


#: Platform calls one poll-metrics task keeps in flight. One is enough: a helper thread makes the
#: next call while the task stores the previous answer, so the connection never waits on the
#: database; the flow's concurrency comes from several tasks at once.
FETCH_THREADS = 1


@task(name="poll-metrics", task_run_name="poll-{batch.platform}", **_RETRY)
def poll_batch_task(batch: polling.PollBatch, as_of: datetime) -> dict[str, Any]:
    settings = get_settings()
    with platform_clients(settings) as clients:
        report = polling.poll_batch(
            engine=engine_for(settings.database_url),
            clients=clients,
            batch=batch,
            now=as_of,
            actor=current_actor("task:poll-metrics"),
            throttle=None,  # the dispatching flow holds the rate limit (flows/tracking.py)
            fetch_threads=FETCH_THREADS,
        )
    return asdict(report)


@task(name="submit-deliverable", **_RETRY)
def submit_deliverable_task(
    campaign_slug: str, url: str, creator: str | None, as_of: datetime
) -> dict[str, Any]:
    settings = get_settings()
    with platform_clients(settings) as clients:
        result = deliverables.submit_deliverable(
            engine=engine_for(settings.database_url),
            clients=clients,
            campaign_slug=campaign_slug,
            url=url,
            creator=creator,
            now=as_of,
            actor=current_actor("task:submit-deliverable"),
        )
    return asdict(result)
