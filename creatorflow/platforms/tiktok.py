"""TikTok Display API v2 adapter: user info, video list and video query with the creator's token.

The Display API reads only the data of the user who owns the token, so a creator is readable only
after connecting their account. ``CREATORFLOW_TIKTOK_ACCESS_TOKEN`` holds one token, or several
as ``handle=token`` pairs separated by commas. Every token is one creator's own, so a creator
without a token (``NotConnected``), with a revoked token (``TokenRevoked``) or a token missing a
scope (``ScopeMissing``) concerns that creator only: a lookup returns ``AccountUnreadable`` for
them, and a feed or metrics read raises the ``AccountProblem``. Every answer carries an
``error`` object, checked for ``code != "ok"`` even on HTTP 200.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.post_urls import PostRef
from creatorflow.platforms.base import (
    AccountProfile,
    AccountUnreadable,
    Caption,
    LookupResult,
    Ownership,
    PlatformAdapter,
    PlatformClient,
    PlatformLimits,
    Post,
    PostMetrics,
    RateLimit,
)
from creatorflow.platforms.errors import (
    AccountProblem,
    MalformedResponse,
    NotConnected,
    PermanentPlatformError,
    PlatformError,
    RequestRejected,
    ScopeMissing,
    Throttled,
    TokenRevoked,
    TransientPlatformError,
)
from creatorflow.platforms.http import PlatformHttp, Reply
from creatorflow.platforms.parsing import Reader
from creatorflow.settings import Settings

NAME = "tiktok"
USER_FIELDS = (
    "open_id,union_id,display_name,username,follower_count,following_count,likes_count,video_count"
)
VIDEO_FIELDS = (
    "id,create_time,title,video_description,share_url,like_count,comment_count,share_count,"
    "view_count"
)
MAX_LIST = 20
MAX_QUERY = 20


def classify(reply: Reply, account: str | None) -> PlatformError | None:
    """Check ``error.code`` on every answer (reference 3.1 error table)."""
    if not isinstance(reply.payload, dict):
        return MalformedResponse(
            NAME, f"{reply.path}: answer is not a JSON object", account=account
        )
    error = reply.payload.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return MalformedResponse(NAME, f"{reply.path}: answer has no error object", account=account)
    code = error["code"]
    if code == "ok" and reply.status < 400:
        return None
    message = f"{reply.path}: {code}: {error.get('message', '')}"
    if code == "rate_limit_exceeded" or reply.status == 429:
        # a one-minute sliding window per endpoint, no Retry-After (platform_apis.md 3.1)
        return Throttled(NAME, f"rate limited: {message}", account=account)
    if code == "internal_error" or reply.status >= 500:
        return TransientPlatformError(NAME, message, account=account)
    # every token is one creator's own: a refused token or scope concerns that creator only
    if code == "access_token_invalid":
        return TokenRevoked(
            NAME,
            f"the creator's access token is invalid, expired or revoked ({message}); "
            "the creator must reconnect",
            account=account,
            what="TikTok token revoked or expired",
        )
    if code in ("scope_not_authorized", "scope_permission_missed"):
        scope = _SCOPES.get(reply.path, "a scope creatorflow needs")
        return ScopeMissing(
            NAME,
            f"scope missing ({message})",
            account=account,
            what=f"TikTok token without {scope}",
        )
    return RequestRejected(NAME, message, account=account)


#: The scope an endpoint needs (reference 3.1), named when a token lacks it.
_SCOPES = {
    "/v2/user/info/": "the user.info.basic, user.info.profile and user.info.stats scopes",
    "/v2/video/list/": "the video.list scope",
    "/v2/video/query/": "the video.list scope",
}


def parse_tokens(raw: str) -> tuple[dict[str, str], str | None]:
    """``handle=token,...`` pairs and/or one default token."""
    pairs: dict[str, str] = {}
    default: str | None = None
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if "=" in part:
            handle, token = part.split("=", 1)
            pairs[handle.strip().lstrip("@").lower()] = token.strip()
        else:
            default = part
    return pairs, default


class TikTokClient:
    """``PlatformClient`` for TikTok connected accounts."""

    platform = Platform.TIKTOK

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] | None = None) -> None:
        settings.require("tiktok_access_token")
        assert settings.tiktok_access_token is not None
        self._tokens, self._default = parse_tokens(settings.tiktok_access_token.get_secret_value())
        self._base = settings.tiktok_base_url.rstrip("/")
        secrets = [*self._tokens.values(), self._default]
        self.http = PlatformHttp(
            platform=NAME, settings=settings, secrets=secrets, classify=classify, sleep=sleep
        )

    def close(self) -> None:
        self.http.close()

    def _token(self, handle: str) -> str | None:
        return self._tokens.get(handle) or self._default

    def _call(
        self, method: str, path: str, *, handle: str, token: str, fields: str, body: Any = None
    ) -> Reader:
        payload = self.http.request(
            method,
            f"{self._base}{path}",
            params={"fields": fields},
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            account=handle,
            path=path,
        )
        answer = Reader(NAME, payload, path, handle)
        data = answer.obj("data")
        assert data is not None
        return data

    def lookup(self, handles: Sequence[str], *, with_posts: int = 0) -> dict[str, LookupResult]:
        """Each creator with their own token; a creator not connected, or whose token is
        revoked or lacks a scope, is an ``AccountUnreadable`` result and the others go on."""
        results: dict[str, LookupResult] = {}
        for handle in handles:
            try:
                results[handle] = self._lookup_one(handle, with_posts)
            except AccountProblem as problem:
                results[handle] = AccountUnreadable(
                    Platform.TIKTOK, handle, problem.what, problem.status
                )
        return results

    def _lookup_one(self, handle: str, with_posts: int) -> LookupResult:
        token = self._connected_token(handle)
        data = self._call("GET", "/v2/user/info/", handle=handle, token=token, fields=USER_FIELDS)
        user = data.obj("user")
        assert user is not None
        username = (user.text("username", required=False) or "").lower()
        if username and username != handle:
            return AccountUnreadable(
                Platform.TIKTOK,
                handle,
                f"TikTok token of @{username} given for this creator",
                AccountStatus.NOT_CONNECTED,
            )
        profile = AccountProfile(
            platform=Platform.TIKTOK,
            handle=handle,
            external_id=user.req_str("open_id"),
            name=user.text("display_name", required=False),
            followers=user.count("follower_count"),
            media_count=user.count("video_count"),
        )
        if with_posts:
            posts = self._video_list(handle, token, profile.external_id, with_posts)
            profile = replace(profile, recent_posts=tuple(posts))
        return profile

    def _connected_token(self, handle: str) -> str:
        """The creator's token; ``NotConnected`` when there is none (the Display API reads
        only accounts whose owner connected them)."""
        token = self._token(handle) if handle else self._default
        if token is None:
            raise NotConnected(
                NAME,
                "no TikTok access token for this creator; the creator must connect",
                account=handle or None,
                what="TikTok account not connected",
            )
        return token

    def _video_list(self, handle: str, token: str, open_id: str | None, limit: int) -> list[Post]:
        posts: list[Post] = []
        cursor: int | None = None
        while len(posts) < limit:
            body: dict[str, Any] = {"max_count": min(MAX_LIST, limit - len(posts))}
            if cursor is not None:
                body["cursor"] = cursor
            data = self._call(
                "POST",
                "/v2/video/list/",
                handle=handle,
                token=token,
                fields=VIDEO_FIELDS,
                body=body,
            )
            # a page may be short, even empty, while has_more is true (videos turned private
            # are dropped after TikTok cuts the page): only has_more and the cursor decide
            known = {p.post_id for p in posts}
            videos = [_video(v, open_id) for v in data.objects("videos", required=False)]
            posts.extend(v for v in videos if v.post_id not in known)
            if data.flag("has_more") is not True:
                break
            previous, cursor = cursor, data.count("cursor")
            if cursor is None:
                raise data.error("has_more without a cursor", "cursor")
            if previous is not None and cursor >= previous:
                break  # the cursor no longer moves back in time: asking again would loop
        return posts[:limit]

    def recent_posts(self, account: AccountProfile, *, limit: int) -> list[Post]:
        token = self._connected_token(account.handle)
        return self._video_list(account.handle, token, account.external_id, limit)

    def post_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, Post]:
        """``video/query`` 20 ids a call, with each owner's token; missing ids are gone."""
        by_owner: dict[str, list[str]] = {}
        for post_id in dict.fromkeys(post_ids):
            owner = (owners or {}).get(post_id, "")
            by_owner.setdefault(owner, []).append(post_id)
        found: dict[str, Post] = {}
        for owner, ids in by_owner.items():
            token = self._connected_token(owner)
            for start in range(0, len(ids), MAX_QUERY):
                batch = ids[start : start + MAX_QUERY]
                data = self._call(
                    "POST",
                    "/v2/video/query/",
                    handle=owner,
                    token=token,
                    fields=VIDEO_FIELDS,
                    body={"filters": {"video_ids": batch}},
                )
                for item in data.objects("videos", required=False):
                    post = _video(item, None)
                    found[post.post_id] = post
        return found

    def current_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, PostMetrics]:
        """The counts of ``post_metrics`` (the same calls: the fields cost nothing extra), with
        the caption they carry."""
        found = self.post_metrics(post_ids, owners=owners)
        return {
            post_id: replace(post.metrics, caption=Caption(post.title, post.text))
            for post_id, post in found.items()
        }

    def discover(self, query: str, *, max_results: int) -> list[AccountProfile]:
        raise PermanentPlatformError(
            NAME,
            "the Display API has no search; TikTok creators are added by handle (import) "
            "and read once they connect their account",
        )


def _video(item: Reader, open_id: str | None) -> Post:
    video_id = item.req_str("id")
    return Post(
        platform=Platform.TIKTOK,
        post_id=video_id,
        author_id=open_id,
        url=item.text("share_url", required=False),
        title=item.text("title", required=False),
        text=item.text("video_description", required=False),
        published_at=item.epoch("create_time"),
        metrics=PostMetrics(
            views=item.count("view_count"),
            likes=item.count("like_count"),
            comments=item.count("comment_count"),
            shares=item.count("share_count"),
        ),
        media_type="VIDEO",
    )


def owned_by_token_owner(
    client: PlatformClient, ref: PostRef, candidates: Sequence[AccountProfile]
) -> Ownership:
    """``video/query`` only answers for the token owner's videos: an answer is proof enough."""
    owners = {ref.post_id: candidates[0].handle} if len(candidates) == 1 else None
    found = client.post_metrics([ref.post_id], owners=owners).get(ref.post_id)
    return Ownership() if found is None else Ownership(found, candidates[0])


#: ``video/query`` takes 20 ids, each owner's with its own token; 600 requests a minute per
#: endpoint (platform_apis.md), kept well inside.
LIMITS = PlatformLimits(
    ids_per_call=MAX_QUERY,
    per_owner=True,
    posts_per_batch=20 * MAX_QUERY,
    feed_read_calls=1,
    rate_limit=RateLimit("tiktok-api", limit=50, per_second=9.0),
    accounts_per_lookup=1,  # each creator is their own read (their own token)
)
ADAPTER = PlatformAdapter(NAME, TikTokClient, LIMITS, owned_by_token_owner)
