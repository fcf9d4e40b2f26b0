"""Reading the embedded default inbox (a Maildir) with the same effects as IMAP."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from creatorflow.services.replies.mailbox import InboxReport, read_inbox
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, InboundMessage, InboxCheckpoint
from tests.support.builders import contact, contacted
from tests.support.campaigns import register_example
from tests.support.concurrency import run_together
from tests.support.mail import auto_reply_from, bounce_of, reply_from


def _inbox(settings: Settings) -> mailbox.Maildir:
    path = Path(settings.inbox_url.get_secret_value().removeprefix("maildir://"))
    return mailbox.Maildir(path, factory=None, create=True)


def test_maildir_replies_and_bounces_are_applied_once(
    settings: Settings, db_url: str, now: datetime, request: pytest.FixtureRequest
) -> None:
    settings = settings.model_copy(update={"database_url": db_url})  # SQLite and PostgreSQL
    engine = engine_for(settings.database_url)
    request.addfinalizer(engine.dispose)  # engine_for's cache may drop it: close its pool now
    campaign = register_example(engine, now)
    anna = contact(engine, campaign, handle="anna", now=now)
    ben = contact(engine, campaign, handle="ben", now=now, steps=("initial", "follow_up_1"))
    box = _inbox(settings)
    box.add(reply_from(anna, "<m-reply@creator>"))
    # the bounce of ben's follow-up, already moved to cur/ by a mail client
    seen = mailbox.MaildirMessage(
        bounce_of(ben, "<m-dsn@mx>", step="follow_up_1", returned="message")
    )
    seen.set_subdir("cur")
    box.add(seen)
    box.add(auto_reply_from(anna, "<m-ooo@creator>", marker="X-Autoreply: yes"))

    first = read_inbox(engine=engine, settings=settings, now=now, actor="test")
    with session_scope(engine) as session:
        events = session.scalar(select(func.count()).select_from(Event))
    again = read_inbox(engine=engine, settings=settings, now=now + timedelta(hours=1), actor="test")

    assert first.recorded == 3 and dict(first.counts) == {
        "reply": 1,
        "hard_bounce": 1,
        "auto_reply": 1,
    }
    assert again.fetched == 3 and again.recorded == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events
        stages = {e.id: e.stage for e in session.scalars(select(Enrollment))}
        assert stages == {anna.enrollment_id: "replied", ben.enrollment_id: "bounced"}
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 3
        assert session.scalar(select(func.count()).select_from(InboxCheckpoint)) == 0


def test_missing_maildir_is_an_empty_inbox(settings: Settings, now: datetime) -> None:
    report = read_inbox(
        engine=engine_for(settings.database_url), settings=settings, now=now, actor="test"
    )
    assert (report.fetched, report.recorded) == (0, 0)


@pytest.mark.postgres
def test_overlapping_reads_on_postgresql_apply_each_message_once(
    settings: Settings, postgres_url: str, now: datetime, request: pytest.FixtureRequest
) -> None:
    settings = settings.model_copy(update={"database_url": postgres_url})
    engine = engine_for(postgres_url)
    request.addfinalizer(engine.dispose)
    box = _inbox(settings)
    people = contacted(engine, now, *(f"c{i}" for i in range(12)))
    for i, person in enumerate(people):
        if i % 3 == 0:
            box.add(bounce_of(person, f"<dsn-{i}@mx>"))
        else:
            box.add(reply_from(person, f"<r-{i}@creator>"))

    def read() -> InboxReport:
        return read_inbox(engine=engine, settings=settings, now=now, actor="test")

    _, errors = run_together([read, read], timeout=60)

    assert errors == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 12
        kinds = [e.kind for e in session.scalars(select(Event))]
        assert kinds.count("stage_changed") == 12
        assert kinds.count("suppressed") == 4 and kinds.count("message_bounced") == 4
        assert kinds.count("reply_received") == 8 and kinds.count("hard_bounce_received") == 4
