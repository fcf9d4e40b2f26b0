"""What every platform adapter returns: typed records parsed at the edge, and the port itself.

A count the platform hides or does not expose is ``None`` (unknown), never 0. Adapters raise the
errors in ``creatorflow.platforms.errors``; a per-account "no such (professional) account" is a
result (``AccountNotFound``), not an exception, so one bad handle never stops a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from creatorflow.domain.model import Platform


@dataclass(frozen=True)
class PostMetrics:
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None


@dataclass(frozen=True)
class Post:
    """A post as the platform shows it (video, reel, image...)."""

    platform: Platform
    post_id: str
    author_id: str | None  # channel id / IG user id / TikTok open_id as the API gives it
    url: str | None
    title: str | None  # YouTube title, TikTok title; None for Instagram
    text: str | None  # YouTube description, Instagram caption, TikTok video_description
    published_at: datetime | None
    metrics: PostMetrics
    paid_placement: bool | None = None  # YouTube paidProductPlacementDetails, when exposed
    media_type: str | None = None


@dataclass(frozen=True)
class AccountProfile:
    platform: Platform
    handle: str  # normalised
    external_id: str | None
    name: str | None
    followers: int | None  # None when hidden (YouTube hiddenSubscriberCount)
    media_count: int | None
    recent_posts: tuple[Post, ...] = field(default=())
    country: str | None = None


@dataclass(frozen=True)
class AccountNotFound:
    """The platform says there is no such account, or it is not a professional account."""

    platform: Platform
    handle: str
    reason: str


LookupResult = AccountProfile | AccountNotFound


class PlatformClient(Protocol):
    """The port the services use; one implementation per platform module."""

    platform: Platform

    def lookup(self, handles: Sequence[str], *, with_posts: int = 0) -> dict[str, LookupResult]:
        """Profiles for ``handles`` (batched to the platform maximum), optionally with the
        ``with_posts`` most recent posts each."""
        ...

    def recent_posts(self, account: AccountProfile, *, limit: int) -> list[Post]:
        """The account's most recent posts, newest first."""
        ...

    def post_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, Post]:
        """Current state of each post; a post missing from the answer is gone (deleted/private).

        ``owners`` maps post id -> owner handle where the platform needs it (Instagram reads
        media through the owner's business discovery).
        """
        ...

    def current_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, PostMetrics]:
        """Only the counts of each post (what polling stores), asked for as cheaply as the
        platform allows; like ``post_metrics``, a post missing from the answer is gone."""
        ...

    def discover(self, query: str, *, max_results: int) -> list[AccountProfile]:
        """New accounts matching a keyword or hashtag."""
        ...
