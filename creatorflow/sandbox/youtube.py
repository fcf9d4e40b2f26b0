"""A local YouTube Data API v3: channels, playlistItems, videos and search (type=channel).

Shapes follow reference/platform_apis.md section 1: counts are strings, unknown ids are silently
dropped (``channels.list`` without a match has no ``items`` key), page tokens are opaque and an
invalid one is 400 ``invalidPageToken``. Quota: every request costs its units (search
``search_cost``, everything else 1) against ``quota_limit``; once spent, 403 ``quotaExceeded``.
With ``search_bucket`` set, search.list draws from its own per-day bucket instead and answers 429
``rateLimitExceeded`` when that is spent (the current model).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.sandbox.server import ApiServer, Fault, Request, Response
from creatorflow.sandbox.world import SandboxAccount, SandboxPost, World

SANDBOX_YOUTUBE_KEY = "sandbox-youtube-api-key"
PREFIX = "/youtube/v3/"


def _etag(*parts: object) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(repr(parts).encode()).digest()).decode()[:27]


def _ts(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _error(http: int, reason: str, message: str, domain: str = "global", **extra: Any) -> Response:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if "location" in extra:
        item["location"] = extra.pop("location")
        item["locationType"] = "parameter"
    body: dict[str, Any] = {"error": {"code": http, "message": message, "errors": [item]}}
    body["error"].update(extra)
    return Response(http, body)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"CAUQ{offset}".encode()).decode().rstrip("=")


def _read_page_token(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        return None
    if not raw.startswith("CAUQ") or not raw[4:].isdigit():
        return None
    return int(raw[4:])


class YouTubeServer(ApiServer):
    """Serves ``/youtube/v3/{channels,playlistItems,videos,search}`` from a ``World``."""

    platform_name = "youtube"

    def __init__(
        self,
        world: World,
        *,
        api_key: str = SANDBOX_YOUTUBE_KEY,
        quota_limit: int = 10_000,
        search_cost: int = 100,
        search_bucket: int | None = None,
    ) -> None:
        super().__init__(world)
        self.api_key = api_key
        self.quota_limit = quota_limit
        self.search_cost = search_cost
        self.search_bucket = search_bucket
        self.units_used = 0
        self.searches_used = 0

    # -- quota --------------------------------------------------------------------------------
    def units_for(self, request: Request) -> int:
        if request.path.endswith("/search") and self.search_bucket is None:
            return self.search_cost
        return 1

    def fault_response(self, fault: Fault, request: Request) -> Response:
        kind = fault.kind
        if kind == "auth":
            return _error(
                400,
                "badRequest",
                "API key not valid. Please pass a valid API key.",
                status="INVALID_ARGUMENT",
            )
        if kind == "expired":
            return _error(401, "authError", "Invalid Credentials", status="UNAUTHENTICATED")
        if kind == "permission":
            return _error(
                403,
                "forbidden",
                "Access forbidden. The request may not be properly authorized.",
                domain="youtube.common",
            )
        if kind == "quota":
            return _quota_exceeded()
        if kind == "rate_limit":
            return _error(
                429,
                "rateLimitExceeded",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of "
                "service 'youtube.googleapis.com' for consumer 'project_number:REDACTED'.",
            )
        status = fault.status or 503
        return _error(status, "backendError", "Backend Error", status="UNAVAILABLE")

    # -- routing ------------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX):
            return _error(404, "notFound", "Not Found")
        resource = request.path[len(PREFIX) :].rstrip("/")
        key = request.params.get("key")
        if key is None:
            return _error(
                403,
                "forbidden",
                "The request is missing a valid API key.",
                status="PERMISSION_DENIED",
            )
        if key != self.api_key:
            return _error(
                400,
                "badRequest",
                "API key not valid. Please pass a valid API key.",
                status="INVALID_ARGUMENT",
            )
        units = self.units_for(request)
        with self._lock:
            if resource == "search" and self.search_bucket is not None:
                if self.searches_used >= self.search_bucket:
                    return _error(
                        429,
                        "rateLimitExceeded",
                        "Quota exceeded for quota metric 'Search requests' and limit 'Search "
                        "requests per day' of service 'youtube.googleapis.com' for consumer "
                        "'project_number:REDACTED'.",
                    )
                self.searches_used += 1
            elif self.units_used + units > self.quota_limit:
                return _quota_exceeded()
            else:
                self.units_used += units
        if not request.params.get("part"):
            return _error(400, "required", "Required parameter: part", location="part")
        handler = {
            "channels": self._channels,
            "playlistItems": self._playlist_items,
            "videos": self._videos,
            "search": self._search,
        }.get(resource)
        if handler is None:
            return _error(404, "notFound", "Not Found")
        with self.world.locked():
            return handler(request)

    def _max_results(self, request: Request) -> int | Response:
        raw = request.params.get("maxResults", "5")
        if not raw.isdigit() or int(raw) > 50:
            return _error(
                400,
                "invalidParameter",
                f"Invalid value '{raw}'. Values must be within the range: [0, 50]",
                location="maxResults",
            )
        return int(raw)

    def _channels(self, request: Request) -> Response:
        filters = [f for f in ("id", "forHandle", "forUsername", "mine") if f in request.params]
        if not filters:
            return _error(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: forUsername, categoryId, id, forHandle, "
                "mine, managedByMe, mySubscribers.",
                domain="youtube.parameter",
            )
        if len(filters) > 1:
            return _error(
                400,
                "incompatibleParameters",
                "Incompatible parameters specified in the request: " + ", ".join(filters),
                domain="youtube.parameter",
            )
        found: list[SandboxAccount] = []
        if "id" in request.params:
            ids = [i for i in request.params["id"].split(",") if i]
            if len(ids) > 50:
                return _error(400, "invalidParameter", "Too many ids (maximum 50)", location="id")
            for channel_id in ids:
                account = self.world.account_by_id(Platform.YOUTUBE, channel_id)
                if account is not None:
                    found.append(account)
        elif "forHandle" in request.params:
            wanted = request.params["forHandle"].lstrip("@").lower()
            for account in self.world.accounts(Platform.YOUTUBE):
                if account.handle.lower() == wanted:
                    found.append(account)
        parts = set(request.params["part"].split(","))
        body: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": _etag("channels", request.params),
            "pageInfo": {"totalResults": len(found), "resultsPerPage": 5},
        }
        if found:
            body["items"] = [self._channel(a, parts) for a in found]
        return Response(200, body)

    def _channel(self, account: SandboxAccount, parts: set[str]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": _etag(account.external_id, account.followers),
            "id": account.external_id,
        }
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "title": account.name,
                "description": account.biography,
                "customUrl": f"@{account.handle}",
                "publishedAt": _ts(account.created_at),
                "thumbnails": {
                    "default": {"url": "https://yt3.ggpht.com/sandbox", "width": 88, "height": 88}
                },
                "localized": {"title": account.name, "description": account.biography},
            }
            if account.country:
                snippet["country"] = account.country
            item["snippet"] = snippet
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": "UU" + account.external_id[2:]}
            }
        if "statistics" in parts:
            stats: dict[str, Any] = {"viewCount": str(account.total_views)}
            if not account.hidden_followers and account.followers is not None:
                stats["subscriberCount"] = str(account.followers)
            stats["hiddenSubscriberCount"] = account.hidden_followers
            stats["videoCount"] = str(len(self.world.posts_of(Platform.YOUTUBE, account.handle)))
            item["statistics"] = stats
        return item

    def _playlist_items(self, request: Request) -> Response:
        playlist_id = request.params.get("playlistId", "")
        account = None
        if playlist_id.startswith("UU"):
            account = self.world.account_by_id(Platform.YOUTUBE, "UC" + playlist_id[2:])
        if account is None:
            return _error(
                404,
                "playlistNotFound",
                "The playlist identified with the request's "
                "<code>playlistId</code> parameter cannot be found.",
                domain="youtube.playlistItem",
                location="playlistId",
            )
        size = self._max_results(request)
        if isinstance(size, Response):
            return size
        offset = _page_offset(request)
        if isinstance(offset, Response):
            return offset
        posts = self.world.posts_of(Platform.YOUTUBE, account.handle)
        page = posts[offset : offset + size]
        parts = set(request.params["part"].split(","))
        items = []
        for position, post in enumerate(page, start=offset):
            item: dict[str, Any] = {
                "kind": "youtube#playlistItem",
                "etag": _etag(post.post_id, "pl"),
                "id": base64.urlsafe_b64encode(f"{playlist_id}.{post.post_id}".encode()).decode(),
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": _ts(post.published_at),
                    "channelId": account.external_id,
                    "title": post.title or "",
                    "description": post.text,
                    "thumbnails": {},
                    "channelTitle": account.name,
                    "playlistId": playlist_id,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": post.post_id},
                    "videoOwnerChannelTitle": account.name,
                    "videoOwnerChannelId": account.external_id,
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {
                    "videoId": post.post_id,
                    "videoPublishedAt": _ts(post.published_at),
                }
            items.append(item)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": _etag("pl", playlist_id, offset),
        }
        if offset + size < len(posts):
            body["nextPageToken"] = _page_token(offset + size)
        if offset > 0:
            body["prevPageToken"] = _page_token(max(0, offset - size))
        body["items"] = items
        body["pageInfo"] = {"totalResults": len(posts), "resultsPerPage": size}
        return Response(200, body)

    def _videos(self, request: Request) -> Response:
        ids = [i for i in request.params.get("id", "").split(",") if i]
        if not ids:
            return _error(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: myRating, chart, id",
                domain="youtube.parameter",
            )
        if len(ids) > 50:
            return _error(400, "invalidParameter", "Too many ids (maximum 50)", location="id")
        parts = set(request.params["part"].split(","))
        items = []
        for video_id in ids:
            post = self.world.post(video_id)
            if post is None or post.private or post.platform is not Platform.YOUTUBE:
                continue  # deleted, private and unknown ids are silently dropped
            items.append(self._video(post, parts))
        return Response(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": _etag("videos", ids),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            },
        )

    def _video(self, post: SandboxPost, parts: set[str]) -> dict[str, Any]:
        account = self.world.account(Platform.YOUTUBE, post.owner)
        item: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": _etag(post.post_id, post.views),
            "id": post.post_id,
        }
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": _ts(post.published_at),
                "channelId": account.external_id if account else "",
                "title": post.title or "",
                "description": post.text,
                "thumbnails": {},
                "channelTitle": account.name if account else "",
                "tags": [],
                "categoryId": "22",
                "liveBroadcastContent": "none",
                "localized": {"title": post.title or "", "description": post.text},
            }
        if "contentDetails" in parts:
            minutes, seconds = divmod(post.duration, 60)
            item["contentDetails"] = {
                "duration": f"PT{minutes}M{seconds}S",
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "status" in parts:
            item["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": "public",
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "statistics" in parts:
            stats: dict[str, str] = {}
            if post.views is not None:
                stats["viewCount"] = str(post.views)
            if post.likes is not None:
                stats["likeCount"] = str(post.likes)
            stats["favoriteCount"] = "0"
            if post.comments is not None:
                stats["commentCount"] = str(post.comments)
            item["statistics"] = stats
        if "paidProductPlacementDetails" in parts:
            item["paidProductPlacementDetails"] = {"hasPaidProductPlacement": post.paid_placement}
        return item

    def _search(self, request: Request) -> Response:
        size = self._max_results(request)
        if isinstance(size, Response):
            return size
        kinds = request.params.get("type", "video,channel,playlist").split(",")
        query = request.params.get("q", "").lower().lstrip("#")
        matches: list[dict[str, Any]] = []
        if "channel" in kinds:
            for account in self.world.accounts(Platform.YOUTUBE):
                haystack = f"{account.handle} {account.name} {account.biography}".lower()
                if all(word in haystack for word in query.split()):
                    matches.append(
                        {
                            "kind": "youtube#searchResult",
                            "etag": _etag("search", account.external_id),
                            "id": {"kind": "youtube#channel", "channelId": account.external_id},
                            "snippet": {
                                "publishedAt": _ts(account.created_at),
                                "channelId": account.external_id,
                                "title": account.name.replace("&", "&amp;"),
                                "description": account.biography[:100] + "...",
                                "thumbnails": {},
                                "channelTitle": account.name.replace("&", "&amp;"),
                                "liveBroadcastContent": "none",
                                "publishTime": _ts(account.created_at),
                            },
                        }
                    )
        offset = _page_offset(request)
        if isinstance(offset, Response):
            return offset
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "etag": _etag("search", query, offset),
        }
        if offset + size < len(matches):
            body["nextPageToken"] = _page_token(offset + size)
        body["regionCode"] = "US"
        body["pageInfo"] = {"totalResults": len(matches), "resultsPerPage": size}
        body["items"] = matches[offset : offset + size]
        return Response(200, body)


def _quota_exceeded() -> Response:
    return _error(
        403,
        "quotaExceeded",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
        'getting-started#quota">quota</a>.',
        domain="youtube.quota",
    )


def _page_offset(request: Request) -> int | Response:
    """Where a page starts: 0, the offset a ``pageToken`` encodes, or the 400 for a bad one."""
    if "pageToken" not in request.params:
        return 0
    decoded = _read_page_token(request.params["pageToken"])
    if decoded is None:
        return _error(
            400,
            "invalidPageToken",
            "The request specifies an invalid page token.",
            domain="youtube.parameter",
            location="pageToken",
        )
    return decoded
