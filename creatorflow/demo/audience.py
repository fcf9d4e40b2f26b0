"""How the demo's audiences behave: engagement that falls with size, noise, outliers, hidden counts.

A uniform world (every creator at the same rate) cannot answer the question the demo's report is
for, "do micro-influencers beat macro for us?". Here each account has its own typical rate of
public engagements per follower, falling with audience size roughly as published benchmarks do
(nano a few percent, macro under one; HypeAuditor and Statista figures in the metrics
reference), times a platform factor and seeded log-normal noise; a few accounts are outliers
(an unusually devoted community, bought followers), a few campaign posts go viral or flop, and
some creators hide their likes.
Clicks, leads and sales through each creator's link and code follow the post's audience, with
smaller audiences converting better. Everything is drawn from ``random.Random`` seeded by the
caller, so every run tells the same story.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from creatorflow.domain.model import Platform

#: Typical public engagements (likes + comments, + shares on TikTok) per follower at 5,000
#: followers, and how fast it falls with size: rate = BASE * (followers / 5,000) ** -SLOPE.
#: About 3 % at 5K (nano), 1.6 % at 50K, 1 % at 300K, 0.7 % at 800K (before platform factor
#: and noise; the shortlist then picks each tier's most engaging creators).
BASE_RATE = 0.03
SLOPE = 0.28
#: Per follower, TikTok audiences engage more, YouTube subscribers less (they watch, not like).
PLATFORM_FACTOR = {Platform.TIKTOK: 1.3, Platform.INSTAGRAM: 1.0, Platform.YOUTUBE: 0.6}
#: Views per follower of a typical post, by platform (Instagram answers views for reels only).
VIEW_RATIO = {Platform.TIKTOK: 1.1, Platform.INSTAGRAM: 0.45, Platform.YOUTUBE: 0.3}
#: The counts each platform's API answers in public (the sandbox servers answer the same):
#: Instagram keeps saves and shares to the owner's insights, YouTube shows no shares.
PUBLIC_COUNTS = {
    Platform.YOUTUBE: ("likes", "comments"),
    Platform.INSTAGRAM: ("likes", "comments"),
    Platform.TIKTOK: ("likes", "comments", "shares"),
}
#: Leads per click through the tracking link: smaller audiences trust their creator more.
LEAD_RATE = ((10_000, 0.14), (100_000, 0.10), (500_000, 0.06), (None, 0.04))
AVERAGE_ORDER = 42.0  # USD, a spring skincare set


@dataclass(frozen=True)
class Audience:
    """One account's audience: its typical rate, how it watches, whether likes are hidden."""

    rate: float  # public engagements per follower of a typical post
    view_ratio: float
    hides_likes: bool  # on the campaign post (Instagram and YouTube let a creator hide them)
    community: str  # "", "devoted community" or "bought followers": the outliers


def draw_audience(followers: int, platform: Platform, rng: random.Random) -> Audience:
    """Draw an account's audience (call once per account, in a fixed order)."""
    rate = BASE_RATE * (max(followers, 1_000) / 5_000) ** -SLOPE * PLATFORM_FACTOR[platform]
    rate *= rng.lognormvariate(0.0, 0.35)
    roll = rng.random()
    community = ""
    if roll < 0.04:
        rate, community = rate * 2.5, "devoted community"
    elif roll < 0.08:
        rate, community = rate * 0.2, "bought followers"
    views = VIEW_RATIO[platform] * rng.lognormvariate(0.0, 0.4)
    hides = platform is not Platform.TIKTOK and rng.random() < 0.1
    return Audience(min(rate, 0.4), views, hides, community)


def post_counts(
    audience: Audience,
    followers: int,
    platform: Platform,
    rng: random.Random,
    *,
    boost: float = 1.0,
    hide_likes: bool = False,
) -> dict[str, int | None]:
    """A post's final counts: engagement at the audience's rate (times ``boost``), with noise."""
    public = followers * audience.rate * boost * rng.lognormvariate(0.0, 0.2)
    views = max(30, int(followers * audience.view_ratio * boost * rng.lognormvariate(0.0, 0.25)))
    comments = int(public * rng.uniform(0.03, 0.07))
    shares = int(public * rng.uniform(0.05, 0.12))
    if platform is Platform.TIKTOK:
        likes = max(0, int(public) - comments - shares)
    else:
        likes = max(0, int(public) - comments)
    saves = int(public * rng.uniform(0.02, 0.06))
    return {
        "views": views,
        "likes": None if hide_likes else likes,
        "comments": comments,
        "shares": shares,
        "saves": saves if platform is not Platform.TIKTOK else None,
    }


def campaign_boost(rng: random.Random) -> tuple[float, str]:
    """A campaign post against the creator's usual: mostly alike, sometimes viral or a flop."""
    roll = rng.random()
    if roll < 0.06:
        return rng.uniform(3.0, 5.0), "went viral"
    if roll < 0.12:
        return rng.uniform(0.3, 0.5), "flopped"
    return rng.uniform(0.8, 1.2), ""


def reached(age: timedelta) -> float:
    """The share of a post's final counts it has at ``age``: most come in the first two days."""
    days = max(age.total_seconds(), 0.0) / 86_400
    return 1.0 - math.exp(-(days + 0.1) / 0.9)


def grown(final: dict[str, int | None], age: timedelta) -> dict[str, int | None]:
    """``final`` counts as they stand at ``age`` (hidden counts stay hidden)."""
    share = reached(age)
    return {k: None if v is None else int(v * share) for k, v in final.items()}


def public_engagement(platform: Platform, counts: dict[str, int | None]) -> int | None:
    """Engagement as the platform's API shows it; None when the owner hid likes or comments."""
    shown = [counts.get(name) for name in PUBLIC_COUNTS[platform]]
    if counts.get("likes") is None or counts.get("comments") is None:
        return None
    return sum(v or 0 for v in shown)


@dataclass(frozen=True)
class Conversions:
    clicks: int
    leads: int
    sales: int
    revenue: Decimal


def conversions(followers: int, engagement: int, rng: random.Random) -> Conversions:
    """Clicks, leads and sales a campaign post brought through its creator's link and code."""
    clicks = _whole(engagement * rng.uniform(0.04, 0.09), rng)
    lead_rate = next(rate for limit, rate in LEAD_RATE if limit is None or followers <= limit)
    leads = _whole(clicks * lead_rate * rng.uniform(0.7, 1.3), rng)
    sales = _whole(leads * rng.uniform(0.25, 0.45), rng)
    revenue = Decimal(str(round(sales * AVERAGE_ORDER * rng.uniform(0.85, 1.2), 2)))
    return Conversions(clicks, leads, sales, revenue)


def _whole(expected: float, rng: random.Random) -> int:
    """A whole count with ``expected`` as its mean: a small creator's 0.4 sales is sometimes 1."""
    whole = math.floor(expected)
    return whole + (rng.random() < expected - whole)
