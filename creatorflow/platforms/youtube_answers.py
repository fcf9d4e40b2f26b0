"""What YouTube answers look like: its error envelope and its video items, parsed at the edge.

Kept apart from the client so that the client reads as the calls it makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Caption, Post, PostMetrics
from creatorflow.platforms.errors import (
    AuthError,
    ObjectNotFound,
    PermissionDenied,
    PlatformError,
    QuotaExhausted,
    RequestRejected,
    Throttled,
    TransientPlatformError,
    next_pacific_midnight,
)
from creatorflow.platforms.http import Reply
from creatorflow.platforms.parsing import Reader

NAME = "youtube"


def classify(
    reply: Reply, account: str | None, *, now: Callable[[], datetime]
) -> PlatformError | None:
    """Map Google's error envelope to our error tree (reference 1.5)."""
    if reply.status < 400:
        return None
    error = reply.payload.get("error") if isinstance(reply.payload, dict) else None
    if not isinstance(error, dict):
        return None  # PlatformHttp turns a bare 4xx/5xx into a transient/malformed error
    raw_items = error.get("errors")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    reasons = {str(i.get("reason")) for i in items if isinstance(i, dict)}
    message = str(error.get("message", ""))
    where = f"{reply.path}: {message}"
    if "quotaExceeded" in reasons:
        return QuotaExhausted(
            NAME,
            "the project's daily quota is exhausted (quotaExceeded); no more calls today",
            account=account,
            resets_at=next_pacific_midnight(now()),
            resets=next_pacific_midnight,
        )
    if reply.status == 429 or reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
        return Throttled(NAME, f"rate limited: {where}", account=account)
    if reply.status >= 500 or reasons & {"backendError", "internalError"}:
        return TransientPlatformError(
            NAME, f"server error {reply.status}: {where}", account=account
        )
    if (
        reasons & {"keyInvalid", "authError"}
        or reply.status == 401
        or ("API key" in message and reply.status in (400, 403))
    ):
        return AuthError(
            NAME,
            f"the API key was rejected ({message}); check CREATORFLOW_YOUTUBE_API_KEY",
            account=account,
        )
    if reply.status == 403:
        return PermissionDenied(NAME, f"permission denied: {where}", account=account)
    if reply.status == 404:
        return ObjectNotFound(NAME, f"not found: {where}", account=account)
    return RequestRejected(
        NAME, f"request rejected ({', '.join(sorted(reasons))}): {where}", account=account
    )


def video(item: Reader) -> Post:
    video_id = item.req_str("id")
    snippet = item.obj("snippet", required=False)
    stats = item.obj("statistics", required=False)
    paid = item.obj("paidProductPlacementDetails", required=False)
    metrics = _counts(stats)
    return Post(
        platform=Platform.YOUTUBE,
        post_id=video_id,
        author_id=snippet.text("channelId", required=False) if snippet else None,
        url=f"https://www.youtube.com/watch?v={video_id}",
        title=snippet.text("title", required=False) if snippet else None,
        text=snippet.text("description", required=False) if snippet else None,
        published_at=snippet.timestamp("publishedAt") if snippet else None,
        metrics=metrics,
        paid_placement=paid.flag("hasPaidProductPlacement") if paid else None,
        media_type="VIDEO",
    )


def _counts(stats: Reader | None) -> PostMetrics:
    """A video's ``statistics``; a hidden or absent count is unknown (None), never 0."""
    if stats is None:
        return PostMetrics()
    return PostMetrics(
        views=stats.count("viewCount", as_string=True),
        likes=stats.count("likeCount", as_string=True),
        comments=stats.count("commentCount", as_string=True),
    )


def statistics(payload: Any) -> dict[str, PostMetrics]:
    """The counts of a ``part=snippet,statistics`` answer, by video id, with the caption (title
    and description) the snippet carries: compliance checks the disclosure on every poll.

    Polling reads thousands of videos a round, so well-formed items are checked on the plain
    JSON (same rules as ``Reader``: id text, statistics an object, counts digit strings); an
    unusual answer or item is read again through ``Reader``, which names what is wrong.
    """
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):  # no video left, or not the expected shape
        answer = Reader(NAME, payload, "videos.list")
        return dict(_item_counts(item) for item in answer.objects("items", required=False))
    found: dict[str, PostMetrics] = {}
    for index, item in enumerate(items):
        checked = _plain_counts(item)
        if checked is None:
            checked = _item_counts(Reader(NAME, item, f"videos.list.items[{index}]"))
        found[checked[0]] = checked[1]
    return found


def _plain_counts(item: Any) -> tuple[str, PostMetrics] | None:
    """One well-formed item's id and counts; None when anything is unusual."""
    if not isinstance(item, dict):
        return None
    video_id = item.get("id")
    stats = item.get("statistics")
    if not isinstance(video_id, str):
        return None
    snippet = item.get("snippet")
    caption: Caption | None = None
    if snippet is not None:
        if not isinstance(snippet, dict):
            return None
        title, text = snippet.get("title"), snippet.get("description")
        if not all(v is None or isinstance(v, str) for v in (title, text)):
            return None
        caption = Caption(title, text)
    if stats is None:
        return video_id, PostMetrics(caption=caption)
    if not isinstance(stats, dict):
        return None
    views = stats.get("viewCount")
    likes = stats.get("likeCount")
    comments = stats.get("commentCount")
    for value in (views, likes, comments):
        if value is not None and not (
            isinstance(value, str) and value.isascii() and value.isdigit()
        ):
            return None
    return video_id, PostMetrics(
        views=None if views is None else int(views),
        likes=None if likes is None else int(likes),
        comments=None if comments is None else int(comments),
        caption=caption,
    )


def _item_counts(item: Reader) -> tuple[str, PostMetrics]:
    counts = _counts(item.obj("statistics", required=False))
    snippet = item.obj("snippet", required=False)
    if snippet is not None:
        caption = Caption(
            snippet.text("title", required=False), snippet.text("description", required=False)
        )
        counts = replace(counts, caption=caption)
    return item.req_str("id"), counts
