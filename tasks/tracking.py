"""Prefect tasks for tracking: each calls one service on a batch.

Platform calls are paced by the platforms' rate limits (``creatorflow.platforms.rate_limits``):
detection takes its slots here, polling in the dispatching flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task

from creatorflow.platforms.rate_limits import throttle
from creatorflow.services.tracking import (
    account_problems,
    brand_tags,
    detection,
    polling,
    reminders,
    submission,
)
from creatorflow.services.tracking.submission import submit_deliverable
from creatorflow.services.tracking.tracked_campaigns import tracked_slugs
from tasks.runtime import retry_transient_only, retrying, run_service

#: Platform calls retry sooner than mail: a throttled API is usually free again in seconds.
_RETRY = retrying(retry_transient_only, backoff=2)


@task(name="campaigns-to-track")
def campaigns_to_track_task(campaign_slug: str | None) -> list[str]:
    return run_service(tracked_slugs, slug=campaign_slug)


@task(name="send-reminders", task_run_name="reminders-{campaign_slug}")
def send_reminders_task(campaign_slug: str, as_of: datetime) -> reminders.ReminderReport:
    return run_service(reminders.send_reminders, campaign_slug=campaign_slug, now=as_of)


@task(name="detect-brand-tags", **_RETRY)
def detect_brand_tags_task(
    campaign_slug: str | None, as_of: datetime
) -> brand_tags.BrandTagsReport:
    return run_service(
        brand_tags.detect_brand_tags, campaign_slug=campaign_slug, now=as_of, throttle=throttle
    )


@task(name="needs-attention")
def needs_attention_task(campaign_slugs: list[str], as_of: datetime) -> dict[str, Any]:
    """Tracked creators whose account cannot be read, and platforms whose work waits."""
    return run_service(account_problems.needs_attention, campaign_slugs=campaign_slugs, now=as_of)


@task(name="plan-detection")
def plan_detection_task(campaign_slug: str | None) -> list[detection.DetectionBatch]:
    return run_service(detection.plan_detection, campaign_slug=campaign_slug)


@task(name="detect-deliverables", **_RETRY)
def detect_deliverables_task(
    batch: detection.DetectionBatch, as_of: datetime
) -> detection.DetectionReport:
    return run_service(detection.detect_deliverables, batch=batch, now=as_of, throttle=throttle)


@task(name="plan-polling")
def plan_polling_task(
    campaign_slug: str | None, as_of: datetime, parallelism: int = 1
) -> list[polling.PollBatch]:
    return run_service(
        polling.plan_polling, campaign_slug=campaign_slug, now=as_of, parallelism=parallelism
    )


#: Platform calls one poll-metrics task keeps in flight. One is enough: a helper thread makes the
#: next call while the task stores the previous answer, so the connection never waits on the
#: database; the flow's concurrency comes from several tasks at once.
FETCH_THREADS = 1


@task(name="poll-metrics", task_run_name="poll-{batch.platform}", **_RETRY)
def poll_batch_task(batch: polling.PollBatch, as_of: datetime) -> polling.PollReport:
    # throttle=None: the dispatching flow holds the rate limit (flows/tracking.py)
    return run_service(
        polling.poll_batch, batch=batch, now=as_of, throttle=None, fetch_threads=FETCH_THREADS
    )


@task(name="submit-deliverable", **_RETRY)
def submit_deliverable_task(
    campaign_slug: str, url: str, creator: str | None, as_of: datetime
) -> submission.SubmissionResult:
    return run_service(
        submit_deliverable, campaign_slug=campaign_slug, url=url, creator=creator, now=as_of
    )
