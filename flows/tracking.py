"""The ``track-campaigns`` flow (hourly): inbox, follow-ups, reminders, detection, polling.

Order matters: replies are read before any follow-up or reminder goes out, and deliverables are
detected before polling so a new post gets its first snapshot in the same run. The flow only
fans out; every step is a task over a batch (prefect.md: one task per post does not scale).
Polling keeps a bounded number of batches in flight and stops submitting a platform's batches as
soon as one reports its quota spent; what was polled is already committed.
"""

from __future__ import annotations

import importlib
from collections import deque
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field

from creatorflow.domain.model import Platform
from tasks.tracking import (
    campaigns_to_track_task,
    detect_deliverables_task,
    ensure_concurrency_limits,
    plan_detection_task,
    plan_polling_task,
    poll_batch_task,
    send_reminders_task,
    submit_deliverable_task,
)

#: Batches in flight at once (the task runner's threads).
POLL_CONCURRENCY = 8


def _optional_task(module: str, name: str) -> Any | None:
    """A task from another part of the project, or None while it is not installed."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    as_of = params.get("as_of") or datetime.now(UTC)
    if isinstance(as_of, str):
        as_of = datetime.fromisoformat(as_of)
    slug = params.get("campaign_slug") or "all"
    return f"track-{slug}-{as_of:%Y-%m-%dT%H:%M}"


@flow(
    name="track-campaigns",
    flow_run_name=_run_name,
    task_runner=ThreadPoolTaskRunner(max_workers=POLL_CONCURRENCY),  # type: ignore[arg-type]
    validate_parameters=True,
)
def track_campaigns(
    campaign_slug: str | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """Track one campaign (or every active one) as of ``as_of`` (default: now)."""
    logger = get_run_logger()
    now = _aware(as_of)
    ensure_concurrency_limits()
    slugs = campaigns_to_track_task(campaign_slug)
    summary: dict[str, Any] = {"as_of": now.isoformat(), "campaigns": slugs}

    read_inbox = _optional_task("tasks.replies", "read_inbox_task")
    if read_inbox is not None:
        summary["inbox"] = read_inbox(now)
    else:
        logger.warning("inbox step skipped: tasks.replies.read_inbox_task is not installed")
    follow_ups = _optional_task("tasks.outreach", "send_follow_ups_task")
    for slug in slugs:
        if follow_ups is not None:
            summary.setdefault("follow_ups", {})[slug] = follow_ups(slug, now)
        summary.setdefault("reminders", {})[slug] = send_reminders_task(slug, now)
    if follow_ups is None:
        logger.warning("follow-up step skipped: tasks.outreach.send_follow_ups_task is missing")

    summary["detection"] = _detect(campaign_slug, now)
    summary["polling"] = _poll(campaign_slug, now)
    return summary


def _aware(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)


def _detect(campaign_slug: str | None, now: datetime) -> dict[str, Any]:
    batches = plan_detection_task(campaign_slug)
    futures = [detect_deliverables_task.submit(batch, now) for batch in batches]
    totals: dict[str, Any] = {"batches": len(batches), "new": 0, "undisclosed": 0, "failures": 0}
    for future in futures:
        report = future.result()
        totals["new"] += len(report["new_deliverables"])
        totals["undisclosed"] += len(report["undisclosed"])
        totals["failures"] += len(report["failures"])
        totals["quota_exhausted"] = (
            totals.get("quota_exhausted", False) or report["quota_exhausted"]
        )
    return totals


def _poll(campaign_slug: str | None, now: datetime) -> dict[str, Any]:
    logger = get_run_logger()
    batches = plan_polling_task(campaign_slug, now)
    total = len(batches)
    artifact = create_progress_artifact(
        progress=0.0 if total else 100.0,
        key="tracking-polling",
        description=f"polling {total} batch(es) as of {now:%Y-%m-%d %H:%M} UTC",
    )
    pending = deque(batches)
    in_flight: list[PrefectFuture[dict[str, Any]]] = []
    exhausted: set[str] = set()
    totals: dict[str, Any] = {
        "batches": total,
        "snapshots": 0,
        "gone": 0,
        "requests": 0,
        "skipped_batches": 0,
        "quota_exhausted": [],
    }
    finished = reported = 0
    while pending or in_flight:
        while pending and len(in_flight) < POLL_CONCURRENCY:
            batch = pending.popleft()
            if batch.platform.value in exhausted:
                totals["skipped_batches"] += 1
                finished += 1
                continue
            in_flight.append(poll_batch_task.submit(batch, now))
        if not in_flight:
            break
        done = next(as_completed(in_flight))
        in_flight.remove(done)
        report = done.result()
        finished += 1
        totals["snapshots"] += report["snapshots"]
        totals["gone"] += len(report["gone"])
        totals["requests"] += report["requests"]
        if report["quota_exhausted"]:
            platform = Platform(report["platform"]).value
            if platform not in exhausted:
                logger.warning("%s quota spent: its polling stops for this run", platform)
            exhausted.add(platform)
        step = (100 * finished // total) // 10 if total else 10
        if step > reported or finished == total:  # every 10 %: each update is a server call
            reported = step
            update_progress_artifact(
                artifact_id=artifact,  # type: ignore[arg-type]
                progress=100.0 * finished / total,
                description=f"{finished}/{total} batches, {totals['snapshots']} snapshots",
            )
    totals["quota_exhausted"] = sorted(exhausted)
    return totals


@flow(
    name="poll-engagement",
    flow_run_name="poll-{campaign_slug}",
    task_runner=ThreadPoolTaskRunner(max_workers=POLL_CONCURRENCY),  # type: ignore[arg-type]
)
def poll_engagement(
    campaign_slug: str | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """Only the polling part of ``track-campaigns`` (benchmarks, catching up after a quota)."""
    ensure_concurrency_limits()
    return _poll(campaign_slug, _aware(as_of))


class DeliverableSubmission(BaseModel):
    """The UI form: a post URL for a campaign, optionally naming the creator."""

    campaign_slug: str = Field(description="campaign slug, e.g. spring-glow")
    url: str = Field(description="the post's URL (YouTube, Instagram or TikTok)")
    creator: str | None = Field(
        default=None, description="PLATFORM:HANDLE when the API cannot tell whose post it is"
    )


@flow(name="submit-deliverable", flow_run_name="deliverable-{submission.campaign_slug}")
def submit_deliverable(
    submission: DeliverableSubmission, as_of: datetime | None = None
) -> dict[str, Any]:
    """Record a deliverable from a URL (the operator's form in the Prefect UI)."""
    return submit_deliverable_task(
        submission.campaign_slug, submission.url, submission.creator, _aware(as_of)
    )
