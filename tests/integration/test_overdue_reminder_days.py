"""The campaign file's overdue-reminder days reach the reminders sent through the real outbox."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from creatorflow.domain.model import Platform
from creatorflow.errors import ConfigError
from creatorflow.services.tracking.reminders import send_reminders
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import load_campaign_file, register_campaign
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import OutreachMessage
from tests.support.builders import enroll
from tests.support.campaigns import TRACKING_SPEC, add_campaign

#: Mail may leave at any hour of any day, so the test's moments are the reminder days alone.
ANY_TIME = {"start": "00:00", "end": "23:59", "weekdays": [1, 2, 3, 4, 5, 6, 7]}


def test_a_campaign_with_overdue_days_1_and_5_sends_each_reminder_on_its_day(
    settings: Settings, now: datetime, tmp_path: Path
) -> None:
    """From the campaign file, through the campaign store, to the mail that leaves."""
    engine = engine_for(settings.database_url)
    file = tmp_path / "spring-glow.yaml"
    deliverables = {
        **TRACKING_SPEC["deliverables"],
        "reminder_days_before": [],
        "reminder_days_overdue": [1, 5],
    }
    outreach = {**TRACKING_SPEC["outreach"], "send_window": ANY_TIME}
    file.write_text(
        yaml.safe_dump({**TRACKING_SPEC, "deliverables": deliverables, "outreach": outreach})
    )
    spec = load_campaign_file(file)
    campaign = register_campaign(engine=engine, spec=spec, now=now, actor="test").id
    due_in = timedelta(days=2)
    late = enroll(engine, campaign, (Platform.YOUTUBE, "late", None), now=now, due_in=due_in)
    due = now + due_in

    def run(at: datetime) -> list[str]:
        send_reminders(
            engine=engine, settings=settings, campaign_slug="spring-glow", now=at, actor="test"
        )
        with session_scope(engine) as session:
            return list(
                session.scalars(
                    select(OutreachMessage.step)
                    .where(OutreachMessage.enrollment_id == late)
                    .where(OutreachMessage.status == "sent")
                    .order_by(OutreachMessage.id)
                )
            )

    assert run(due + timedelta(hours=23)) == []
    assert run(due + timedelta(days=1)) == ["reminder_overdue_1"]
    assert run(due + timedelta(days=4, hours=23)) == ["reminder_overdue_1"]
    assert run(due + timedelta(days=5)) == ["reminder_overdue_1", "reminder_overdue_5"]
    assert run(due + timedelta(days=9)) == ["reminder_overdue_1", "reminder_overdue_5"]
    sent = list(mailbox.Maildir(tmp_path / "outbox", create=False))
    assert len(sent) == 2
    assert all("was due" in str(message["Subject"]) for message in sent)


def test_without_the_key_the_overdue_reminder_goes_after_one_day(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(
        engine,
        now=now,
        deliverables={"count": 1, "reminder_days_before": []},
        outreach={**TRACKING_SPEC["outreach"], "send_window": ANY_TIME},
    )
    enroll(engine, campaign, (Platform.TIKTOK, "late", None), now=now, due_in=timedelta(days=2))

    send_reminders(
        engine=engine,
        settings=settings,
        campaign_slug="spring-glow",
        now=now + timedelta(days=3),
        actor="test",
    )

    with session_scope(engine) as session:
        sent = session.execute(select(OutreachMessage.step, OutreachMessage.status)).all()
    assert sent == [("reminder_overdue_1", "sent")]


def test_a_stored_campaign_that_no_longer_validates_is_one_error_naming_it(
    settings: Settings, now: datetime
) -> None:
    """A key an older version stored (or guessed) is not silently read: the run says which."""
    engine = engine_for(settings.database_url)
    add_campaign(
        engine,
        now=now,
        slug="old-glow",
        deliverables={**TRACKING_SPEC["deliverables"], "reminders": {"overdue": [2]}},
    )

    with pytest.raises(ConfigError) as caught:
        send_reminders(engine=engine, settings=settings, campaign_slug=None, now=now, actor="test")

    message = str(caught.value)
    assert message.startswith("campaign 'old-glow': the stored campaign no longer validates")
    assert "deliverables.reminders: Extra inputs are not permitted" in message
    assert len(message.splitlines()) == 1
