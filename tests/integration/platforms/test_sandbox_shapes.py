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


# -- as the platforms really answer (issue 13): the recorded payloads win over the docs ---------


def graph(sandbox: SandboxServers, path: str, **params: Any) -> requests.Response:
    """A Graph API read of ``path`` with the sandbox token unless ``access_token`` is given."""
    query = {"access_token": SANDBOX_INSTAGRAM_TOKEN, **params}
    return get(f"{sandbox.urls.instagram}/v25.0/{path}", **query)


def discovered(sandbox: SandboxServers, username: str, media: str) -> Any:
    fields = f"business_discovery.username({username}){{followers_count,media_count,{media}}}"
    return graph(sandbox, SANDBOX_BRAND_IG_USER_ID, fields=fields).json()["business_discovery"]


def test_instagram_captions_keep_the_at_sign_of_mentions(
    world: World, sandbox: SandboxServers
) -> None:
    world.add_account("instagram", "ikroskun", followers=10)
    world.add_post("instagram", "ikroskun", text="@lumenskincare hey")
    media = discovered(sandbox, "ikroskun", "media{caption}")["media"]["data"]
    captured = reference("instagram/sns-sdks_python-facebook/users__mentioned_media.json")
    assert captured["mentioned_media"]["caption"].startswith("@")  # what Meta really sends
    assert media[0]["caption"] == "@lumenskincare hey"


def test_instagram_echoes_a_malformed_token_in_its_error(sandbox: SandboxServers) -> None:
    response = graph(sandbox, SANDBOX_BRAND_IG_USER_ID, access_token="EAABnot-a-token")
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == 190
    assert error["message"] == "Malformed access token EAABnot-a-token"
    assert keys(error) <= keys(
        reference("instagram/errors/400_code190_463_session_expired.json")["error"]
    )


def test_instagram_account_without_media_has_no_media_key(
    world: World, sandbox: SandboxServers
) -> None:
    world.add_account("instagram", "newcomer", followers=267_793)
    user = discovered(sandbox, "newcomer", "media.limit(25){id,caption}")
    assert keys(user) == keys(
        reference("instagram/examples/business_discovery.doc.json")["business_discovery"]
    )
    assert user["media_count"] == 0


def test_instagram_view_count_is_answered_for_reels_only(
    world: World, sandbox: SandboxServers
) -> None:
    world.add_account("instagram", "a", followers=1)
    for kind in ("FEED", "REELS"):
        world.add_post("instagram", "a", media_product_type=kind, views=5310, likes=1)
    media = discovered(sandbox, "a", "media{view_count,like_count,media_product_type}")
    by_kind = {m["media_product_type"]: m for m in media["media"]["data"]}
    assert "view_count" not in by_kind["FEED"] and by_kind["REELS"]["view_count"] == 5310
    owned_reel = reference("instagram/examples/media_fields_owned.constructed.json")
    assert owned_reel["media_product_type"] == "REELS" and "view_count" in owned_reel


def test_instagram_discovery_pages_after_the_first_carry_before_too(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    for hours in range(5):
        world.add_post("instagram", "a", published_at=now - timedelta(hours=hours))
    first = discovered(sandbox, "a", "media.limit(2){id}")["media"]["paging"]
    second = discovered(sandbox, "a", f"media.after({first['cursors']['after']}).limit(2){{id}}")
    ref = reference("instagram/sns-sdks_python-facebook/discovery__medias_p2.json")
    assert keys(second["media"]["paging"]) == keys(ref["business_discovery"]["media"]["paging"])
    assert keys(second["media"]["paging"]["cursors"]) == {"before", "after"}


def test_instagram_hashtag_recent_media_is_a_day_at_most_fifty_a_page_in_no_order(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    for minutes in range(60):
        world.add_post(
            "instagram", "a", text="#glow", published_at=now - timedelta(minutes=minutes)
        )
    world.add_post("instagram", "a", text="#glow old", published_at=now - timedelta(hours=25))
    [found] = graph(
        sandbox, "ig_hashtag_search", user_id=SANDBOX_BRAND_IG_USER_ID, q="glow"
    ).json()["data"]
    fields = "id,caption,timestamp"
    first = graph(
        sandbox,
        f"{found['id']}/recent_media",
        user_id=SANDBOX_BRAND_IG_USER_ID,
        fields=fields,
        limit=100,
    ).json()
    after = first["paging"]["cursors"]["after"]
    second = graph(
        sandbox,
        f"{found['id']}/recent_media",
        user_id=SANDBOX_BRAND_IG_USER_ID,
        fields=fields,
        limit=100,
        after=after,
    ).json()
    assert len(first["data"]) == 50 and len(second["data"]) == 10
    assert second.get("paging", {}).get("cursors", {}).get("after", after) == after  # same value
    times = [m["timestamp"] for m in first["data"] + second["data"]]
    assert times != sorted(times, reverse=True) and all(
        "old" not in m["caption"] for m in first["data"] + second["data"]
    )
    ref = reference("instagram/examples/hashtag_recent_media.constructed.json")
    assert keys(first["paging"]) == keys(ref["paging"])


def test_instagram_paging_next_urls_carry_the_real_access_token(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    world.add_account("instagram", "a", followers=1)
    for minutes in range(3):
        world.add_post(
            "instagram",
            "a",
            text="#glow",
            tagged=("lumenskincare",),
            published_at=now - timedelta(minutes=minutes),
        )
    [found] = graph(
        sandbox, "ig_hashtag_search", user_id=SANDBOX_BRAND_IG_USER_ID, q="glow"
    ).json()["data"]
    hashtag = graph(
        sandbox, f"{found['id']}/recent_media", user_id=SANDBOX_BRAND_IG_USER_ID, limit=2
    ).json()
    tags = graph(sandbox, f"{SANDBOX_BRAND_IG_USER_ID}/tags", fields="id,caption", limit=2).json()
    ref = reference("instagram/sns-sdks_python-facebook/users__medias_p1.json")
    assert (
        keys(tags["paging"]) == keys(ref["paging"])
        and "access_token=access_token" in ref["paging"]["next"]
    )
    for page in (hashtag, tags):
        assert f"access_token={SANDBOX_INSTAGRAM_TOKEN}" in page["paging"]["next"]
    with requests.get(tags["paging"]["next"], timeout=5) as following:  # the URL works as given
        assert len(following.json()["data"]) == 1


def test_instagram_brand_tags_and_mentioned_media_match_the_captures(
    world: World, sandbox: SandboxServers
) -> None:
    world.add_account("instagram", "ikroskun", followers=10)
    tagged = world.add_post("instagram", "ikroskun", text="Cute.. #cute", tagged=("lumenskincare",))
    mention = world.add_post("instagram", "ikroskun", text="@lumenskincare hey")
    fields = "id,caption,comments_count,like_count,media_type,permalink,timestamp,username"
    tags = graph(sandbox, f"{SANDBOX_BRAND_IG_USER_ID}/tags", fields=fields).json()
    ref_tags = reference("instagram/sns-sdks_python-facebook/users__tagged_medias.json")
    assert [m["id"] for m in tags["data"]] == [tagged.post_id]
    assert keys(tags["data"][0]) - {"username"} <= keys(ref_tags["data"][0])
    assert tags["data"][0]["username"] == "ikroskun"
    media_fields = "caption,comments_count,like_count,media_type,timestamp"
    body = graph(
        sandbox,
        SANDBOX_BRAND_IG_USER_ID,
        fields=f"mentioned_media.media_id({mention.post_id}){{{media_fields}}}",
    ).json()
    ref_mention = reference("instagram/sns-sdks_python-facebook/users__mentioned_media.json")
    assert keys(body) == keys(ref_mention)
    assert keys(body["mentioned_media"]) <= keys(ref_mention["mentioned_media"])
    not_a_mention = graph(
        sandbox,
        SANDBOX_BRAND_IG_USER_ID,
        fields=f"mentioned_media.media_id({tagged.post_id}){{id}}",
    )
    assert not_a_mention.status_code == 400 and not_a_mention.json()["error"]["code"] == 100


def tiktok(
    sandbox: SandboxServers, token: str, path: str, fields: str, body: Any = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{sandbox.urls.tiktok}{path}"
    if body is None:
        with requests.get(url, params={"fields": fields}, headers=headers, timeout=5) as response:
            return response
    with requests.post(
        url, params={"fields": fields}, json=body, headers=headers, timeout=5
    ) as response:
        return response


def test_tiktok_video_list_may_answer_short_pages_with_has_more(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    account = world.add_account("tiktok", "creator_handle", followers=1)
    posts = [
        world.add_post("tiktok", "creator_handle", published_at=now - timedelta(hours=h))
        for h in range(6)
    ]
    for post in posts[1:4]:
        world.update_post(post.post_id, private=True)
    answer = tiktok(
        sandbox, account.tiktok_token, "/v2/video/list/", "id,create_time", {"max_count": 4}
    ).json()
    ref = reference("tiktok/examples/v2_video_list.doc.json")
    assert keys(answer["data"]) == keys(ref["data"])
    assert len(answer["data"]["videos"]) == 1 and answer["data"]["has_more"] is True
    rest = tiktok(
        sandbox,
        account.tiktok_token,
        "/v2/video/list/",
        "id",
        {"max_count": 4, "cursor": answer["data"]["cursor"]},
    ).json()
    assert [v["id"] for v in rest["data"]["videos"]] == [p.post_id for p in posts[4:]]


def test_tiktok_video_query_answers_in_no_particular_order(
    world: World, sandbox: SandboxServers, now: datetime
) -> None:
    account = world.add_account("tiktok", "a", followers=1)
    ids = [
        world.add_post("tiktok", "a", published_at=now - timedelta(hours=h)).post_id
        for h in range(8)
    ]
    answer = tiktok(
        sandbox, account.tiktok_token, "/v2/video/query/", "id", {"filters": {"video_ids": ids}}
    ).json()
    returned = [v["id"] for v in answer["data"]["videos"]]
    assert sorted(returned) == sorted(ids) and returned != ids and returned != ids[::-1]


def test_tiktok_scopes_are_checked_per_field(world: World, sandbox: SandboxServers) -> None:
    account = world.add_account(
        "tiktok", "a", followers=5, scopes=frozenset({"user.info.basic", "user.info.stats"})
    )
    basic = tiktok(sandbox, account.tiktok_token, "/v2/user/info/", "open_id,follower_count")
    assert basic.status_code == 200 and basic.json()["data"]["user"]["follower_count"] == 5
    ref = reference("tiktok/errors/401_scope_not_authorized.constructed.json")
    for path, fields, body in (
        ("/v2/user/info/", "open_id,username", None),
        ("/v2/video/list/", "id", {}),
    ):
        refused = tiktok(sandbox, account.tiktok_token, path, fields, body)
        assert refused.status_code == 401 and refused.json()["data"] == {}
        assert refused.json()["error"]["code"] == ref["error"]["code"]
        assert refused.json()["error"]["message"] == ref["error"]["message"]


def test_faults_can_hit_one_token_or_one_account(world: World, sandbox: SandboxServers) -> None:
    one = world.add_account("tiktok", "one", followers=1)
    two = world.add_account("tiktok", "two", followers=2)
    sandbox.tiktok.fail("expired", times=None, token=one.tiktok_token)
    assert tiktok(sandbox, one.tiktok_token, "/v2/user/info/", "open_id").status_code == 401
    assert tiktok(sandbox, two.tiktok_token, "/v2/user/info/", "open_id").status_code == 200
    sandbox.tiktok.clear_faults()
    sandbox.tiktok.fail("rate_limit", times=None, account="two")
    assert tiktok(sandbox, two.tiktok_token, "/v2/user/info/", "open_id").status_code == 429
    assert tiktok(sandbox, one.tiktok_token, "/v2/user/info/", "open_id").status_code == 200
    world.add_account("instagram", "mia", followers=1)
    world.add_account("instagram", "ben", followers=1)
    sandbox.instagram.fail("rate_limit", times=None, account="mia")
    assert discovered_status(sandbox, "Mia") == 403 and discovered_status(sandbox, "ben") == 200


def discovered_status(sandbox: SandboxServers, username: str) -> int:
    fields = f"business_discovery.username({username}){{followers_count}}"
    return graph(sandbox, SANDBOX_BRAND_IG_USER_ID, fields=fields).status_code
