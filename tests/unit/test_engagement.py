from decimal import Decimal

from creatorflow.domain.engagement import post_engagement, profile_engagement_rate


def test_profile_rate_is_the_median_of_post_rates() -> None:
    rate, used = profile_engagement_rate([(90, 10), (10, 0), (500, 0)], 1000)
    assert (rate, used) == (Decimal("0.10000000"), 3)


def test_hidden_counts_are_excluded_not_zero() -> None:
    assert post_engagement(None, 4) == 4
    assert post_engagement(None, None) is None
    rate, used = profile_engagement_rate([(None, None), (20, None)], 100)
    assert (rate, used) == (Decimal("0.20000000"), 1)


def test_unknown_or_zero_followers_give_no_rate() -> None:
    assert profile_engagement_rate([(1, 1)], None) == (None, 0)
    assert profile_engagement_rate([(1, 1)], 0) == (None, 0)


def test_only_the_most_recent_posts_count() -> None:
    posts = [(10, 0)] * 12 + [(1000, 0)] * 20
    assert profile_engagement_rate(posts, 100)[0] == Decimal("0.10000000")
