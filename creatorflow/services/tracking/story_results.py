"""Story results are self-reported: asked for once through the outbox, recorded by the operator.

Meta shows a story's figures to its creator only. Once a story has expired (its figures are then
final) the creator is asked, exactly once, for its views, reach, link taps and replies: the
outbox step ``story_results_<deliverable id>`` is unique per enrollment, so a rerun or an
overlapping run sends nothing more (the reminders' mechanism). The operator records the answer
(``creatorflow campaign story-results``) as a snapshot with provenance ``submitted``; reports keep
these figures apart from the API's (``services/reporting/story_figures.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Engine, String, Table, and_, exists, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from creatorflow.domain.model import Provenance
from creatorflow.errors import InputError, NotFoundError
from creatorflow.mail.message import one_line
from creatorflow.services.tracking.deliverables import flow_run_id
from creatorflow.services.tracking.reminders import ReminderReport
from creatorflow.services.tracking.stories import STEP_PREFIX, STORY, enrollment_of, story_step
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign, load_campaign
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Creator,
    Deliverable,
    Enrollment,
    MetricSnapshot,
    OutreachMessage,
)

if TYPE_CHECKING:
    from creatorflow.services.outreach.sending import OutboundEmail


# -- asking for results, once ----------------------------------------------------------------


def plan_story_requests(
    *, engine: Engine, campaign: StoredCampaign, now: datetime
) -> list[OutboundEmail]:
    """One email per expired story whose results were neither asked for nor recorded."""
    from creatorflow.services.outreach.sending import OutboundEmail

    spec = campaign.spec
    asked = exists().where(
        and_(
            OutreachMessage.enrollment_id == Deliverable.enrollment_id,
            # the one step per story: story_results_<id>
            OutreachMessage.step == literal(STEP_PREFIX) + sql_cast(Deliverable.id, String),
        )
    )
    reported = exists().where(
        and_(
            MetricSnapshot.deliverable_id == Deliverable.id,
            MetricSnapshot.provenance == Provenance.SUBMITTED.value,
        )
    )
    with session_scope(engine) as session:
        rows = session.execute(
            select(Deliverable, Creator.name, Account.handle)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id == campaign.id, Deliverable.kind == STORY)
            .where(Deliverable.expires_at <= now, Deliverable.detected_at <= now)
            .where(~asked, ~reported)
            .order_by(Deliverable.id)
        ).all()
    emails = []
    for story, name, handle in rows:
        assert story.posted_at is not None
        emails.append(
            OutboundEmail(
                enrollment_id=story.enrollment_id,
                step=story_step(story.id),
                template=f"outreach/{spec.outreach.template_set}/story_results",
                context={
                    "creator_name": one_line(name or "") or handle,
                    "handle": handle,
                    "campaign_name": spec.name,
                    "brand": spec.brand,
                    "story_date": story.posted_at.strftime("%Y-%m-%d %H:%M UTC"),
                },
                thread=True,
            )
        )
    return emails


def request_story_results(
    *, engine: Engine, settings: Settings, campaign_slug: str | None, now: datetime, actor: str
) -> ReminderReport:
    """Ask each creator for their expired stories' results, through the exactly-once outbox."""
    from creatorflow.services.outreach.send_results import SendReport
    from creatorflow.services.outreach.sending import send_emails

    planned, outbox = 0, SendReport()
    with session_scope(engine) as session:
        campaigns = tracked_campaigns(session, campaign_slug)
    for campaign in campaigns:
        emails = plan_story_requests(engine=engine, campaign=campaign, now=now)
        planned += len(emails)
        if emails:
            outbox.extend(
                send_emails(engine=engine, settings=settings, emails=emails, now=now, actor=actor)
            )
    return ReminderReport(planned=planned, outbox=outbox)


# -- the creator's figures, recorded by the operator -------------------------------------------


@dataclass(frozen=True)
class StoryResults:
    deliverable_id: int
    creator: str
    recorded: bool  # False: figures for this story were already recorded at this instant
    replaced: bool  # earlier submitted figures existed (the latest counts)


def record_story_results(
    *,
    engine: Engine,
    campaign_slug: str,
    creator: str,
    views: int | None,
    reach: int | None,
    taps: int | None,
    replies: int | None,
    story: int | None = None,
    now: datetime,
    actor: str,
) -> StoryResults:
    """Store a story's self-reported figures (provenance ``submitted``, never re-polled).

    ``story`` is the deliverable id; without it, the creator's oldest story without figures.
    """
    figures = {"views": views, "reach": reach, "link_taps": taps, "replies": replies}
    for name, value in figures.items():
        if value is not None and value < 0:
            raise InputError(f"--{name.replace('link_', '')}: {value} is negative")
    if all(v is None for v in figures.values()):
        raise InputError("give at least one of --views, --reach, --taps, --replies")
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        enrollment = enrollment_of(session, campaign, creator)
        chosen = _story_of(session, enrollment, story, creator)
        replaced = session.scalars(
            select(MetricSnapshot.id).where(
                MetricSnapshot.deliverable_id == chosen.id,
                MetricSnapshot.provenance == Provenance.SUBMITTED.value,
            )
        ).first()
        values = {
            "deliverable_id": chosen.id,
            "taken_at": now,
            "provenance": Provenance.SUBMITTED.value,
            "flow_run_id": flow_run_id(actor),
            **figures,
        }
        stmt = insert_ignore(
            session,
            cast(Table, MetricSnapshot.__table__),
            values,
            conflict_columns=["deliverable_id", "taken_at"],
        ).returning(MetricSnapshot.id)
        recorded = session.execute(stmt).scalar() is not None
        if recorded:
            record_event(
                session,
                kind="story_results_recorded",
                entity="deliverable",
                entity_id=chosen.id,
                detail={"provenance": Provenance.SUBMITTED.value, **figures},
                actor=actor,
                at=now,
                creator_id=enrollment.creator_id,
                campaign_id=campaign.id,
            )
    return StoryResults(chosen.id, creator, recorded, replaced is not None)


def _story_of(
    session: Session, enrollment: Enrollment, story: int | None, creator: str
) -> Deliverable:
    stories = list(
        session.scalars(
            select(Deliverable)
            .where(Deliverable.enrollment_id == enrollment.id, Deliverable.kind == STORY)
            .order_by(Deliverable.posted_at, Deliverable.id)
        )
    )
    if story is not None:
        for row in stories:
            if row.id == story:
                return row
        raise NotFoundError(f"{creator} has no story {story} (see `creatorflow campaign status`)")
    if not stories:
        raise NotFoundError(f"{creator} has no story recorded in this campaign")
    submitted = set(
        session.scalars(
            select(MetricSnapshot.deliverable_id).where(
                MetricSnapshot.deliverable_id.in_([s.id for s in stories]),
                MetricSnapshot.provenance == Provenance.SUBMITTED.value,
            )
        )
    )
    waiting = [s for s in stories if s.id not in submitted]
    if not waiting:
        ids = ", ".join(str(s.id) for s in stories)
        raise InputError(f"every story of {creator} has figures; name one with --story ({ids})")
    return waiting[0]
