"""Deliverable reminders: before the due date and once overdue, through the exactly-once outbox.

Each reminder is one outbox step (``reminder_before_3``, ``reminder_overdue_1``...), so the
outbox's unique (enrollment, step) row makes a re-run or an overlapping run a no-op. Only the
reminder closest to now is sent: a run that missed a day does not send two at once. A creator whose
post has arrived (stage ``posted`` or any deliverable recorded) gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, select

from creatorflow.domain.model import Stage
from creatorflow.mail.message import one_line
from creatorflow.services.tracking.campaign_terms import TrackedCampaign, load_tracked
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator, Deliverable, Enrollment


@dataclass(frozen=True)
class PlannedReminder:
    enrollment_id: int
    step: str
    template: str
    context: dict[str, Any]


def reminder_step(
    due_at: datetime, *, now: datetime, days_before: tuple[int, ...], days_overdue: tuple[int, ...]
) -> str | None:
    """The reminder step that applies at ``now`` for a deliverable due at ``due_at``, if any."""
    if now < due_at:
        applicable = [d for d in days_before if now >= due_at - timedelta(days=d)]
        return f"reminder_before_{min(applicable)}" if applicable else None
    passed = [d for d in days_overdue if now >= due_at + timedelta(days=d)]
    return f"reminder_overdue_{max(passed)}" if passed else None


def plan_reminders(
    *, engine: Engine, campaign: TrackedCampaign, now: datetime
) -> list[PlannedReminder]:
    """Reminders due at ``now`` for accepted creators whose deliverable has not arrived."""
    planned: list[PlannedReminder] = []
    with session_scope(engine) as session:
        rows = session.execute(
            select(Enrollment, Creator, Account)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Enrollment.stage == Stage.ACCEPTED.value)
            .where(Enrollment.due_at.is_not(None))
            .where(~exists().where(Deliverable.enrollment_id == Enrollment.id))
            .order_by(Enrollment.id)
        ).all()
    for enrollment, creator, account in rows:
        assert enrollment.due_at is not None
        step = reminder_step(
            enrollment.due_at,
            now=now,
            days_before=campaign.reminder_days_before,
            days_overdue=campaign.reminder_days_overdue,
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
                template=f"outreach/{campaign.template_set}/reminder_{kind}",
                context={
                    "creator_name": one_line(creator.name or "") or account.handle,
                    "handle": account.handle,
                    "platform": account.platform,
                    "campaign_name": campaign.name,
                    "brand": campaign.brand,
                    "due_date": enrollment.due_at.date().isoformat(),
                    "days": days,
                    "hashtags": [f"#{t}" for t in campaign.terms.hashtags],
                    "mentions": [f"@{m}" for m in campaign.terms.mentions],
                    "tracking_url": enrollment.tracking_url,
                    "promo_code": enrollment.promo_code,
                },
            )
        )
    return planned


def send_reminders(
    *, engine: Engine, settings: Settings, campaign_slug: str | None, now: datetime, actor: str
) -> dict[str, int]:
    """Plan and send the reminders of one campaign (or every active one); counts by outcome."""
    from creatorflow.services.outreach.sending import OutboundEmail, send_emails

    totals: dict[str, int] = {"planned": 0}
    with session_scope(engine) as session:
        campaigns = load_tracked(session, campaign_slug)
    for campaign in campaigns:
        planned = plan_reminders(engine=engine, campaign=campaign, now=now)
        totals["planned"] += len(planned)
        if not planned:
            continue
        emails = [
            OutboundEmail(
                enrollment_id=p.enrollment_id,
                step=p.step,
                template=p.template,
                context=p.context,
                thread=True,
            )
            for p in planned
        ]
        report = send_emails(engine=engine, settings=settings, emails=emails, now=now, actor=actor)
        for name, value in _counts(report).items():
            totals[name] = totals.get(name, 0) + value
    return totals


def _counts(report: Any) -> dict[str, int]:
    """Counts from the outbox's SendReport, whatever its exact shape (lists or ints)."""
    counts: dict[str, int] = {}
    for name in ("sent", "skipped", "failed", "unknown", "deferred"):
        value = getattr(report, name, None)
        if value is None:
            continue
        counts[name] = value if isinstance(value, int) else len(value)
    return counts
