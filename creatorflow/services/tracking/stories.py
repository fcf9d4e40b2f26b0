"""Instagram Stories: a story mention becomes a ``story`` deliverable, with self-reported results.

Meta tells the brand about a story that mentions it (a messaging webhook with the story's CDN
URL) but never shows its figures to anyone but the creator. So: the story is recorded once for
the enrolled creator (matched by the username Meta gives for the sender, else queued for the
operator: ``creatorflow campaign match-story``), with provenance ``mention``, the CDN URL and its
expiry (24 hours; nothing of the media is stored, as Meta requires); polling leaves it alone.
Its results are asked for and recorded in ``story_results``; ``story_statuses`` is what
``campaign status`` shows (live, or expired after 24 hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.matching import in_window
from creatorflow.domain.model import Platform, Provenance
from creatorflow.domain.webhook_events import STORY_LIFETIME_HOURS
from creatorflow.errors import InputError, NotFoundError
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.services.tracking.deliverables import TRACKED_STAGES, record_deliverable
from creatorflow.services.tracking.mention_waits import known_author, wait_or_ignore
from creatorflow.services.tracking.mentions import (
    DONE,
    UNMATCHED,
    MentionReader,
    MentionsReport,
    Tracked,
    settle,
)
from creatorflow.storage.campaigns import StoredCampaign, load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    Account,
    Deliverable,
    Enrollment,
    MetricSnapshot,
    OutreachMessage,
    WebhookEvent,
)

STORY = "story"
STEP_PREFIX = "story_results_"
LIFETIME = timedelta(hours=STORY_LIFETIME_HOURS)


def story_step(deliverable_id: int) -> str:
    """The outbox step that asks for one story's results (unique per enrollment and step)."""
    return f"{STEP_PREFIX}{deliverable_id}"


# -- recording story mentions ----------------------------------------------------------------


def record_story_mention(
    engine: Engine,
    event: WebhookEvent,
    client: MentionReader,
    tracked: Tracked,
    *,
    now: datetime,
    actor: str,
    report: MentionsReport,
) -> None:
    """The story as a deliverable of the one tracked creator it can be, else queued or ignored."""
    at = event.occurred_at or event.received_at
    username = known_author(event) or (client.story_author(event.sender) if event.sender else None)
    if username is None:
        why = "Meta did not name the sender: match it with `creatorflow campaign match-story`"
        settle(engine, event.id, UNMATCHED, why, now=now)
        report.unmatched += 1
        return
    mine = tracked.by_handle.get(username.lower(), [])
    inside = [e for e in mine if in_window(at, tracked.campaigns[e.campaign_id].spec.terms())]
    if not mine or not inside:  # tracked later, maybe: pending while a window holds it
        why = "not a tracked creator" if not mine else "outside every campaign window"
        wait_or_ignore(
            engine, event, author=username, why=why, tracked=tracked, now=now, report=report
        )
        return
    if len(inside) > 1:
        slugs = ", ".join(sorted(tracked.campaigns[e.campaign_id].slug for e in inside))
        why = f"@{username} is in several campaigns ({slugs}): match it to one"
        settle(engine, event.id, UNMATCHED, why, now=now)
        report.unmatched += 1
        return
    deliverable_id, created = store_story(engine, inside[0], event, now=now, actor=actor)
    if created:
        report.stories.append(deliverable_id)
    settle(
        engine, event.id, DONE, f"story {deliverable_id}", now=now, deliverable_id=deliverable_id
    )


def store_story(
    engine: Engine, enrollment: Enrollment, event: WebhookEvent, *, now: datetime, actor: str
) -> tuple[int, bool]:
    """The story deliverable (inserted once per enrollment and story); (id, whether new)."""
    at = event.occurred_at or event.received_at
    post_id = f"story:{event.payload.get('story_id') or event.event_key[:32]}"
    post = Post(
        platform=Platform.INSTAGRAM,
        post_id=post_id,
        author_id=None,
        url=None,
        title=None,
        text=None,
        published_at=at,
        metrics=PostMetrics(),
        media_type="STORY",
    )
    columns = {
        "kind": STORY,
        "media_url": event.payload.get("url"),
        "expires_at": at + LIFETIME,
        "disclosure_ok": None,  # nobody but the creator can see a story's content
        "last_seen_at": None,
    }
    with session_scope(engine) as session:
        new_id = record_deliverable(
            session,
            enrollment=enrollment,
            campaign_id=enrollment.campaign_id,
            post=post,
            provenance=Provenance.MENTION,
            now=now,
            actor=actor,
            kind="story_mentioned",
            columns=columns,
        )
        if new_id is not None:
            return new_id, True
        found = session.scalars(
            select(Deliverable.id).where(
                Deliverable.enrollment_id == enrollment.id, Deliverable.post_id == post_id
            )
        ).one()
        return int(found), False


def parse_creator(value: str) -> tuple[Platform, str]:
    """``PLATFORM:HANDLE`` as stored: platform known, handle normalised."""
    from creatorflow.domain.handles import normalise_handle

    platform, sep, handle = value.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        raise InputError(f"{value!r}: expected PLATFORM:HANDLE, e.g. instagram:anna.glow")
    plat = Platform(platform.strip().lower())
    try:
        return plat, normalise_handle(plat, handle)
    except ValueError as exc:
        raise InputError(f"{value}: {exc}") from None


def enrollment_of(session: Session, campaign: StoredCampaign, creator: str) -> Enrollment:
    platform, handle = parse_creator(creator)
    row = session.scalars(
        select(Enrollment)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign.id)
        .where(Account.platform == platform.value, Account.handle == handle)
    ).first()
    if row is None:
        raise NotFoundError(f"{platform.value}:{handle} is not enrolled in {campaign.slug}")
    return row


@dataclass(frozen=True)
class StoryMatch:
    event_id: int
    deliverable_id: int
    created: bool
    creator: str


def match_story(
    *, engine: Engine, campaign_slug: str, event_id: int, creator: str, now: datetime, actor: str
) -> StoryMatch:
    """The operator names whose story a queued story mention is (``campaign match-story``)."""
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        event = session.get(WebhookEvent, event_id)
        if event is None or event.kind != "story_mention":
            raise NotFoundError(f"no story mention {event_id} (see `creatorflow campaign status`)")
        if event.status != UNMATCHED:
            raise InputError(f"story mention {event_id} is {event.status}, not waiting for a match")
        enrollment = enrollment_of(session, campaign, creator)
        if enrollment.stage not in TRACKED_STAGES:
            raise InputError(f"{creator} is {enrollment.stage} in {campaign.slug}: not tracked")
        session.expunge_all()
    deliverable_id, created = store_story(engine, enrollment, event, now=now, actor=actor)
    settle(
        engine,
        event_id,
        DONE,
        f"story {deliverable_id}, matched by {actor}",
        now=now,
        deliverable_id=deliverable_id,
    )
    return StoryMatch(event_id, deliverable_id, created, creator)


# -- where the campaign's stories stand (``campaign status``) ----------------------------------


@dataclass(frozen=True)
class StoryStatus:
    """One story: live (its CDN URL still renders) or expired, and its results' state."""

    deliverable_id: int
    creator: str
    posted_at: str | None
    expires_at: str | None
    state: str  # live, expired
    media_url: str | None  # only while live: afterwards Meta's URL shows nothing
    results: str  # submitted, asked, waiting
    views: int | None = None
    reach: int | None = None
    link_taps: int | None = None
    replies: int | None = None


def story_statuses(session: Session, *, campaign_id: int, now: datetime) -> list[StoryStatus]:
    """The campaign's stories, oldest first, with their latest submitted figures."""
    rows = session.execute(
        select(Deliverable, Account.platform, Account.handle)
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign_id, Deliverable.kind == STORY)
        .order_by(Deliverable.posted_at, Deliverable.id)
    ).all()
    ids = [d.id for d, _, _ in rows]
    latest: dict[int, MetricSnapshot] = {}
    for submitted in session.scalars(
        select(MetricSnapshot)
        .where(MetricSnapshot.deliverable_id.in_(ids))
        .where(MetricSnapshot.provenance == Provenance.SUBMITTED.value)
        .order_by(MetricSnapshot.taken_at)
    ):
        latest[submitted.deliverable_id] = submitted
    asked = set(
        session.scalars(
            select(OutreachMessage.step).where(
                OutreachMessage.step.in_([story_step(i) for i in ids])
            )
        )
    )
    statuses = []
    for story, platform, handle in rows:
        live = story.expires_at is not None and now < story.expires_at
        snap: MetricSnapshot | None = latest.get(story.id)
        results = "submitted" if snap else "asked" if story_step(story.id) in asked else "waiting"
        statuses.append(
            StoryStatus(
                deliverable_id=story.id,
                creator=f"{platform}:{handle}",
                posted_at=story.posted_at.isoformat() if story.posted_at else None,
                expires_at=story.expires_at.isoformat() if story.expires_at else None,
                state="live" if live else "expired",
                media_url=story.media_url if live else None,
                results=results,
                views=snap.views if snap else None,
                reach=snap.reach if snap else None,
                link_taps=snap.link_taps if snap else None,
                replies=snap.replies if snap else None,
            )
        )
    return statuses
