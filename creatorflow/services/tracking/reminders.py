"""Deliverable reminders: before the due date and once overdue, through the exactly-once outbox.

The days come from the campaign file (``deliverables.reminder_days_before`` and
``reminder_days_overdue``). Each reminder is one outbox step (``reminder_before_3``,
``reminder_overdue_1``...), so the outbox's unique (enrollment, step) row makes a re-run or an
overlapping run a no-op (``one_off_emails``, shared with nudges and story requests). Only the
reminder closest to now is sent: a run that missed a day does not send two at once. A creator
whose post has arrived (stage ``posted`` or any deliverable recorded) gets none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, Select, exists, select

from creatorflow.domain import display
from creatorflow.domain.model import Stage
from creatorflow.mail.message import one_line
from creatorflow.services.outreach.copy_context import due_values
from creatorflow.services.tracking.one_off_emails import (
    OneOffReport,
    PlannedEmail,
    campaign_template,
    send_one_off_emails,
)
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator, Deliverable, Enrollment

PlannedReminder = PlannedEmail
ReminderReport = OneOffReport  # what one reminders run planned, and what the outbox did


def reminder_step(
    due_at: datetime, *, now: datetime, days_before: Sequence[int], days_overdue: Sequence[int]
) -> str | None:
    """The reminder step that applies at ``now`` for a deliverable due at ``due_at``, if any."""
    if now < due_at:
        applicable = [d for d in days_before if now >= due_at - timedelta(days=d)]
        return f"reminder_before_{min(applicable)}" if applicable else None
    passed = [d for d in days_overdue if now >= due_at + timedelta(days=d)]
    return f"reminder_overdue_{max(passed)}" if passed else None


def awaiting_post(campaign_id: int) -> Select[tuple[Enrollment, Creator, Account]]:
    """Accepted enrollments of the campaign with a due date and no deliverable recorded yet."""
    return (
        select(Enrollment, Creator, Account)
        .join(Creator, Creator.id == Enrollment.creator_id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign_id)
        .where(Enrollment.stage == Stage.ACCEPTED.value)
        .where(Enrollment.due_at.is_not(None))
        .where(~exists().where(Deliverable.enrollment_id == Enrollment.id))
        .order_by(Enrollment.id)
    )


def plan_reminders(
    *, engine: Engine, campaign: StoredCampaign, now: datetime
) -> list[PlannedReminder]:
    """Reminders due at ``now`` for accepted creators whose deliverable has not arrived."""
    spec = campaign.spec
    terms = spec.terms()
    planned: list[PlannedReminder] = []
    with session_scope(engine) as session:
        rows = session.execute(awaiting_post(campaign.id)).all()
    for enrollment, creator, account in rows:
        assert enrollment.due_at is not None
        step = reminder_step(
            enrollment.due_at,
            now=now,
            days_before=spec.deliverables.reminder_days_before,
            days_overdue=spec.deliverables.reminder_days_overdue,
        )
        if step is None:
            continue
        kind = "overdue" if step.startswith("reminder_overdue") else "before"
        days = (
            abs((enrollment.due_at - now).days)
            if kind == "before"
            else ((now - enrollment.due_at).days)
        )
        planned.append(
            PlannedReminder(
                enrollment_id=enrollment.id,
                step=step,
                template=campaign_template(campaign, f"reminder_{kind}"),
                context={
                    "creator_name": one_line(creator.name or "")
                    or display.greeting_name(
                        None, account.platform, account.handle, account.display_name
                    ),
                    "handle": account.handle,
                    "platform": account.platform,
                    "platform_name": display.platform_name(account.platform),
                    "campaign_name": spec.name,
                    "brand": spec.brand,
                    **due_values(enrollment.due_at),  # due_date: "April 12, 2027"
                    "days": days,
                    "hashtags": [f"#{t}" for t in terms.hashtags],
                    "mentions": [f"@{m}" for m in terms.mentions],
                    "tracking_url": enrollment.tracking_url,
                    "promo_code": enrollment.promo_code,
                },
            )
        )
    return planned


def send_reminders(
    *, engine: Engine, settings: Settings, campaign_slug: str | None, now: datetime, actor: str
) -> ReminderReport:
    """Plan and send the reminders of one campaign (or every active one)."""
    from creatorflow.services.portal.draft_reminders import plan_draft_reminders

    def plan(campaign: StoredCampaign) -> list[PlannedReminder]:
        planned = plan_reminders(engine=engine, campaign=campaign, now=now)
        planned += plan_draft_reminders(  # drafts the campaign must approve (issue 18)
            engine=engine, settings=settings, campaign=campaign, now=now, actor=actor
        )
        return planned

    return send_one_off_emails(
        engine=engine,
        settings=settings,
        campaign_slug=campaign_slug,
        now=now,
        actor=actor,
        plan=plan,
        thread=True,
    )
