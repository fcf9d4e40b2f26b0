"""A test-only platform, "clips": an adapter and its sandbox server, and nothing else.

It follows the README's "Adding a platform" recipe with no change to services, tasks or flows:
the adapter declares its limits and ownership check in one ``PlatformAdapter``, the server
answers on loopback from the sandbox ``World``, and a test registers the adapter for a while
(``registry.registered``). Its settings are the server's address and token, bound when the
adapter is made (a test cannot add fields to ``Settings``).

The API: ``GET /v1/accounts?handles=a,b`` (25 handles at most), ``GET /v1/accounts/{handle}/posts
?limit=N`` (newest first, 20 at most) and ``GET /v1/posts?ids=...`` (10 ids at most; a missing id
is gone), with the token in ``X-Clips-Token``. Errors: ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.platforms import base
from creatorflow.platforms.base import AccountProfile, LookupResult, Post, PostMetrics
from creatorflow.platforms.errors import (
    AuthError,
    PlatformError,
    QuotaExhausted,
    RequestRejected,
    TransientPlatformError,
)
from creatorflow.platforms.http import PlatformHttp, Reply
from creatorflow.platforms.parsing import Reader
from creatorflow.sandbox import ApiServer, SandboxPost, World
from creatorflow.sandbox.server import Fault, Request, Response
from creatorflow.settings import Settings

NAME = "clips"
TOKEN = "clips-sandbox-token"
HANDLES_PER_CALL = 25
IDS_PER_CALL = 10
PAGE = 20


def post_url(post_id: str) -> str:
    return f"https://clips.example/p/{post_id}"


# -- the adapter -------------------------------------------------------------------------------


def classify(reply: Reply, account: str | None) -> PlatformError | None:
    """The error envelope, mapped to the platform error tree."""
    if reply.status < 400:
        return None
    error = reply.payload.get("error") if isinstance(reply.payload, dict) else None
    code = str(error.get("code")) if isinstance(error, dict) else ""
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    if code == "quota":
        return QuotaExhausted(NAME, f"daily quota spent: {message}", account=account)
    if reply.status == 401:
        return AuthError(NAME, f"token rejected: {message}", account=account)
    if reply.status >= 500 or reply.status == 429:
        return TransientPlatformError(NAME, f"{reply.path}: {message}", account=account)
    return RequestRejected(NAME, f"{reply.path}: {code} {message}", account=account)


class ClipsClient:
    """``PlatformClient`` for clips: a token, three endpoints, typed records out."""

    def __init__(
        self,
        settings: Settings,
        *,
        base_url: str,
        token: str,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.platform = Platform(NAME)
        self._base = base_url.rstrip("/") + "/v1"
        self._token = token
        self.http = PlatformHttp(
            platform=NAME, settings=settings, secrets=[token], classify=classify, sleep=sleep
        )

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, Any], *, account: str | None = None) -> Reader:
        payload = self.http.request(
            "GET",
            self._base + path,
            params=params,
            headers={"X-Clips-Token": self._token},
            account=account,
            path=path,
        )
        return Reader(NAME, payload, path, account)

    def lookup(self, handles: Sequence[str], *, with_posts: int = 0) -> dict[str, LookupResult]:
        results: dict[str, LookupResult] = {}
        for start in range(0, len(handles), HANDLES_PER_CALL):
            batch = list(handles[start : start + HANDLES_PER_CALL])
            answer = self._get("/accounts", {"handles": ",".join(batch)})
            found = {item.req_str("handle"): item for item in answer.objects("accounts")}
            for handle in batch:
                item = found.get(handle)
                missing = "no clips account by this name"
                results[handle] = (
                    self._profile(item)
                    if item is not None
                    else base.AccountNotFound(self.platform, handle, missing)
                )
        if with_posts > 0:
            for handle, result in results.items():
                if isinstance(result, AccountProfile):
                    posts = tuple(self.recent_posts(result, limit=with_posts))
                    results[handle] = replace(result, recent_posts=posts)
        return results

    def _profile(self, item: Reader) -> AccountProfile:
        return AccountProfile(
            platform=self.platform,
            handle=item.req_str("handle"),
            external_id=item.req_str("id"),
            name=item.text("name", required=False),
            followers=item.count("followers"),
            media_count=item.count("posts"),
        )

    def recent_posts(self, account: AccountProfile, *, limit: int) -> list[Post]:
        answer = self._get(
            f"/accounts/{account.handle}/posts",
            {"limit": min(PAGE, limit)},
            account=account.handle,
        )
        return [self._post(item) for item in answer.objects("posts")]

    def post_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, Post]:
        unique = list(dict.fromkeys(post_ids))
        found: dict[str, Post] = {}
        for start in range(0, len(unique), IDS_PER_CALL):
            answer = self._get("/posts", {"ids": ",".join(unique[start : start + IDS_PER_CALL])})
            for item in answer.objects("posts"):
                post = self._post(item)
                found[post.post_id] = post
        return found

    def current_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, PostMetrics]:
        return {k: p.metrics for k, p in self.post_metrics(post_ids, owners=owners).items()}

    def discover(self, query: str, *, max_results: int) -> list[AccountProfile]:
        return []  # clips has no search

    def _post(self, item: Reader) -> Post:
        post_id = item.req_str("id")
        return Post(
            platform=self.platform,
            post_id=post_id,
            author_id=item.text("author_id", required=False),
            url=post_url(post_id),
            title=None,
            text=item.text("text", required=False),
            published_at=item.timestamp("published_at"),
            metrics=PostMetrics(views=item.count("views"), likes=item.count("likes")),
        )


def clips_adapter(base_url: str, *, token: str = TOKEN) -> base.PlatformAdapter:
    """The adapter declaration: what the recipe's one registry line registers."""
    return base.PlatformAdapter(
        name=NAME,
        connect=partial(ClipsClient, base_url=base_url, token=token),
        limits=base.PlatformLimits(
            ids_per_call=IDS_PER_CALL,
            per_owner=False,
            posts_per_batch=2 * IDS_PER_CALL,
            feed_read_calls=1,
            rate_limit=base.RateLimit("clips-api", limit=20, per_second=2.0),
            engagement_counts=("likes",),  # clips shows no comment counts at all
        ),
        owns=base.AuthorCheck("clips account"),
    )


# -- its sandbox server ------------------------------------------------------------------------


class ClipsServer(ApiServer):
    """The clips API on loopback, answering from the world's ``clips`` accounts and posts."""

    platform_name = NAME

    def __init__(self, world: World, *, token: str = TOKEN) -> None:
        super().__init__(world)
        self.token = token

    def route(self, request: Request) -> Response:
        if request.headers.get("X-Clips-Token") != self.token:
            return self._error(401, "auth", "unknown token")
        parts = [p for p in request.path.split("/") if p]
        if parts == ["v1", "accounts"]:
            handles = _listed(request.params.get("handles"))
            if len(handles) > HANDLES_PER_CALL:
                return self._error(400, "too_many", f"{HANDLES_PER_CALL} handles at most")
            return Response(200, {"accounts": [self._account(h) for h in handles if self._has(h)]})
        if len(parts) == 4 and parts[:2] == ["v1", "accounts"] and parts[3] == "posts":
            if not self._has(parts[2]):
                return self._error(404, "not_found", f"no account {parts[2]}")
            limit = min(PAGE, int(request.params.get("limit", PAGE)))
            posts = self.world.posts_of(NAME, parts[2])[:limit]
            return Response(200, {"posts": [self._post(p) for p in posts]})
        if parts == ["v1", "posts"]:
            ids = _listed(request.params.get("ids"))
            if len(ids) > IDS_PER_CALL:
                return self._error(400, "too_many", f"{IDS_PER_CALL} ids at most")
            found = [self.world.post(i) for i in ids]
            visible = [p for p in found if p is not None and p.platform == NAME and not p.private]
            return Response(200, {"posts": [self._post(p) for p in visible]})
        return self._error(404, "no_route", request.path)

    def fault_response(self, fault: Fault, request: Request) -> Response:
        if fault.kind == "quota":
            return self._error(403, "quota", "daily quota spent")
        if fault.kind in {"auth", "expired"}:
            return self._error(401, "auth", "token expired")
        if fault.kind == "rate_limit":
            return self._error(429, "rate_limit", "slow down")
        return self._error(500, "internal", "try again")

    def _has(self, handle: str) -> bool:
        return self.world.account(NAME, handle) is not None

    def _account(self, handle: str) -> dict[str, Any]:
        account = self.world.account(NAME, handle)
        assert account is not None
        return {
            "id": account.external_id,
            "handle": account.handle,
            "name": account.name,
            "followers": account.followers,
            "posts": len(self.world.posts_of(NAME, handle)),
        }

    def _post(self, post: SandboxPost) -> dict[str, Any]:
        owner = self.world.account(NAME, post.owner)
        return {
            "id": post.post_id,
            "author_id": owner.external_id if owner is not None else None,
            "text": post.text,
            "published_at": post.published_at.isoformat().replace("+00:00", "Z"),
            "views": post.views,
            "likes": post.likes,
        }

    @staticmethod
    def _error(status: int, code: str, message: str) -> Response:
        return Response(status, {"error": {"code": code, "message": message}})


def _listed(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]
