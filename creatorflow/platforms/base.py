"""What every platform adapter returns and declares: typed records, the port, its limits.

A count the platform hides or does not expose is ``None`` (unknown), never 0. Adapters raise the
errors in ``creatorflow.platforms.errors``; an account a lookup cannot read (no such account,
not professional, not connected, token revoked) is a result (``AccountUnreadable``), not an
exception, so one bad handle or token never stops a batch. Each
adapter module declares one ``PlatformAdapter`` (how to connect, its ``PlatformLimits``, how a
submitted post is proven to be a creator's), so services never name a platform.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.post_urls import PostRef

if TYPE_CHECKING:
    from creatorflow.settings import Settings


@dataclass(frozen=True)
class Caption:
    """A post's words as one answer showed them: the disclosure is judged on these."""

    title: str | None  # YouTube and TikTok titles
    text: str | None  # YouTube description, Instagram caption, TikTok video_description


@dataclass(frozen=True)
class PostMetrics:
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    #: the caption the same answer carried, so every poll checks the disclosure; None when the
    #: call did not read it. Not part of equality: two polls with equal counts are equal.
    caption: Caption | None = field(default=None, compare=False)


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
    #: the @handle people know the account by, where ``handle`` is an id nobody reads
    #: (YouTube ``snippet.customUrl`` of a channel looked up by id), without the ``@``
    public_handle: str | None = None


@dataclass(frozen=True)
class AccountUnreadable:
    """The platform will not show this account: ``status`` says how (no such account, not a
    professional account, not connected, token revoked, scope missing), ``reason`` in a few
    words ("token revoked"); the account is marked, the batch goes on."""

    platform: Platform
    handle: str
    reason: str
    status: AccountStatus = AccountStatus.NOT_FOUND


#: The usual case of an unreadable account: the platform knows no such account.
AccountNotFound = AccountUnreadable

LookupResult = AccountProfile | AccountUnreadable


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

    def discover(self, query: str, *, max_results: int) -> Sequence[LookupResult]:
        """New accounts matching a keyword or hashtag (or named in it: an account the
        platform would not show is an ``AccountUnreadable``)."""
        ...


# -- what an adapter declares ------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """A Prefect global concurrency limit used as the platform's rate limit (its defaults;
    the operator tunes the live one with ``prefect gcl update``)."""

    name: str  # e.g. "youtube-api"
    limit: int  # slots: requests that may start at once
    per_second: float  # slot decay: sustained requests per second


@dataclass(frozen=True)
class PlatformLimits:
    """What the services need to know of a platform's API to batch, pace and budget calls."""

    ids_per_call: int | None  # post ids one metrics call takes; None: no limit (one per owner)
    per_owner: bool  # a metrics call reads one owner's posts only
    posts_per_batch: int  # most posts one polling task takes (a multiple of ids_per_call)
    feed_read_calls: int  # calls one account's recent posts cost
    rate_limit: RateLimit
    lookup_by_id: bool = False  # refresh asks for accounts by external id once it is known
    #: which of likes and comments the API shows for other accounts' posts: one of these
    #: missing from an answer was hidden by the owner (unknown engagement, never 0)
    engagement_counts: tuple[str, ...] = ("likes", "comments")
    #: accounts refresh hands one ``lookup`` call; None: a whole batch (the adapter batches
    #: itself). 1 where each account is its own read, so a throttle keeps every one before it.
    accounts_per_lookup: int | None = None
    quota_budget_setting: str | None = None  # the Settings field holding a run's unit budget


@dataclass(frozen=True)
class Ownership:
    """What the API says of a submitted post.

    ``post`` is ``None`` when the API does not show the post (it cannot tell whose it is);
    ``owner`` is the candidate account it belongs to; ``other`` names, in the platform's words,
    the account it belongs to instead ("channel UC..."), and the submission is refused.
    """

    post: Post | None = None
    owner: AccountProfile | None = None
    other: str | None = None


class OwnershipCheck(Protocol):
    def __call__(
        self, client: PlatformClient, ref: PostRef, candidates: Sequence[AccountProfile]
    ) -> Ownership:
        """Whose the post at ``ref`` is among ``candidates`` (accepted creators, at least one)."""
        ...


@dataclass(frozen=True)
class AuthorCheck:
    """The ownership check of a platform whose post answer names its author (``author_id``:
    the account's external id or handle)."""

    kind: str = "account"  # how the platform calls an account, for the refusal

    def __call__(
        self, client: PlatformClient, ref: PostRef, candidates: Sequence[AccountProfile]
    ) -> Ownership:
        owners = {ref.post_id: candidates[0].handle} if len(candidates) == 1 else None
        found = client.post_metrics([ref.post_id], owners=owners).get(ref.post_id)
        if found is None:
            return Ownership()
        for candidate in candidates:
            if found.author_id and found.author_id in {candidate.external_id, candidate.handle}:
                return Ownership(found, candidate)
        return Ownership(found, other=f"{self.kind} {found.author_id}")


class Connect(Protocol):
    def __call__(
        self, settings: Settings, *, sleep: Callable[[float], None] | None = None
    ) -> PlatformClient:
        """A fresh client; raises ``SettingsError`` naming a missing key or token."""
        ...


@dataclass(frozen=True)
class PlatformAdapter:
    """Everything creatorflow knows of one platform, declared once by its adapter module and
    registered in ``platforms/registry.py``."""

    name: str  # the platform's name, as stored: "youtube"
    connect: Connect
    limits: PlatformLimits
    owns: OwnershipCheck = field(default_factory=AuthorCheck)
