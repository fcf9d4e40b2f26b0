"""The track-campaigns flow works the Instagram webhook inbox: a stored story mention becomes a
story deliverable in one run, and the next run asks its creator for the results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from creatorflow.sandbox import SANDBOX_BRAND_IG_USER_ID, SandboxServers, World
from creatorflow.sandbox.instagram import igsid_of
from creatorflow.services.tracking.mentions import receive_notification
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, OutreachMessage
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign
from tests.support.environment import settings_env


def test_track_campaigns_records_a_story_then_asks_for_its_results(
    settings: Settings,
    now: datetime,
    world: World,
    sandbox: SandboxServers,
    app_env: Callable[[Mapping[str, str]], None],
) -> None:
    from flows.tracking import track_campaigns

    app_env({**sandbox.env(), **settings_env(settings), "CREATORFLOW_HTTP_MAX_RETRIES": "1"})
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    enroll(engine, campaign, world.add_account("instagram", "mia.glow"), now=now)
    posted = now + timedelta(days=1)
    item = {
        "sender": {"id": igsid_of("mia.glow")},
        "recipient": {"id": SANDBOX_BRAND_IG_USER_ID},
        "timestamp": int(posted.timestamp() * 1000),
        "message": {
            "mid": "aWdfZAG1faXRlbToxOklH",
            "attachments": [{"type": "story_mention", "payload": {"url": "https://cdn.example/s"}}],
        },
    }
    notification = {
        "object": "instagram",
        "entry": [{"id": SANDBOX_BRAND_IG_USER_ID, "time": 1, "messaging": [item]}],
    }
    receive_notification(
        engine=engine, payload=notification, brand_account=SANDBOX_BRAND_IG_USER_ID, now=posted
    )
    expired = posted + timedelta(hours=25)
    world.set_now(expired)

    first = track_campaigns(campaign_slug="spring-glow", as_of=expired)
    second = track_campaigns(campaign_slug="spring-glow", as_of=expired + timedelta(hours=1))

    assert first["detection"]["mentions"]["stories"] == 1
    assert first["story_results"]["spring-glow"] == {"planned": 0}
    assert second["story_results"]["spring-glow"]["sent"] == 1
    assert second["detection"]["mentions"]["processed"] == 0
    with session_scope(engine) as session:
        story = session.scalars(select(Deliverable).where(Deliverable.kind == "story")).one()
        steps = session.scalars(select(OutreachMessage.step)).all()
    assert [s for s in steps if s.startswith("story")] == [f"story_results_{story.id}"]
