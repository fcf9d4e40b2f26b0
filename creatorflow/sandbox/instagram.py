"""A local Instagram Graph API: business discovery, the brand's tags and mentions, hashtag search.

Shapes follow reference/platform_apis.md section 2 and, where they disagree, the recorded payloads:
``fields`` is parsed with nesting and modifiers
(``business_discovery.username(x){followers_count,media.after(c).limit(n){...}}``), only requested
fields (plus ``id``) come back, business-discovery media paging carries ``cursors.after`` (and
``before`` after the first page) but never a ``next`` URL, an account without media has no
``media`` key, ``view_count`` is answered for reels only, captions keep the ``@`` of mentions,
personal or unknown accounts are 400 code 110 / subcode 2207013. The brand's ``/tags`` edge and
its ``mentioned_media.media_id(x)`` field show media that tag or @mention the brand's username.
Hashtag search is limited to 30 unique hashtags per 7 days (world clock); ``recent_media`` covers
the last 24 h, at most 50 a page, in no particular order, without a ``username`` field. Paging
``next`` URLs carry the caller's real access token, and an unknown token is echoed back
("Malformed access token <token>"), as Meta does. Every answer carries ``X-App-Usage`` /
``X-Business-Use-Case-Usage``; with ``usage_limit`` set, calls beyond it get the code-4 throttle
body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from creatorflow.domain.model import Platform
from creatorflow.sandbox.server import ApiServer, Fault, Request, Response, request_token
from creatorflow.sandbox.world import SandboxAccount, SandboxPost, World

SANDBOX_INSTAGRAM_TOKEN = "sandbox-instagram-token"
SANDBOX_BRAND_IG_USER_ID = "17841405309211844"
#: The brand account's username: the example campaign's mention (config/campaigns/spring-glow.yaml).
SANDBOX_BRAND_USERNAME = "lumenskincare"

_VERSION = re.compile(r"^/v\d+\.\d+")
_DISCOVERED = re.compile(r"business_discovery\.username\(([^()]*)\)")
_THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
    "try again. For more info, please refer to "
    "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None


class FieldSyntaxError(ValueError):
    pass


def parse_fields(text: str) -> list[FieldSpec]:
    """Parse Graph ``fields`` syntax: ``a,b.mod(x).limit(2){c,d}``."""
    specs, position = _parse_list(text, 0)
    if position != len(text):
        raise FieldSyntaxError(f"unexpected {text[position]!r} at {position}")
    return specs


def _parse_list(text: str, pos: int) -> tuple[list[FieldSpec], int]:
    specs = []
    while pos < len(text):
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, pos)
        if not match:
            raise FieldSyntaxError(f"expected a field name at {pos}")
        spec = FieldSpec(match.group())
        pos = match.end()
        while pos < len(text) and text[pos] == ".":
            mod = re.compile(r"\.([A-Za-z_]+)\(([^()]*)\)").match(text, pos)
            if not mod:
                raise FieldSyntaxError(f"bad modifier at {pos}")
            spec.modifiers[mod.group(1)] = mod.group(2)
            pos = mod.end()
        if pos < len(text) and text[pos] == "{":
            spec.children, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "}":
                raise FieldSyntaxError("missing '}'")
            pos += 1
        specs.append(spec)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    return specs, pos


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    transient: bool | None = None,
    kind: str = "OAuthException",
    **extra: Any,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    error.update(extra)
    error["fbtrace_id"] = "AbSandboxTrace"
    return Response(status, {"error": error})


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"QVFIU{offset:08d}".encode()).decode()


def _read_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(raw[5:]) if raw.startswith("QVFIU") else None
    except ValueError:
        return None


IGSID_DIGITS = 16


def igsid_of(handle: str, *, consented: bool = True) -> str:
    """The Instagram-scoped id a story mention gives for ``handle`` (stable per handle). The User
    Profile API names the account behind it only for a sender who gave messaging consent; the
    other id names nobody (issue 17)."""
    seed = f"igsid|{handle}" if consented else f"igsid-no-consent|{handle}"
    digest = hashlib.sha256(seed.encode()).digest()
    return "1" + "".join(str(b % 10) for b in digest[: IGSID_DIGITS - 1])


class InstagramServer(ApiServer):
    """Serves ``/{ig-user-id}?fields=business_discovery...``, ``/ig_hashtag_search``,
    ``/{hashtag-id}`` and ``/{hashtag-id}/recent_media`` (any ``/vNN.N`` prefix or none)."""

    platform_name = "instagram"

    def __init__(
        self,
        world: World,
        *,
        access_token: str = SANDBOX_INSTAGRAM_TOKEN,
        brand_user_id: str = SANDBOX_BRAND_IG_USER_ID,
        brand_username: str = SANDBOX_BRAND_USERNAME,
        usage_limit: int | None = None,
        hashtag_limit: int = 30,
    ) -> None:
        super().__init__(world)
        self.access_token = access_token
        self.brand_user_id = brand_user_id
        self.brand_username = brand_username
        self.usage_limit = usage_limit
        self.hashtag_limit = hashtag_limit
        self.searched_hashtags: dict[str, datetime] = {}  # name -> first search in the window
        self._calls = 0
        self._hashtag_positions: dict[str, int] = {}
        # issue 17 (``instagram_webhooks``): comments that @mention the brand, by id, as
        # (author username, text, media id)
        self.mention_comments: dict[str, tuple[str, str, str]] = {}

    def account_of(self, request: Request) -> str | None:
        """The username a business-discovery request reads."""
        found = _DISCOVERED.search(request.params.get("fields", ""))
        return found.group(1).lower() if found else None

    def _hashtag_id(self, name: str) -> str:
        return "178438" + "".join(str(ord(c) % 10) for c in (name * 11)[:11])

    def fault_response(self, fault: Fault, request: Request) -> Response:
        kind = fault.kind
        if kind == "auth":
            return _error(400, 190, "The access token could not be decrypted")
        if kind == "expired":
            return _error(
                400,
                190,
                "Error validating access token: Session has expired on "
                "Sunday, 28-Feb-27 04:45:57 PST.",
                subcode=463,
            )
        if kind == "permission":
            return _error(403, 10, "(#10) Application does not have permission for this action")
        if kind in ("rate_limit", "quota"):
            code = fault.code or 4
            response = _error(
                403 if code == 4 else 400, code, _THROTTLE_MESSAGES[code], transient=True
            )
            response.headers.update(self._usage_headers(100, regain=fault.delay or 1))
            return response
        return _error(
            fault.status or 500,
            2,
            "An unexpected error has occurred. Please retry your request later.",
            transient=True,
        )

    def _usage_headers(self, percent: int, regain: float = 0) -> dict[str, str]:
        return {
            "X-App-Usage": json.dumps(
                {"call_count": percent, "total_time": percent // 2, "total_cputime": percent // 2}
            ),
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    self.brand_user_id: [
                        {
                            "type": "instagram",
                            "call_count": percent,
                            "total_cputime": percent // 2,
                            "total_time": percent // 2,
                            "estimated_time_to_regain_access": regain
                            if regain % 1
                            else int(regain),
                        }
                    ]
                }
            ),
        }

    def route(self, request: Request) -> Response:
        path = _VERSION.sub("", request.path).rstrip("/") or "/"
        token = request.params.get("access_token")
        if token is None:
            auth = request.headers.get("Authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else None
        if token is None:
            return _error(
                400,
                2500,
                "An active access token must be used to query information about the current user.",
            )
        if token != self.access_token:  # Meta echoes the token it could not parse
            return _error(400, 190, f"Malformed access token {token}")
        with self._lock:
            self._calls += 1
            calls = self._calls
        percent = min(100, calls * 100 // self.usage_limit) if self.usage_limit else 1
        if self.usage_limit and calls > self.usage_limit:
            response = _error(403, 4, _THROTTLE_MESSAGES[4], transient=True)
            response.headers.update(self._usage_headers(100, regain=1))
            return response
        with self.world.locked():
            response = self._dispatch(path, request)
        response.headers.update(self._usage_headers(percent))
        return response

    def _dispatch(self, path: str, request: Request) -> Response:
        segments = [s for s in path.split("/") if s]
        if segments == ["ig_hashtag_search"]:
            return self._hashtag_search(request)
        if len(segments) == 2 and segments[1] in ("recent_media", "top_media"):
            return self._recent_media(segments[0], request)
        if len(segments) == 1 and segments[0] == self.brand_user_id:
            return self._brand_user(request)
        if segments == [self.brand_user_id, "tags"]:
            return self._tags_edge(request)
        if len(segments) == 1 and segments[0].startswith("178438"):
            return self._hashtag_info(segments[0], request)
        if len(segments) == 1 and (sender := self._story_sender(segments[0])):  # User Profile
            return Response(200, {"username": sender, "id": segments[0]})
        target = segments[-1] if segments else ""
        return _error(
            400,
            100,
            f"Unsupported get request. Object with ID '{target}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation",
            subcode=33,
            kind="GraphMethodException",
        )

    # -- business discovery -------------------------------------------------------------------
    def _brand_user(self, request: Request) -> Response:
        try:
            specs = parse_fields(request.params.get("fields", "id"))
        except FieldSyntaxError as exc:
            return _error(400, 100, f'Syntax error "{exc}" in fields')
        body: dict[str, Any] = {}
        for spec in specs:
            if spec.name == "business_discovery":
                username = spec.modifiers.get("username")
                if not username:
                    return _error(400, 100, "(#100) Missing username modifier")
                account = self.world.account(Platform.INSTAGRAM, username.lower())
                if account is None or not account.professional:
                    return _error(
                        400,
                        110,
                        "Invalid user id",
                        subcode=2207013,
                        transient=False,
                        error_user_title="Cannot find User",
                        error_user_msg=f"The user with username: {username} cannot be found.",
                    )
                rendered = self._discovered_user(account, spec.children or [])
                if isinstance(rendered, Response):
                    return rendered
                body["business_discovery"] = rendered
            elif spec.name == "username":
                body["username"] = self.brand_username
            elif spec.name == "tags":
                body["tags"] = self._tags_page(
                    spec.children or [FieldSpec("id")],
                    limit=spec.modifiers.get("limit"),
                    after=spec.modifiers.get("after"),
                    request=request,
                )
            elif spec.name == "mentioned_media":
                mentioned = self._mentioned(spec.modifiers.get("media_id", ""))
                if mentioned is None:
                    return _unknown_object(spec.modifiers.get("media_id", ""))
                body["mentioned_media"] = self._media(mentioned, spec.children or [])
            elif spec.name == "mentioned_comment":
                comment = self._mentioned_comment(spec.modifiers.get("comment_id", ""), spec)
                if comment is None:
                    return _unknown_object(spec.modifiers.get("comment_id", ""))
                body["mentioned_comment"] = comment
        body["id"] = self.brand_user_id
        return Response(200, body)

    # -- the brand's tags and mentions ----------------------------------------------------------
    def _mentions_brand(self, post: SandboxPost) -> bool:
        pattern = rf"(?<![\w@.])@{re.escape(self.brand_username)}(?![\w])(?!\.[\w])"
        return re.search(pattern, post.text, re.IGNORECASE) is not None

    def _mentioned(self, media_id: str) -> SandboxPost | None:
        """A media whose caption @mentions the brand (what the mentions webhook announces)."""
        post = self.world.post(media_id)
        if post is None or post.private or post.platform is not Platform.INSTAGRAM:
            return None
        return post if self._mentions_brand(post) else None

    def _mentioned_comment(self, comment_id: str, spec: FieldSpec) -> dict[str, Any] | None:
        """A comment that @mentions the brand, with its media (``mentioned_comment``)."""
        found = self.mention_comments.get(comment_id)
        post = self.world.post(found[2]) if found else None
        if found is None or post is None or post.private:
            return None
        author, text, _media_id = found
        values: dict[str, Any] = {
            "text": text,
            "username": author,
            "timestamp": _ts(post.published_at),
        }
        out: dict[str, Any] = {}
        for child in spec.children or []:
            if child.name == "media":
                out["media"] = self._media(post, child.children or [FieldSpec("id")])
            elif child.name in values:
                out[child.name] = values[child.name]
        out["id"] = comment_id
        return out

    def _story_sender(self, igsid: str) -> str | None:
        """The username behind a story sender's IGSID, for senders who gave messaging consent."""
        if not igsid.isdigit() or len(igsid) != IGSID_DIGITS:
            return None
        for account in self.world.accounts(Platform.INSTAGRAM):
            if igsid_of(account.handle) == igsid:
                return account.handle
        return None

    def _tags_edge(self, request: Request) -> Response:
        try:
            specs = parse_fields(request.params.get("fields", "id"))
        except FieldSyntaxError as exc:
            return _error(400, 100, f'Syntax error "{exc}" in fields')
        page = self._tags_page(
            specs,
            limit=request.params.get("limit"),
            after=request.params.get("after"),
            request=request,
        )
        return Response(200, page)

    def _tags_page(
        self, specs: list[FieldSpec], *, limit: str | None, after: str | None, request: Request
    ) -> dict[str, Any]:
        """Media in which the brand is photo-tagged, newest first; paged like an own-media edge
        (``cursors.before/after`` and a ``next`` URL holding the caller's token)."""
        tagged = [
            p
            for p in self.world.all_posts(Platform.INSTAGRAM)
            if self.brand_username in (t.lower() for t in p.tagged)
        ]
        size = min(100, int(limit or 25))
        offset = (_read_cursor(after) or 0) if after else 0
        chosen = tagged[offset : offset + size]
        page: dict[str, Any] = {"data": [self._media(p, specs) for p in chosen]}
        if chosen:
            cursors = {"before": _cursor(offset), "after": _cursor(offset + len(chosen))}
            page["paging"] = {"cursors": cursors}
            if offset + size < len(tagged):
                query = {
                    "access_token": request_token(request) or "",
                    "fields": ",".join(_render(s) for s in specs),
                    "limit": size,
                    "after": cursors["after"],
                }
                page["paging"]["next"] = (
                    f"{self.url}/v25.0/{self.brand_user_id}/tags?{urlencode(query)}"
                )
        return page

    def _discovered_user(
        self, account: SandboxAccount, specs: list[FieldSpec]
    ) -> dict[str, Any] | Response:
        posts = self.world.posts_of(Platform.INSTAGRAM, account.handle)
        values: dict[str, Any] = {
            "biography": account.biography,
            "followers_count": account.followers,
            "follows_count": account.following,
            "media_count": len(posts),
            "name": account.name,
            "username": account.handle,
            "website": account.website,
            "ig_id": int(account.external_id[-9:]),
            "profile_picture_url": "https://scontent.sandbox/profile.jpg",
        }
        out: dict[str, Any] = {}
        for spec in specs:
            if spec.name == "media":
                page = self._media_page(posts, spec)
                if isinstance(page, Response):
                    return page
                if page["data"]:  # an account without media has no ``media`` key at all
                    out["media"] = page
            elif spec.name in values and values[spec.name] is not None:
                out[spec.name] = values[spec.name]
            elif spec.name not in values and spec.name != "id":
                return _error(
                    400,
                    100,
                    f"(#100) Tried accessing nonexisting field ({spec.name}) on node type (User)",
                )
        out["id"] = account.external_id
        return out

    def _media_page(self, posts: list[SandboxPost], spec: FieldSpec) -> dict[str, Any] | Response:
        limit = int(spec.modifiers.get("limit", "25") or 25)
        offset = 0
        if "after" in spec.modifiers:
            decoded = _read_cursor(spec.modifiers["after"])
            if decoded is None:
                return _error(400, 100, "(#100) The after cursor is invalid")
            offset = decoded
        if "before" in spec.modifiers:
            return _error(
                400, 100, "(#100) Paging with before is not supported for business discovery"
            )
        if "since" in spec.modifiers:
            since = int(spec.modifiers["since"])
            posts = [p for p in posts if p.published_at.timestamp() >= since]
        chosen = posts[offset : offset + limit]
        data = [self._media(p, spec.children or [FieldSpec("id")]) for p in chosen]
        page: dict[str, Any] = {"data": data}
        cursors: dict[str, str] = {}
        if offset:  # pages after the first carry ``before`` too (discovery__medias_p2.json)
            cursors["before"] = _cursor(offset)
        if offset + limit < len(posts):
            cursors["after"] = _cursor(offset + limit)
        if cursors:
            page["paging"] = {"cursors": cursors}
        return page

    def _media(
        self, post: SandboxPost, specs: list[FieldSpec], *, allow_username: bool = True
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "caption": post.text,
            "comments_count": post.comments,
            "like_count": post.likes,
            # reels only: Meta answers no view_count for images, carousels and feed videos
            "view_count": post.views if post.media_product_type == "REELS" else None,
            "media_type": post.media_type,
            "media_product_type": post.media_product_type,
            "media_url": f"https://scontent.sandbox/{post.post_id}.jpg",
            "permalink": post.url,
            "timestamp": _ts(post.published_at),
        }
        if allow_username:
            values["username"] = post.owner
        out: dict[str, Any] = {}
        for spec in specs:
            if spec.name in values and values[spec.name] is not None:
                out[spec.name] = values[spec.name]
        out["id"] = post.post_id
        return out

    # -- hashtags -----------------------------------------------------------------------------
    def _hashtag_search(self, request: Request) -> Response:
        if request.params.get("user_id") != self.brand_user_id:
            return _error(400, 100, "(#100) The parameter user_id is required")
        name = request.params.get("q", "").lstrip("#").lower()
        if not name:
            return _error(400, 100, "(#100) The parameter q is required")
        now = self.world.now()
        with self._lock:
            window = {
                h: t for h, t in self.searched_hashtags.items() if now - t < timedelta(days=7)
            }
            if name not in window and len(window) >= self.hashtag_limit:
                # [I] constructed: Meta documents the limit but not the exact body.
                return _error(
                    400,
                    24,
                    "(#24) You have reached the maximum number of unique "
                    "hashtags (30) that can be queried in a 7 day period.",
                    subcode=2207034,
                )
            window.setdefault(name, now)
            self.searched_hashtags = window
        return Response(200, {"data": [{"id": self._hashtag_id(name)}]})

    def _hashtag_name(self, hashtag_id: str) -> str | None:
        for name in self.searched_hashtags:
            if self._hashtag_id(name) == hashtag_id:
                return name
        return None

    def _hashtag_info(self, hashtag_id: str, request: Request) -> Response:
        name = self._hashtag_name(hashtag_id)
        if name is None:
            return _unknown_object(hashtag_id)
        return Response(200, {"id": hashtag_id, "name": name})

    def _recent_media(self, hashtag_id: str, request: Request) -> Response:
        name = self._hashtag_name(hashtag_id)
        if name is None:
            return _unknown_object(hashtag_id)
        if request.params.get("user_id") != self.brand_user_id:
            return _error(400, 100, "(#100) The parameter user_id is required")
        try:
            specs = parse_fields(request.params.get("fields", "id"))
        except FieldSyntaxError as exc:
            return _error(400, 100, f'Syntax error "{exc}" in fields')
        if any(s.name == "username" for s in specs):
            return _error(
                400,
                100,
                "(#100) Tried accessing nonexisting field (username) on "
                "node type (ShadowIGMediaBuilder)",
            )
        limit = min(50, int(request.params.get("limit", "25") or 25))
        now = self.world.now()
        tag = f"#{name}"
        posts = [
            p
            for p in self.world.all_posts(Platform.INSTAGRAM)
            if tag in p.text.lower()
            and now - p.published_at <= timedelta(hours=24)
            and p.media_product_type != "STORY"
        ]
        posts.sort(key=lambda p: _scrambled(p.post_id))  # Meta's order is not chronological
        # The same ``after`` value comes back on every page (documented); the position lives
        # on the server, as it does at Meta.
        cursor = base64.urlsafe_b64encode(f"QVFIUtag{hashtag_id}".encode()).decode()
        after = request.params.get("after")
        offset = 0
        if after:
            if after != cursor or cursor not in self._hashtag_positions:
                return _error(400, 100, "(#100) The after cursor is invalid")
            offset = self._hashtag_positions[cursor]
        chosen = posts[offset : offset + limit]
        body: dict[str, Any] = {
            "data": [self._media(p, specs, allow_username=False) for p in chosen]
        }
        if offset + limit < len(posts):
            self._hashtag_positions[cursor] = offset + limit
            query = {
                "access_token": request_token(request) or "",  # the real token, as Meta sends it
                "fields": request.params.get("fields", "id"),
                "user_id": self.brand_user_id,
                "limit": limit,
                "after": cursor,
            }
            body["paging"] = {
                "cursors": {"after": cursor},
                "next": f"{self.url}/v25.0/{hashtag_id}/recent_media?{urlencode(query)}",
            }
        return Response(200, body)


def _unknown_object(object_id: str) -> Response:
    """Graph API's answer for an id that names nothing this token may read."""
    return _error(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist",
        subcode=33,
        kind="GraphMethodException",
    )


def _scrambled(post_id: str) -> str:
    """A stable order that has nothing to do with publication time."""
    return hashlib.sha256(post_id.encode()).hexdigest()


def _render(spec: FieldSpec) -> str:
    """``spec`` back in Graph ``fields`` syntax (for ``next`` URLs)."""
    text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers.items())
    if spec.children:
        text += "{" + ",".join(_render(c) for c in spec.children) + "}"
    return text
