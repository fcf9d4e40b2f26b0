"""The Instagram webhook receiver over real HTTP on loopback (uvicorn in a thread): Meta's
handshake, signatures, size and shape limits, redelivery, other accounts, out-of-order events
and a burst of a thousand events from concurrent clients, each stored exactly once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Engine, func, select

from creatorflow.domain.webhook_events import signature
from creatorflow.platforms.clients import platform_clients
from creatorflow.sandbox import (
    SANDBOX_BRAND_IG_USER_ID,
    SANDBOX_BRAND_USERNAME,
    World,
)
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.services.tracking.mentions import incoming, process_mentions, store_incoming
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, WebhookEvent
from creatorflow.web.webhooks import MAX_BODY
from tests.support.concurrency import run_together
from tests.support.webhooks import APP_SECRET, VERIFY_TOKEN

ACTOR = "test:webhooks"


def stored(engine: Engine) -> list[WebhookEvent]:
    with session_scope(engine) as session:
        rows = list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))
        session.expunge_all()
    return rows


def mention(media_id: str, account: str = SANDBOX_BRAND_IG_USER_ID) -> dict[str, Any]:
    change = {"field": "mentions", "value": {"media_id": media_id}}
    return {"object": "instagram", "entry": [{"id": account, "time": 1, "changes": [change]}]}


def test_the_handshake_echoes_the_challenge_only_for_the_verify_token(receiver: str) -> None:
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    answer = requests.get(receiver, params=good, timeout=5)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert answer.headers["content-type"].startswith("text/plain")
    for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}):
        refused = requests.get(receiver, params=good | wrong, timeout=5)
        assert refused.status_code == 403 and "1158201444" not in refused.text
    missing = requests.get(receiver, params={**good, "hub.challenge": ""}, timeout=5)
    assert missing.status_code == 400


def test_missing_or_wrong_signatures_are_refused_and_store_nothing(
    sender: WebhookSender, hooked: Settings
) -> None:
    engine = engine_for(hooked.database_url)
    body = sender.body_of(mention("17889114512354744"))
    assert sender.post(body, signed=False).status_code == 401
    assert sender.post(body, secret=b"another-app").status_code == 403
    tampered = body.replace(b"17889114512354744", b"17889114512354745")
    forged = {"X-Hub-Signature-256": signature(body, APP_SECRET.encode())}
    answer = requests.post(sender.url, data=tampered, headers=forged, timeout=5)
    assert answer.status_code == 403 and APP_SECRET not in answer.text
    assert stored(engine) == []
    good = sender.post(body)
    assert (good.status_code, good.json()) == (200, {"stored": 1, "duplicates": 0, "ignored": 0})
    assert [e.payload["media_id"] for e in stored(engine)] == ["17889114512354744"]


def test_too_large_malformed_or_foreign_bodies_store_nothing(
    sender: WebhookSender, hooked: Settings
) -> None:
    engine = engine_for(hooked.database_url)
    assert sender.post(b"{" + b" " * MAX_BODY + b"}").status_code == 413
    assert sender.post(b"{not json").status_code == 400
    assert sender.post(b"[" * 100_000 + b"]" * 100_000).status_code == 400  # too deep to parse
    assert sender.post({"object": "page", "entry": []}).status_code == 400
    assert sender.post({"object": "instagram", "entry": "x"}).status_code == 400
    other = sender.post(mention("17889114512354744", account="17841400000000000"))
    assert (other.status_code, other.json()["ignored"]) == (200, 1)  # answered, never stored
    assert stored(engine) == []


def test_a_redelivered_event_is_stored_once(sender: WebhookSender, hooked: Settings) -> None:
    engine = engine_for(hooked.database_url)
    first, again = sender.post(mention("1")), sender.post(mention("1"))
    assert first.json()["stored"] == 1
    assert again.json() == {"stored": 0, "duplicates": 1, "ignored": 0}
    assert len(stored(engine)) == 1


def test_a_thousand_events_from_concurrent_clients_are_stored_exactly_once(
    sender: WebhookSender, hooked: Settings
) -> None:
    engine = engine_for(hooked.database_url)
    events = [mention(f"179{i:014d}")["entry"][0] for i in range(1_000)]
    notifications, start = [], 0
    while start < len(events):  # Meta batches updates: one to four events a notification
        size = 1 + len(notifications) % 4
        notifications.append({"object": "instagram", "entry": events[start : start + size]})
        start += size
    bodies = [sender.body_of(n) for n in notifications]
    redelivered = bodies[::5]  # Meta resends some while the first copy is still in flight
    signed = [(b, signature(b, APP_SECRET.encode())) for b in bodies + redelivered]

    def send(chunk: list[tuple[bytes, str]]) -> list[int]:
        with requests.Session() as session:
            return [
                session.post(
                    sender.url, data=body, headers={"X-Hub-Signature-256": sig}, timeout=10
                ).status_code
                for body, sig in chunk
            ]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, [signed[i::8] for i in range(8)]))
    elapsed = time.monotonic() - started
    assert [s for chunk in results for s in chunk] == [200] * len(signed)
    with session_scope(engine) as session:
        rows, keys = session.execute(
            select(func.count(), func.count(func.distinct(WebhookEvent.event_key)))
        ).one()
    assert (rows, keys) == (1_000, 1_000)
    assert elapsed < 15, f"{len(signed)} notifications took {elapsed:.1f} s"


def test_out_of_order_and_unknown_events_are_worked_by_their_own_time(
    sender: WebhookSender,
    hooked: Settings,
    mia_enrolled: Engine,
    world: World,
    now: datetime,
) -> None:
    engine = mia_enrolled
    world.add_account("instagram", "stranger")
    day = now + timedelta(days=2)
    post = world.add_post(
        "instagram", "mia.glow", text=f"new routine @{SANDBOX_BRAND_USERNAME} #ad", published_at=day
    )
    stranger = world.add_post("instagram", "stranger", text=f"@{SANDBOX_BRAND_USERNAME}")
    later = sender.story_mention("mia.glow", at=day + timedelta(hours=5))
    earlier = sender.story_mention("mia.glow", at=day + timedelta(hours=1))
    sender.caption_mention(post, at=day)
    sender.caption_mention(stranger, at=day)
    world.set_now(day + timedelta(hours=6))
    sender.queue.reverse()  # delivered newest first
    for item in sender.queue:
        item.at = world.now()
    assert sender.deliver_due() == [200] * 4
    with platform_clients(hooked) as clients:
        report = process_mentions(engine=engine, clients=clients, now=world.now(), actor=ACTOR)
        again = process_mentions(engine=engine, clients=clients, now=world.now(), actor=ACTOR)
    # the stranger may still be enrolled while the window is open: their mention waits
    assert (len(report.new_deliverables), len(report.stories), report.waiting) == (1, 2, 1)
    assert again.processed == 0
    with session_scope(engine) as session:
        rows = session.execute(
            select(Deliverable.kind, Deliverable.post_id, Deliverable.posted_at).order_by(
                Deliverable.posted_at
            )
        ).all()
    assert [(k, p, t) for k, p, t in rows] == [
        ("post", post.post_id, day),
        ("story", f"story:{earlier.mid}", earlier.at),
        ("story", f"story:{later.mid}", later.at),
    ]
    statuses = {e.status for e in stored(engine)}
    assert statuses == {"done", "pending"}


def test_overlapping_deliveries_store_each_event_once_and_say_who_stored_it(
    engine: Engine, now: datetime
) -> None:
    """Two receivers (or Meta's resend racing the first copy) commit the same events at once."""
    notification = {
        "object": "instagram",
        "entry": [mention(str(i))["entry"][0] for i in range(50)],
    }
    item = incoming(payload=notification, brand_account=SANDBOX_BRAND_IG_USER_ID, now=now)
    results, errors = run_together([lambda: store_incoming(engine, [item, item])] * 4)
    assert errors == []
    assert sorted(r.stored for batch in results for r in batch) == [0] * 7 + [50]
    assert all(r.stored + r.duplicates == 50 for batch in results for r in batch)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 50
