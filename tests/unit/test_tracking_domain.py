"""Cadence, campaign-post matching and post-URL parsing: the pure rules of tracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.cadence import interval_at, is_due, next_poll_due
from creatorflow.domain.matching import CampaignTerms, has_ad_disclosure, match_post
from creatorflow.domain.model import Platform
from creatorflow.domain.post_urls import PostUrlError, instagram_shortcode, parse_post_url

POSTED = datetime(2027, 3, 10, 10, 17, tzinfo=UTC)
ENDS = datetime(2027, 5, 14, tzinfo=UTC)


# -- cadence ---------------------------------------------------------------------------------


def test_interval_decays_from_fifteen_minutes_to_daily() -> None:
    assert interval_at(timedelta(hours=3)) == timedelta(minutes=15)
    assert interval_at(timedelta(days=2)) == timedelta(hours=1)
    assert interval_at(timedelta(days=8)) == timedelta(hours=6)
    assert interval_at(timedelta(days=45)) == timedelta(days=1)


def test_a_post_never_polled_is_due_at_once() -> None:
    assert next_poll_due(POSTED, None, tracking_ends=ENDS) == POSTED
    assert is_due(POSTED, None, now=POSTED + timedelta(minutes=1), tracking_ends=ENDS)


def test_next_poll_on_day_one_is_the_next_quarter_hour_after_posting() -> None:
    last = POSTED + timedelta(minutes=20)
    assert next_poll_due(POSTED, last, tracking_ends=ENDS) == POSTED + timedelta(minutes=30)


def test_hourly_runs_do_not_drift_past_the_grid() -> None:
    # day 3: the grid is hourly at :17; a run at 11:00:05 polled, the run at 12:00 polls again
    last = datetime(2027, 3, 13, 11, 0, 5, tzinfo=UTC)
    assert is_due(POSTED, last, now=datetime(2027, 3, 13, 12, 0, tzinfo=UTC), tracking_ends=ENDS)
    assert not is_due(
        POSTED, last, now=datetime(2027, 3, 13, 11, 15, tzinfo=UTC), tracking_ends=ENDS
    )


def test_phase_boundaries_are_grid_points() -> None:
    last = POSTED + timedelta(hours=23, minutes=50)
    assert next_poll_due(POSTED, last, tracking_ends=ENDS) == POSTED + timedelta(days=1)
    last = POSTED + timedelta(days=10, hours=1)
    assert next_poll_due(POSTED, last, tracking_ends=ENDS) == POSTED + timedelta(days=10, hours=6)
    last = POSTED + timedelta(days=31)
    assert next_poll_due(POSTED, last, tracking_ends=ENDS) == POSTED + timedelta(days=32)


def test_no_poll_after_tracking_ends() -> None:
    last = ENDS - timedelta(hours=1)
    assert next_poll_due(POSTED, last, tracking_ends=ENDS) is None
    assert not is_due(POSTED, last, now=ENDS + timedelta(days=3), tracking_ends=ENDS)


@given(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
)
def test_next_due_is_strictly_after_the_last_poll_and_within_one_interval(age: timedelta) -> None:
    last = POSTED + age
    due = next_poll_due(POSTED, last, tracking_ends=None)
    assert due is not None
    assert last < due <= last + interval_at(age)


# -- matching --------------------------------------------------------------------------------

TERMS = CampaignTerms.build(
    hashtags=["#SpringGlow"],
    mentions=["@lumen.skincare"],
    window_start=datetime(2027, 3, 15, tzinfo=UTC),
    window_end=datetime(2027, 4, 30, 23, 59, tzinfo=UTC),
)
IN_WINDOW = datetime(2027, 3, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Morning routine #springglow",
        "MORNING #SPRINGGLOW!",
        "thanks @lumen.skincare.",
        "thanks lumen.skincare for the gift",  # Instagram drops the @ in captions
    ],
)
def test_campaign_posts_match_case_insensitively_with_or_without_at(text: str) -> None:
    assert match_post(title=None, text=text, published_at=IN_WINDOW, terms=TERMS) is not None


@pytest.mark.parametrize(
    "text",
    [
        "#springglowup is a different tag",
        "#notspringglow",
        "@lumen.skincareshop is another account",
        "mail me at me@lumen.skincare.example",
        "nothing to see here",
    ],
)
def test_other_tags_and_accounts_do_not_match(text: str) -> None:
    assert match_post(title=None, text=text, published_at=IN_WINDOW, terms=TERMS) is None


def test_the_title_counts_too() -> None:
    found = match_post(title="My #SpringGlow look", text="", published_at=IN_WINDOW, terms=TERMS)
    assert found is not None and found.hashtags == ("springglow",)


def test_posts_outside_the_window_do_not_match() -> None:
    for when in (datetime(2027, 3, 14, 23, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC), None):
        assert match_post(title=None, text="#springglow", published_at=when, terms=TERMS) is None


def test_ad_disclosure_by_tag_or_paid_placement_flag() -> None:
    assert has_ad_disclosure(None, "love it #AD", None)
    assert has_ad_disclosure(None, "#sponsored by them", False)
    assert has_ad_disclosure("title", "no tag", True)
    assert not has_ad_disclosure(None, "#adventure #bad", False)


# -- post URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "platform", "post_id"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10s", Platform.YOUTUBE, "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", Platform.YOUTUBE, "dQw4w9WgXcQ"),
        ("youtube.com/shorts/dQw4w9WgXcQ", Platform.YOUTUBE, "dQw4w9WgXcQ"),
        ("https://m.youtube.com/live/dQw4w9WgXcQ", Platform.YOUTUBE, "dQw4w9WgXcQ"),
        ("https://www.instagram.com/p/CfUjwr8vyv2/", Platform.INSTAGRAM, "CfUjwr8vyv2"),
        ("https://instagram.com/reel/CfUjwr8vyv2?igsh=x", Platform.INSTAGRAM, "CfUjwr8vyv2"),
        (
            "https://www.tiktok.com/@Mia.Glow/video/7077642457847991554?lang=en",
            Platform.TIKTOK,
            "7077642457847991554",
        ),
    ],
)
def test_post_urls_of_every_form_are_parsed(url: str, platform: Platform, post_id: str) -> None:
    ref = parse_post_url(url)
    assert (ref.platform, ref.post_id) == (platform, post_id)


def test_tiktok_urls_carry_the_lower_cased_handle() -> None:
    assert parse_post_url("https://www.tiktok.com/@Mia.Glow/video/7077642457847991554").handle == (
        "mia.glow"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://vimeo.com/12345", "unknown host"),
        ("https://www.youtube.com/channel/UC123", "not a YouTube video link"),
        ("https://www.youtube.com/watch?v=short", "11-character"),
        ("https://www.instagram.com/mia.glow/", "not an Instagram post link"),
        ("https://vm.tiktok.com/ZMYB4T1Ky/", "short link"),
        ("https://www.tiktok.com/@mia/video/abc", "not a TikTok video id"),
        ("ftp://youtube.com/watch?v=dQw4w9WgXcQ", r"only http\(s\)"),
        ("", "empty"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ extra", "spaces"),
    ],
)
def test_unknown_and_malformed_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(PostUrlError, match=reason):
        parse_post_url(url)


def test_instagram_shortcode_from_permalink() -> None:
    assert instagram_shortcode("https://www.instagram.com/p/CfUjwr8vyv2/") == "CfUjwr8vyv2"
    assert instagram_shortcode(None) is None
    assert instagram_shortcode("https://example.com/x") is None
