"""YouTube Data API v3 adapter: channels by id (50 a call) or handle, uploads, video statistics.

Recent uploads come from the uploads playlist (``playlistItems.list``, 1 unit a page), never from
``search.list`` (100 units); statistics from ``videos.list`` in batches of 50 ids shared across
accounts. Every call is charged against a per-run ``QuotaBudget`` before it is sent, so a run
stops cleanly (``BudgetSpent``, a ``QuotaExhausted``) instead of failing half-way on the
platform's 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from creatorflow.domain.handles import is_youtube_channel_id
from creatorflow.domain.model import Platform
from creatorflow.platforms.base import (
    AccountNotFound,
    AccountProfile,
    AuthorCheck,
    LookupResult,
    PlatformAdapter,
    PlatformLimits,
    Post,
    PostMetrics,
    RateLimit,
)
from creatorflow.platforms.errors import BudgetSpent, ObjectNotFound, next_pacific_midnight
from creatorflow.platforms.http import PlatformHttp
from creatorflow.platforms.parsing import Reader
from creatorflow.platforms.youtube_answers import NAME, classify, statistics, video
from creatorflow.settings import Settings

MAX_IDS = 50
CHANNEL_PARTS = "snippet,statistics,contentDetails"
VIDEO_PARTS = "snippet,statistics,paidProductPlacementDetails"
METRIC_PARTS = "snippet,statistics"  # the snippet: the caption, checked on every poll
COSTS = {"channels": 1, "playlistItems": 1, "videos": 1}


class QuotaBudget:
    """Units this run may spend, counted with the documented per-method costs."""

    def __init__(self, limit: int, *, now: Callable[[], datetime]) -> None:
        self.limit = limit
        self.used = 0
        self._now = now

    def charge(self, units: int, what: str) -> None:
        if self.used + units > self.limit:
            raise BudgetSpent(
                NAME,
                f"this run's quota budget of {self.limit} units is spent ({self.used} used; "
                f"{what} needs {units}); raise CREATORFLOW_YOUTUBE_QUOTA_BUDGET or run again "
                "after the daily reset (midnight Pacific time)",
                resets_at=next_pacific_midnight(self._now()),
                resets=next_pacific_midnight,
            )
        self.used += units


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class YouTubeClient:
    """``PlatformClient`` for YouTube; one instance per run (it carries the run's budget)."""

    platform = Platform.YOUTUBE

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        settings.require("youtube_api_key")
        assert settings.youtube_api_key is not None
        self._key = settings.youtube_api_key.get_secret_value()
        self._base = settings.youtube_base_url.rstrip("/") + "/youtube/v3/"
        self._now = now or (lambda: datetime.now(UTC))
        self.search_cost = settings.youtube_search_cost
        self.budget = QuotaBudget(settings.youtube_quota_budget, now=self._now)
        self.http = PlatformHttp(
            platform=NAME,
            settings=settings,
            secrets=[self._key],
            classify=lambda reply, account: classify(reply, account, now=self._now),
            sleep=sleep,
        )
        self._uploads: dict[str, str] = {}  # channel id -> uploads playlist id

    def close(self) -> None:
        self.http.close()

    def _get(
        self,
        resource: str,
        params: dict[str, Any],
        *,
        account: str | None = None,
        cost: int | None = None,
    ) -> Reader:
        payload = self._payload(resource, params, account=account, cost=cost)
        return Reader(NAME, payload, f"{resource}.list", account)

    def _payload(
        self,
        resource: str,
        params: dict[str, Any],
        *,
        account: str | None = None,
        cost: int | None = None,
    ) -> Any:
        """The parsed JSON of one call, charged to the budget before it is sent."""
        self.budget.charge(COSTS.get(resource, 1) if cost is None else cost, f"{resource}.list")
        return self.http.request(
            "GET",
            self._base + resource,
            params={**params, "key": self._key},
            account=account,
            path=f"{resource}.list",
        )

    # -- channels -----------------------------------------------------------------------------
    def _profile(self, item: Reader, handle: str) -> AccountProfile:
        channel_id = item.req_str("id")
        snippet = item.obj("snippet")
        stats = item.obj("statistics")
        details = item.obj("contentDetails", required=False)
        assert snippet is not None and stats is not None
        playlists = details.obj("relatedPlaylists", required=False) if details else None
        uploads = playlists.text("uploads", required=False) if playlists else None
        self._uploads[channel_id] = uploads or "UU" + channel_id[2:]
        hidden = stats.flag("hiddenSubscriberCount")
        followers = None if hidden else stats.count("subscriberCount", as_string=True)
        return AccountProfile(
            platform=Platform.YOUTUBE,
            handle=handle,
            external_id=channel_id,
            name=snippet.text("title", required=False),
            followers=followers,
            media_count=stats.count("videoCount", as_string=True),
            country=snippet.text("country", required=False),
            public_handle=(snippet.text("customUrl", required=False) or "").lstrip("@") or None,
        )

    def _channels_by_id(self, ids: Sequence[str]) -> dict[str, Reader]:
        found: dict[str, Reader] = {}
        for batch in _chunks(ids, MAX_IDS):
            answer = self._get(
                "channels", {"part": CHANNEL_PARTS, "id": ",".join(batch), "maxResults": MAX_IDS}
            )
            for item in answer.objects("items", required=False):
                found[item.req_str("id")] = item
        return found

    def lookup(self, handles: Sequence[str], *, with_posts: int = 0) -> dict[str, LookupResult]:
        """Channel ids are looked up 50 a call; handles one ``forHandle`` call each."""
        results: dict[str, LookupResult] = {}
        ids = [h for h in handles if is_youtube_channel_id(h)]
        by_id = self._channels_by_id(ids)
        for channel_id in ids:
            item = by_id.get(channel_id)
            results[channel_id] = (
                self._profile(item, channel_id)
                if item is not None
                else AccountNotFound(Platform.YOUTUBE, channel_id, "no channel with this id")
            )
        for handle in (h for h in handles if not is_youtube_channel_id(h)):
            answer = self._get(
                "channels", {"part": CHANNEL_PARTS, "forHandle": f"@{handle}"}, account=handle
            )
            items = answer.objects("items", required=False)
            results[handle] = (
                self._profile(items[0], handle)
                if items
                else AccountNotFound(Platform.YOUTUBE, handle, "no channel with this handle")
            )
        if with_posts > 0:
            profiles = [r for r in results.values() if isinstance(r, AccountProfile)]
            posts = self._recent_posts_many(profiles, with_posts)
            for key, result in results.items():
                if isinstance(result, AccountProfile):
                    results[key] = _with_posts(result, posts.get(result.external_id or "", []))
        return results

    # -- uploads and videos -------------------------------------------------------------------
    def _playlist_video_ids(self, profile: AccountProfile, limit: int) -> list[str]:
        channel_id = profile.external_id or ""
        playlist = self._uploads.get(channel_id, "UU" + channel_id[2:])
        ids: list[str] = []
        token: str | None = None
        while len(ids) < limit:
            params: dict[str, Any] = {
                "part": "contentDetails",
                "playlistId": playlist,
                "maxResults": min(MAX_IDS, limit - len(ids)),
            }
            if token:
                params["pageToken"] = token
            answer = self._get("playlistItems", params, account=profile.handle)
            for item in answer.objects("items"):
                details = item.obj("contentDetails")
                assert details is not None
                ids.append(details.req_str("videoId"))
            token = answer.text("nextPageToken", required=False)
            if not token:
                break
        return ids[:limit]

    def _recent_posts_many(
        self, profiles: Sequence[AccountProfile], limit: int
    ) -> dict[str, list[Post]]:
        """Newest ``limit`` uploads per channel; statistics 50 ids a call across channels."""
        wanted: dict[str, list[str]] = {}
        for profile in profiles:
            try:
                wanted[profile.external_id or ""] = self._playlist_video_ids(profile, limit)
            except ObjectNotFound:
                if len(profiles) == 1:
                    raise
                wanted[profile.external_id or ""] = []  # no uploads list: one channel only
        videos = self.post_metrics([v for ids in wanted.values() for v in ids])
        return {channel: [videos[v] for v in ids if v in videos] for channel, ids in wanted.items()}

    def recent_posts(self, account: AccountProfile, *, limit: int) -> list[Post]:
        return self._recent_posts_many([account], limit).get(account.external_id or "", [])

    def post_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, Post]:
        """``videos.list`` in batches of 50; ids missing from the answer are gone (omitted)."""
        unique = list(dict.fromkeys(post_ids))
        found: dict[str, Post] = {}
        for batch in _chunks(unique, MAX_IDS):
            answer = self._get(
                "videos", {"part": VIDEO_PARTS, "id": ",".join(batch), "maxResults": MAX_IDS}
            )
            for item in answer.objects("items", required=False):
                post = video(item)
                found[post.post_id] = post
        return found

    def current_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, PostMetrics]:
        """``videos.list?part=snippet,statistics`` in batches of 50: the same quota unit per
        call as ``post_metrics``, without the placement part (only the owner sees it); the
        snippet's title and description are the caption compliance checks on every poll; ids
        missing from the answer are gone (omitted)."""
        unique = list(dict.fromkeys(post_ids))
        found: dict[str, PostMetrics] = {}
        for batch in _chunks(unique, MAX_IDS):
            payload = self._payload(
                "videos", {"part": METRIC_PARTS, "id": ",".join(batch), "maxResults": MAX_IDS}
            )
            found.update(statistics(payload))
        return found

    # -- discovery ----------------------------------------------------------------------------
    def discover(self, query: str, *, max_results: int) -> list[AccountProfile]:
        """``search.list?type=channel`` (``youtube_search_cost`` units a page), then channels."""
        ids: list[str] = []
        token: str | None = None
        while len(ids) < max_results:
            params: dict[str, Any] = {
                "part": "snippet",
                "type": "channel",
                "q": query,
                "maxResults": min(MAX_IDS, max_results - len(ids)),
            }
            if token:
                params["pageToken"] = token
            answer = self._get("search", params, cost=self.search_cost)
            for item in answer.objects("items", required=False):
                ident = item.obj("id")
                assert ident is not None
                channel_id = ident.text("channelId", required=False)
                if channel_id and channel_id not in ids:
                    ids.append(channel_id)
            token = answer.text("nextPageToken", required=False)
            if not token:
                break
        by_id = self._channels_by_id(ids[:max_results])
        profiles = []
        for channel_id in ids[:max_results]:
            found = by_id.get(channel_id)
            if found is None:
                continue
            snippet = found.obj("snippet")
            assert snippet is not None
            custom = (snippet.text("customUrl", required=False) or "").lstrip("@").lower()
            profiles.append(self._profile(found, custom or channel_id))
        return profiles


def _with_posts(profile: AccountProfile, posts: list[Post]) -> AccountProfile:
    from dataclasses import replace

    return replace(profile, recent_posts=tuple(posts))


#: videos.list takes 50 ids across channels; a feed read is the uploads playlist, then
#: videos.list; no per-second limit (platform_apis.md), but a daily unit quota, budgeted per run.
LIMITS = PlatformLimits(
    ids_per_call=MAX_IDS,
    per_owner=False,
    posts_per_batch=25 * MAX_IDS,
    feed_read_calls=2,
    rate_limit=RateLimit("youtube-api", limit=200, per_second=200.0),
    lookup_by_id=True,
    quota_budget_setting="youtube_quota_budget",
)
#: A video's snippet names its channel: that is the ownership proof.
ADAPTER = PlatformAdapter(NAME, YouTubeClient, LIMITS, AuthorCheck("channel"))
