"""The flows say what did not surely go out: the tracking summary names every send problem by
creator, a pause of the deliverability guard gets its own artifact, and `resume-sending` lifts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta

import pytest

from creatorflow.settings import Settings
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.artifacts import latest_artifact
from tests.support.environment import settings_env
from tests.support.outbox import outbox, send_first, shortlisted
from tests.support.send_runs import smtp_settings


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def config(
    settings: Settings, handler: RecordingHandler, app_env: Callable[[Mapping[str, str]], None]
) -> Iterator[Settings]:
    controller = start_smtpd(handler)
    config = smtp_settings(settings, controller.port, guard_window=20)
    app_env({**settings_env(config), "CREATORFLOW_GUARD_WINDOW": "20"})
    yield config
    controller.stop()


def test_the_tracking_summary_names_an_unknown_follow_up_by_creator_and_message_id(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    from flows.tracking import track_campaigns

    engine = shortlisted(config, now, addresses=("ana@mail.example", "bo@mail.example"))
    send_first(engine, config, now)
    handler.drop_after_data = {"ana@mail.example"}
    as_of = now + timedelta(days=3)
    summary = track_campaigns(campaign_slug="spring-glow", as_of=as_of)
    message_id = next(r.message_id for r in outbox(engine) if r.step == "follow_up_1")
    [problem] = summary["send_problems"]
    assert (problem["creator"], problem["step"], problem["status"]) == (
        "instagram:ana",
        "follow_up_1",
        "unknown",
    )
    assert (problem["message_id"], problem["at"]) == (message_id, as_of.isoformat())
    assert summary["follow_ups"]["spring-glow"]["sent"] == 1
    text = latest_artifact("tracking-summary")
    assert f"| instagram:ana | follow_up_1 | unknown | {as_of.isoformat()} | {message_id} |" in text
    assert "creatorflow campaign resolve" in text


def test_a_pause_gets_its_artifact_and_the_resume_sending_flow_lifts_it(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    from flows.outreach import resume_sending
    from flows.tracking import track_campaigns

    engine = shortlisted(config, now, count=4)
    send_first(engine, config, now)
    for dead in ("creator0000@mail.example", "creator0001@mail.example"):
        handler.refuse[dead] = "550 5.1.1 no such user"  # the follow-ups find them gone
    summary = track_campaigns(campaign_slug="spring-glow", as_of=now + timedelta(days=3))
    assert len(summary["sending_paused"]) == 2
    paused = latest_artifact("sending-paused-spring-glow")
    assert "# Sending paused: spring-glow" in paused
    assert "2 hard bounce(s) in the last 6 (counted as 20) sends" in paused
    assert "`creatorflow campaign resume spring-glow`" in paused

    resumed = resume_sending(campaign="spring-glow")
    assert {(p["scope"], p["key"]) for p in resumed["resumed"]} == {
        ("mailbox", "team@brand.example"),
        ("campaign", "spring-glow"),
    }
    assert latest_artifact("sending-resumed-spring-glow")
