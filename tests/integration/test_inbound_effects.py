"""What each class of inbound mail does, read from a real Maildir into SQLite and PostgreSQL."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from creatorflow.services.replies.mailbox import InboxReport, read_inbox
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, InboundMessage, OutreachMessage, Suppression
from tests.support.builders import Contacted, contacted
from tests.support.mail import arf_complaint, bounce, bounce_of, qmail_bounce

FULL = {"status": "5.2.2", "diagnostic": "552 5.2.2 Mailbox full"}


@pytest.fixture
def db_settings(settings: Settings, db_url: str, request: pytest.FixtureRequest) -> Settings:
    engine = engine_for(db_url)
    request.addfinalizer(engine.dispose)
    return settings.model_copy(update={"database_url": db_url})


def _deliver(settings: Settings, *messages: bytes) -> None:
    path = Path(settings.inbox_url.get_secret_value().removeprefix("maildir://"))
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)


def _read(settings: Settings, at: datetime) -> InboxReport:
    engine = engine_for(settings.database_url)
    return read_inbox(engine=engine, settings=settings, now=at, actor="test")


def _state(engine: Engine, person: Contacted) -> tuple[str, str | None]:
    """The enrollment's stage and the address's suppression source (None: not suppressed)."""
    with session_scope(engine) as session:
        stage = session.get(Enrollment, person.enrollment_id)
        source = session.scalars(
            select(Suppression.source).where(Suppression.email == person.email)
        ).one_or_none()
        assert stage is not None
        return stage.stage, source


def _soft_bounce(person: Contacted, n: int, when: datetime) -> bytes:
    return bounce_of(person, f"<soft-{person.handle}-{n}@mx>", when=when, **FULL)


def test_soft_bounces_make_an_address_undeliverable_after_three_over_a_week(
    db_settings: Settings, now: datetime
) -> None:
    engine = engine_for(db_settings.database_url)
    slow, busy = contacted(engine, now, "slow", "busy")
    days = (0, 3, 8)
    for n, day in enumerate(days[:2]):
        _deliver(db_settings, _soft_bounce(slow, n, now + timedelta(days=day)))
    # three for busy, all within two days: a full mailbox over a weekend is no dead address
    _deliver(db_settings, *(_soft_bounce(busy, n, now + timedelta(days=n)) for n in range(3)))
    first = _read(db_settings, now + timedelta(days=3, hours=1))
    assert first.counts["soft_bounce"] == 5 and first.suppressed == []
    assert _state(engine, slow) == ("contacted", None)

    _deliver(db_settings, _soft_bounce(slow, 2, now + timedelta(days=8)))
    second = _read(db_settings, now + timedelta(days=8, hours=1))

    assert second.effects.undeliverable == [slow.email]
    assert second.bounced == [slow.enrollment_id]
    assert _state(engine, slow) == ("bounced", "bounce")
    assert _state(engine, busy) == ("contacted", None)
    with session_scope(engine) as session:
        reason = session.scalars(
            select(Suppression.reason).where(Suppression.email == slow.email)
        ).one()
        assert reason.startswith("undeliverable: 3 soft bounces")


def test_the_soft_bounce_limit_and_days_are_settings(settings: Settings, now: datetime) -> None:
    strict = settings.model_copy(update={"soft_bounce_limit": 1, "soft_bounce_days": 0})
    engine = engine_for(strict.database_url)
    [anna] = contacted(engine, now, "anna")
    _deliver(strict, _soft_bounce(anna, 0, now))
    report = _read(strict, now + timedelta(hours=1))
    assert report.effects.undeliverable == [anna.email]
    assert _state(engine, anna) == ("bounced", "bounce")


@pytest.mark.parametrize("named", [True, False])
def test_a_complaint_suppresses_at_once_and_ends_the_enrollment(
    db_settings: Settings, now: datetime, named: bool
) -> None:
    engine = engine_for(db_settings.database_url)
    [anna] = contacted(engine, now, "anna")
    raw = arf_complaint(
        recipient=anna.email if named else None,
        original_message_id=anna.message_ids["initial"],
        message_id="<fbl-1@provider.example>",
    )
    _deliver(db_settings, raw)
    report = _read(db_settings, now + timedelta(hours=1))
    assert dict(report.counts) == {"complaint": 1}
    assert report.opted_out == [anna.enrollment_id] and report.suppressed == [anna.email]
    assert _state(engine, anna) == ("opted_out", "complaint")


def test_a_refusal_is_recorded_and_nobody_is_suppressed(
    db_settings: Settings, now: datetime
) -> None:
    engine = engine_for(db_settings.database_url)
    [anna] = contacted(engine, now, "anna")
    refused = bounce_of(
        anna, "<spam-1@mx>", status="5.7.1", diagnostic="550 5.7.1 Message rejected as spam"
    )
    _deliver(db_settings, refused)
    report = _read(db_settings, now + timedelta(hours=1))
    assert dict(report.counts) == {"blocked": 1} and report.suppressed == []
    assert _state(engine, anna) == ("contacted", None)
    with session_scope(engine) as session:
        row = session.scalars(select(InboundMessage)).one()
        assert (row.classification, row.enrollment_id) == ("blocked", anna.enrollment_id)


def test_a_plain_text_bounce_suppresses_the_address_named_in_its_body(
    db_settings: Settings, now: datetime
) -> None:
    engine = engine_for(db_settings.database_url)
    [gone] = contacted(engine, now, "gone")
    raw = qmail_bounce(
        recipient=gone.email,
        original_message_id="<not-ours@elsewhere.example>",  # the copy below names no id of ours
        message_id="<qmail-1@mx>",
        remote_said=f"550 5.1.1 <{gone.email}>... User Unknown",
    )
    _deliver(db_settings, raw)
    report = _read(db_settings, now + timedelta(hours=1))
    assert dict(report.counts) == {"hard_bounce": 1}
    assert _state(engine, gone) == ("bounced", "bounce")
    with session_scope(engine) as session:
        message = session.scalars(select(OutreachMessage)).one()
        assert message.status == "bounced" and "5.1.1" in (message.detail or "")


def test_a_bounce_of_mail_we_never_sent_is_unrelated(db_settings: Settings, now: datetime) -> None:
    engine = engine_for(db_settings.database_url)
    contacted(engine, now, "anna")
    backscatter = bounce(
        recipient="stranger@else.example",
        original_message_id="<forged@spammer.example>",
        message_id="<bs-1@mx>",
    )
    _deliver(db_settings, backscatter)
    report = _read(db_settings, now + timedelta(hours=1))
    assert dict(report.counts) == {"unrelated": 1} and report.suppressed == []
