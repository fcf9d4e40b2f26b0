"""The ``track-campaigns`` flow (hourly): inbox, follow-ups, reminders, detection, polling.

Order matters: replies are read before any follow-up or reminder goes out, and deliverables are
detected before polling so a new post gets its first snapshot in the same run. Where a platform
reads metrics from the owner's feed (Instagram), detection's one read of each creator also polls
that creator's due posts: the polling round then has nothing left to ask for them. The flow only
fans out; every step is a task over a batch (prefect.md: one task per post does not scale).
Polling keeps a bounded number of batches in flight and stops submitting a platform's batches as
soon as one reports its quota spent; what was polled is already committed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict
from datetime import datetime
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote
from pydantic import BaseModel, Field

from creatorflow.domain.model import Platform
from creatorflow.gc_scopes import long_lived_frozen
from creatorflow.platforms.rate_limits import ensure_concurrency_limits, throttle
from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.tracking.polling import PollBatch, PollReport
from creatorflow.services.tracking.run_summary import (
    add_send_reports,
    sending_paused_markdown,
    submission_markdown,
    tracking_summary_markdown,
)
from creatorflow.wiring import run_as_of
from tasks.outreach import send_follow_ups_task
from tasks.replies import read_inbox_task, send_pending_briefs_task
from tasks.runtime import ConfiguredTaskRunner, run_parameters
from tasks.tracking import (
    CALLS_IN_FLIGHT,
    campaigns_to_track_task,
    describe_gone_posts_task,
    detect_brand_tags_task,
    detect_deliverables_task,
    needs_attention_task,
    plan_detection_task,
    plan_polling_task,
    poll_batch_task,
    process_mentions_task,
    request_story_results_task,
    send_compliance_nudges_task,
    send_reminders_task,
    submit_deliverable_task,
    undisclosed_split_task,
    waive_compliance_task,
)

#: Tasks in flight at once (the task runner's threads): detection and poll-metrics batches.
POLL_TASKS = 8
#: Platform calls in flight at once while polling (what the benchmark's baseline uses too).
POLL_CONCURRENCY = CALLS_IN_FLIGHT


def _run_name(prefix: str) -> str:
    params, as_of = run_parameters()
    return f"{prefix}-{params.get('campaign_slug') or 'all'}-{as_of:%Y-%m-%dT%H:%M}"


def _track_run_name() -> str:
    return _run_name("track")


def _poll_run_name() -> str:
    return _run_name("poll")


@flow(
    name="track-campaigns",
    flow_run_name=_track_run_name,
    task_runner=ConfiguredTaskRunner(max_workers=POLL_TASKS),  # CREATORFLOW_TASK_RUNNER
    validate_parameters=True,
)
def track_campaigns(
    campaign_slug: str | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """Track one campaign (or every active one) as of ``as_of`` (default: now)."""
    now = run_as_of(as_of)
    ensure_concurrency_limits()
    slugs = campaigns_to_track_task(campaign_slug)
    summary: dict[str, Any] = {"as_of": now.isoformat(), "campaigns": slugs}

    # replies first: they stop follow-ups and reminders
    summary["inbox"] = read_inbox_task(now).as_json()
    for slug in slugs:
        # briefs held back at acceptance (send window, daily cap, a 4xx) leave first
        briefs = send_pending_briefs_task(slug, now)
        follow_ups = send_follow_ups_task(slug, now)
        reminders = send_reminders_task(slug, now)
        summary.setdefault("briefs", {})[slug] = briefs.counts()
        summary.setdefault("follow_ups", {})[slug] = follow_ups.counts()
        summary.setdefault("reminders", {})[slug] = reminders.counts()
        stories = request_story_results_task(slug, now)  # once per expired story (issue 17)
        summary.setdefault("story_results", {})[slug] = stories.counts()
        _sending(summary, slug, briefs, follow_ups, reminders.outbox, stories.outbox)

    summary["detection"] = _detect(campaign_slug, now)
    summary["polling"] = _poll(campaign_slug, now, polled=summary["detection"])
    for slug in slugs:  # after polling: the problems this run found (issue 16)
        nudges = send_compliance_nudges_task(slug, now)
        summary.setdefault("compliance_nudges", {})[slug] = nudges.counts()
        _sending(summary, slug, nudges.outbox)
    summary["attention"] = needs_attention_task(slugs, now)  # accounts and platforms to act on
    create_markdown_artifact(
        markdown=tracking_summary_markdown(summary),
        key="tracking-summary",
        description=f"tracking as of {now:%Y-%m-%d %H:%M} UTC",
    )
    _fail_on_failed_batches(summary)
    return summary


def _sending(summary: dict[str, Any], slug: str, *reports: SendReport) -> None:
    """Send problems into the summary; a pause also gets its own artifact, so the operator sees
    it without opening the summary."""
    paused = add_send_reports(summary, reports)
    if paused:
        create_markdown_artifact(
            markdown=sending_paused_markdown(slug, paused),
            key=f"sending-paused-{slug}",
            description=f"sending paused for {slug}",
        )


def _fail_on_failed_batches(summary: dict[str, Any]) -> None:
    """After every step ran: a batch that failed for good makes the run fail, visibly."""
    failed = [
        message
        for step in ("detection", "polling")
        for message in summary.get(step, {}).get("failed_batches", [])
    ]
    if failed:
        raise RuntimeError(f"{len(failed)} tracking batch(es) failed; first: {failed[0]}")


def _detect(campaign_slug: str | None, now: datetime) -> dict[str, Any]:
    mentioned = process_mentions_task(now)  # the webhook inbox: mentions and stories (issue 17)
    tagged = detect_brand_tags_task(campaign_slug, now)  # one brand-level read, before the feeds
    batches = plan_detection_task(campaign_slug)
    futures = [detect_deliverables_task.submit(batch, now) for batch in batches]
    totals: dict[str, Any] = {"batches": len(batches), "new": 0, "undisclosed": 0, "failures": 0}
    totals |= {"snapshots": 0, "gone": 0, "gone_ids": []}  # polls made by detection's feed reads
    totals["brand_tags"] = len(tagged.new_deliverables)
    totals["new"] += len(tagged.new_deliverables)
    totals["undisclosed"] += len(tagged.undisclosed)
    undisclosed = [*tagged.undisclosed, *mentioned.undisclosed]  # missing or buried (issue 16)
    if tagged.failures:
        totals.setdefault("failed_batches", []).extend(tagged.failures)
    totals["quota_exhausted"] = tagged.quota_exhausted
    totals["mentions"] = mentioned.counts()
    totals["new"] += len(mentioned.new_deliverables) + len(mentioned.stories)
    totals["undisclosed"] += len(mentioned.undisclosed)
    if mentioned.failures:
        totals.setdefault("failed_batches", []).extend(mentioned.failures)
    for future in futures:
        try:
            report = future.result()
        except Exception as exc:  # the other batches go on; the run fails at the end
            totals.setdefault("failed_batches", []).append(str(exc))
            continue
        totals["new"] += len(report.new_deliverables)
        totals["undisclosed"] += len(report.undisclosed)
        undisclosed += report.undisclosed
        totals["failures"] += len(report.failures)
        totals["snapshots"] += report.snapshots
        totals["gone"] += len(report.gone)
        totals["gone_ids"] += report.gone
        totals["quota_exhausted"] = totals.get("quota_exhausted", False) or report.quota_exhausted
    if undisclosed:
        totals["disclosure"] = undisclosed_split_task(undisclosed)  # {"missing": n, "buried": n}
    return totals


def _poll(
    campaign_slug: str | None, now: datetime, *, polled: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The polling round; ``polled`` holds the snapshots and gone posts detection's feed reads
    already took in this run (counted with the round's)."""
    with long_lived_frozen():  # the process's objects stay out of the round's full collections
        return _poll_round(campaign_slug, now, polled=polled)


def _poll_round(
    campaign_slug: str | None, now: datetime, *, polled: dict[str, Any] | None
) -> dict[str, Any]:
    logger = get_run_logger()
    batches = plan_polling_task(campaign_slug, now, POLL_TASKS)  # a multiple of POLL_TASKS
    total = len(batches)
    pending = deque(batches)
    in_flight: list[PrefectFuture[PollReport]] = []
    exhausted: set[str] = set()
    totals: dict[str, Any] = {
        "batches": total,
        "snapshots": (polled or {}).get("snapshots", 0),
        "gone": (polled or {}).get("gone", 0),
        "gone_ids": list((polled or {}).get("gone_ids", [])),  # named at the end of the round
        "requests": 0,
        "skipped_batches": 0,
        "quota_exhausted": [],
        "failures": [],
        "failed_batches": [],
    }
    finished = reported = 0
    credit: dict[Platform, int] = {}

    def dispatch() -> None:
        nonlocal finished
        while pending and len(in_flight) < POLL_TASKS:
            batch = pending.popleft()
            if batch.platform.value in exhausted:
                totals["skipped_batches"] += 1
                finished += 1
                continue
            _reserve(credit, batch.platform, batch.requests, pending)
            # quote: Prefect would otherwise walk every id of the batch looking for futures
            in_flight.append(poll_batch_task.submit(cast(PollBatch, quote(batch)), now))

    dispatch()
    artifact = create_progress_artifact(  # a server call: the first batches are already polling
        progress=0.0 if total else 100.0,
        key="tracking-polling",
        description=f"polling {total} batch(es) as of {now:%Y-%m-%d %H:%M} UTC",
    )
    while in_flight:
        done = next(as_completed(in_flight))
        in_flight.remove(done)
        finished += 1
        try:
            report = done.result()
        except Exception as exc:  # committed work stays; the run fails at the end
            totals["failed_batches"].append(str(exc))
        else:
            totals["failures"] += report.failures
            totals["snapshots"] += report.snapshots
            totals["gone"] += len(report.gone)
            totals["gone_ids"] += report.gone
            totals["requests"] += report.requests
            if report.quota_exhausted:
                platform = report.platform.value
                if platform not in exhausted:
                    logger.warning("%s quota spent: its polling stops for this run", platform)
                exhausted.add(platform)
        dispatch()  # before the progress update: the next batch need not wait for that call
        step = (100 * finished // total) // 10 if total else 10
        if step > reported or finished == total:  # every 10 %: each update is a server call
            reported = step
            update_progress_artifact(
                artifact_id=artifact,  # type: ignore[arg-type]
                progress=100.0 * finished / total,
                description=f"{finished}/{total} batches, {totals['snapshots']} snapshots",
            )
    totals["quota_exhausted"] = sorted(exhausted)
    gone = totals.pop("gone_ids")
    totals["gone_posts"] = describe_gone_posts_task(gone) if gone else []
    return totals


@flow(
    name="poll-engagement",
    flow_run_name=_poll_run_name,
    task_runner=ConfiguredTaskRunner(max_workers=POLL_TASKS),  # CREATORFLOW_TASK_RUNNER
)
def poll_engagement(
    campaign_slug: str | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """Only the polling part of ``track-campaigns`` (benchmarks, catching up after a quota)."""
    ensure_concurrency_limits()
    summary = {"polling": _poll(campaign_slug, run_as_of(as_of))}
    _fail_on_failed_batches(summary)
    return summary["polling"]


def _reserve(
    credit: dict[Platform, int], platform: Platform, requests: int, pending: deque[PollBatch]
) -> None:
    """Take rate-limit slots for a batch's requests before dispatching it.

    The flow is where polling fans out, so it holds the rate limit for its batches: beside the
    batch's own, it takes what is free now of the platform's upcoming requests (at most the
    limit's size), one round trip to the Prefect server for several batches instead of one per
    task. Asking only for free slots keeps the server from denying (rate_limits.py).
    """
    if credit.get(platform, 0) >= requests:
        credit[platform] -= requests
        return
    upcoming = requests + sum(b.requests for b in pending if b.platform is platform)
    taken = throttle(platform, requests, up_to=upcoming)
    credit[platform] = credit.get(platform, 0) + taken - requests


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
    result = asdict(
        submit_deliverable_task(
            submission.campaign_slug, submission.url, submission.creator, run_as_of(as_of)
        )
    )
    create_markdown_artifact(
        markdown=submission_markdown(result),
        key=f"deliverable-{submission.campaign_slug}",
        description=f"deliverable for {submission.campaign_slug}",
    )
    return result


class ComplianceWaiver(BaseModel):
    """The UI form: accept a post's open compliance problems, saying why (kept as evidence)."""

    campaign_slug: str = Field(description="campaign slug, e.g. spring-glow")
    post_id: str = Field(description="the post's id, as `campaign status` shows it")
    reason: str = Field(min_length=1, description="why the problem is accepted")


@flow(name="waive-compliance", flow_run_name="waive-{waiver.campaign_slug}")
def waive_compliance(waiver: ComplianceWaiver, as_of: datetime | None = None) -> list[int]:
    """Waive a post's open compliance problems (the operator's form; `campaign waive`)."""
    return waive_compliance_task(
        waiver.campaign_slug, waiver.post_id, waiver.reason, run_as_of(as_of)
    )
