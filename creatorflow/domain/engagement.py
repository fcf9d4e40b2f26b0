"""A creator's profile engagement rate: the median over recent posts of (likes + comments) /
followers (reference/metrics.md). Counts the platform hides are unknown and left out, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from statistics import median

#: Posts considered by default (metrics.md: "e.g. last 12 posts").
RECENT_POSTS = 12


def post_engagement(likes: int | None, comments: int | None) -> int | None:
    """likes + comments over the counts that are known; ``None`` when neither is."""
    known = [count for count in (likes, comments) if count is not None]
    return sum(known) if known else None


def profile_engagement_rate(
    posts: Iterable[tuple[int | None, int | None]],
    followers: int | None,
    *,
    limit: int = RECENT_POSTS,
) -> tuple[Decimal | None, int]:
    """``(rate, posts_considered)`` over the first ``limit`` posts given (newest first).

    The rate is ``None`` when followers are unknown or zero, or no post has a known count.
    """
    if not followers or followers <= 0:
        return None, 0
    rates = [
        Decimal(value) / Decimal(followers)
        for likes, comments in list(posts)[:limit]
        if (value := post_engagement(likes, comments)) is not None
    ]
    if not rates:
        return None, 0
    return Decimal(median(rates)).quantize(Decimal("0.00000001")), len(rates)
