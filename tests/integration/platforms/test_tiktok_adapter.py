"""The TikTok adapter against the local Display API v2 server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import AccountNotFound, AccountProfile, AccountUnreadable
from creatorflow.platforms.errors import (
    AuthError,
    MalformedResponse,
    PermanentPlatformError,
    PermissionDenied,
    RequestRejected,
    TransientPlatformError,
)
from creatorflow.platforms.tiktok import TikTokClient, parse_tokens
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings


@pytest.fixture
def creators(world: World, now: datetime) -> None:
    world.add_account("tiktok", "miaglow", followers=9_100, name="Mia")
    world.add_account("tiktok", "sam", followers=40_000)
    world.add_account("tiktok", "unconnected", followers=5, connected=False)
    for i in range(45):
        world.add_post(
            "tiktok",
            "miaglow",
            text=f"v{i} #glow",
            title=f"t{i}",
            views=100 + i,
            likes=10,
            comments=1,
            shares=2,
            published_at=now - timedelta(hours=i),
        )


@pytest.fixture
def client(
    creators: None, make_settings: Callable[..., Settings], sleeps: list[float]
) -> Iterator[TikTokClient]:
    tt = TikTokClient(make_settings(), sleep=sleeps.append)
    yield tt
    tt.close()


def test_user_info_and_video_list_paged_by_millisecond_cursor(
    sandbox: SandboxServers, client: TikTokClient, now: datetime
) -> None:
    profile = client.lookup(["miaglow"], with_posts=45)["miaglow"]
    assert isinstance(profile, AccountProfile)
    assert (profile.followers, profile.media_count, profile.name) == (9_100, 45, "Mia")
    posts = profile.recent_posts
    assert len(posts) == 45 and posts[0].text == "v0 #glow" and posts[0].published_at == now
    assert posts[0].metrics.shares == 2 and posts[0].metrics.views == 100
    bodies = [e.body for e in sandbox.tiktok.log if e.path == "/v2/video/list/"]
    assert [b["max_count"] for b in bodies] == [20, 20, 5]
    assert "cursor" not in bodies[0] and bodies[1]["cursor"] > bodies[2]["cursor"] > 10**12


def test_unconnected_creators_are_not_found_results(client: TikTokClient) -> None:
    results = client.lookup(["unconnected", "sam"])
    assert isinstance(results["unconnected"], AccountNotFound)
    assert "not connected" in results["unconnected"].reason  # type: ignore[union-attr]
    assert isinstance(results["sam"], AccountProfile)


def test_video_query_batches_twenty_ids_and_omits_videos_now_gone(
    world: World, sandbox: SandboxServers, client: TikTokClient
) -> None:
    ids = [p.post_id for p in world.posts_of("tiktok", "miaglow")]
    world.delete_post(ids[0])
    found = client.post_metrics(ids, owners=dict.fromkeys(ids, "miaglow"))
    assert len(found) == 44 and ids[0] not in found
    assert sandbox.tiktok.calls("/v2/video/query/") == 3  # 20 + 20 + 5


def test_error_object_is_checked_even_on_http_200(
    sandbox: SandboxServers, client: TikTokClient
) -> None:
    sandbox.tiktok.fail(
        "body",
        status=200,
        body={
            "data": {},
            "error": {"code": "invalid_params", "message": "Invalid max_count", "log_id": "x"},
        },
    )
    with pytest.raises(RequestRejected, match="invalid_params"):
        client.lookup(["miaglow"])


def test_answer_without_error_object_is_malformed(
    sandbox: SandboxServers, client: TikTokClient
) -> None:
    sandbox.tiktok.fail("body", status=200, body={"data": {"user": {}}})
    with pytest.raises(MalformedResponse, match="no error object"):
        client.lookup(["miaglow"])


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "html"])
def test_transient_errors_are_retried(
    kind: str, sandbox: SandboxServers, client: TikTokClient, sleeps: list[float]
) -> None:
    sandbox.tiktok.fail(kind, times=2)
    assert isinstance(client.lookup(["sam"])["sam"], AccountProfile)
    assert sandbox.tiktok.calls() == 3 and len(sleeps) == 2


def test_rate_limit_window_answers_429_and_is_retried(
    sandbox: SandboxServers, client: TikTokClient, sleeps: list[float]
) -> None:
    sandbox.tiktok.rate_limit_per_minute = 1
    client.lookup(["sam"])
    with pytest.raises(TransientPlatformError, match="rate_limit_exceeded"):
        client.lookup(["sam"])
    assert sandbox.tiktok.calls() == 6  # 1 + (1 + 4 retries)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("expired", AuthError), ("auth", AuthError), ("permission", PermissionDenied)],
)
def test_token_errors_fail_fast_and_never_show_the_token(
    kind: str,
    error: type[Exception],
    world: World,
    sandbox: SandboxServers,
    client: TikTokClient,
) -> None:
    sandbox.tiktok.fail(kind)
    token = world.account("tiktok", "miaglow").tiktok_token  # type: ignore[union-attr]
    # a creator's own token: the lookup marks that creator instead of failing the batch
    [result] = client.lookup(["miaglow"]).values()
    assert isinstance(result, AccountUnreadable) and token not in result.reason
    assert sandbox.tiktok.calls() == 1
    sandbox.tiktok.fail(kind)
    with pytest.raises(error) as caught:  # reading one creator's feed raises the problem
        miaglow = AccountProfile(Platform.TIKTOK, "miaglow", None, None, None, None)
        client.recent_posts(miaglow, limit=5)
    assert token not in str(caught.value) and "miaglow" in str(caught.value)
    assert sandbox.tiktok.calls() == 2


def test_discover_explains_that_the_display_api_has_no_search(client: TikTokClient) -> None:
    with pytest.raises(PermanentPlatformError, match="no search"):
        client.discover("glow", max_results=5)


def test_token_setting_accepts_pairs_and_a_default() -> None:
    assert parse_tokens("a=act.1, @B=act.2,act.default") == (
        {"a": "act.1", "b": "act.2"},
        "act.default",
    )
