"""The adapters against sandbox servers that answer as the platforms really do (issue 13): tokens
echoed in errors and written into paging URLs, accounts without media, views for reels only,
short TikTok pages, answers in no particular order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from creatorflow.platforms.base import AccountProfile
from creatorflow.platforms.errors import PermanentPlatformError
from creatorflow.platforms.instagram import InstagramClient
from creatorflow.platforms.tiktok import TikTokClient
from creatorflow.sandbox import (
    SANDBOX_BRAND_USERNAME,
    SANDBOX_INSTAGRAM_TOKEN,
    SandboxServers,
    World,
)
from creatorflow.settings import Settings


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[InstagramClient]:
    ig = InstagramClient(make_settings(http_max_retries=0))
    yield ig
    ig.close()


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record, urllib3's request lines included."""
    caplog.set_level(logging.DEBUG)
    return caplog


def profile(handle: str) -> AccountProfile:
    from creatorflow.domain.model import Platform

    return AccountProfile(Platform.INSTAGRAM, handle, None, None, None, None)


def test_a_token_meta_echoes_reaches_no_error_and_no_log(
    make_settings: Callable[..., Settings],
    sandbox: SandboxServers,
    debug_log: pytest.LogCaptureFixture,
) -> None:
    token = "EAABwrongToken0123456789"
    ig = InstagramClient(make_settings(instagram_access_token=token, http_max_retries=0))
    try:
        with pytest.raises(PermanentPlatformError) as caught:
            ig.lookup(["anyone"])
    finally:
        ig.close()
    assert "Malformed access token ***" in str(caught.value)
    assert token not in str(caught.value) and token not in debug_log.text
    assert any("access_token=***" in r.getMessage() for r in debug_log.records)  # urllib3's line


def test_paging_urls_holding_the_token_never_reach_a_log(
    world: World,
    sandbox: SandboxServers,
    client: InstagramClient,
    now: datetime,
    debug_log: pytest.LogCaptureFixture,
) -> None:
    world.add_account("instagram", "a", followers=1)
    for minutes in range(60):
        world.add_post(
            "instagram",
            "a",
            text="#glow",
            tagged=(SANDBOX_BRAND_USERNAME,),
            published_at=now - timedelta(minutes=minutes),
        )
    assert len(client.hashtag_posts("glow", limit=100)) == 60
    tagged = client.brand_tags(since=now - timedelta(days=1))
    assert len(tagged) == 60 and {p.author_id for p in tagged} == {"a"}
    assert client.brand_username() == SANDBOX_BRAND_USERNAME
    assert sandbox.instagram.calls("/tags") == 1  # the first page came with the username
    assert SANDBOX_INSTAGRAM_TOKEN not in debug_log.text


def test_brand_tags_stop_paging_at_the_window(
    world: World, sandbox: SandboxServers, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    for days in range(120):
        world.add_post(
            "instagram",
            "a",
            tagged=(SANDBOX_BRAND_USERNAME,),
            published_at=now - timedelta(days=days),
        )
    tagged = client.brand_tags(since=now - timedelta(days=10))
    assert len(tagged) == 11
    assert sandbox.instagram.calls() == 1  # the first page already reaches past the window


def test_mentioned_media_names_its_author(
    world: World, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "ikroskun", followers=1)
    post = world.add_post(
        "instagram", "ikroskun", text="@LumenSkincare hey", likes=7, published_at=now
    )
    found = client.mentioned_media(post.post_id)
    assert (found.post_id, found.author_id, found.text, found.metrics.likes) == (
        post.post_id,
        "ikroskun",
        "@LumenSkincare hey",
        7,
    )


def test_feed_reads_one_call_unless_posts_asked_for_lie_deeper(
    world: World, sandbox: SandboxServers, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    posts = [
        world.add_post("instagram", "a", text=f"p{n}", published_at=now - timedelta(hours=n))
        for n in range(130)
    ]
    near = client.feed(profile("a"), limit=20, including={posts[40].post_id})
    assert [p.text for p in near] == [f"p{n}" for n in range(20)] + ["p40"]
    assert sandbox.instagram.calls() == 1
    sandbox.instagram.clear_log()
    gone = "17900000000000000"
    deep = client.feed(profile("a"), limit=20, including={posts[120].post_id, gone})
    assert deep[-1].text == "p120" and len(deep) == 21  # the gone one is simply not there
    assert sandbox.instagram.calls() == 3  # 50 + 50 + 30: to the end, looking for the gone one


def test_an_account_without_media_and_views_of_non_reels_are_unknown(
    world: World, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "newcomer", followers=5)
    assert client.feed(profile("newcomer"), limit=20) == []
    result = client.lookup(["newcomer"], with_posts=5)["newcomer"]
    assert isinstance(result, AccountProfile) and result.recent_posts == ()
    world.add_account("instagram", "b", followers=5)
    world.add_post("instagram", "b", media_product_type="FEED", views=100, published_at=now)
    world.add_post(
        "instagram",
        "b",
        media_product_type="REELS",
        views=900,
        published_at=now - timedelta(hours=1),
    )
    feed_post, reel = client.feed(profile("b"), limit=5)
    assert feed_post.metrics.views is None and reel.metrics.views == 900


def test_tiktok_reads_through_short_and_empty_pages(
    world: World, sandbox: SandboxServers, make_settings: Callable[..., Settings], now: datetime
) -> None:
    world.add_account("tiktok", "a", followers=1)
    posts = [
        world.add_post("tiktok", "a", title=f"v{n}", published_at=now - timedelta(hours=n))
        for n in range(45)
    ]
    for post in posts[3:25]:  # a whole page of videos turned private, and more (23 stay public)
        world.update_post(post.post_id, private=True)
    tt = TikTokClient(make_settings())
    try:
        account = tt.lookup(["a"])["a"]
        assert isinstance(account, AccountProfile)
        seen = tt.recent_posts(account, limit=30)
        metrics = tt.post_metrics(
            [p.post_id for p in posts[30:45]],
            owners=dict.fromkeys([p.post_id for p in posts[30:45]], "a"),
        )
    finally:
        tt.close()
    visible = [p.post_id for p in posts[:3] + posts[25:]]
    assert [p.post_id for p in seen] == visible[:30]
    assert sandbox.tiktok.calls("/v2/video/list/") >= 3  # short pages did not end the read
    assert set(metrics) == {p.post_id for p in posts[30:45]}  # answered in another order
