"""Story results are self-reported: asked for once through the outbox, recorded by the operator.

Meta shows a story's figures to its creator only. Once a story has expired (its figures are then
final) the creator is asked, exactly once, for its views, reach, link taps and replies: the
outbox step ``story_results_<deliverable id>`` is unique per enrollment, so a rerun or an
overlapping run sends nothing more (``one_off_emails``, as for reminders). The operator records
the answer (``creatorflow campaign story-results``) as a snapshot with provenance ``submitted``;
reports keep these figures apart from the API's (``services/reporting/story_figures.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, String, Table, and_, exists, literal, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from creatorflow.domain.model import Provenance
from creatorflow.errors import InputError, NotFoundError
from creatorflow.mail.message import one_line
from creatorflow.services.tracking.deliverables import flow_run_id
from creatorflow.services.tracking.one_off_emails import (
    OneOffReport,
    PlannedEmail,
    campaign_template,
    send_one_off_emails,
)
from creatorflow.services.tracking.stories import STEP_PREFIX, STORY, enrollment_of, story_step
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

# -- asking for results, once ----------------------------------------------------------------


def plan_story_requests(
    *, engine: Engine, campaign: StoredCampaign, now: datetime
) -> list[PlannedEmail]:
    """One email per expired story whose results were neither asked for nor recorded."""
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
            PlannedEmail(
                enrollment_id=story.enrollment_id,
                step=story_step(story.id),
                template=campaign_template(campaign, "story_results"),
                context={
                    "creator_name": one_line(name or "") or handle,
                    "handle": handle,
                    "campaign_name": spec.name,
                    "brand": spec.brand,
                    "story_date": story.posted_at.strftime("%Y-%m-%d %H:%M UTC"),
                },
            )
        )
    return emails


def request_story_results(
    *, engine: Engine, settings: Settings, campaign_slug: str | None, now: datetime, actor: str
) -> OneOffReport:
    """Ask each creator for their expired stories' results, through the exactly-once outbox."""
    return send_one_off_emails(
        engine=engine,
        settings=settings,
        campaign_slug=campaign_slug,
        now=now,
        actor=actor,
        plan=lambda campaign: plan_story_requests(engine=engine, campaign=campaign, now=now),
        thread=True,
    )


# -- the creator's figures, recorded by the operator -------------------------------------------


@dataclass(frozen=True)
class StoryResults:
    deliverable_id: int
    creator: str
    recorded: bool  # False: these very figures were already recorded at this instant
    replaced: bool  # earlier submitted figures existed (the latest counts)
    # what the snapshot holds, by the command's names (views, reach, taps, replies); None: unknown
    figures: dict[str, int | None] = field(default_factory=dict)
    given: tuple[str, ...] = ()  # the figures this call gave
    kept: tuple[str, ...] = ()  # carried over from the story's previous submitted snapshot


# the snapshot's columns by the command's names
_COLUMNS = {"views": "views", "reach": "reach", "taps": "link_taps", "replies": "replies"}


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
    Reports read a story's latest snapshot only, so a correction that gives some figures carries
    the others over from the previous submitted snapshot (a figure is unknown only if never
    given). Snapshots are append-only: the same figures at an instant that has them are a no-op,
    other figures there (or at an instant before the latest) are refused, never dropped.
    """
    given = {"views": views, "reach": reach, "taps": taps, "replies": replies}
    for name, value in given.items():
        if value is not None and value < 0:
            raise InputError(f"--{name}: {value} is negative")
    if all(v is None for v in given.values()):
        raise InputError("give at least one of --views, --reach, --taps, --replies")
    named = tuple(name for name, value in given.items() if value is not None)
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        enrollment = enrollment_of(session, campaign, creator)
        chosen = _story_of(session, enrollment, story, creator)
        latest = _latest_snapshot(session, chosen.id)
        if latest is not None and latest.taken_at >= now:
            return _at_recorded_instant(latest, chosen.id, creator, given, named, now)
        previous = latest if latest is not None and latest.provenance == SUBMITTED else None
        figures = {
            name: value if value is not None else _figure(previous, name)
            for name, value in given.items()
        }
        kept = tuple(n for n, v in given.items() if v is None and figures[n] is not None)
        values = {
            "deliverable_id": chosen.id,
            "taken_at": now,
            "provenance": SUBMITTED,
            "flow_run_id": flow_run_id(actor),
            **{_COLUMNS[name]: value for name, value in figures.items()},
        }
        stmt = insert_ignore(
            session,
            cast(Table, MetricSnapshot.__table__),
            values,
            conflict_columns=["deliverable_id", "taken_at"],
        ).returning(MetricSnapshot.id)
        if session.execute(stmt).scalar() is None:  # a concurrent call took this instant
            raced = session.scalars(
                select(MetricSnapshot).where(
                    MetricSnapshot.deliverable_id == chosen.id, MetricSnapshot.taken_at == now
                )
            ).one()
            return _at_recorded_instant(raced, chosen.id, creator, given, named, now)
        record_event(
            session,
            kind="story_results_recorded",
            entity="deliverable",
            entity_id=chosen.id,
            detail={
                "provenance": SUBMITTED,
                **{_COLUMNS[name]: value for name, value in figures.items()},
                "given": list(named),
                "kept": list(kept),
            },
            actor=actor,
            at=now,
            creator_id=enrollment.creator_id,
            campaign_id=campaign.id,
        )
    return StoryResults(chosen.id, creator, True, previous is not None, figures, named, kept)


SUBMITTED = Provenance.SUBMITTED.value


def _latest_snapshot(session: Session, deliverable_id: int) -> MetricSnapshot | None:
    """The story's newest snapshot, whatever its moment (a correction must come after it)."""
    return session.scalars(
        select(MetricSnapshot)
        .where(MetricSnapshot.deliverable_id == deliverable_id)
        .order_by(MetricSnapshot.taken_at.desc(), MetricSnapshot.id.desc())
        .limit(1)
    ).first()


def _figure(snapshot: MetricSnapshot | None, name: str) -> int | None:
    if snapshot is None:
        return None
    value = getattr(snapshot, _COLUMNS[name])
    return None if value is None else int(value)


def _at_recorded_instant(
    latest: MetricSnapshot,
    deliverable_id: int,
    creator: str,
    given: dict[str, int | None],
    named: tuple[str, ...],
    now: datetime,
) -> StoryResults:
    """A rerun (the same figures at the same instant) is a no-op; anything else is refused,
    because appending a snapshot there would be dropped or would not be the latest."""
    same = (
        latest.taken_at == now
        and latest.provenance == SUBMITTED
        and all(_figure(latest, name) == given[name] for name in named)
    )
    if not same:
        moment = latest.taken_at.isoformat().replace("+00:00", "Z")
        raise InputError(
            f"story {deliverable_id} already has other figures recorded at {moment}; "
            f"give a later --as-of to correct them"
        )
    figures = {name: _figure(latest, name) for name in _COLUMNS}
    return StoryResults(deliverable_id, creator, False, False, figures, named, ())


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
