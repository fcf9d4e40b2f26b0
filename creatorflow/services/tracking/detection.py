"""Detection: campaign posts found in accepted creators' recent posts become deliverables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from creatorflow.domain.matching import has_ad_disclosure, match_post
from creatorflow.domain.model import Platform, Provenance
from creatorflow.platforms.base import Post
from creatorflow.platforms.errors import PermanentPlatformError, QuotaExhausted
from creatorflow.platforms.registry import limits_of
from creatorflow.services.tracking.deliverables import (
    TRACKED_STAGES,
    ClientFactory,
    profile_of,
    record_deliverable,
)
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.storage.campaigns import StoredCampaign, campaign_by_id
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Enrollment

RECENT_POSTS = 20  # one page on every platform (TikTok's video/list maximum)


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


def plan_detection(
    *, engine: Engine, campaign_slug: str | None, batch_size: int = 50
) -> list[DetectionBatch]:
    """Batches of accepted/posted enrollments per campaign and platform."""
    batches: list[DetectionBatch] = []
    with session_scope(engine) as session:
        for campaign in tracked_campaigns(session, campaign_slug):
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
        campaign = campaign_by_id(session, batch.campaign_id)
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
        # one reservation for the batch: a feed read costs the adapter's ``feed_read_calls``
        per_account = limits_of(batch.platform).feed_read_calls
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
    campaign: StoredCampaign,
    enrollment: Enrollment,
    posts: Iterable[Post],
    *,
    now: datetime,
    actor: str,
    report: DetectionReport,
) -> None:
    terms = campaign.spec.terms()
    matched = [
        post
        for post in posts
        if match_post(title=post.title, text=post.text, published_at=post.published_at, terms=terms)
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
