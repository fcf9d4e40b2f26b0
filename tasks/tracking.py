"""Prefect tasks for tracking: each calls one service on a batch.

Platform calls are paced by the platforms' rate limits (``creatorflow.platforms.rate_limits``):
detection takes its slots here, polling in the dispatching flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from creatorflow.platforms.rate_limits import throttle
from creatorflow.services.tracking import (
    account_problems,
    brand_tags,
    compliance,
    compliance_nudges,
    detection,
    gone_posts,
    mentions,
    polling,
    reminders,
    stories,
    story_results,
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


@task(name="process-mentions", **_RETRY)
def process_mentions_task(as_of: datetime) -> mentions.MentionsReport:
    """The webhook inbox's mentions and stories (the receiver only stored them)."""
    return run_service(mentions.process_mentions, now=as_of)


@task(name="request-story-results", task_run_name="story-results-{campaign_slug}")
def request_story_results_task(campaign_slug: str, as_of: datetime) -> reminders.ReminderReport:
    return run_service(story_results.request_story_results, campaign_slug=campaign_slug, now=as_of)


@task(name="record-story-results")
def record_story_results_task(form: Any, as_of: datetime) -> story_results.StoryResults:
    """``form`` is ``flows.stories.StoryResultsForm`` (the operator's figures for one story)."""
    return run_service(
        story_results.record_story_results,
        campaign_slug=form.campaign_slug,
        creator=form.creator,
        views=form.views,
        reach=form.reach,
        taps=form.link_taps,
        replies=form.replies,
        story=form.story,
        now=as_of,
    )


@task(name="match-story")
def match_story_task(
    campaign_slug: str, event_id: int, creator: str, as_of: datetime
) -> stories.StoryMatch:
    return run_service(
        stories.match_story,
        campaign_slug=campaign_slug,
        event_id=event_id,
        creator=creator,
        now=as_of,
    )


@task(name="needs-attention")
def needs_attention_task(campaign_slugs: list[str], as_of: datetime) -> dict[str, Any]:
    """Tracked creators whose account cannot be read, and platforms whose work waits."""
    return run_service(account_problems.needs_attention, campaign_slugs=campaign_slugs, now=as_of)


@task(name="describe-gone-posts")
def describe_gone_posts_task(deliverable_ids: list[int]) -> list[dict[str, Any]]:
    """The posts this run found gone, named (creator, post, last seen) for the summary."""
    return run_service(gone_posts.describe_gone_posts, deliverable_ids=deliverable_ids)


@task(name="split-undisclosed")
def undisclosed_split_task(deliverable_ids: list[int]) -> dict[str, int]:
    """Of the new posts without a disclosure that counts: how many miss it, how many bury it."""
    return run_service(detection.undisclosed_split, deliverable_ids=deliverable_ids)


@task(name="plan-detection")
def plan_detection_task(campaign_slug: str | None) -> list[detection.DetectionBatch]:
    return run_service(detection.plan_detection, campaign_slug=campaign_slug)


@task(name="detect-deliverables", **_RETRY)
def detect_deliverables_task(
    batch: detection.DetectionBatch, as_of: datetime
) -> detection.DetectionReport:
    return run_service(detection.detect_deliverables, batch=batch, now=as_of, throttle=throttle)


@task(name="plan-polling", cache_policy=NO_CACHE)  # a plan is of its instant: never cached
def plan_polling_task(
    campaign_slug: str | None, as_of: datetime, parallelism: int = 1
) -> list[polling.PollBatch]:
    return run_service(
        polling.plan_polling, campaign_slug=campaign_slug, now=as_of, parallelism=parallelism
    )


#: Platform calls the poll-metrics tasks of one process keep in flight together: the threads
#: of the process's ``CallPool`` (the flow works 8 batches at once; while one batch claims its
#: rows or its task run starts, the others' calls keep every thread busy).
CALLS_IN_FLIGHT = 8
_CALL_POOL = polling.CallPool(CALLS_IN_FLIGHT)


def call_pool() -> polling.CallPool:
    """The process's ``CALLS_IN_FLIGHT`` call threads. A function, not the global itself, in
    the task body: Dask pickles the task's function by value, and a pool of threads cannot be
    pickled (each worker process has its own)."""
    return _CALL_POOL


#: No cache key for the polling tasks: a poll must never be answered from a cache (its calls
#: would not be made), and hashing a batch's 1,250 ids and instants cost every task run.
@task(name="poll-metrics", task_run_name="poll-{batch.platform}", cache_policy=NO_CACHE, **_RETRY)
def poll_batch_task(batch: polling.PollBatch, as_of: datetime) -> polling.PollReport:
    # throttle=None: the dispatching flow holds the rate limit (flows/tracking.py)
    return run_service(
        polling.poll_batch, batch=batch, now=as_of, throttle=None, call_pool=call_pool()
    )


@task(name="submit-deliverable", **_RETRY)
def submit_deliverable_task(
    campaign_slug: str, url: str, creator: str | None, as_of: datetime
) -> submission.SubmissionResult:
    return run_service(
        submit_deliverable, campaign_slug=campaign_slug, url=url, creator=creator, now=as_of
    )


@task(name="send-compliance-nudges", task_run_name="compliance-{campaign_slug}")
def send_compliance_nudges_task(
    campaign_slug: str, as_of: datetime
) -> compliance_nudges.NudgeReport:
    """One nudge per open disclosure problem, and its reminder (issue 16)."""
    return run_service(
        compliance_nudges.send_compliance_nudges, campaign_slug=campaign_slug, now=as_of
    )


@task(name="waive-compliance")
def waive_compliance_task(
    campaign_slug: str, post_id: str, reason: str, as_of: datetime
) -> list[int]:
    """The operator waives a post's open compliance problems (issue 16)."""
    return run_service(
        compliance.waive_problems,
        campaign_slug=campaign_slug,
        post_id=post_id,
        reason=reason,
        now=as_of,
    )
