"""The demo world's audiences: engagement falls with size, varies, hides counts, converts."""

from __future__ import annotations

import random
from datetime import timedelta
from statistics import median

from creatorflow.demo.audience import (
    campaign_boost,
    conversions,
    draw_audience,
    grown,
    post_counts,
    public_engagement,
    reached,
)
from creatorflow.domain.model import Platform


def _median_rate(followers: int, platform: Platform, draws: int = 400) -> float:
    rng = random.Random(5)
    return median(draw_audience(followers, platform, rng).rate for _ in range(draws))


def test_engagement_per_follower_falls_with_audience_size_and_varies() -> None:
    nano, micro, macro = (_median_rate(f, Platform.INSTAGRAM) for f in (5_000, 50_000, 800_000))
    assert nano > micro > macro
    assert nano >= 3 * macro  # the benchmarks' spread, not a uniform world
    rng = random.Random(1)
    rates = [draw_audience(50_000, Platform.INSTAGRAM, rng).rate for _ in range(200)]
    assert max(rates) > 3 * min(rates)  # noise and outliers within one tier
    assert _median_rate(50_000, Platform.TIKTOK) > _median_rate(50_000, Platform.YOUTUBE)


def test_the_same_seed_draws_the_same_world() -> None:
    first = [draw_audience(20_000, Platform.TIKTOK, random.Random(3)) for _ in range(3)]
    again = [draw_audience(20_000, Platform.TIKTOK, random.Random(3)) for _ in range(3)]
    assert first == again
    assert campaign_boost(random.Random(9)) == campaign_boost(random.Random(9))


def test_hidden_likes_make_the_public_engagement_unknown_not_zero() -> None:
    rng = random.Random(2)
    audience = draw_audience(30_000, Platform.INSTAGRAM, rng)
    shown = post_counts(audience, 30_000, Platform.INSTAGRAM, rng)
    hidden = post_counts(audience, 30_000, Platform.INSTAGRAM, rng, hide_likes=True)
    assert hidden["likes"] is None and public_engagement(Platform.INSTAGRAM, hidden) is None
    value = public_engagement(Platform.INSTAGRAM, shown)
    assert value == (shown["likes"] or 0) + (shown["comments"] or 0)  # saves stay private
    tiktok = post_counts(audience, 30_000, Platform.TIKTOK, rng)
    assert public_engagement(Platform.TIKTOK, tiktok) == sum(
        tiktok[k] or 0 for k in ("likes", "comments", "shares")
    )


def test_a_post_gathers_most_of_its_counts_in_its_first_days() -> None:
    ages = [timedelta(hours=h) for h in (2, 12, 24, 48, 96, 240)]
    shares = [reached(age) for age in ages]
    assert shares == sorted(shares) and shares[0] < 0.3 and shares[-1] > 0.99
    final: dict[str, int | None] = {"views": 1000, "likes": 100, "saves": None}
    assert grown(final, timedelta(days=30)) == {"views": 999, "likes": 99, "saves": None}


def test_smaller_audiences_convert_clicks_into_leads_better() -> None:
    small = [conversions(5_000, 2_000, random.Random(i)) for i in range(200)]
    large = [conversions(800_000, 2_000, random.Random(i)) for i in range(200)]
    assert sum(c.leads for c in small) > 1.5 * sum(c.leads for c in large)
    assert all(c.sales <= c.leads <= c.clicks for c in small + large)
