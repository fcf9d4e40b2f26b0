"""Brand tags and mentions: media that tag or @mention the brand's account become deliverables.

A creator's own feed (``detection``) shows captions; a post may instead tag the brand in the
photo, which no caption says. Where the platform lists the media its brand account is tagged
in (``BrandMedia``: Instagram's ``/{brand}/tags`` edge, whose media carry the author's username)
one brand-level read a run, paged back to the earliest tracked window, covers every enrolled
creator. A tag is a mention of the brand's username: a campaign whose ``mentions`` name the brand
accepts it inside its window, as does a caption with the campaign's hashtags.
``record_mention`` reads one media whose caption @mentions the brand (``mentioned_media``; the
platform announces its id through the ``mentions`` webhook) and records it the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Post
from creatorflow.platforms.errors import PermanentPlatformError, QuotaExhausted
from creatorflow.services.tracking.deliverables import TRACKED_STAGES, ClientFactory
from creatorflow.services.tracking.detection import store_matches
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Enrollment


@runtime_checkable
class BrandMedia(Protocol):
    """A client that reads what points at the brand's own account."""

    def brand_username(self) -> str: ...

    def brand_tags(self, *, since: datetime | None = None) -> list[Post]:
        """Media the brand is tagged in, published at ``since`` or later; ``author_id`` is the
        author's username."""
        ...

    def mentioned_media(self, media_id: str) -> Post:
        """The media ``media_id`` whose caption @mentions the brand (``author_id``: username)."""
        ...


@dataclass
class BrandTagsReport:
    tagged_seen: int = 0  # media the brand is tagged in, inside the tracked windows
    new_deliverables: list[int] = field(default_factory=list)
    undisclosed: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the brand's read failed (one line each)
    quota_exhausted: bool = False


@dataclass(frozen=True)
class _Tracked:
    """Tracked enrollments of one platform, by normalised handle."""

    campaigns: dict[int, StoredCampaign]
    by_handle: dict[str, list[Enrollment]]


def _tracked(engine: Engine, campaign_slug: str | None) -> dict[Platform, _Tracked]:
    with session_scope(engine) as session:
        campaigns = {c.id: c for c in tracked_campaigns(session, campaign_slug)}
        if not campaigns:
            return {}
        pairs = session.execute(
            select(Enrollment, Account)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id.in_(list(campaigns)))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .order_by(Enrollment.id)
        ).all()
        session.expunge_all()
    tracked: dict[Platform, _Tracked] = {}
    for enrollment, account in pairs:
        platform = Platform(account.platform)
        entry = tracked.setdefault(platform, _Tracked(campaigns, {}))
        entry.by_handle.setdefault(account.handle.lower(), []).append(enrollment)
    return tracked


def detect_brand_tags(
    *,
    engine: Engine,
    clients: ClientFactory,
    campaign_slug: str | None,
    now: datetime,
    actor: str,
    throttle: Callable[[Platform, int], None] | None = None,
) -> BrandTagsReport:
    """Read the brand's tags once per platform that lists them and store the campaign posts
    of tracked creators among them."""
    report = BrandTagsReport()
    for platform, tracked in _tracked(engine, campaign_slug).items():
        client = clients(platform)
        if not isinstance(client, BrandMedia):
            continue
        starts = [c.spec.terms().window_start for c in tracked.campaigns.values()]
        since = min((s for s in starts if s is not None), default=None)
        if throttle is not None:
            throttle(platform, 1)
        try:
            tagged = client.brand_tags(since=since)
            brand = client.brand_username()
        except QuotaExhausted:
            report.quota_exhausted = True
            continue
        except PermanentPlatformError as exc:  # the brand's token or permission: say so
            report.failures.append(str(exc))
            continue
        report.tagged_seen += len(tagged)
        _store(engine, tracked, tagged, brand=brand, now=now, actor=actor, report=report)
    return report


def record_mention(
    *,
    engine: Engine,
    clients: ClientFactory,
    media_id: str,
    now: datetime,
    actor: str,
    platform: Platform = Platform.INSTAGRAM,
) -> BrandTagsReport:
    """Read the media ``media_id`` that @mentions the brand and record it for the tracked
    creator who posted it (every tracked campaign it matches)."""
    report = BrandTagsReport()
    tracked = _tracked(engine, None).get(platform)
    client = clients(platform)
    if tracked is None or not isinstance(client, BrandMedia):
        return report
    post = client.mentioned_media(media_id)
    _store(engine, tracked, [post], brand=None, now=now, actor=actor, report=report)
    return report


def _store(
    engine: Engine,
    tracked: _Tracked,
    posts: Sequence[Post],
    *,
    brand: str | None,
    now: datetime,
    actor: str,
    report: BrandTagsReport,
) -> None:
    """Each post of a tracked creator that matches one of their campaigns, as a deliverable;
    ``brand`` is the username the posts tag (a mention of it), None when they are mentions."""
    for post in posts:
        for enrollment in tracked.by_handle.get((post.author_id or "").lower(), []):
            campaign = tracked.campaigns[enrollment.campaign_id]
            store_matches(
                engine,
                campaign,
                enrollment,
                [post],
                now=now,
                actor=actor,
                report=report,
                tagged=brand,
            )
