"""Reminders through the exactly-once outbox, and the campaign status funnel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from creatorflow.domain.model import Platform
from creatorflow.services.tracking.reminders import (
    ReminderReport,
    plan_reminders,
    reminder_step,
    send_reminders,
)
from creatorflow.services.tracking.status import campaign_status
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import load_campaign
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import OutreachMessage
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign


def test_only_the_reminder_closest_to_now_applies() -> None:
    due = datetime.fromisoformat("2027-03-20T12:00:00+00:00")
    step = lambda at: reminder_step(  # noqa: E731
        due, now=datetime.fromisoformat(at), days_before=(3, 1), days_overdue=(1, 7)
    )
    assert step("2027-03-16T12:00:00+00:00") is None
    assert step("2027-03-17T13:00:00+00:00") == "reminder_before_3"
    assert step("2027-03-19T20:00:00+00:00") == "reminder_before_1"
    assert step("2027-03-21T00:00:00+00:00") is None
    assert step("2027-03-21T12:00:00+00:00") == "reminder_overdue_1"
    assert step("2027-03-30T12:00:00+00:00") == "reminder_overdue_7"


def test_reminders_go_out_once_and_never_after_the_post_arrived(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    soon = {"now": now, "due_in": timedelta(days=2)}
    waiting = enroll(engine, campaign, (Platform.YOUTUBE, "late", None), **soon)
    enroll(engine, campaign, (Platform.YOUTUBE, "done", None), stage="posted", **soon)
    enroll(engine, campaign, (Platform.YOUTUBE, "early", None), now=now, due_in=timedelta(days=10))

    def remind(at: datetime) -> ReminderReport:
        return send_reminders(
            engine=engine, settings=settings, campaign_slug="spring-glow", now=at, actor="test"
        )

    first = remind(now)
    again = remind(now + timedelta(hours=1))
    overdue_at = now + timedelta(days=3, hours=2)  # inside the default send window
    late = remind(overdue_at)

    assert (first.counts()["planned"], first.counts()["sent"]) == (1, 1)
    assert again.counts().get("sent", 0) == 0
    assert late.counts()["sent"] == 1
    with session_scope(engine) as session:
        rows = session.execute(
            select(OutreachMessage.enrollment_id, OutreachMessage.step, OutreachMessage.status)
        ).all()
        campaign_view = load_campaign(session, "spring-glow")
    assert sorted(rows) == [
        (waiting, "reminder_before_3", "sent"),
        (waiting, "reminder_overdue_1", "sent"),
    ]
    # planned again (the outbox, not the plan, makes it exactly once), but never re-sent
    assert [
        p.step for p in plan_reminders(engine=engine, campaign=campaign_view, now=overdue_at)
    ] == ["reminder_overdue_1"]


def test_status_shows_the_cumulative_funnel_and_each_creator(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    for handle, stage in [
        ("a", "shortlisted"),
        ("b", "contacted"),
        ("c", "replied"),
        ("d", "accepted"),
        ("e", "declined"),
        ("f", "removed"),
    ]:
        enroll(engine, campaign, (Platform.TIKTOK, handle, None), now=now, stage=stage)

    status = campaign_status(engine=engine, campaign_slug="spring-glow").as_json()

    assert status["funnel"] == {
        "shortlisted": 5,
        "contacted": 4,
        "replied": 3,
        "accepted": 1,
        "declined": 1,
        "posted": 0,
        "gone": 0,
    }
    assert [c["handle"] for c in status["creators"]] == ["a", "b", "c", "d", "e", "f"]
    assert set(status["creators"][0]) == {
        "enrollment_id",
        "platform",
        "handle",
        "name",
        "tier",
        "stage",
        "due_at",
        "deliverables",
        "live",
        "gone",
        "account_status",
        "problem",
        "compliance",
    }


def test_status_command_prints_stable_json_and_refuses_unknown_formats(
    settings: Settings, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from creatorflow.cli import app
    from creatorflow.settings import get_settings

    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    enroll(engine, campaign, (Platform.YOUTUBE, "mia", None), now=now, stage="posted")
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["campaign", "status", "spring-glow", "--format", "json"])
        table = runner.invoke(app, ["campaign", "status", "spring-glow"])
        bad = runner.invoke(app, ["campaign", "status", "spring-glow", "--format", "xml"])
        missing = runner.invoke(app, ["campaign", "status", "nope", "--format", "json"])
    finally:
        get_settings.cache_clear()

    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["funnel"]["accepted"] == 1 and data["creators"][0]["stage"] == "posted"
    assert table.exit_code == 0 and "mia" in table.output
    assert bad.exit_code != 0 and "xml" in str(bad.exception)
    assert missing.exit_code != 0 and "nope" in str(missing.exception)


def test_reminder_creator_names_are_one_line_whatever_the_stored_name(
    settings: Settings, now: datetime
) -> None:
    """A name with a line break must not turn an operator's subject into a template error."""
    from creatorflow.storage.models import Creator, Enrollment

    engine = engine_for(settings.database_url)
    late = (Platform.YOUTUBE, "late", None)
    enrollment_id = enroll(
        engine, add_campaign(engine, now=now), late, now=now, due_in=timedelta(days=2)
    )
    with session_scope(engine) as session:
        creator_id = session.get(Enrollment, enrollment_id).creator_id  # type: ignore[union-attr]
        session.get(Creator, creator_id).name = "Eve\nBcc: x@else.example"  # type: ignore[union-attr]
        campaign_view = load_campaign(session, "spring-glow")
    [planned] = plan_reminders(engine=engine, campaign=campaign_view, now=now)
    assert planned.context["creator_name"] == "Eve Bcc: x@else.example"
