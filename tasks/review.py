"""Prefect tasks of the ``review-draft`` flow: each calls one service of services/portal."""

from __future__ import annotations

from datetime import datetime

from prefect import task

from creatorflow.services.portal import drafts, reviews
from tasks.runtime import run_service


@task(name="draft-review-context", task_run_name="draft-review-context-{draft_id}")
def review_context_task(draft_id: int) -> reviews.ReviewContext:
    """The draft, brief and deadline the reviewer's form shows."""
    return run_service(reviews.review_context, draft_id=draft_id)


@task(name="record-review-run")
def record_review_run_task(draft_id: int, flow_run_id: str) -> None:
    run_service(drafts.record_review_run, draft_id=draft_id, flow_run_id=flow_run_id)


@task(name="decide-draft", task_run_name="decide-draft-{draft_id}")
def decide_draft_task(
    draft_id: int, approved: bool, comment: str, as_of: datetime
) -> reviews.DecisionResult:
    """Store the decision (once) and email it to the creator through the outbox (once)."""
    return run_service(
        reviews.decide_draft, draft_id=draft_id, approved=approved, comment=comment, now=as_of
    )
