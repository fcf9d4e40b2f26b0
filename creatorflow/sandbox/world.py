"""The in-memory "world" the sandbox API servers serve: accounts and their posts.

Tests, benchmarks and the demo build one ``World``, hand it to ``SandboxServers`` and then change it
while the servers run (a post appears, its metrics grow, it is deleted) to simulate days passing.
Every method takes the world's lock, so the server threads always see a consistent state.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from creatorflow.domain.model import Platform

#: Every TikTok Display API scope a creator can grant (platform_apis.md 3.1).
TIKTOK_SCOPES = frozenset({"user.info.basic", "user.info.profile", "user.info.stats", "video.list"})

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


def _b64ish(seed: bytes, length: int) -> str:
    return "".join(_ALPHABET[b % 64] for b in (seed * 4)[:length])


def _digits(seed: bytes, length: int) -> str:
    return "".join(str(b % 10) for b in (seed * 4)[:length])


@dataclass
class SandboxPost:
    """One video / reel / image. ``None`` counts are hidden by the platform (omitted in answers)."""

    platform: Platform
    post_id: str
    owner: str  # the owning account's handle
    text: str  # YouTube description, Instagram caption, TikTok video_description
    published_at: datetime
    title: str | None = None  # YouTube and TikTok
    views: int | None = 0
    likes: int | None = 0
    comments: int | None = 0
    shares: int | None = 0
    saves: int | None = 0
    paid_placement: bool = False  # YouTube paidProductPlacementDetails.hasPaidProductPlacement
    media_type: str = "VIDEO"  # Instagram IMAGE|VIDEO|CAROUSEL_ALBUM
    media_product_type: str = "FEED"  # Instagram FEED|REELS|STORY|AD
    private: bool = False  # private/deleted-looking: dropped from every answer
    duration: int = 30  # seconds (TikTok) ; YouTube renders PT..S
    tagged: tuple[str, ...] = ()  # Instagram usernames tagged in the media (the brand's tags edge)

    @property
    def url(self) -> str:
        if self.platform is Platform.YOUTUBE:
            return f"https://www.youtube.com/watch?v={self.post_id}"
        if self.platform is Platform.INSTAGRAM:
            kind = "reel" if self.media_product_type == "REELS" else "p"
            return f"https://www.instagram.com/{kind}/{_b64ish(_digest(self.post_id), 11)}/"
        return f"https://www.tiktok.com/@{self.owner}/video/{self.post_id}"


@dataclass
class SandboxAccount:
    """A creator's account. ``external_id`` is the channel id / IG user id / TikTok open_id."""

    platform: Platform
    handle: str
    external_id: str
    name: str
    followers: int | None = 0
    following: int = 100
    hidden_followers: bool = False  # YouTube hiddenSubscriberCount
    professional: bool = True  # Instagram: personal accounts are invisible to business discovery
    connected: bool = True  # TikTok: the creator authorised the app (has a token)
    scopes: frozenset[str] = TIKTOK_SCOPES  # TikTok: the scopes the creator granted
    country: str | None = None
    biography: str = ""
    website: str | None = None
    total_views: int = 0
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))

    @property
    def tiktok_token(self) -> str:
        """The creator's own Display API token (TikTok reads only the token owner's data)."""
        return f"act.sandbox.{self.handle}"


class World:
    """Accounts and posts for the three platforms, safe to change while servers are running."""

    def __init__(self, *, now: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._accounts: dict[tuple[Platform, str], SandboxAccount] = {}
        self._posts: dict[str, SandboxPost] = {}
        self._now = now
        #: (when, order, post id, changes; None removes the post): applied once the clock passes
        self._planned: list[tuple[datetime, int, str, dict[str, object] | None]] = []

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The world's clock: the instant set with ``set_now`` or the real time."""
        return self._now if self._now is not None else datetime.now(UTC)

    def set_now(self, when: datetime | None) -> None:
        """Freeze the clock (Instagram's 24 h hashtag window and 7-day hashtag limit use it);
        the edits and removals planned up to ``when`` happen."""
        with self._lock:
            self._now = when
            self._catch_up()

    def plan_edit(self, post_id: str, at: datetime, **changes: object) -> None:
        """At ``at`` (simulated time) the creator edits the post: ``text="..."`` changes its
        caption or description (compliance tests and the demo's creator who fixes a post)."""
        with self._lock:
            self._planned.append((at, len(self._planned), post_id, dict(changes)))
            self._catch_up()

    def plan_removal(self, post_id: str, at: datetime) -> None:
        """At ``at`` (simulated time) the creator deletes the post."""
        with self._lock:
            self._planned.append((at, len(self._planned), post_id, None))
            self._catch_up()

    def _catch_up(self) -> None:
        """Apply, in order, the planned changes whose time has come on the world's clock."""
        if not self._planned or self._now is None:
            return
        due = sorted(p for p in self._planned if p[0] <= self._now)
        self._planned = [p for p in self._planned if p[0] > self._now]
        for _, _, post_id, changes in due:
            if changes is None:
                self._posts.pop(post_id, None)
            elif post_id in self._posts:
                self._posts[post_id] = replace(self._posts[post_id], **changes)  # type: ignore[arg-type]

    @contextmanager
    def locked(self) -> Iterator[World]:
        with self._lock:
            yield self

    # -- accounts -----------------------------------------------------------------------------
    def add_account(
        self,
        platform: Platform | str,
        handle: str,
        *,
        followers: int | None = 0,
        name: str | None = None,
        external_id: str | None = None,
        **extra: object,
    ) -> SandboxAccount:
        """Add an account; ids are derived from the handle unless given (stable across runs)."""
        plat = Platform(platform)
        if external_id is None:
            seed = _digest(plat.value, handle)
            if plat is Platform.YOUTUBE:
                external_id = "UC" + _b64ish(seed, 22)
            elif plat is Platform.INSTAGRAM:
                external_id = "178414" + _digits(seed, 11)
            else:
                external_id = "_000" + _b64ish(seed, 32)
        account = SandboxAccount(
            platform=plat,
            handle=handle,
            external_id=external_id,
            name=name or handle.replace("_", " ").title(),
            followers=followers,
            **extra,  # type: ignore[arg-type]
        )
        with self._lock:
            self._accounts[(plat, handle)] = account
        return account

    def account(self, platform: Platform | str, handle: str) -> SandboxAccount | None:
        with self._lock:
            return self._accounts.get((Platform(platform), handle))

    def account_by_id(self, platform: Platform | str, external_id: str) -> SandboxAccount | None:
        with self._lock:
            for account in self._accounts.values():
                if account.platform == platform and account.external_id == external_id:
                    return account
        return None

    def accounts(self, platform: Platform | str) -> list[SandboxAccount]:
        with self._lock:
            return [a for a in self._accounts.values() if a.platform == platform]

    def update_account(self, platform: Platform | str, handle: str, **changes: object) -> None:
        """Change followers, hidden_followers, professional, connected... of an account."""
        with self._lock:
            key = (Platform(platform), handle)
            self._accounts[key] = replace(self._accounts[key], **changes)  # type: ignore[arg-type]

    def remove_account(self, platform: Platform | str, handle: str) -> None:
        with self._lock:
            self._accounts.pop((Platform(platform), handle), None)
            for post_id in [p.post_id for p in self._posts.values() if p.owner == handle]:
                del self._posts[post_id]

    # -- posts --------------------------------------------------------------------------------
    def add_post(
        self,
        platform: Platform | str,
        handle: str,
        *,
        text: str = "",
        published_at: datetime | None = None,
        post_id: str | None = None,
        **extra: object,
    ) -> SandboxPost:
        """Publish a post for ``handle`` (the account must exist); returns it with its id."""
        plat = Platform(platform)
        with self._lock:
            if (plat, handle) not in self._accounts:
                raise KeyError(f"no {plat.value} account {handle!r} in the sandbox world")
            if post_id is None:
                seed = _digest(plat.value, handle, str(len(self._posts)), text)
                if plat is Platform.YOUTUBE:
                    post_id = _b64ish(seed, 11)
                elif plat is Platform.INSTAGRAM:
                    post_id = "179" + _digits(seed, 14)
                else:
                    post_id = "7" + _digits(seed, 18)
            post = SandboxPost(
                platform=plat,
                post_id=post_id,
                owner=handle,
                text=text,
                published_at=published_at or self.now(),
                **extra,  # type: ignore[arg-type]
            )
            self._posts[post_id] = post
        return post

    def post(self, post_id: str) -> SandboxPost | None:
        with self._lock:
            return self._posts.get(post_id)

    def posts_of(
        self, platform: Platform | str, handle: str, *, include_private: bool = False
    ) -> list[SandboxPost]:
        """The account's visible posts (with the private ones if asked), newest first (as every
        platform lists them)."""
        with self._lock:
            posts = [
                p
                for p in self._posts.values()
                if p.platform == platform
                and p.owner == handle
                and (include_private or not p.private)
            ]
        return sorted(posts, key=lambda p: (p.published_at, p.post_id), reverse=True)

    def all_posts(self, platform: Platform | str) -> list[SandboxPost]:
        with self._lock:
            posts = [p for p in self._posts.values() if p.platform == platform and not p.private]
        return sorted(posts, key=lambda p: (p.published_at, p.post_id), reverse=True)

    def update_post(self, post_id: str, **changes: object) -> SandboxPost:
        """Change any field: metrics (views=, likes=...), text, private=True..."""
        with self._lock:
            post = replace(self._posts[post_id], **changes)  # type: ignore[arg-type]
            self._posts[post_id] = post
            return post

    def grow_metrics(self, post_id: str, factor: float = 1.5) -> SandboxPost:
        """Multiply every known count by ``factor`` (a day passing); hidden counts stay hidden."""
        with self._lock:
            post = self._posts[post_id]
            grown = {
                name: int(value * factor)
                for name in ("views", "likes", "comments", "shares", "saves")
                if (value := getattr(post, name)) is not None
            }
            return self.update_post(post_id, **grown)

    def delete_post(self, post_id: str) -> None:
        """The post disappears from every list and metrics answer."""
        with self._lock:
            self._posts.pop(post_id, None)

    # -- bulk ---------------------------------------------------------------------------------
    def populate(
        self,
        platform: Platform | str,
        count: int,
        *,
        posts_each: int = 3,
        seed: int = 7,
        prefix: str = "creator",
    ) -> list[SandboxAccount]:
        """``count`` accounts named ``{prefix}{i}`` with ``posts_each`` posts, deterministic."""
        plat = Platform(platform)
        rng = random.Random(f"{seed}-{plat.value}-{prefix}")
        start = self.now() - timedelta(days=30)
        made = []
        for index in range(count):
            followers = rng.choice([2_000, 8_000, 25_000, 60_000, 95_000, 250_000, 1_500_000])
            account = self.add_account(plat, f"{prefix}{index}", followers=followers)
            for number in range(posts_each):
                views = rng.randint(followers // 10 + 1, followers + 1)
                self.add_post(
                    plat,
                    account.handle,
                    title=f"Post {number} by {account.handle}",
                    text=f"Day {number} of my routine #skincare",
                    published_at=start + timedelta(days=number, hours=index % 24),
                    views=views,
                    likes=views // 20,
                    comments=views // 200,
                    shares=views // 500,
                )
            made.append(account)
        return made
