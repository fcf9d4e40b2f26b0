"""Meta's webhook signature and the campaign events a notification holds (pure domain code)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from creatorflow.domain.webhook_events import (
    CAPTION_MENTION,
    COMMENT_MENTION,
    STORY_MENTION,
    MalformedNotification,
    meta_time,
    parse_notification,
    signature,
    signature_valid,
)

SECRET = b"app-secret"


def notification(**entry: Any) -> dict[str, Any]:
    return {"object": "instagram", "entry": [{"id": "17841405309211844", "time": 1, **entry}]}


def story(mid: str | None = "m1", **message: Any) -> dict[str, Any]:
    attachment = {"type": "story_mention", "payload": {"url": "https://cdn.example/1"}}
    body = {"mid": mid, "attachments": [attachment], **message}
    return {"sender": {"id": "123"}, "timestamp": 1_772_442_000_000, "message": body}


def test_only_the_exact_body_signed_with_the_app_secret_is_valid() -> None:
    body = b'{"object":"instagram"}'
    good = signature(body, SECRET)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert signature_valid(body, good, SECRET)
    assert signature_valid(body, good.upper().replace("SHA256=", "sha256="), SECRET)
    assert not signature_valid(body + b" ", good, SECRET)
    assert not signature_valid(body, signature(body, b"other"), SECRET)
    assert not signature_valid(body, good.removeprefix("sha256="), SECRET)
    assert not signature_valid(body, None, SECRET) and not signature_valid(body, good, b"")


def test_mentions_and_story_mentions_become_events_with_stable_keys() -> None:
    changes = [
        {"field": "mentions", "value": {"media_id": "17918195224117851"}},
        {"field": "mentions", "value": {"media_id": "1", "comment_id": "17894227972186120"}},
        {"field": "comments", "value": {"id": "9", "text": "nice"}},  # not campaign work
    ]
    events = parse_notification(notification(changes=changes, messaging=[story()]))
    assert [e.kind for e in events] == [CAPTION_MENTION, COMMENT_MENTION, STORY_MENTION]
    assert events[2].sender == "123"
    assert events[2].occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert events[2].data["url"] == "https://cdn.example/1"
    again = parse_notification(notification(changes=changes, messaging=[story()]))
    assert [e.key for e in again] == [e.key for e in events]
    assert len({e.key for e in events}) == 3


def test_echoes_plain_messages_and_other_attachments_are_skipped() -> None:
    plain = {"sender": {"id": "1"}, "message": {"mid": "m2", "text": "hi"}}
    echo = story(is_echo=True)
    image = story()
    image["message"]["attachments"][0]["type"] = "image"
    assert parse_notification(notification(messaging=[plain, echo, image])) == []


def test_a_story_without_a_message_id_is_keyed_by_its_content() -> None:
    first = parse_notification(notification(messaging=[story(mid=None)]))
    second = parse_notification(notification(messaging=[story(mid=None)]))
    assert first[0].key == second[0].key and first[0].data["story_id"]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "not a JSON object"),
        ({"object": "page", "entry": []}, "object"),
        ({"object": "instagram"}, "entry"),
        ({"object": "instagram", "entry": [3]}, "entry[0]"),
        ({"object": "instagram", "entry": [{"changes": {}}]}, "entry[0]"),
    ],
)
def test_what_is_not_a_notification_is_refused_naming_the_place(payload: Any, where: str) -> None:
    with pytest.raises(MalformedNotification, match=re.escape(where)):
        parse_notification(payload)


def test_meta_times_are_seconds_or_milliseconds() -> None:
    assert meta_time(1_520_622_968) == meta_time(1_520_622_968_000)
    assert meta_time("1520622968") is None and meta_time(True) is None
