"""Deliverables: campaign posts detected in accepted creators' feeds, or submitted as a URL.

A post becomes a deliverable once, whatever the number of runs: the row is inserted with
``INSERT ... ON CONFLICT DO NOTHING`` on (enrollment, post), and only the run that inserted it
records the event and moves the creator's stage to ``posted``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Table, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.matching import has_ad_disclosure, match_post
from creatorflow.domain.model import DeliverableStatus, Platform, Provenance, Stage
from creatorflow.domain.post_urls import PostRef, PostUrlError, instagram_shortcode, parse_post_url
from creatorflow.errors import InputError, NotFoundError
from creatorflow.platforms.base import AccountProfile, PlatformClient, Post
from creatorflow.platforms.errors import PermanentPlatformError, QuotaExhausted
from creatorflow.services.tracking.campaign_terms import (
    TrackedCampaign,
    load_tracked,
    tracked_campaign,
)
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Campaign, Creator, Deliverable, Enrollment

ClientFactory = Callable[[Platform], PlatformClient]

#: Enrollments whose feeds are searched: accepted (nothing posted yet) and posted (more to come).
TRACKED_STAGES = (Stage.ACCEPTED.value, Stage.POSTED.value)
RECENT_POSTS = 20  # one page on every platform (TikTok's video/list maximum)


class SubmissionRefused(InputError):
    """A submitted URL cannot become a deliverable; the message says why."""


@dataclass(frozen=True)
class DetectionBatch:
    """Enrollments of one campaign on one platform whose feeds one task reads."""

    campaign_id: int
    platform: Platform
    enrollment_ids: tuple[int, ...]


@dataclass
class DetectionReport:
    accounts_read: int = 0
    posts_seen: int = 0
    new_deliverables: list[int] = field(default_factory=list)
    undisclosed: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)  # enrollment id -> reason
    quota_exhausted: bool = False


def flow_run_id(actor: str) -> str | None:
    return actor.removeprefix("flow-run:") if actor.startswith("flow-run:") else None


def profile_of(account: Account) -> AccountProfile:
    """The port's view of a stored account (what the adapters need to list its posts)."""
    return AccountProfile(
        platform=Platform(account.platform),
        handle=account.handle,
        external_id=account.external_id,
        name=None,
        followers=account.followers,
        media_count=None,
    )


def plan_detection(
    *, engine: Engine, campaign_slug: str | None, batch_size: int = 50
) -> list[DetectionBatch]:
    """Batches of accepted/posted enrollments per campaign and platform."""
    batches: list[DetectionBatch] = []
    with session_scope(engine) as session:
        for campaign in load_tracked(session, campaign_slug):
            rows = session.execute(
                select(Enrollment.id, Account.platform)
                .join(Account, Account.id == Enrollment.account_id)
                .where(Enrollment.campaign_id == campaign.id)
                .where(Enrollment.stage.in_(TRACKED_STAGES))
                .order_by(Account.platform, Enrollment.id)
            ).all()
            by_platform: dict[str, list[int]] = {}
            for enrollment_id, platform in rows:
                by_platform.setdefault(platform, []).append(enrollment_id)
            for platform, ids in by_platform.items():
                for start in range(0, len(ids), batch_size):
                    chunk = tuple(ids[start : start + batch_size])
                    batches.append(DetectionBatch(campaign.id, Platform(platform), chunk))
    return batches


def record_deliverable(
    session: Session,
    *,
    enrollment: Enrollment,
    campaign_id: int,
    post: Post | None,
    ref: PostRef | None = None,
    provenance: Provenance,
    now: datetime,
    actor: str,
    kind: str,
) -> int | None:
    """Insert the deliverable unless it exists; returns the new id, or None when it existed.

    The inserting run also records the event and moves the enrollment from accepted to posted.
    """
    post_id = post.post_id if post is not None else (ref.post_id if ref else None)
    if post_id is None:  # pragma: no cover - callers always give one of them
        raise ValueError("a deliverable needs a post id")
    platform = post.platform if post is not None else ref.platform  # type: ignore[union-attr]
    values: dict[str, Any] = {
        "enrollment_id": enrollment.id,
        "platform": platform.value,
        "post_id": post_id,
        "url": (post.url if post is not None and post.url else None) or (ref.url if ref else None),
        "caption": _caption(post),
        "posted_at": post.published_at if post is not None else None,
        "provenance": provenance.value,
        "disclosure_ok": (
            has_ad_disclosure(post.title, post.text, post.paid_placement)
            if post is not None
            else None
        ),
        "status": DeliverableStatus.LIVE.value,
        "detected_at": now,
        "last_seen_at": now if post is not None else None,
    }
    stmt = insert_ignore(
        session,
        cast(Table, Deliverable.__table__),
        values,
        conflict_columns=["enrollment_id", "post_id"],
    ).returning(Deliverable.id)
    new_id = session.execute(stmt).scalar()
    if new_id is None:
        return None
    record_event(
        session,
        kind=kind,
        entity="deliverable",
        entity_id=new_id,
        detail={
            "platform": platform.value,
            "post_id": post_id,
            "url": values["url"],
            "provenance": provenance.value,
            "disclosure_ok": values["disclosure_ok"],
        },
        actor=actor,
        at=now,
        creator_id=enrollment.creator_id,
        campaign_id=campaign_id,
    )
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id, Enrollment.stage == Stage.ACCEPTED.value)
            .values(stage=Stage.POSTED.value, updated_at=now)
        ),
    ).rowcount
    if moved:
        record_event(
            session,
            kind="stage_changed",
            entity="enrollment",
            entity_id=enrollment.id,
            detail={"from": Stage.ACCEPTED.value, "to": Stage.POSTED.value, "deliverable": new_id},
            actor=actor,
            at=now,
            creator_id=enrollment.creator_id,
            campaign_id=campaign_id,
        )
    return int(new_id)


def _caption(post: Post | None) -> str | None:
    if post is None:
        return None
    parts = [p for p in (post.title, post.text) if p]
    return "\n".join(parts) if parts else None


def detect_deliverables(
    *,
    engine: Engine,
    clients: ClientFactory,
    batch: DetectionBatch,
    now: datetime,
    actor: str,
    recent_posts: int = RECENT_POSTS,
    throttle: Callable[[Platform, int], None] | None = None,
) -> DetectionReport:
    """Read each creator's recent posts and store the campaign posts among them.

    Reading happens outside any transaction; each creator's matches are committed on their own,
    so a quota error half-way keeps what was found and the next run carries on.
    """
    report = DetectionReport()
    with session_scope(engine) as session:
        campaign = tracked_campaign(_campaign_row(session, batch.campaign_id))
        pairs = session.execute(
            select(Enrollment, Account)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.id.in_(batch.enrollment_ids))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .order_by(Enrollment.id)
        ).all()
        session.expunge_all()
    client = clients(batch.platform)
    if throttle is not None and pairs:
        # one reservation for the batch: YouTube reads the uploads playlist, then videos.list
        per_account = 2 if batch.platform is Platform.YOUTUBE else 1
        throttle(batch.platform, per_account * len(pairs))
    for enrollment, account in pairs:
        try:
            posts = client.recent_posts(profile_of(account), limit=recent_posts)
        except QuotaExhausted:
            report.quota_exhausted = True
            break
        except PermanentPlatformError as exc:  # per-account problems: this creator only
            report.failures[enrollment.id] = str(exc)
            continue
        report.accounts_read += 1
        report.posts_seen += len(posts)
        _store_matches(engine, campaign, enrollment, posts, now=now, actor=actor, report=report)
    return report


def _store_matches(
    engine: Engine,
    campaign: TrackedCampaign,
    enrollment: Enrollment,
    posts: Iterable[Post],
    *,
    now: datetime,
    actor: str,
    report: DetectionReport,
) -> None:
    matched = [
        post
        for post in posts
        if match_post(
            title=post.title, text=post.text, published_at=post.published_at, terms=campaign.terms
        )
    ]
    if not matched:
        return
    with session_scope(engine) as session:
        for post in matched:
            new_id = record_deliverable(
                session,
                enrollment=enrollment,
                campaign_id=campaign.id,
                post=post,
                provenance=Provenance.API,
                now=now,
                actor=actor,
                kind="deliverable_detected",
            )
            if new_id is not None:
                report.new_deliverables.append(new_id)
                if not has_ad_disclosure(post.title, post.text, post.paid_placement):
                    report.undisclosed.append(new_id)


def _campaign_row(session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFoundError(f"no campaign with id {campaign_id}")
    return row


# -- submission by URL -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionResult:
    deliverable_id: int
    created: bool
    provenance: Provenance
    platform: Platform
    post_id: str
    handle: str
    disclosure_ok: bool | None
    note: str


def _parse_creator(value: str | None) -> tuple[Platform, str] | None:
    if value is None:
        return None
    platform, sep, handle = value.partition(":")
    try:
        plat = Platform(platform.strip().lower())
    except ValueError:
        raise InputError(f"--creator {value!r}: expected PLATFORM:HANDLE") from None
    if not sep or not handle.strip():
        raise InputError(f"--creator {value!r}: expected PLATFORM:HANDLE")
    return plat, handle.strip().lstrip("@").lower()


def submit_deliverable(
    *,
    engine: Engine,
    clients: ClientFactory,
    campaign_slug: str,
    url: str,
    now: datetime,
    actor: str,
    creator: str | None = None,
) -> SubmissionResult:
    """Record a post a creator (or the operator) submitted by URL, after checking its owner.

    The URL is parsed, never fetched. Ownership is checked through the API (YouTube
    ``channelId``; the permalink among the creator's Instagram media; TikTok's owner-only video
    query). When the API cannot tell, the post is recorded with provenance ``submitted``; a
    post the API shows belongs to someone else is refused.
    """
    try:
        ref = parse_post_url(url)
    except PostUrlError:
        raise
    wanted = _parse_creator(creator)
    if wanted is not None and wanted[0] is not ref.platform:
        raise SubmissionRefused(
            f"{url}: a {ref.platform.value} post cannot be a deliverable of a "
            f"{wanted[0].value} account"
        )
    handle_filter = ref.handle or (wanted[1] if wanted else None)
    if ref.handle and wanted and wanted[1] != ref.handle:
        raise SubmissionRefused(
            f"{url}: the post is by @{ref.handle}, not by {wanted[0].value}:{wanted[1]}"
        )
    with session_scope(engine) as session:
        campaign = load_tracked(session, campaign_slug)[0]
        candidates = _candidates(session, campaign.id, ref.platform, handle_filter)
        session.expunge_all()
    if not candidates:
        who = f" @{handle_filter}" if handle_filter else ""
        raise SubmissionRefused(
            f"{url}: no accepted {ref.platform.value} creator{who} in campaign {campaign_slug!r}"
        )
    client = clients(ref.platform)
    post, owner = _verify(client, ref, candidates, url=url, campaign_slug=campaign_slug)
    if owner is None:
        if len(candidates) != 1:
            raise SubmissionRefused(
                f"{url}: the {ref.platform.value} API does not show this post, so its creator "
                "cannot be told; give the creator (--creator PLATFORM:HANDLE) to record it as "
                "submitted"
            )
        owner = candidates[0]
    enrollment, account = owner
    provenance = Provenance.API if post is not None else Provenance.SUBMITTED
    with session_scope(engine) as session:
        new_id = record_deliverable(
            session,
            enrollment=enrollment,
            campaign_id=campaign.id,
            post=post,
            ref=ref,
            provenance=provenance,
            now=now,
            actor=actor,
            kind="deliverable_submitted",
        )
        post_id = post.post_id if post is not None else ref.post_id
        row = session.scalar(
            select(Deliverable).where(
                Deliverable.enrollment_id == enrollment.id, Deliverable.post_id == post_id
            )
        )
        assert row is not None
    note = (
        "confirmed through the API"
        if provenance is Provenance.API
        else "the API could not confirm it; recorded as submitted (not polled)"
    )
    return SubmissionResult(
        deliverable_id=row.id,
        created=new_id is not None,
        provenance=Provenance(row.provenance),
        platform=ref.platform,
        post_id=post_id,
        handle=account.handle,
        disclosure_ok=row.disclosure_ok,
        note=note if new_id is not None else "already recorded",
    )


Candidate = tuple[Enrollment, Account]


def _candidates(
    session: Session, campaign_id: int, platform: Platform, handle: str | None
) -> list[Candidate]:
    query = (
        select(Enrollment, Account)
        .join(Account, Account.id == Enrollment.account_id)
        .join(Creator, Creator.id == Enrollment.creator_id)
        .where(Enrollment.campaign_id == campaign_id)
        .where(Enrollment.stage.in_(TRACKED_STAGES))
        .where(Account.platform == platform.value)
        .order_by(Enrollment.id)
    )
    if handle is not None:
        query = query.where(Account.handle == handle)
    return [(e, a) for e, a in session.execute(query).all()]


def _verify(
    client: PlatformClient,
    ref: PostRef,
    candidates: Sequence[Candidate],
    *,
    url: str,
    campaign_slug: str,
) -> tuple[Post | None, Candidate | None]:
    """The post as the API shows it and whose it is; (None, None) when the API cannot tell."""
    if ref.platform is Platform.INSTAGRAM:
        for candidate in candidates:
            for post in client.recent_posts(profile_of(candidate[1]), limit=50):
                if instagram_shortcode(post.url) == ref.shortcode:
                    return post, candidate
        return None, None
    owners = {ref.post_id: candidates[0][1].handle} if len(candidates) == 1 else None
    found = client.post_metrics([ref.post_id], owners=owners).get(ref.post_id)
    if found is None:
        return None, None
    if ref.platform is Platform.TIKTOK:
        # video/query only answers for the token owner's videos: an answer is proof enough.
        return found, candidates[0]
    for candidate in candidates:
        account = candidate[1]
        if found.author_id and found.author_id in {account.external_id, account.handle}:
            return found, candidate
    raise SubmissionRefused(
        f"{url}: the video belongs to channel {found.author_id}, which is not an accepted "
        f"creator of campaign {campaign_slug!r}"
        + (f" (expected {candidates[0][1].handle})" if len(candidates) == 1 else "")
    )
