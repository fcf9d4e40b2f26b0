"""The demo's story scene: two Instagram creators mention the brand in a story (issue 17).

On ``STORY_DAY`` the sandbox sends both story mentions as Meta does, signed, to the webhook
receiver of ``creatorflow web`` (served on loopback for the scene; in production it sits behind
HTTPS). Meta names one sender; the other it does not. That day's tracking run records the first
as a story and queues the second; on the next tracking day the operator matches it (what
``campaign match-story`` does), and that day's run, the stories having expired, asks each creator
once for the results. The day after, the demo records what they answered (what
``campaign story-results`` does). The report then counts the two stories apart from the API's
figures. Both creators have posted already, so no funnel figure changes.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import uvicorn
from pydantic import SecretStr

from creatorflow.demo.cast import Person
from creatorflow.demo.run import SLUG, Demo
from creatorflow.domain.model import Platform
from creatorflow.sandbox.instagram import SANDBOX_BRAND_IG_USER_ID
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.services.tracking.mentions import unmatched_events
from creatorflow.services.tracking.stories import match_story
from creatorflow.services.tracking.story_results import record_story_results
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for

STORY_DAY, MATCH_DAY, RESULTS_DAY = 5, 7, 9
ACTOR = "cli:demo"


@dataclass
class _Scene:
    sender: WebhookSender
    server: uvicorn.Server
    thread: threading.Thread
    named: Person
    unnamed: Person


_SCENES: dict[int, _Scene] = {}


def _handle(person: Person) -> str:
    assert person.enrolled is not None
    return person.enrolled[1]


def story_scene(demo: Demo, settings: Settings, now: datetime, day: int) -> None:
    """The scene's step for ``day``, before that day's tracking run (see the module docstring)."""
    if day == STORY_DAY:
        _send(demo, settings, now)
        return
    scene = _SCENES.get(id(demo))
    if scene is None:
        return
    engine = engine_for(settings.database_url)
    if day == MATCH_DAY:
        for event in unmatched_events(engine):
            creator = f"instagram:{_handle(scene.unnamed)}"
            match_story(
                engine=engine,
                campaign_slug=SLUG,
                event_id=event.id,
                creator=creator,
                now=now,
                actor=ACTOR,
            )
            demo.say(f"day {day}: the operator matched story mention {event.id} to {creator}")
    elif day == RESULTS_DAY:
        for person in (scene.named, scene.unnamed):
            reach = max(1, person.followers // 12)
            record_story_results(
                engine=engine,
                campaign_slug=SLUG,
                creator=f"instagram:{_handle(person)}",
                views=reach * 13 // 10,
                reach=reach,
                taps=reach // 40,
                replies=reach // 200,
                now=now,
                actor=ACTOR,
            )
            demo.say(f"day {day}: {person.name} sent their story's figures (reach {reach:,})")
        scene.sender.close()
        scene.server.should_exit = True
        scene.thread.join(timeout=10)
        del _SCENES[id(demo)]


def _send(demo: Demo, settings: Settings, now: datetime) -> None:
    chosen = [
        p
        for p in demo.cast.people
        if p.accepted_at
        and p.post_ids
        and not p.deleted
        and p.enrolled is not None
        and p.enrolled[0] is Platform.INSTAGRAM
    ][:2]
    if len(chosen) < 2:
        demo.say(f"day {STORY_DAY}: no two Instagram creators have posted: no story scene")
        return
    from creatorflow.web.app import create_app

    app_secret = secrets.token_urlsafe(24)
    hooked = settings.model_copy(
        update={
            "instagram_app_secret": SecretStr(app_secret),
            "instagram_verify_token": SecretStr(secrets.token_urlsafe(16)),
        }
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hooked), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    sender = WebhookSender(
        demo.world,
        url=f"http://127.0.0.1:{port}/webhooks/instagram",
        app_secret=app_secret,
        brand_user_id=settings.instagram_user_id or SANDBOX_BRAND_IG_USER_ID,
    )
    named, unnamed = chosen
    sender.story_mention(_handle(named), at=now - timedelta(hours=2))
    sender.story_mention(_handle(unnamed), at=now - timedelta(hours=1), consented=False)
    statuses = sender.deliver_due()
    demo.say(
        f"day {STORY_DAY}: {named.name} and {unnamed.name} mentioned the brand in a story; "
        f"Meta's signed webhooks answered {statuses}"
    )
    _SCENES[id(demo)] = _Scene(sender, server, thread, named, unnamed)
