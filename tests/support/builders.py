"""Rows as the services would have left them: one builder per table, every default in one place.

Builders take an open session (the caller decides the transaction) and return the ORM row; the
``add_creator``/``add_creators``/``contact``/``enroll`` helpers open their own session for tests
that only need ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from creatorflow.domain.model import Platform, Provenance
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.sandbox import SandboxAccount, World
from creatorflow.services.replies.answers import ResponseResult, respond
from creatorflow.services.tracking.deliverables import record_deliverable
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Creator,
    Deliverable,
    Enrollment,
    MetricSnapshot,
    OutreachMessage,
)
from tests.support.campaigns import add_campaign, register_example

CREATOR: dict[str, Any] = {"lawful_basis": "legitimate-interest", "source": "test"}
ACCOUNT: dict[str, Any] = {"tier": "micro", "status": "active"}

Counts = tuple[int | None, int | None, int | None, int | None, int | None]
"""A snapshot's (views, likes, comments, shares, saves); None is hidden by the platform."""


def add_account(
    session: Session,
    *,
    platform: Platform | str,
    handle: str,
    now: datetime,
    creator: dict[str, Any] | None = None,
    **values: Any,
) -> Account:
    """A creator (``creator`` holds its columns) with one account (``values`` holds its own)."""
    person = Creator(
        **{"name": handle, **CREATOR, **(creator or {})}, created_at=now, updated_at=now
    )
    session.add(person)
    session.flush()
    stamps = {"created_at": now, "updated_at": now}
    account = Account(**ACCOUNT | values | stamps, creator_id=person.id, handle=handle)
    account.platform = Platform(platform).value
    session.add(account)
    session.flush()
    return account


def add_enrollment(
    session: Session, account: Account, *, campaign_id: int, now: datetime, **values: Any
) -> Enrollment:
    """``account``'s creator in the campaign, at the stage ``values`` names (else shortlisted)."""
    row = Enrollment(**{"tier": account.tier, **values}, created_at=now, updated_at=now)
    row.campaign_id, row.creator_id, row.account_id = campaign_id, account.creator_id, account.id
    session.add(row)
    session.flush()
    return row


def add_sent_messages(
    session: Session, enrollment: Enrollment, *, to: str, steps: Sequence[str], now: datetime
) -> dict[str, str]:
    """``steps`` sent one a day, the last one a day before ``now``, each threaded on the ones
    before; returns step -> Message-ID."""
    ids: dict[str, str] = {}
    handle = to.split("@")[0]
    for number, step in enumerate(steps):
        sent = now - timedelta(days=len(steps) - number)
        first = next(iter(ids.values()), None)
        row = OutreachMessage(enrollment_id=enrollment.id, step=step, to_address=to, status="sent")
        row.subject, row.claimed_at, row.sent_at = "Spring Glow x you?", sent, sent
        row.in_reply_to, row.references = first, " ".join(ids.values()) or None
        row.message_id = ids[step] = f"<{step}-{enrollment.id}-{handle}@brand.example>"
        session.add(row)
    session.flush()
    return ids


def add_post(
    session: Session,
    enrollment_id: int,
    *,
    platform: Platform | str,
    post_id: str,
    posted_at: datetime,
    provenance: str = "api",
    snapshots: Iterable[tuple[datetime, Counts]] = (),
    **values: Any,
) -> Deliverable:
    """A detected post (live unless ``gone_at`` is given) and its metric snapshots."""
    status = "gone" if values.get("gone_at") else "live"
    row = Deliverable(enrollment_id=enrollment_id, post_id=post_id, status=status, **values)
    row.platform, row.provenance = Platform(platform).value, provenance
    row.posted_at = row.detected_at = posted_at
    session.add(row)
    session.flush()
    fields = ("views", "likes", "comments", "shares", "saves")
    for taken_at, counts in snapshots:
        snapshot = MetricSnapshot(deliverable_id=row.id, taken_at=taken_at, provenance=provenance)
        for name, value in zip(fields, counts, strict=True):
            setattr(snapshot, name, value)
        session.add(snapshot)
    return row


def record_stages(
    session: Session,
    enrollment: Enrollment,
    path: Iterable[tuple[str, datetime]],
    *,
    before: str | None = None,
) -> None:
    """The ``stage_changed`` events the services record along ``path`` of (stage, when)."""
    about = {"entity": "enrollment", "entity_id": enrollment.id, "actor": "test"}
    about |= {"creator_id": enrollment.creator_id, "campaign_id": enrollment.campaign_id}
    for stage, moment in path:
        detail = {"from": before, "to": stage, "reason": "test world"}
        record_event(session, kind="stage_changed", detail=detail, at=moment, **about)
        before = stage


def add_unverified(
    engine: Engine, platform: Platform | str, handles: Iterable[str], now: datetime
) -> None:
    """Accounts as an import leaves them: a handle to look up, neither verified nor tiered."""
    with session_scope(engine) as session:
        for handle in handles:
            add_account(
                session, platform=platform, handle=handle, now=now, tier=None, status="unverified"
            )


# -- creators for outreach: not yet in any campaign ----------------------------------------------


#: What ``add_creator`` gives a creator unless told otherwise: a US skincare micro creator.
LISTED: dict[str, Any] = {"platform": "instagram", "email": None, "name": None, "timezone": None}
LISTED |= {"followers": 20_000, "tier": "micro", "engagement_rate": "0.05"}
LISTED |= {"country": "US", "niche": "skincare"}


def add_creator(
    engine: Engine, now: datetime, *, handle: str, session: Session | None = None, **values: Any
) -> int:
    """A creator the shortlist can pick (``values`` change ``LISTED``); returns the creator id.
    The name defaults to the handle in title case, the engagement rate is a decimal string.
    Written in ``session`` when given, else in a transaction of its own."""
    if unknown := set(values) - set(LISTED):
        raise TypeError(f"add_creator() got unknown fields {sorted(unknown)}")
    given = LISTED | values
    name = given["name"] if given["name"] is not None else handle.title()
    person = {"name": name} | {key: given[key] for key in ("email", "country", "niche", "timezone")}
    rate = Decimal(given["engagement_rate"]) if given["engagement_rate"] else None
    size = {"tier": given["tier"], "followers": given["followers"], "engagement_rate": rate}
    if session is not None:
        account = add_account(
            session, platform=given["platform"], handle=handle, now=now, creator=person, **size
        )
        return account.creator_id
    with session_scope(engine) as own:
        return add_creator(engine, now, handle=handle, session=own, **values)


def add_creators(
    engine: Engine, now: datetime, count: int, *, domain: str = "mail.example", **kwargs: Any
) -> list[int]:
    """``count`` creators creator0000, creator0001, ... with addresses at ``domain`` (one
    transaction)."""
    handles = [f"creator{i:04d}" for i in range(count)]
    with session_scope(engine) as session:
        return [
            add_creator(engine, now, handle=h, email=f"{h}@{domain}", session=session, **kwargs)
            for h in handles
        ]


# -- creators already contacted: for reply, answer and unsubscribe tests -------------------------


@dataclass(frozen=True)
class Contacted:
    enrollment_id: int
    creator_id: int
    email: str
    handle: str
    platform: str
    message_ids: dict[str, str]  # step -> Message-ID


def contact(
    engine: Engine,
    campaign: StoredCampaign,
    *,
    handle: str,
    now: datetime,
    email: str | None = None,
    platform: str = "instagram",
    stage: str = "contacted",
    steps: tuple[str, ...] = ("initial",),
) -> Contacted:
    """A creator (address ``handle@creator.example`` unless given) with ``steps`` sent."""
    email = email or f"{handle}@creator.example"
    person = {"name": handle.title(), "email": email}
    terms = {"followers_at_shortlist": 25_000, "offer": Decimal("400"), "currency": "USD"}
    with session_scope(engine) as session:
        account = add_account(
            session, platform=platform, handle=handle, now=now, creator=person, followers=25_000
        )
        row = add_enrollment(
            session, account, campaign_id=campaign.id, now=now, stage=stage, **terms
        )
        ids = add_sent_messages(session, row, to=email, steps=steps, now=now)
        return Contacted(row.id, account.creator_id, email, handle, platform, ids)


def contacted(engine: Engine, now: datetime, *handles: str) -> list[Contacted]:
    """The example campaign with one contacted creator per handle (``handle@creator.example``)."""
    campaign = register_example(engine, now)
    return [contact(engine, campaign, handle=handle, now=now) for handle in handles]


# -- accepted creators: for tracking tests ---------------------------------------------------------


def enroll(
    engine: Engine,
    campaign_id: int,
    account: SandboxAccount | tuple[Platform | str, str, str | None],
    *,
    now: datetime,
    stage: str = "accepted",
    due_in: timedelta = timedelta(days=14),
    name: str | None = None,
) -> int:
    """A creator with one account (a sandbox one, or (platform, handle, external id)) enrolled
    at ``stage``; accepted and posted ones are due ``due_in`` after ``now``. Returns its id."""
    platform, handle, external = (
        (account.platform, account.handle, account.external_id)
        if isinstance(account, SandboxAccount)
        else account
    )
    person = {"name": name or handle, "email": f"{handle}@creators.example", "lawful_basis": "test"}
    agreed = stage in {"accepted", "posted"}
    dates = {"accepted_at": now if agreed else None, "due_at": now + due_in if agreed else None}
    with session_scope(engine) as session:
        row = add_account(session, platform=platform, handle=handle, now=now, creator=person)
        row.external_id, row.followers = external, 20_000
        return add_enrollment(
            session, row, campaign_id=campaign_id, now=now, stage=stage, **dates
        ).id


def record_world_posts(engine: Engine, world: World, now: datetime) -> None:
    """Every world post of an enrolled account as a deliverable (the path detection takes),
    for tests that need more posts than one detection page shows."""
    copied = ("platform", "post_id", "url", "title", "text", "published_at")
    detected = {"provenance": Provenance.API, "actor": "test:seed", "kind": "deliverable_detected"}
    with session_scope(engine) as session:
        pairs = session.execute(
            select(Enrollment, Account).join(Account, Account.id == Enrollment.account_id)
        ).all()
        for enrollment, account in pairs:
            campaign = {"enrollment": enrollment, "campaign_id": enrollment.campaign_id}
            for post in world.posts_of(account.platform, account.handle):
                fields = {name: getattr(post, name) for name in copied}
                seen = Post(author_id=None, metrics=PostMetrics(), **fields)
                record_deliverable(session, post=seen, now=now, **campaign, **detected)


def enroll_again(
    engine: Engine,
    campaign_id: int,
    *,
    platform: Platform | str,
    handle: str,
    now: datetime,
    stage: str = "accepted",
) -> int:
    """The creator already holding the account ``platform:handle`` enrolled in one more
    campaign, at ``stage``. Returns the new enrollment's id."""
    with session_scope(engine) as session:
        account = session.scalars(
            select(Account)
            .where(Account.platform == Platform(platform).value)
            .where(Account.handle == handle)
        ).one()
        agreed = stage in {"accepted", "posted"}
        dates = {"accepted_at": now if agreed else None, "due_at": now if agreed else None}
        return add_enrollment(
            session, account, campaign_id=campaign_id, now=now, stage=stage, **dates
        ).id


def accept_offer(
    engine: Engine,
    settings: Settings,
    *,
    platform: str,
    handle: str,
    now: datetime,
    fee: Decimal | None = None,
) -> ResponseResult:
    """The operator records ``platform:handle``'s acceptance in spring-glow (`campaign respond
    --accepted`), as the services do it: stage, fee, brief with link and code."""
    answer = {"campaign_slug": "spring-glow", "platform": platform, "handle": handle, "now": now}
    return respond(engine=engine, settings=settings, accepted=True, fee=fee, actor="test", **answer)


def add_live_videos(engine: Engine, now: datetime, count: int, **values: Any) -> list[int]:
    """``count`` live YouTube posts (``video000000``...) of one enrollment in a new campaign,
    posted and detected at ``now`` (``values`` adds columns); their ids, in order."""
    campaign = add_campaign(engine, now=now)
    enrollment = enroll(engine, campaign, (Platform.YOUTUBE, "chan", "UC" + "y" * 22), now=now)
    rows = [
        {
            "enrollment_id": enrollment,
            "platform": "youtube",
            "post_id": f"video{n:06d}",
            "provenance": "api",
            "status": "live",
            "posted_at": now,
            "detected_at": now,
            **values,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Deliverable), rows)
        return list(conn.scalars(select(Deliverable.id).order_by(Deliverable.id)))
