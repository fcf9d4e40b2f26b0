"""The sandbox answers in the shapes of the real payloads in reference/platform_payloads/."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from creatorflow.sandbox import (
    SANDBOX_BRAND_IG_USER_ID,
    SANDBOX_INSTAGRAM_TOKEN,
    SANDBOX_YOUTUBE_KEY,
    SandboxServers,
    World,
)

# A copy of the real and documented payloads from the project's API reference, kept with the
# tests so that the sandbox is always checked against them.
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "platform_payloads"


def reference(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def get(url: str, **params: Any) -> requests.Response:
    with requests.get(url, params=params, timeout=5) as response:
        return response


def youtube(sandbox: SandboxServers, resource: str, **params: Any) -> Any:
    """A YouTube Data API read of ``resource`` from the sandbox, with the sandbox key."""
    url = f"{sandbox.urls.youtube}/youtube/v3/{resource}"
    return get(url, key=SANDBOX_YOUTUBE_KEY, **params).json()


def keys(item: dict[str, Any]) -> set[str]:
    return set(item)


def test_youtube_channel_matches_the_reference_shape(world: World, sandbox: SandboxServers) -> None:
    account = world.add_account("youtube", "googledevelopers", followers=2_260_000, country="US")
    body = youtube(
        sandbox, "channels", part="snippet,statistics,contentDetails", id=account.external_id
    )
    ref = reference("youtube/examples/channels.list_forHandle_statistics.constructed.json")
    assert keys(body) == keys(ref)
    item, ref_item = body["items"][0], ref["items"][0]
    assert keys(item) == keys(ref_item)
    for part in ("snippet", "statistics", "contentDetails"):
        assert keys(item[part]) == keys(ref_item[part])
    assert item["statistics"]["subscriberCount"] == "2260000"  # counts are strings


def test_youtube_unknown_channel_has_no_items_key(sandbox: SandboxServers) -> None:
    body = youtube(sandbox, "channels", part="id", id="UC" + "q" * 22)
    assert keys(body) == keys(
        reference("youtube/examples/channels.list_not_found.constructed.json")
    )


def test_youtube_video_statistics_are_strings_and_missing_when_hidden(
    world: World, sandbox: SandboxServers
) -> None:
    world.add_account("youtube", "a")
    post = world.add_post("youtube", "a", views=47113, likes=None, comments=57)
    parts = "snippet,statistics,contentDetails,paidProductPlacementDetails"
    body = youtube(sandbox, "videos", part=parts, id=post.post_id)
    ref = reference("youtube/examples/videos.list_snippet_statistics.constructed.json")
    assert keys(body) == keys(ref) and keys(body["items"][0]) == keys(ref["items"][0])
    assert body["items"][0]["statistics"] == {
        "viewCount": "47113",
        "favoriteCount": "0",
        "commentCount": "57",
    }


@pytest.mark.parametrize(
    ("fault", "path", "params", "ref"),
    [
        ("quota", "channels", {"id": "x"}, "youtube/errors/403_quotaExceeded.json"),
        (
            None,
            "playlistItems",
            {"playlistId": "UUnope"},
            "youtube/errors/404_playlistNotFound.json",
        ),
        (
            None,
            "channels",
            {"forHandle": "x", "key": "bad"},
            "youtube/errors/400_apiKeyInvalid_modern.constructed.json",
        ),
        ("expired", "channels", {"id": "x"}, "youtube/errors/401_authError.constructed.json"),
    ],
)
def test_youtube_error_envelopes_match_the_reference(
    fault: str | None, path: str, params: dict[str, str], ref: str, sandbox: SandboxServers
) -> None:
    if fault:
        sandbox.youtube.fail(fault)
    response = get(
        f"{sandbox.urls.youtube}/youtube/v3/{path}",
        **{"key": SANDBOX_YOUTUBE_KEY, "part": "id", **params},
    )
    expected = reference(ref)["error"]
    error = response.json()["error"]
    assert response.status_code == expected["code"] == error["code"]
    assert error["errors"][0]["reason"] == expected["errors"][0]["reason"]
    assert error["errors"][0]["domain"] == expected["errors"][0]["domain"]
    assert keys(error) <= keys(expected)


def test_youtube_invalid_page_token_is_rejected(world: World, sandbox: SandboxServers) -> None:
    account = world.add_account("youtube", "a")
    response = get(
        f"{sandbox.urls.youtube}/youtube/v3/playlistItems",
        key=SANDBOX_YOUTUBE_KEY,
        part="contentDetails",
        playlistId="UU" + account.external_id[2:],
        pageToken="garbage!",
    )
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "invalidPageToken"


def test_instagram_business_discovery_and_errors_match_the_captures(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    world.add_account("instagram", "bluebottle", followers=419_369, website="https://b.example")
    for hours in range(3):
        world.add_post(
            "instagram", "bluebottle", text="coffee", published_at=now - timedelta(hours=hours)
        )
    url = f"{sandbox.urls.instagram}/v25.0/{SANDBOX_BRAND_IG_USER_ID}"
    fields = (
        "business_discovery.username(bluebottle){biography,id,followers_count,media_count,"
        "username,website,media.limit(2){caption,comments_count,id,like_count,"
        "media_product_type,media_type,permalink,timestamp}}"
    )
    response = get(url, fields=fields, access_token=SANDBOX_INSTAGRAM_TOKEN)
    body = response.json()
    media = body["business_discovery"]["media"]
    assert keys(media["paging"]) == {"cursors"} and keys(media["paging"]["cursors"]) == {"after"}
    assert media["data"][0]["timestamp"].endswith("+0000")
    assert "X-Business-Use-Case-Usage" in response.headers and "X-App-Usage" in response.headers
    ref = reference(
        "instagram/bk-rs_instagram-apis-rs_v14.0/"
        "ig_user_0__business_discovery__reading__username_bluebottle.json"
    )
    assert keys(media["data"][0]) <= keys(ref["business_discovery"]["media"]["data"][0])

    missing = get(
        url, fields="business_discovery.username(nobody){id}", access_token=SANDBOX_INSTAGRAM_TOKEN
    )
    ref_err = reference(
        "instagram/bk-rs_instagram-apis-rs_v14.0/"
        "err__ig_user_0__business_discovery__reading__not_business.json"
    )["error"]
    assert missing.status_code == 400
    assert keys(missing.json()["error"]) == keys(ref_err)
    assert {k: missing.json()["error"][k] for k in ("code", "error_subcode", "type")} == {
        k: ref_err[k] for k in ("code", "error_subcode", "type")
    }


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80002])
def test_instagram_throttle_bodies_match_the_reference(code: int, sandbox: SandboxServers) -> None:
    files = {
        4: "403_code4_app_request_limit.json",
        17: "code17_user_request_limit.constructed.json",
        32: "code32_page_request_limit.constructed.json",
        613: "code613_custom_rate_limit.constructed.json",
        80002: "code80002_instagram_buc.constructed.json",
    }
    sandbox.instagram.fail("rate_limit", code=code)
    body = get(
        f"{sandbox.urls.instagram}/v25.0/{SANDBOX_BRAND_IG_USER_ID}",
        access_token=SANDBOX_INSTAGRAM_TOKEN,
    ).json()["error"]
    expected = reference(f"instagram/errors/{files[code]}")["error"]
    assert {k: v for k, v in body.items() if k != "fbtrace_id"} == {
        k: v for k, v in expected.items() if k != "fbtrace_id"
    }


def test_tiktok_shapes_match_the_reference(world: World, sandbox: SandboxServers) -> None:
    account = world.add_account("tiktok", "creator_handle", followers=15234)
    headers = {"Authorization": f"Bearer {account.tiktok_token}"}
    fields = ",".join(
        reference("tiktok/examples/v2_user_info_stats.constructed.json")["data"]["user"]
    )
    with requests.get(
        f"{sandbox.urls.tiktok}/v2/user/info/",
        params={"fields": fields},
        headers=headers,
        timeout=5,
    ) as response:
        body = response.json()
    ref = reference("tiktok/examples/v2_user_info_stats.constructed.json")
    assert keys(body["data"]["user"]) == keys(ref["data"]["user"])
    assert body["error"]["code"] == "ok" and keys(body["error"]) == keys(ref["error"])
    with requests.get(
        f"{sandbox.urls.tiktok}/v2/user/info/",
        params={"fields": "open_id"},
        headers={"Authorization": "Bearer act.wrong"},
        timeout=5,
    ) as response:
        invalid = response.json()
    ref_err = reference("tiktok/errors/401_access_token_invalid.json")
    assert response.status_code == 401
    assert invalid["data"] == {} and invalid["error"]["code"] == ref_err["error"]["code"]
    assert invalid["error"]["message"] == ref_err["error"]["message"]
