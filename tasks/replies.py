"""Prefect tasks for replies: each calls one service with plain values.

``read_inbox_task`` is called by the ``track-campaigns`` flow BEFORE follow-ups are sent, so a
reply that arrived since the last run stops the next follow-up. Reading again is harmless (each
inbound message is recorded once), so retries on an unreachable mailbox are safe.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from prefect import task

from creatorflow.services.outreach.sending import SendReport
from creatorflow.services.replies import answers, mailbox
from creatorflow.services.replies.answers import record_response
from creatorflow.wiring import wire
from tasks.runtime import mailbox_unreachable, retrying, run_service


@task(name="read-inbox", **retrying(mailbox_unreachable))
def read_inbox_task(as_of: datetime) -> mailbox.InboxReport:
    """Classify and apply what arrived in CREATORFLOW_INBOX_URL."""
    return run_service(mailbox.read_inbox, now=as_of, inbox=wire().inbox())


@task(name="send-pending-briefs")
def send_pending_briefs_task(campaign_slug: str | None, as_of: datetime) -> SendReport:
    """Briefs of accepted creators that could not leave when they accepted (window, cap, 4xx)."""
    return run_service(answers.send_pending_briefs, campaign_slug=campaign_slug, now=as_of)


@task(name="respond", task_run_name="respond-{slug}-{creator}")
def respond_task(
    slug: str, creator: str, accepted: bool, fee: Decimal | None, as_of: datetime
) -> answers.ResponseResult:
    """Record one creator's answer (and send the brief on acceptance)."""
    return run_service(
        record_response, campaign_slug=slug, creator=creator, accepted=accepted, fee=fee, now=as_of
    )
