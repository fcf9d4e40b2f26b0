"""Instagram Graph API adapter: business discovery with the brand's token, hashtag search.

Other creators' public data is only readable through the brand's own IG user
(``/{INSTAGRAM_USER_ID}?fields=business_discovery.username(x){...}``): one call per creator,
media paged with ``media.after(cursor)``. Their media ids cannot be fetched directly, so
``post_metrics`` re-reads the owner's business discovery. A personal or unknown account (code 110,
subcode 2207013) is an ``AccountUnreadable`` result of a lookup (status ``not_business``) and a
``NotBusiness`` problem of a feed or metrics read. The brand's token is every read's token: a
rejected token or permission stops Instagram altogether (``AuthError``, ``PermissionDenied``).
Hashtag search is capped by Meta at 30 unique hashtags per 7 days per brand account; this client
counts the ones it used and refuses the 31st.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

from creatorflow.domain.handles import normalise_handle
from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.post_urls import PostRef, instagram_shortcode
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
    AuthError,
    HashtagLimitReached,
    NotBusiness,
    ObjectNotFound,
    PermanentPlatformError,
    PermissionDenied,
    PlatformError,
    RequestRejected,
    Throttled,
    TransientPlatformError,
)
from creatorflow.platforms.http import PlatformHttp, Reply
from creatorflow.platforms.instagram_brand import BrandEdges, media_post
from creatorflow.platforms.parsing import Reader
from creatorflow.settings import Settings

NAME = "instagram"
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
PROFILE_FIELDS = "id,username,name,biography,website,followers_count,media_count"
MEDIA_FIELDS = (
    "id,caption,like_count,comments_count,view_count,media_type,media_product_type,permalink,"
    "timestamp"
)
MEDIA_PAGE = 50


class NotProfessional(Exception):
    """Internal signal: business discovery says 110/2207013 for this username."""


def regain_seconds(headers: Any) -> float | None:
    """Meta's ``estimated_time_to_regain_access`` (minutes, in X-Business-Use-Case-Usage)."""
    raw = headers.get("X-Business-Use-Case-Usage") if headers is not None else None
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = max(
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        )
    except (ValueError, TypeError, AttributeError):
        return None
    return minutes * 60 if minutes > 0 else None


def classify(reply: Reply, account: str | None) -> PlatformError | None:
    """Map Meta's error envelope (reference 2.5) to our error tree."""
    error = reply.payload.get("error") if isinstance(reply.payload, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = f"{reply.path}: {error.get('message', '')} (code {code})"
    if code == 110 and subcode == 2207013:
        return _NotFound(NAME, message, account=account)
    if code in THROTTLE_CODES:
        return Throttled(
            NAME,
            f"throttled: {message}",
            account=account,
            retry_after=regain_seconds(reply.headers),
        )
    if error.get("is_transient") is True or code in (1, 2):
        return TransientPlatformError(
            NAME,
            f"temporarily unavailable: {message}",
            account=account,
            retry_after=regain_seconds(reply.headers),
        )
    if code == 190 or code == 2500:
        return AuthError(
            NAME,
            f"the access token was rejected ({message}); renew CREATORFLOW_INSTAGRAM_ACCESS_TOKEN",
            account=account,
        )
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return PermissionDenied(NAME, f"permission missing: {message}", account=account)
    if code == 24 and subcode == 2207034:
        return HashtagLimitReached(NAME, f"Meta refused a new hashtag: {message}", account=account)
    if code == 100 and subcode == 33:
        return ObjectNotFound(NAME, f"no such object: {message}", account=account)
    if reply.status >= 500:
        return TransientPlatformError(
            NAME, f"server error {reply.status}: {message}", account=account
        )
    return RequestRejected(NAME, f"request rejected: {message}", account=account)


class _NotFound(PermanentPlatformError):
    """110/2207013: turned into ``AccountUnreadable`` / ``NotBusiness`` by the client."""


NOT_PROFESSIONAL = "no such Instagram account, or not a professional (business/creator) account"


def _not_business(handle: str) -> NotBusiness:
    return NotBusiness(
        NAME,
        f"business discovery cannot read @{handle}: {NOT_PROFESSIONAL}",
        account=handle,
        what=NOT_PROFESSIONAL,
    )


class InstagramClient(BrandEdges):
    """``PlatformClient`` for Instagram business discovery (and, through ``BrandEdges``, the
    brand account's own tags, mentions and hashtag search); one instance per run."""

    platform = Platform.INSTAGRAM

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] | None = None) -> None:
        settings.require("instagram_access_token", "instagram_user_id")
        assert settings.instagram_access_token is not None and settings.instagram_user_id
        self._token = settings.instagram_access_token.get_secret_value()
        self._user_id = settings.instagram_user_id
        self._base = f"{settings.instagram_base_url.rstrip('/')}/{settings.instagram_api_version}"
        self.http = PlatformHttp(
            platform=NAME, settings=settings, secrets=[self._token], classify=classify, sleep=sleep
        )
        self.hashtags_used: set[str] = set()

    def close(self) -> None:
        self.http.close()

    def _get(
        self, path: str, params: dict[str, Any], *, account: str | None = None, label: str
    ) -> Reader:
        payload = self.http.request(
            "GET",
            f"{self._base}/{path}",
            params={**params, "access_token": self._token},
            account=account,
            path=label,
        )
        return Reader(NAME, payload, label, account)

    # -- business discovery -------------------------------------------------------------------
    def _discover_page(
        self, username: str, *, media_limit: int, after: str | None
    ) -> tuple[Reader, list[Reader], str | None]:
        media = (
            f"media.after({after}).limit({media_limit})" if after else f"media.limit({media_limit})"
        )
        fields = (
            f"business_discovery.username({username}){{{PROFILE_FIELDS},{media}{{{MEDIA_FIELDS}}}}}"
        )
        if media_limit == 0:
            fields = f"business_discovery.username({username}){{{PROFILE_FIELDS}}}"
        try:
            answer = self._get(
                self._user_id, {"fields": fields}, account=username, label="business_discovery"
            )
        except _NotFound:
            raise NotProfessional(username) from None
        user = answer.obj("business_discovery")
        assert user is not None
        media_edge = user.obj("media", required=False)
        if media_edge is None:
            return user, [], None
        paging = media_edge.obj("paging", required=False)
        cursors = paging.obj("cursors", required=False) if paging else None
        cursor = cursors.text("after", required=False) if cursors else None
        return user, media_edge.objects("data", required=False), cursor

    def _media_of(
        self, username: str, limit: int, *, stop: Callable[[list[Post]], bool] | None = None
    ) -> tuple[Reader, list[Post]]:
        user, items, cursor = self._discover_page(
            username, media_limit=min(MEDIA_PAGE, limit), after=None
        )
        posts = [_media(i, user) for i in items]
        # an empty page ends the media even if it names a cursor (nothing left to page through)
        while cursor and items and len(posts) < limit and not (stop and stop(posts)):
            _, items, cursor = self._discover_page(
                username, media_limit=min(MEDIA_PAGE, limit - len(posts)), after=cursor
            )
            posts.extend(_media(i, user) for i in items)
        return user, posts[:limit]

    def lookup(self, handles: Sequence[str], *, with_posts: int = 0) -> dict[str, LookupResult]:
        """One business-discovery call per handle (Meta offers no batch form)."""
        results: dict[str, LookupResult] = {}
        for handle in handles:
            try:
                user, posts = (
                    self._media_of(handle, with_posts)
                    if with_posts
                    else (self._discover_page(handle, media_limit=0, after=None)[0], [])
                )
            except NotProfessional:
                results[handle] = AccountUnreadable(
                    Platform.INSTAGRAM, handle, NOT_PROFESSIONAL, AccountStatus.NOT_BUSINESS
                )
                continue
            results[handle] = replace(_profile(user, handle), recent_posts=tuple(posts))
        return results

    def recent_posts(self, account: AccountProfile, *, limit: int) -> list[Post]:
        try:
            return self._media_of(account.handle, limit)[1]
        except NotProfessional:
            raise _not_business(account.handle) from None

    def feed(
        self, account: AccountProfile, *, limit: int, including: Collection[str] = ()
    ) -> list[Post]:
        """The ``limit`` most recent posts, then the posts ``including`` further down.

        Detection and polling share this one read of the creator's business discovery: full
        pages (one call each, whatever their size), paging on only until every post of
        ``including`` was seen or the media end; a post of ``including`` not returned is gone.
        """
        wanted = set(including)

        def enough(seen: list[Post]) -> bool:
            return len(seen) >= limit and wanted <= {p.post_id for p in seen}

        try:
            _, posts = self._media_of(account.handle, 10_000, stop=enough)
        except NotProfessional:
            raise _not_business(account.handle) from None
        return [p for n, p in enumerate(posts) if n < limit or p.post_id in wanted]

    def post_metrics(
        self, post_ids: Sequence[str], *, owners: dict[str, str] | None = None
    ) -> dict[str, Post]:
        """Re-read each owner's business discovery (one call per owner, paging only as far as
        needed); a post no longer listed is gone and omitted."""
        by_owner: dict[str, set[str]] = {}
        for post_id in post_ids:
            owner = (owners or {}).get(post_id)
            if owner is None:
                raise PermanentPlatformError(
                    NAME,
                    f"post {post_id} has no owner handle; "
                    "Instagram media are read through their owner",
                )
            by_owner.setdefault(owner, set()).add(post_id)
        found: dict[str, Post] = {}
        for owner, wanted in by_owner.items():

            def all_seen(seen: list[Post], wanted: set[str] = wanted) -> bool:
                return wanted <= {p.post_id for p in seen}

            try:
                _, posts = self._media_of(owner, 10_000, stop=all_seen)
            except NotProfessional:
                # personal now, or renamed: its posts may well be there, we cannot see them
                raise _not_business(owner) from None
            found.update({p.post_id: p for p in posts if p.post_id in wanted})
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

    def discover(self, query: str, *, max_results: int) -> list[LookupResult]:
        """Look up usernames (``@a @b`` or ``a,b``) through business discovery.

        A hashtag query cannot name creators: Meta's hashtag search returns media without
        usernames, so it is refused with a clear message (use ``hashtag_posts`` for posts).
        """
        if query.strip().startswith("#"):
            raise PermanentPlatformError(
                NAME,
                "hashtag search returns posts without usernames, so it cannot discover "
                "creators; pass usernames instead (e.g. --query '@name1 @name2')",
            )
        names = [n for n in query.replace(",", " ").split() if n]
        handles = [normalise_handle(Platform.INSTAGRAM, n) for n in names][:max_results]
        return list(self.lookup(handles).values())


def _profile(user: Reader, handle: str) -> AccountProfile:
    return AccountProfile(
        platform=Platform.INSTAGRAM,
        handle=handle,
        external_id=user.req_str("id"),
        name=user.text("name", required=False),
        followers=user.count("followers_count"),
        media_count=user.count("media_count"),
    )


def _media(item: Reader, owner: Reader | None) -> Post:
    return media_post(item, owner.text("id", required=False) if owner else None)


def owned_among_media(
    client: PlatformClient, ref: PostRef, candidates: Sequence[AccountProfile]
) -> Ownership:
    """Media cannot be read by id or shortcode: the shortcode is looked for among each
    candidate's recent media permalinks. A candidate business discovery cannot read is passed
    over; when no candidate can be read at all, the first one's problem is raised."""
    problems: list[AccountProblem] = []
    for candidate in candidates:
        try:
            posts = client.recent_posts(candidate, limit=MEDIA_PAGE)
        except AccountProblem as problem:
            problems.append(problem)
            continue
        for post in posts:
            if instagram_shortcode(post.url) == ref.shortcode:
                return Ownership(post, candidate)
    if problems and len(problems) == len(candidates):
        raise problems[0]
    return Ownership()


#: Business discovery reads one creator's media a call (no id limit); the platform's limit is
#: per hour and user (platform_apis.md), so the sustained rate stays low.
LIMITS = PlatformLimits(
    ids_per_call=None,
    per_owner=True,
    posts_per_batch=50,
    feed_read_calls=1,
    rate_limit=RateLimit("instagram-api", limit=50, per_second=5.0),
    accounts_per_lookup=1,  # one business-discovery read per creator (no batch form)
)
ADAPTER = PlatformAdapter(NAME, InstagramClient, LIMITS, owned_among_media)
