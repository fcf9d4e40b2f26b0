"""Follow-ups: step N on its day, only while the creator has not answered; then the end.

Follow-up N (``follow_up_N``) is due ``outreach.follow_up_days[N-1]`` days after the first email
was sent, for enrollments still ``contacted`` (a reply, decline, opt-out or bounce moves the stage
and stops the sequence). Steps go in order: a missed run sends the next step only, never two at
once. A step the server deferred is tried again here when its time comes (a deferred first email
too: the hourly run retries it); a step whose outcome is ``unknown`` or ``failed`` holds the next
one back until an operator settles it with ``creatorflow campaign resolve``, and the report
says so (``waiting``). When every follow-up was sent (or none are configured) and
``outreach.finish_day()`` days have passed since the first email with no answer, the enrollment
becomes ``finished``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import MessageStatus, Stage
from creatorflow.services.outreach.sending import (
    OutboundEmail,
    SendOutcome,
    SendReport,
    send_emails,
)
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.models import Account, Creator, Enrollment, OutreachMessage

#: An earlier step in one of these holds the sequence until an operator settles it.
UNRESOLVED = (MessageStatus.UNKNOWN.value, MessageStatus.FAILED.value)


def follow_up_step(n: int) -> str:
    return f"follow_up_{n}"


@dataclass(frozen=True)
class _Step:
    status: str
    sent_at: datetime | None
    claimed_at: datetime
    deferred_until: datetime | None
    message_id: str

    def due_again(self, now: datetime) -> bool:
        return self.status == MessageStatus.DEFERRED.value and (
            self.deferred_until is None or self.deferred_until <= now
        )


@dataclass(frozen=True)
class _Enrollment:
    stage: str
    creator: str  # platform:handle
    email: str | None


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
                Enrollment.id,
                Enrollment.stage,
                Account.platform,
                Account.handle,
                Creator.email,
                OutreachMessage.step,
                OutreachMessage.status,
                OutreachMessage.sent_at,
                OutreachMessage.claimed_at,
                OutreachMessage.deferred_until,
                OutreachMessage.message_id,
            )
            .join(OutreachMessage, OutreachMessage.enrollment_id == Enrollment.id)
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Enrollment.stage.in_((Stage.CONTACTED.value, Stage.SHORTLISTED.value)))
        ).all()
    steps: dict[int, dict[str, _Step]] = defaultdict(dict)
    people: dict[int, _Enrollment] = {}
    for r in rows:
        people[r[0]] = _Enrollment(r[1], f"{r[2]}:{r[3]}", r[4])
        steps[r[0]][r[5]] = _Step(r[6], r[7], r[8], r[9], r[10])
    due: list[OutboundEmail] = []
    waiting: list[SendOutcome] = []
    finished: list[int] = []
    for enrollment_id, sent in steps.items():
        person = people[enrollment_id]
        initial = sent.get("initial")
        if person.stage == Stage.SHORTLISTED.value:
            if initial is not None and initial.due_again(now):  # a deferred first email
                due.append(
                    OutboundEmail(enrollment_id, "initial", f"{template_dir}/initial", thread=False)
                )
            continue
        if initial is None or initial.status != MessageStatus.SENT.value or not initial.sent_at:
            continue
        first_sent = initial.sent_at
        for n in range(1, len(days) + 1):
            step = follow_up_step(n)
            row = sent.get(step)
            if row is not None and row.status == MessageStatus.SENT.value:
                continue
            template = f"{template_dir}/{step}"
            if row is None:
                if now >= first_sent + timedelta(days=days[n - 1]):
                    due.append(OutboundEmail(enrollment_id, step, template, thread=True))
            elif row.due_again(now):
                due.append(OutboundEmail(enrollment_id, step, template, thread=True))
            elif (
                row.status in UNRESOLVED
                and n < len(days)
                and now >= first_sent + timedelta(days=days[n])
            ):
                waiting.append(_waits(enrollment_id, person, n, row, campaign_slug))
            break
        else:  # every follow-up sent
            if now >= first_sent + timedelta(days=outreach.finish_day()):
                finished.append(enrollment_id)
    report = send_emails(engine=engine, settings=settings, emails=due, now=now, actor=actor)
    for outcome in waiting:
        report.add(outcome)
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


def _waits(
    enrollment_id: int, person: _Enrollment, n: int, earlier: _Step, slug: str
) -> SendOutcome:
    """The line that says why follow-up ``n + 1`` is held back and what settles it."""
    held = follow_up_step(n)
    return SendOutcome(
        enrollment_id,
        follow_up_step(n + 1),
        person.creator,
        person.email,
        "waiting",
        f"waits for {held} ({earlier.status} since {earlier.claimed_at:%Y-%m-%d %H:%M} UTC, "
        f"Message-ID {earlier.message_id}): settle it with `creatorflow campaign resolve "
        f"{slug} {person.creator} --step {held} --delivered` (or --not-delivered)",
        earlier.message_id,
        earlier.claimed_at,
    )
