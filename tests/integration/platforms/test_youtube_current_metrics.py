"""``YouTubeClient.current_metrics``: polling's statistics-only read of videos.list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from creatorflow.platforms.base import PostMetrics
from creatorflow.platforms.errors import MalformedResponse, QuotaExhausted
from creatorflow.platforms.youtube import YouTubeClient
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
VIDEO = "abcdefghijk"


@pytest.fixture
def client(make_settings: Callable[..., Settings], sleeps: list[float]) -> Iterator[YouTubeClient]:
    yt = YouTubeClient(make_settings(), sleep=sleeps.append, now=lambda: NOW)
    yield yt
    yt.close()


def test_current_metrics_asks_for_statistics_only_fifty_ids_a_call(
    world: World, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    world.add_account("youtube", "a", followers=1)
    posts = [world.add_post("youtube", "a", views=n, likes=1, comments=2) for n in range(120)]
    found = client.current_metrics([p.post_id for p in posts])
    assert found == {
        p.post_id: PostMetrics(views=n, likes=1, comments=2) for n, p in enumerate(posts)
    }
    assert [e.params["part"] for e in sandbox.youtube.log] == ["snippet,statistics"] * 3
    assert client.budget.used == sandbox.youtube.units_used == 3  # parts cost the same unit


def test_current_metrics_omits_gone_videos_and_keeps_hidden_counts_unknown(
    world: World, client: YouTubeClient
) -> None:
    world.add_account("youtube", "a", followers=1)
    kept = world.add_post("youtube", "a", views=5, likes=None, comments=0)
    deleted = world.add_post("youtube", "a", views=5)
    private = world.add_post("youtube", "a", views=5)
    world.delete_post(deleted.post_id)
    world.update_post(private.post_id, private=True)
    found = client.current_metrics([kept.post_id, deleted.post_id, private.post_id, "unknownid01"])
    assert found == {kept.post_id: PostMetrics(views=5, likes=None, comments=0)}


def test_current_metrics_agree_with_post_metrics(world: World, client: YouTubeClient) -> None:
    world.add_account("youtube", "a", followers=1)
    ids = [
        world.add_post("youtube", "a", views=7, likes=None, comments=3).post_id,
        world.add_post("youtube", "a", views=None, likes=2, comments=None).post_id,
    ]
    posts = client.post_metrics(ids)
    assert client.current_metrics(ids) == {i: p.metrics for i, p in posts.items()}


def test_an_answer_without_items_means_every_video_is_gone(
    sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("body", status=200, body={"kind": "youtube#videoListResponse"})
    assert client.current_metrics([VIDEO]) == {}


def test_an_item_without_statistics_has_unknown_counts(
    sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("body", status=200, body={"items": [{"id": VIDEO}]})
    assert client.current_metrics([VIDEO]) == {VIDEO: PostMetrics()}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (["not", "an", "object"], "videos.list: expected an object"),
        ({"items": "nope"}, "videos.list.items: expected a list"),
        ({"items": [{"id": VIDEO}, "video"]}, "videos.list.items[1]: expected an object"),
        ({"items": [{"statistics": {}}]}, "videos.list.items[0].id: missing"),
        ({"items": [{"id": 7}]}, "videos.list.items[0].id: expected text"),
        (
            {"items": [{"id": VIDEO, "statistics": ["1"]}]},
            "videos.list.items[0].statistics: expected an object",
        ),
        (
            {"items": [{"id": VIDEO, "statistics": {"viewCount": 12}}]},
            "videos.list.items[0].statistics.viewCount: expected a count as a digit string",
        ),
        (
            {"items": [{"id": VIDEO, "statistics": {"likeCount": "-1"}}]},
            "videos.list.items[0].statistics.likeCount: expected a count as a digit string",
        ),
        (
            {"items": [{"id": VIDEO, "statistics": {"commentCount": "\u00b2"}}]},
            "videos.list.items[0].statistics.commentCount: expected a count as a digit string",
        ),
    ],
)
def test_malformed_statistics_give_a_clear_error(
    body: object, expected: str, sandbox: SandboxServers, client: YouTubeClient
) -> None:
    sandbox.youtube.fail("body", status=200, body=body)
    with pytest.raises(MalformedResponse, match=re.escape(expected)):
        client.current_metrics([VIDEO])


def test_current_metrics_stop_before_exceeding_the_budget(
    make_settings: Callable[..., Settings], world: World, sandbox: SandboxServers
) -> None:
    world.add_account("youtube", "a", followers=1)
    ids = [world.add_post("youtube", "a", views=1).post_id for _ in range(60)]
    yt = YouTubeClient(make_settings(youtube_quota_budget=1), now=lambda: NOW)
    try:
        with pytest.raises(QuotaExhausted, match="quota budget of 1 units"):
            yt.current_metrics(ids)
    finally:
        yt.close()
    assert sandbox.youtube.calls("/videos") == 1
