"""A local TikTok Display API v2: user info, video list and video query.

Shapes follow reference/platform_apis.md section 3: every answer has an ``error`` object (``"ok"``
on success, ``data`` ``{}`` on failure), ``fields`` is required, the token is the creator's own
Bearer token (``SandboxAccount.tiktok_token``) and identifies the user, scopes are checked per
requested field (``user.info.profile`` for ``username``, ``user.info.stats`` for the counts,
``video.list`` for the video endpoints: 401 ``scope_not_authorized``), ``video/list`` pages by a
millisecond ``cursor`` with ``max_count`` <= 20 and may answer short pages with ``has_more`` true
(videos that turned private are dropped after the page is cut, as TikTok does), ``video/query``
takes <= 20 ids, answers in no particular order and silently omits videos the token's user does
not own, and more than ``rate_limit_per_minute`` calls to one endpoint within a minute get 429
``rate_limit_exceeded``.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.sandbox.server import ApiServer, Fault, Request, Response, bearer_token
from creatorflow.sandbox.world import SandboxAccount, SandboxPost, World

_LOG_ID = "20270301090000SANDBOX0000000000"
USER_FIELDS = frozenset(
    [
        "open_id",
        "union_id",
        "avatar_url",
        "avatar_url_100",
        "avatar_large_url",
        "display_name",
        "bio_description",
        "profile_deep_link",
        "is_verified",
        "username",
        "follower_count",
        "following_count",
        "likes_count",
        "video_count",
    ]
)
#: The scope each user field needs (platform_apis.md 3.1: basic, profile and stats).
USER_FIELD_SCOPES = {
    **dict.fromkeys(
        ["open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"],
        "user.info.basic",
    ),
    **dict.fromkeys(
        ["bio_description", "profile_deep_link", "is_verified", "username"], "user.info.profile"
    ),
    **dict.fromkeys(
        ["follower_count", "following_count", "likes_count", "video_count"], "user.info.stats"
    ),
}
VIDEO_FIELDS = frozenset(
    [
        "id",
        "create_time",
        "cover_image_url",
        "share_url",
        "video_description",
        "duration",
        "height",
        "width",
        "title",
        "embed_html",
        "embed_link",
        "like_count",
        "comment_count",
        "share_count",
        "view_count",
    ]
)


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        status, {"data": {}, "error": {"code": code, "message": message, "log_id": _LOG_ID}}
    )


def _scope_missing() -> Response:
    """401 ``scope_not_authorized``; like TikTok's, the message does not name the scope."""
    return _error(
        401,
        "scope_not_authorized",
        "The user did not authorize the scope required for completing this request.",
    )


def _ok(data: dict[str, Any]) -> Response:
    return Response(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": _LOG_ID}})


class TikTokServer(ApiServer):
    """Serves ``/v2/user/info/``, ``/v2/video/list/`` and ``/v2/video/query/``."""

    platform_name = "tiktok"

    def __init__(self, world: World, *, rate_limit_per_minute: int = 600) -> None:
        super().__init__(world)
        self.rate_limit_per_minute = rate_limit_per_minute
        self._windows: dict[str, deque[float]] = {}

    def fault_response(self, fault: Fault, request: Request) -> Response:
        kind = fault.kind
        if kind in ("auth", "expired"):
            return _error(
                401,
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            )
        if kind == "permission":
            return _error(
                401,
                "scope_not_authorized",
                "The user did not authorize the scope required for completing this request.",
            )
        if kind in ("rate_limit", "quota"):
            return _error(
                429,
                "rate_limit_exceeded",
                "The API rate limit was exceeded. Please try again later.",
            )
        return _error(
            fault.status or 500, "internal_error", "Something went wrong. Please try again later."
        )

    def account_of(self, request: Request) -> str | None:
        """The handle of the token's owner: TikTok reads only the token owner's data."""
        user = self._user(request)
        return user.handle if user else None

    def _user(self, request: Request) -> SandboxAccount | None:
        token = bearer_token(request)
        if not token:
            return None
        for account in self.world.accounts(Platform.TIKTOK):
            if account.connected and account.tiktok_token == token:
                return account
        return None

    def route(self, request: Request) -> Response:
        endpoint = request.path.rstrip("/") + "/"
        handlers = {
            ("GET", "/v2/user/info/"): self._user_info,
            ("POST", "/v2/video/list/"): self._video_list,
            ("POST", "/v2/video/query/"): self._video_query,
        }
        handler = handlers.get((request.method, endpoint))
        if handler is None:
            return _error(404, "invalid_params", f"Unknown endpoint {request.method} {endpoint}")
        if not self._within_rate(endpoint):
            return _error(
                429,
                "rate_limit_exceeded",
                "The API rate limit was exceeded. Please try again later.",
            )
        with self.world.locked():
            user = self._user(request)
            if user is None:
                return _error(
                    401,
                    "access_token_invalid",
                    "The access token is invalid or not found in the request.",
                )
            fields = [f for f in request.params.get("fields", "").split(",") if f]
            if not fields:
                return _error(400, "invalid_params", "fields is required")
            return handler(user, fields, request)

    def _within_rate(self, endpoint: str) -> bool:
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(endpoint, deque())
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= self.rate_limit_per_minute:
                return False
            window.append(now)
            return True

    def _user_info(self, user: SandboxAccount, fields: list[str], request: Request) -> Response:
        unknown = [f for f in fields if f not in USER_FIELDS]
        if unknown:
            return _error(400, "invalid_params", f"Invalid fields: {','.join(unknown)}")
        for name in fields:  # each field needs its own scope
            if USER_FIELD_SCOPES[name] not in user.scopes:
                return _scope_missing()
        posts = self.world.posts_of(Platform.TIKTOK, user.handle)
        values: dict[str, Any] = {
            "open_id": user.external_id,
            "union_id": f"union-{user.external_id}",
            "avatar_url": "https://p16.tiktokcdn.sandbox/avatar.jpeg",
            "avatar_url_100": "https://p16.tiktokcdn.sandbox/avatar100.jpeg",
            "avatar_large_url": "https://p16.tiktokcdn.sandbox/avatar-large.jpeg",
            "display_name": user.name,
            "bio_description": user.biography,
            "profile_deep_link": f"https://vm.tiktok.com/{user.external_id[-9:]}/",
            "is_verified": False,
            "username": user.handle,
            "follower_count": user.followers,
            "following_count": user.following,
            "likes_count": sum(p.likes or 0 for p in posts),
            "video_count": len(posts),
        }
        return _ok({"user": {f: values[f] for f in fields}})

    def _video(self, post: SandboxPost, fields: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": post.post_id,
            "create_time": int(post.published_at.timestamp()),
            "cover_image_url": f"https://p16-sign.tiktokcdn.sandbox/{post.post_id}~tplv-noop.image"
            "?x-expires=1659000367&x-signature=sandbox",
            "share_url": f"{post.url}?utm_campaign=tt4d_open_api",
            "video_description": post.text,
            "duration": post.duration,
            "height": 1024,
            "width": 576,
            "title": post.title or post.text[:150],
            "embed_html": f'<blockquote class="tiktok-embed" data-video-id="{post.post_id}">'
            "</blockquote>",
            "embed_link": f"https://www.tiktok.com/player/v1/{post.post_id}",
            "like_count": post.likes,
            "comment_count": post.comments,
            "share_count": post.shares,
            "view_count": post.views,
        }
        return {f: values[f] for f in fields if values.get(f) is not None}

    def _check_video_fields(self, fields: list[str]) -> Response | None:
        unknown = [f for f in fields if f not in VIDEO_FIELDS]
        if unknown:
            return _error(400, "invalid_params", f"Invalid fields: {','.join(unknown)}")
        return None

    def _video_list(self, user: SandboxAccount, fields: list[str], request: Request) -> Response:
        problem = self._check_video_fields(fields) or self._check_video_scope(user)
        if problem:
            return problem
        body = request.body if isinstance(request.body, dict) else {}
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or not 0 < max_count <= 20:
            return _error(400, "invalid_params", "Invalid max_count: must be <= 20")
        cursor = body.get("cursor")
        if cursor is not None and not isinstance(cursor, int):
            return _error(400, "invalid_params", "Invalid cursor: must be an int64 timestamp")
        # the page is cut among every video, then the ones that turned private are dropped:
        # a short (even empty) page with has_more true, as the docs warn
        posts = self.world.posts_of(Platform.TIKTOK, user.handle, include_private=True)
        if cursor is not None:
            posts = [p for p in posts if int(p.published_at.timestamp() * 1000) < cursor]
        page = posts[:max_count]
        next_cursor = int(page[-1].published_at.timestamp() * 1000) if page else (cursor or 0)
        return _ok(
            {
                "videos": [self._video(p, fields) for p in page if not p.private],
                "cursor": next_cursor,
                "has_more": len(posts) > max_count,
            }
        )

    def _check_video_scope(self, user: SandboxAccount) -> Response | None:
        return None if "video.list" in user.scopes else _scope_missing()

    def _video_query(self, user: SandboxAccount, fields: list[str], request: Request) -> Response:
        problem = self._check_video_fields(fields) or self._check_video_scope(user)
        if problem:
            return problem
        body = request.body if isinstance(request.body, dict) else {}
        ids = (body.get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not ids:
            return _error(400, "invalid_params", "filters.video_ids is required")
        if len(ids) > 20:
            return _error(400, "invalid_params", "Invalid video_ids: at most 20 ids")
        videos = []
        # no particular order: not the order asked, not by time
        for video_id in sorted(ids, key=lambda i: hashlib.sha256(str(i).encode()).hexdigest()):
            post = self.world.post(str(video_id))
            if (
                post
                and not post.private
                and post.platform is Platform.TIKTOK
                and post.owner == user.handle
            ):
                videos.append(self._video(post, fields))
        return _ok({"videos": videos})
