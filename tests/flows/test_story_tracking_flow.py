"""The track-campaigns flow works the Instagram webhook inbox: a stored story mention becomes a
story deliverable in one run, and the next run asks its creator for the results."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from creatorflow.sandbox import SANDBOX_BRAND_IG_USER_ID, World
from creatorflow.sandbox.instagram import igsid_of
from creatorflow.services.tracking.mentions import receive_notification
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Deliverable, OutreachMessage
from tests.support.builders import enroll
from tests.support.tracking_flows import TrackedCampaign


def test_track_campaigns_records_a_story_then_asks_for_its_results(
    tracked: TrackedCampaign, now: datetime, world: World
) -> None:
    from flows.tracking import track_campaigns

    engine = tracked.engine
    enroll(engine, tracked.id, world.add_account("instagram", "mia.glow"), now=now)
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
