"""A caption or story mention by a creator not tracked yet waits for them: pending, tried again
by later tracking runs (without reading Meta again), recorded once they are enrolled and accept,
and ignored with the reason once no campaign window that could hold it is open."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.domain.webhook_events import CAPTION_MENTION, STORY_MENTION
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.services.tracking.mentions import MentionsReport, process_mentions
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, WebhookEvent
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # the campaign window: March 1 to April 30
POSTED = START + timedelta(days=2)


class Reader:
    """The brand's mention edges as Meta answers them, counting every read."""

    def __init__(self) -> None:
        self.reads: Counter[str] = Counter()

    def mentioned_media(self, media_id: str) -> Post:
        self.reads[media_id] += 1
        author = {"m-lena": "lena.late", "m-stranger": "stranger"}[media_id]
        return Post(
            platform=Platform.INSTAGRAM,
            post_id=media_id,
            author_id=author,
            url=f"https://instagram.example/p/{media_id}",
            title=None,
            text="my spring routine @lumenskincare #springglow #ad",
            published_at=POSTED,
            metrics=PostMetrics(),
        )

    def mentioned_comment(self, comment_id: str) -> Any:
        raise AssertionError("no comment mentions here")

    def story_author(self, sender_id: str) -> str | None:
        self.reads[sender_id] += 1
        return {"igsid-lena": "lena.late"}.get(sender_id)


def _event(engine: Engine, key: str, kind: str, *, sender: str | None, **payload: str) -> None:
    with session_scope(engine) as s:
        s.add(
            WebhookEvent(
                platform="instagram",
                event_key=key,
                kind=kind,
                account_id="brand",
                sender=sender,
                payload=payload,
                occurred_at=POSTED,
                received_at=POSTED,
                status="pending",
            )
        )


def _statuses(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with session_scope(engine) as s:
        rows = s.execute(select(WebhookEvent.event_key, WebhookEvent.status, WebhookEvent.detail))
        return {key: (status, detail) for key, status, detail in rows}


def test_mentions_by_creators_not_tracked_yet_wait_until_the_window_closes(
    sqlite_url: str,
) -> None:
    engine = engine_for(sqlite_url)
    campaign_id = add_campaign(engine, now=START)
    _event(engine, "caption-lena", CAPTION_MENTION, sender=None, media_id="m-lena")
    _event(engine, "story-lena", STORY_MENTION, sender="igsid-lena", url="https://cdn.example/s")
    _event(engine, "caption-stranger", CAPTION_MENTION, sender=None, media_id="m-stranger")
    reader = Reader()

    def run(at: datetime) -> MentionsReport:
        return process_mentions(engine=engine, clients=lambda _: reader, now=at, actor="t")  # type: ignore[arg-type,return-value]

    first = run(POSTED + timedelta(hours=1))
    assert (first.waiting, first.ignored, first.processed) == (3, 0, 0)
    waiting = _statuses(engine)
    assert {status for status, _ in waiting.values()} == {"pending"}
    assert waiting["caption-lena"][1] == (
        "@lena.late: not a tracked creator yet; tried again until 2027-04-30 23:59 UTC"
    )

    second = run(POSTED + timedelta(days=1))
    assert (second.waiting, second.processed, second.new_deliverables) == (3, 0, [])
    assert reader.reads == Counter({"m-lena": 1, "igsid-lena": 1, "m-stranger": 1})

    enroll(engine, campaign_id, ("instagram", "lena.late", None), now=POSTED + timedelta(days=2))
    third = run(POSTED + timedelta(days=2, hours=1))
    assert (len(third.new_deliverables), len(third.stories), third.waiting) == (1, 1, 1)
    assert reader.reads["m-lena"] == 2  # read again once there is someone to record it for
    with session_scope(engine) as s:
        kinds = sorted(s.scalars(select(Deliverable.kind)))
    assert kinds == ["post", "story"]

    closed = run(datetime(2027, 5, 2, 9, 0, tzinfo=UTC))  # the window ended on April 30
    assert (closed.waiting, closed.ignored) == (0, 1)
    final = _statuses(engine)
    assert final["caption-stranger"] == ("ignored", "@stranger: not a tracked creator")
    assert final["caption-lena"][0] == final["story-lena"][0] == "done"
    assert run(datetime(2027, 5, 3, tzinfo=UTC)).processed == 0  # nothing is left pending
