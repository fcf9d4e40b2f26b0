"""Draft reminders: like the deliverable's, before the draft's due date and once it is overdue.

Only for campaigns that require approval (``deliverables.draft_review``) and creators who have
accepted, posted nothing and submitted no draft yet. The days are the deliverable's
(``reminder_days_before``, ``reminder_days_overdue``) counted from the draft's due date, and each
reminder is its own outbox step (``draft_reminder_before_2``...), sent at most once. The
tracking flow's reminders run sends them with the deliverable reminders.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, exists

from creatorflow.mail.message import one_line
from creatorflow.services.portal.links import portal_url
from creatorflow.services.portal.view import draft_due
from creatorflow.services.tracking.reminders import PlannedReminder, awaiting_post, reminder_step
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Draft, Enrollment

TEMPLATE = "portal/draft_reminder"


def plan_draft_reminders(
    *, engine: Engine, settings: Settings, campaign: StoredCampaign, now: datetime, actor: str
) -> list[PlannedReminder]:
    """Draft reminders due at ``now`` in ``campaign`` (none unless it requires approval)."""
    spec = campaign.spec
    if not spec.deliverables.draft_review:
        return []
    planned: list[PlannedReminder] = []
    with session_scope(engine) as session:
        rows = session.execute(
            awaiting_post(campaign.id).where(~exists().where(Draft.enrollment_id == Enrollment.id))
        ).all()
        for enrollment, creator, account in rows:
            due = draft_due(enrollment.due_at, spec)
            assert due is not None
            step = reminder_step(
                due,
                now=now,
                days_before=spec.deliverables.reminder_days_before,
                days_overdue=spec.deliverables.reminder_days_overdue,
            )
            if step is None:
                continue
            link = portal_url(
                session, settings=settings, enrollment_id=enrollment.id, now=now, actor=actor
            )
            planned.append(
                PlannedReminder(
                    enrollment_id=enrollment.id,
                    step=f"draft_{step}",
                    template=TEMPLATE,
                    context={
                        "draft_reminder": {
                            "creator_name": one_line(creator.name or "") or account.handle,
                            "campaign_name": spec.name,
                            "due_date": f"{due:%B} {due.day}, {due.year}",
                            "overdue": now >= due,
                            "portal_url": link,
                        }
                    },
                )
            )
    return planned
