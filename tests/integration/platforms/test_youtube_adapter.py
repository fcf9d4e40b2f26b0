"""The YouTube adapter against the local YouTube server: shapes, paging, batching, quota, errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from creatorflow.platforms.base import AccountNotFound, AccountProfile
from creatorflow.platforms.errors import (
    AuthError,
    MalformedResponse,
    PermanentPlatformError,
    QuotaExhausted,
    TransientPlatformError,
)
from creatorflow.platforms.youtube import YouTubeClient
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from tests.support.faults import PERMANENT_FAULTS


@pytest.fixture
def client(make_settings: Callable[..., Settings], sleeps: list[float]) -> YouTubeClient:
    yt = YouTubeClient(make_settings(), sleep=sleeps.append, now=lambda: NOW)
    yield yt
    yt.close()


NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_lookup_by_channel_ids_uses_one_channels_call_per_fifty(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    accounts = world.populate("youtube", 120, posts_each=0)
    ids = [a.external_id for a in accounts]
    results = client.lookup(ids)
    assert sandbox.youtube.calls("/channels") == 3  # ceil(120 / 50)
    assert all(isinstance(r, AccountProfile) for r in results.values())
    first = results[ids[0]]
    assert isinstance(first, AccountProfile)
    assert first.followers == accounts[0].followers
    assert first.external_id == ids[0]


def test_lookup_by_handle_uses_for_handle_and_reports_unknown_handles(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    world.add_account("youtube", "glowwithmia", followers=48_200, country="GB")
    results = client.lookup(["glowwithmia", "nobody_here"])
    profile = results["glowwithmia"]
    assert isinstance(profile, AccountProfile)
    assert (profile.followers, profile.country) == (48_200, "GB")
    assert isinstance(results["nobody_here"], AccountNotFound)
    assert [e.params["forHandle"] for e in sandbox.youtube.log] == ["@glowwithmia", "@nobody_here"]


def test_hidden_subscriber_count_is_unknown_not_zero(world: World, client: YouTubeClient) -> None:
    account = world.add_account("youtube", "shy", followers=5000, hidden_followers=True)
    profile = client.lookup([account.external_id])[account.external_id]
    assert isinstance(profile, AccountProfile)
    assert profile.followers is None


def test_recent_posts_page_through_the_uploads_playlist_and_batch_statistics(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    world.add_account("youtube", "busy", followers=10_000)
    for day in range(75):
        world.add_post(
            "youtube",
            "busy",
            title=f"v{day}",
            text="#ad",
            published_at=NOW - timedelta(days=day),
            views=100 + day,
            likes=None,
            comments=3,
            paid_placement=day == 0,
        )
    profile = client.lookup(["busy"], with_posts=60)["busy"]
    assert isinstance(profile, AccountProfile)
    posts = profile.recent_posts
    assert len(posts) == 60
    assert posts[0].title == "v0" and posts[0].paid_placement is True
    assert posts[0].metrics.likes is None  # hidden likes: unknown, never 0
    assert posts[0].metrics.views == 100 and posts[0].metrics.comments == 3
    assert posts[0].published_at == NOW
    assert sandbox.youtube.calls("/playlistItems") == 2  # 50 + 10
    assert sandbox.youtube.calls("/videos") == 2  # 50 + 10 ids
    assert "pageToken" in sandbox.youtube.log[2].params


def test_statistics_for_many_channels_share_videos_calls(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    accounts = world.populate("youtube", 40, posts_each=3)
    client.lookup([a.external_id for a in accounts], with_posts=3)
    assert sandbox.youtube.calls("/channels") == 1
    assert sandbox.youtube.calls("/playlistItems") == 40
    assert sandbox.youtube.calls("/videos") == 3  # 120 ids / 50
    assert client.budget.used == sandbox.youtube.units_used == 44


def test_post_metrics_omits_deleted_and_private_videos(world: World, client: YouTubeClient) -> None:
    world.add_account("youtube", "a", followers=1)
    kept = world.add_post("youtube", "a", views=5, likes=1, comments=0)
    deleted = world.add_post("youtube", "a", views=5)
    private = world.add_post("youtube", "a", views=5)
    world.delete_post(deleted.post_id)
    world.update_post(private.post_id, private=True)
    found = client.post_metrics([kept.post_id, deleted.post_id, private.post_id, "unknownid01"])
    assert set(found) == {kept.post_id}
    assert found[kept.post_id].metrics.views == 5


def test_discover_searches_channels_then_batches_channel_details(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    world.add_account("youtube", "skinbysam", followers=20_000, biography="Skincare reviews")
    world.add_account("youtube", "cookwithlee", followers=9_000, biography="Cooking")
    profiles = client.discover("skincare", max_results=10)
    assert [p.handle for p in profiles] == ["skinbysam"]
    assert sandbox.youtube.log[0].params["type"] == "channel"
    assert sandbox.youtube.units_used == 101  # search (100) + channels (1)


def test_quota_budget_stops_before_exceeding(
    world: World, sandbox: SandboxServers, make_settings: Callable[..., Settings]
) -> None:
    world.populate("youtube", 3, posts_each=0)
    client = YouTubeClient(make_settings(youtube_quota_budget=150), now=lambda: NOW)
    try:
        assert len(client.discover("creator", max_results=10)) == 3  # 100 + 1 units
        with pytest.raises(QuotaExhausted) as caught:
            client.discover("creator", max_results=10)  # another 100 would exceed 150
    finally:
        client.close()
    assert "budget of 150 units" in str(caught.value)
    assert sandbox.youtube.units_used == 101
    assert sandbox.youtube.calls("/search") == 1


def test_quota_exceeded_says_when_the_quota_resets(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("quota")
    with pytest.raises(QuotaExhausted) as caught:
        client.lookup(["someone"])
    assert caught.value.resets_at == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)  # midnight PST
    assert "resets at 2027-03-02T08:00:00+00:00" in str(caught.value)
    assert sandbox.youtube.calls() == 1  # not retried


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "html"])
def test_transient_failures_are_retried_with_backoff(
    kind: str, world: World, sandbox: SandboxServers, client: YouTubeClient, sleeps: list[float]
) -> None:
    world.add_account("youtube", "mia", followers=10)
    sandbox.youtube.fail(kind, times=2)
    assert isinstance(client.lookup(["mia"])["mia"], AccountProfile)
    assert sandbox.youtube.calls("/channels") == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] > 0


def test_retry_after_is_honoured(
    world: World, sandbox: SandboxServers, client: YouTubeClient, sleeps: list[float]
) -> None:
    world.add_account("youtube", "mia", followers=10)
    sandbox.youtube.fail("rate_limit", retry_after=7)
    client.lookup(["mia"])
    assert sleeps == [7.0]


def test_transient_failures_give_up_after_max_retries(
    sandbox: SandboxServers, make_settings: Callable[..., Settings], sleeps: list[float]
) -> None:
    sandbox.youtube.fail("server_error", times=None)
    client = YouTubeClient(make_settings(http_max_retries=2), sleep=sleeps.append)
    with pytest.raises(TransientPlatformError, match="youtube: server error 503"):
        client.lookup(["mia"])
    client.close()
    assert sandbox.youtube.calls() == 3


@pytest.mark.parametrize(("kind", "error"), PERMANENT_FAULTS)
def test_permanent_errors_fail_fast_without_the_key(
    kind: str, error: type[Exception], sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail(kind)
    with pytest.raises(error) as caught:
        client.lookup(["mia"])
    assert sandbox.youtube.calls() == 1
    assert "sandbox-youtube-api-key" not in str(caught.value)
    assert "(account mia)" in str(caught.value)


def test_a_wrong_key_is_reported_as_an_auth_error_naming_the_variable(
    make_settings: Callable[..., Settings],
) -> None:
    client = YouTubeClient(make_settings(youtube_api_key="wrong-key-123"))
    with pytest.raises(AuthError) as caught:
        client.lookup(["mia"])
    client.close()
    assert "CREATORFLOW_YOUTUBE_API_KEY" in str(caught.value)
    assert "wrong-key-123" not in str(caught.value)


def test_unknown_uploads_playlist_is_a_clear_error(world: World, client: YouTubeClient) -> None:
    profile = AccountProfile(
        platform=world.add_account("youtube", "x").platform,
        handle="x",
        external_id="UC" + "z" * 22,
        name=None,
        followers=1,
        media_count=0,
    )
    with pytest.raises(PermanentPlatformError, match="cannot be found"):
        client.recent_posts(profile, limit=5)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            200,
            {"kind": "youtube#channelListResponse", "items": [{"id": "UC" + "a" * 22}]},
            "channels.list.items[0].snippet: missing",
        ),
        (200, {"items": "nope"}, "channels.list.items: expected a list"),
        (
            200,
            {
                "items": [
                    {"id": "UC" + "a" * 22, "snippet": {}, "statistics": {"subscriberCount": 12}}
                ]
            },
            "expected a count as a digit string",
        ),
        (200, ["not", "an", "object"], "expected an object"),
    ],
)
def test_malformed_answers_give_a_clear_error(
    status: int, body: object, expected: str, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("body", status=status, body=body)
    with pytest.raises(MalformedResponse, match=re.escape(expected)):
        client.lookup(["UC" + "a" * 22])


def test_broken_json_is_malformed_not_a_traceback(
    sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("malformed")
    with pytest.raises(MalformedResponse, match="non-JSON answer"):
        client.lookup(["mia"])
