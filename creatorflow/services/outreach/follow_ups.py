"""Follow-ups: step N on its day, only while the creator has not answered; then the end.

Follow-up N (``follow_up_N``) is due ``outreach.follow_up_days[N-1]`` days after the first email
was sent, for enrollments still ``contacted`` (a reply, decline, opt-out or bounce moves the stage
and stops the sequence). Steps go in order: a missed run sends the next step only, never two at
once. When every follow-up was sent (or none are configured) and ``outreach.finish_day()`` days
have passed since the first email with no answer, the enrollment becomes ``finished``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import MessageStatus, Stage
from creatorflow.services.outreach.sending import OutboundEmail, SendReport, send_emails
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.models import Enrollment, OutreachMessage


def follow_up_step(n: int) -> str:
    return f"follow_up_{n}"


def send_follow_ups(
    *, engine: Engine, settings: Settings, campaign_slug: str, now: datetime, actor: str
) -> SendReport:
    """Send every follow-up due at ``now`` for one campaign and finish sequences that ran out."""
    campaign = get_campaign(engine, campaign_slug)
    outreach = campaign.spec.outreach
    days = outreach.follow_up_days
    template_dir = f"outreach/{outreach.template_set}"
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                Enrollment.id, OutreachMessage.step, OutreachMessage.status, OutreachMessage.sent_at
            )
            .join(OutreachMessage, OutreachMessage.enrollment_id == Enrollment.id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Enrollment.stage == Stage.CONTACTED.value)
        ).all()
    steps: dict[int, dict[str, tuple[str, datetime | None]]] = defaultdict(dict)
    for enrollment_id, step, status, sent_at in rows:
        steps[enrollment_id][step] = (status, sent_at)
    due: list[OutboundEmail] = []
    finished: list[int] = []
    for enrollment_id, sent in steps.items():
        initial = sent.get("initial")
        if initial is None or initial[0] != MessageStatus.SENT.value or initial[1] is None:
            continue
        first_sent = initial[1]
        next_n = next((n for n in range(1, len(days) + 1) if follow_up_step(n) not in sent), None)
        if next_n is None:
            if now >= first_sent + timedelta(days=outreach.finish_day()):
                finished.append(enrollment_id)
            continue
        if now >= first_sent + timedelta(days=days[next_n - 1]):
            step = follow_up_step(next_n)
            due.append(OutboundEmail(enrollment_id, step, f"{template_dir}/{step}", thread=True))
    report = send_emails(engine=engine, settings=settings, emails=due, now=now, actor=actor)
    if finished:
        with session_scope(engine) as session:
            move_stages(
                session,
                sorted(finished),
                cause=Cause.SEQUENCE_ENDED,
                reason="follow-up sequence ended without an answer",
                now=now,
                actor=actor,
            )
    return report
