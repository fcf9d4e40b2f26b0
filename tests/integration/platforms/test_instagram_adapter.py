"""The Instagram adapter against the local Graph API server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from creatorflow.platforms.base import AccountNotFound, AccountProfile
from creatorflow.platforms.errors import (
    HashtagLimitReached,
    MalformedResponse,
    PermanentPlatformError,
    TransientPlatformError,
)
from creatorflow.platforms.instagram import InstagramClient
from creatorflow.sandbox import SANDBOX_INSTAGRAM_TOKEN, SandboxServers, World
from creatorflow.settings import Settings
from tests.support.faults import PERMANENT_FAULTS


@pytest.fixture
def client(
    make_settings: Callable[..., Settings], sleeps: list[float]
) -> Iterator[InstagramClient]:
    ig = InstagramClient(make_settings(), sleep=sleeps.append)
    yield ig
    ig.close()


def test_business_discovery_profile_and_recent_media(
    world: World, sandbox: SandboxServers, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "mia.glow", followers=12_500, name="Mia")
    world.add_post(
        "instagram",
        "mia.glow",
        text="#glow2027 @brand",
        likes=120,
        comments=4,
        views=900,
        media_product_type="REELS",
        published_at=now,
    )
    world.add_post(
        "instagram",
        "mia.glow",
        text="older",
        likes=None,
        comments=2,
        published_at=now - timedelta(days=1),
    )
    profile = client.lookup(["mia.glow"], with_posts=5)["mia.glow"]
    assert isinstance(profile, AccountProfile)
    assert (profile.followers, profile.media_count, profile.name) == (12_500, 2, "Mia")
    newest, older = profile.recent_posts
    assert (newest.text, newest.metrics.likes, newest.metrics.views) == (
        "#glow2027 @brand",
        120,
        900,
    )
    assert newest.published_at == now and newest.media_type == "REELS"
    assert newest.url and newest.url.startswith("https://www.instagram.com/reel/")
    assert older.metrics.likes is None  # hidden like count: unknown
    fields = sandbox.instagram.log[0].params["fields"]
    assert fields.startswith("business_discovery.username(mia.glow){")
    assert sandbox.instagram.log[0].path == "/v21.0/17841405309211844"


def test_media_pages_with_the_after_cursor(
    world: World, sandbox: SandboxServers, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "busy", followers=1)
    for i in range(120):
        world.add_post("instagram", "busy", text=f"p{i}", published_at=now - timedelta(hours=i))
    posts = client.recent_posts(
        AccountProfile(world.account("instagram", "busy").platform, "busy", None, None, 1, 0),  # type: ignore[union-attr]
        limit=110,
    )
    assert [p.text for p in posts[:2]] == ["p0", "p1"] and len(posts) == 110
    assert len({p.post_id for p in posts}) == 110
    fields = [e.params["fields"] for e in sandbox.instagram.log]
    assert len(fields) == 3
    assert "media.limit(50)" in fields[0] and "media.after(" in fields[1]


def test_personal_or_unknown_accounts_are_a_result_not_a_crash(
    world: World, client: InstagramClient
) -> None:
    world.add_account("instagram", "private_person", professional=False)
    world.add_account("instagram", "pro", followers=10)
    results = client.lookup(["private_person", "ghost", "pro"])
    assert isinstance(results["private_person"], AccountNotFound)
    assert isinstance(results["ghost"], AccountNotFound)
    assert isinstance(results["pro"], AccountProfile)


def test_post_metrics_reads_each_owner_once_and_reports_deleted_posts_gone(
    world: World, sandbox: SandboxServers, client: InstagramClient
) -> None:
    world.add_account("instagram", "a", followers=1)
    world.add_account("instagram", "b", followers=1)
    a1 = world.add_post("instagram", "a", likes=1)
    a2 = world.add_post("instagram", "a", likes=2)
    b1 = world.add_post("instagram", "b", likes=3)
    world.delete_post(a2.post_id)
    world.update_post(b1.post_id, likes=30)
    owners = {a1.post_id: "a", a2.post_id: "a", b1.post_id: "b"}
    found = client.post_metrics(list(owners), owners=owners)
    assert set(found) == {a1.post_id, b1.post_id}
    assert found[b1.post_id].metrics.likes == 30
    assert sandbox.instagram.calls() == 2


def test_hashtag_posts_cover_the_last_day_and_page_with_the_same_cursor(
    world: World, sandbox: SandboxServers, client: InstagramClient, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    for i in range(60):
        world.add_post(
            "instagram", "a", text="#Glow2027 yes", published_at=now - timedelta(minutes=i)
        )
    world.add_post("instagram", "a", text="#glow2027 old", published_at=now - timedelta(days=2))
    posts = client.hashtag_posts("#glow2027", limit=100)
    assert len(posts) == 60 and all(p.author_id is None for p in posts)
    pages = [e for e in sandbox.instagram.log if e.path.endswith("/recent_media")]
    assert len(pages) == 2 and "username" not in pages[0].params["fields"]


def test_hashtag_limit_of_thirty_a_week_is_counted_and_enforced(
    world: World, sandbox: SandboxServers, client: InstagramClient
) -> None:
    for i in range(30):
        client.hashtag_posts(f"tag{i}")
    with pytest.raises(HashtagLimitReached, match="30 per 7 days"):
        client.hashtag_posts("tag30")
    assert sandbox.instagram.calls("/ig_hashtag_search") == 30
    client.hashtag_posts("tag0")  # a re-query of a used hashtag is fine


def test_hashtag_limit_reported_by_meta_is_a_quota_error(
    sandbox: SandboxServers, client: InstagramClient
) -> None:
    sandbox.instagram.hashtag_limit = 0
    with pytest.raises(HashtagLimitReached):
        client.hashtag_posts("anything")


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80002])
def test_meta_throttle_codes_are_retried(
    code: int, world: World, sandbox: SandboxServers, client: InstagramClient, sleeps: list[float]
) -> None:
    world.add_account("instagram", "pro", followers=10)
    sandbox.instagram.fail("rate_limit", code=code, delay=0.5)  # regain in 0.5 min
    assert isinstance(client.lookup(["pro"])["pro"], AccountProfile)
    assert sandbox.instagram.calls() == 2
    assert sleeps == [30.0]  # estimated_time_to_regain_access honoured


def test_long_regain_time_fails_at_once_for_the_scheduler_to_retry(
    sandbox: SandboxServers, client: InstagramClient, sleeps: list[float]
) -> None:
    sandbox.instagram.fail("rate_limit", code=80002, delay=19)  # 19 minutes
    with pytest.raises(TransientPlatformError) as caught:
        client.lookup(["pro"])
    assert caught.value.retry_after == 19 * 60 and sleeps == []


def test_server_errors_are_retried(
    world: World, sandbox: SandboxServers, client: InstagramClient
) -> None:
    world.add_account("instagram", "pro", followers=10)
    sandbox.instagram.fail("server_error", times=2)
    assert isinstance(client.lookup(["pro"])["pro"], AccountProfile)
    assert sandbox.instagram.calls() == 3


@pytest.mark.parametrize(("kind", "error"), PERMANENT_FAULTS)
def test_token_and_permission_errors_fail_fast_without_the_token(
    kind: str, error: type[Exception], sandbox: SandboxServers, client: InstagramClient
) -> None:
    sandbox.instagram.fail(kind)
    with pytest.raises(error) as caught:
        client.lookup(["pro"])
    assert sandbox.instagram.calls() == 1
    assert SANDBOX_INSTAGRAM_TOKEN not in str(caught.value)


def test_missing_token_names_the_variable(make_settings: Callable[..., Settings]) -> None:
    from creatorflow.settings import SettingsError

    with pytest.raises(SettingsError, match="CREATORFLOW_INSTAGRAM_ACCESS_TOKEN"):
        InstagramClient(make_settings(instagram_access_token=None))


def test_malformed_business_discovery_is_a_clear_error(
    sandbox: SandboxServers, client: InstagramClient
) -> None:
    sandbox.instagram.fail(
        "body", body={"business_discovery": {"followers_count": "many", "id": "1"}}
    )
    with pytest.raises(MalformedResponse, match="followers_count: expected a whole number"):
        client.lookup(["pro"])


def test_discover_by_hashtag_is_refused_with_an_explanation(client: InstagramClient) -> None:
    with pytest.raises(PermanentPlatformError, match="without usernames"):
        client.discover("#glow", max_results=5)


def test_discover_by_usernames_returns_professional_accounts(
    world: World, client: InstagramClient
) -> None:
    world.add_account("instagram", "mia.glow", followers=12_500)
    found = client.discover("@Mia.Glow @ghost", max_results=5)
    assert [p.handle for p in found if isinstance(p, AccountProfile)] == ["mia.glow"]
    assert [(p.handle, p.status) for p in found if isinstance(p, AccountNotFound)] == [
        ("ghost", "not_business")
    ]
