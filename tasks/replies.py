"""Prefect tasks for replies and responses: each calls one service with plain values.

``read_inbox_task`` is called by the ``track-campaigns`` flow BEFORE follow-ups are sent, so a
reply that arrived since the last run stops the next follow-up. Reading again is harmless (each
inbound message is recorded once), so retries on an unreachable mailbox are safe.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.tasks import exponential_backoff

from creatorflow.mail.inbox import InboxUnavailable
from creatorflow.services.replies import answers as responses
from creatorflow.services.replies import mailbox as replies
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for
from tasks.runtime import current_actor, retry_only_on

_mailbox_unreachable = retry_only_on(InboxUnavailable)


@task(
    name="read-inbox",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=_mailbox_unreachable,
)
def read_inbox_task(as_of: datetime) -> dict[str, Any]:
    """Classify and apply what arrived in CREATORFLOW_INBOX_URL; a JSON-able summary."""
    settings = get_settings()
    report = replies.read_inbox(
        engine=engine_for(settings.database_url),
        settings=settings,
        now=as_of,
        actor=current_actor("task:read-inbox"),
    )
    return {
        "mailbox": report.mailbox,
        "fetched": report.fetched,
        "recorded": report.recorded,
        "by_kind": dict(report.counts),
        "replied": len(report.replied),
        "bounced": len(report.bounced),
        "opted_out": len(report.opted_out),
        "suppressed": len(report.suppressed),
    }


@task(name="send-pending-briefs")
def send_pending_briefs_task(campaign_slug: str | None, as_of: datetime) -> dict[str, int]:
    """Briefs of accepted creators that could not leave when they accepted (window, cap, 4xx)."""
    settings = get_settings()
    report = responses.send_pending_briefs(
        engine=engine_for(settings.database_url),
        settings=settings,
        campaign_slug=campaign_slug,
        now=as_of,
        actor=current_actor("task:send-pending-briefs"),
    )
    return report.counts()


@task(name="respond", task_run_name="respond-{campaign_slug}-{creator}")
def respond_task(
    campaign_slug: str, creator: str, accepted: bool, fee: Decimal | None, as_of: datetime
) -> dict[str, Any]:
    """Record one creator's answer (and send the brief on acceptance)."""
    settings = get_settings()
    result = responses.record_response(
        engine=engine_for(settings.database_url),
        settings=settings,
        campaign_slug=campaign_slug,
        creator=creator,
        accepted=accepted,
        fee=fee,
        now=as_of,
        actor=current_actor("task:respond"),
    )
    return {
        "summary": result.summary(),
        "stage": result.stage,
        "changed": result.changed,
        "fee": str(result.fee) if result.fee is not None else None,
        "due_at": result.due_at.isoformat() if result.due_at else None,
        "tracking_url": result.tracking_url,
        "promo_code": result.promo_code,
        "brief": result.brief,
    }
