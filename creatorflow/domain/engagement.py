"""A creator's profile engagement rate: the median over recent posts of (likes + comments) /
followers (reference/metrics.md).

A post whose likes or comments the platform hides has an unknown rate and is left out of the
median: counting it as comments / followers would rank every creator who hides likes last. A
creator all of whose recent posts hide a count has an unknown rate, and says so
(``UnknownEngagement.HIDDEN``) so that a shortlist can tell it from a low one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from statistics import median

#: Posts considered by default (metrics.md: "e.g. last 12 posts").
RECENT_POSTS = 12


class UnknownEngagement(StrEnum):
    """Why a profile engagement rate is unknown (stored with the account)."""

    HIDDEN = "likes_hidden"  # every recent post hides its likes (or comments)
    NO_POSTS = "no_posts"  # no recent post to measure
    NO_FOLLOWERS = "followers_unknown"  # follower count hidden or zero


@dataclass(frozen=True)
class ProfileEngagement:
    """``rate`` over ``considered`` posts; ``hidden`` posts were left out; ``unknown`` says
    why ``rate`` is None."""

    rate: Decimal | None
    considered: int
    hidden: int = 0
    unknown: UnknownEngagement | None = None


#: The counts of likes + comments a platform shows (its adapter declares them).
SHOWN: tuple[str, ...] = ("likes", "comments")


def post_engagement(
    likes: int | None, comments: int | None, *, shown: tuple[str, ...] = SHOWN
) -> int | None:
    """likes + comments, over those of the two the platform shows (``shown``); ``None``
    (unknown) when the owner hid one of them, or the platform shows neither."""
    counts = [count for name, count in (("likes", likes), ("comments", comments)) if name in shown]
    if not counts or any(count is None for count in counts):
        return None
    return sum(count for count in counts if count is not None)


def profile_engagement(
    posts: Iterable[tuple[int | None, int | None]],
    followers: int | None,
    *,
    limit: int = RECENT_POSTS,
    shown: tuple[str, ...] = SHOWN,
) -> ProfileEngagement:
    """The profile rate over the first ``limit`` posts given (newest first), as (likes,
    comments) pairs, on a platform that shows the counts ``shown``."""
    recent = list(posts)[:limit]
    if not followers or followers <= 0:
        return ProfileEngagement(None, 0, unknown=UnknownEngagement.NO_FOLLOWERS)
    if not recent:
        return ProfileEngagement(None, 0, unknown=UnknownEngagement.NO_POSTS)
    values = [post_engagement(likes, comments, shown=shown) for likes, comments in recent]
    rates = [Decimal(value) / Decimal(followers) for value in values if value is not None]
    hidden = len(values) - len(rates)
    if not rates:
        return ProfileEngagement(None, 0, hidden, UnknownEngagement.HIDDEN)
    rate = Decimal(median(rates)).quantize(Decimal("0.00000001"))
    return ProfileEngagement(rate, len(rates), hidden)
