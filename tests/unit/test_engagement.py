from decimal import Decimal

from creatorflow.domain.engagement import (
    ProfileEngagement,
    UnknownEngagement,
    post_engagement,
    profile_engagement,
)


def test_profile_rate_is_the_median_of_post_rates() -> None:
    found = profile_engagement([(90, 10), (10, 0), (500, 0)], 1000)
    assert (found.rate, found.considered) == (Decimal("0.10000000"), 3)


def test_a_post_hiding_likes_or_comments_has_no_rate_and_is_left_out() -> None:
    assert post_engagement(None, 4) is None
    assert post_engagement(4, None) is None
    assert post_engagement(None, None) is None
    assert post_engagement(0, 0) == 0
    # the hidden-likes post would rank the creator at 4/100 if taken as comments only
    found = profile_engagement([(None, 4), (20, 5), (30, 0)], 100)
    assert found == ProfileEngagement(Decimal("0.27500000"), 2, hidden=1)


def test_a_creator_who_hides_likes_on_every_post_has_an_unknown_rate_that_says_so() -> None:
    found = profile_engagement([(None, 4), (None, 9)], 100)
    assert found == ProfileEngagement(None, 0, hidden=2, unknown=UnknownEngagement.HIDDEN)


def test_unknown_or_zero_followers_and_no_posts_give_no_rate_with_the_reason() -> None:
    assert profile_engagement([(1, 1)], None).unknown is UnknownEngagement.NO_FOLLOWERS
    assert profile_engagement([(1, 1)], 0).rate is None
    assert profile_engagement([], 100) == ProfileEngagement(None, 0, 0, UnknownEngagement.NO_POSTS)


def test_only_the_most_recent_posts_count() -> None:
    posts = [(10, 0)] * 12 + [(1000, 0)] * 20
    assert profile_engagement(posts, 100).rate == Decimal("0.10000000")


def test_a_count_the_platform_never_shows_is_not_hidden() -> None:
    likes_only = ("likes",)
    assert post_engagement(80, None, shown=likes_only) == 80
    assert post_engagement(None, 3, shown=likes_only) is None
    found = profile_engagement([(80, None)], 20_000, shown=likes_only)
    assert (found.rate, found.hidden) == (Decimal("0.00400000"), 0)
