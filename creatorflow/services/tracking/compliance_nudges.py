"""One nudge per compliance problem, and one reminder, through the exactly-once outbox.

A problem's nudge is outbox step ``compliance_<problem id>`` and its reminder
``compliance_<problem id>_reminder``: the outbox's unique (enrollment, step) row makes a re-run
or an overlapping run a no-op, as for deliverable reminders. The reminder goes once the nudge
has been sent ``compliance.reminder_days`` ago and the problem is still open. Afterwards the
problem rows copy the outbox's ``sent_at`` (``nudged_at``, ``reminded_at``) for the report and
the evidence export. A waived, fixed or gone problem is closed: nothing more goes out for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from creatorflow.domain.compliance import ProblemKind, judge_caption, reminder_due
from creatorflow.domain.model import DeliverableStatus, MessageStatus
from creatorflow.mail.message import one_line
from creatorflow.services.tracking.caption_store import DISCLOSURE_KINDS
from creatorflow.services.tracking.one_off_emails import (
    OneOffReport,
    PlannedEmail,
    campaign_template,
    send_one_off_emails,
)
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    Account,
    CaptionVersion,
    ComplianceProblem,
    Creator,
    Deliverable,
    Enrollment,
    OutreachMessage,
)


def nudge_step(problem_id: int) -> str:
    return f"compliance_{problem_id}"


def reminder_step(problem_id: int) -> str:
    return f"compliance_{problem_id}_reminder"


PlannedNudge = PlannedEmail  # its step names the problem: ``compliance_<problem id>``
NudgeReport = OneOffReport


def plan_nudges(*, engine: Engine, campaign: StoredCampaign, now: datetime) -> list[PlannedNudge]:
    """The nudges and reminders due at ``now`` for the campaign's open disclosure problems."""
    settings = campaign.spec.compliance
    if not settings.nudge:
        return []
    rules = settings.rules()
    planned: list[PlannedNudge] = []
    with session_scope(engine) as session:
        rows = session.execute(
            select(ComplianceProblem, Deliverable, Enrollment, Creator, Account, CaptionVersion)
            .join(Deliverable, Deliverable.id == ComplianceProblem.deliverable_id)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .join(Account, Account.id == Enrollment.account_id)
            .outerjoin(CaptionVersion, CaptionVersion.id == ComplianceProblem.version_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(ComplianceProblem.kind.in_(DISCLOSURE_KINDS))
            .where(ComplianceProblem.closed_at.is_(None))
            .where(Deliverable.status == DeliverableStatus.LIVE.value)
            .order_by(ComplianceProblem.id)
        ).all()
        steps = [s for row in rows for s in (nudge_step(row[0].id), reminder_step(row[0].id))]
        outbox = {
            (enrollment_id, step): sent_at
            for enrollment_id, step, sent_at in session.execute(
                select(
                    OutreachMessage.enrollment_id, OutreachMessage.step, OutreachMessage.sent_at
                ).where(OutreachMessage.step.in_(steps))
            )
        }
    for problem, deliverable, enrollment, creator, account, version in rows:
        first = nudge_step(problem.id)
        if (enrollment.id, first) not in outbox:
            step, reminder = first, False
        else:
            sent = outbox[(enrollment.id, first)]
            if sent is None or (enrollment.id, reminder_step(problem.id)) in outbox:
                continue
            if not reminder_due(sent, now=now, reminder_days=settings.reminder_days):
                continue
            step, reminder = reminder_step(problem.id), True
        judged = (
            judge_caption(version.title, version.text, rules=rules) if version is not None else None
        )
        evidence = judged.evidence if judged is not None else None
        planned.append(
            PlannedNudge(
                enrollment_id=enrollment.id,
                step=step,
                template=campaign_template(campaign, f"compliance_{problem.kind}"),
                context={
                    "creator_name": one_line(creator.name or "") or account.handle,
                    "handle": account.handle,
                    "platform": account.platform,
                    "campaign_name": campaign.spec.name,
                    "brand": campaign.spec.brand,
                    "post_url": deliverable.url or deliverable.post_id,
                    "reminder": reminder,
                    "first_chars": rules.first_chars,
                    "marker": evidence.found if evidence else None,
                    "position": evidence.position if evidence else None,
                    "suggested": _suggested(campaign),
                },
            )
        )
    return planned


def _suggested(campaign: StoredCampaign) -> str:
    """The marker the nudge suggests: the campaign's own first, else ``#ad``."""
    extra = campaign.spec.compliance.markers
    return extra[0] if extra else "#ad"


def send_compliance_nudges(
    *, engine: Engine, settings: Settings, campaign_slug: str | None, now: datetime, actor: str
) -> NudgeReport:
    """Plan and send the compliance nudges of one campaign (or every tracked one)."""
    return send_one_off_emails(
        engine=engine,
        settings=settings,
        campaign_slug=campaign_slug,
        now=now,
        actor=actor,
        plan=lambda campaign: plan_nudges(engine=engine, campaign=campaign, now=now),
        thread=False,
        after=lambda campaign: note_sent(engine=engine, campaign_id=campaign.id),
    )


def note_sent(*, engine: Engine, campaign_id: int) -> None:
    """Copy the outbox's ``sent_at`` of nudges and reminders onto their problems (idempotent)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(ComplianceProblem.id, ComplianceProblem.nudged_at, ComplianceProblem.reminded_at)
            .add_columns(Deliverable.enrollment_id)
            .join(Deliverable, Deliverable.id == ComplianceProblem.deliverable_id)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .where(Enrollment.campaign_id == campaign_id)
            .where(ComplianceProblem.kind != ProblemKind.REMOVED_EARLY.value)
            .where(ComplianceProblem.nudged_at.is_(None) | ComplianceProblem.reminded_at.is_(None))
        ).all()
        if not rows:
            return
        steps = [s for row in rows for s in (nudge_step(row[0]), reminder_step(row[0]))]
        sent = {
            (enrollment_id, step): sent_at
            for enrollment_id, step, sent_at in session.execute(
                select(OutreachMessage.enrollment_id, OutreachMessage.step, OutreachMessage.sent_at)
                .where(OutreachMessage.step.in_(steps))
                .where(OutreachMessage.status == MessageStatus.SENT.value)
            )
        }
        for problem_id, nudged, reminded, enrollment_id in rows:
            values: dict[str, Any] = {}
            if nudged is None and (at := sent.get((enrollment_id, nudge_step(problem_id)))):
                values["nudged_at"] = at
            if reminded is None and (at := sent.get((enrollment_id, reminder_step(problem_id)))):
                values["reminded_at"] = at
            if values:
                session.execute(
                    update(ComplianceProblem)
                    .where(ComplianceProblem.id == problem_id)
                    .values(**values)
                )
