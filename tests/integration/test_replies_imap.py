"""Reading replies, auto-replies and bounces from a real Dovecot IMAP server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from creatorflow.mail.inbox import InboxError, open_inbox
from creatorflow.services.replies.mailbox import InboxReport, read_inbox
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import (
    Enrollment,
    Event,
    InboundMessage,
    InboxCheckpoint,
    OutreachMessage,
    Suppression,
)
from tests.integration.dovecot import Dovecot, ImapFolder
from tests.support.builders import contacted
from tests.support.mail import auto_reply_from, bounce_of, reply, reply_from

# Arrival dates as the server records them (Dovecot refuses INTERNALDATEs in the future).
ARRIVED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def imap_settings(settings: Settings, imap_folder: ImapFolder) -> Settings:
    return settings.model_copy(update={"inbox_url": SecretStr(imap_folder.url)})


@pytest.fixture
def engine(imap_settings: Settings) -> Engine:
    return engine_for(imap_settings.database_url)


@pytest.fixture
def read(engine: Engine, imap_settings: Settings) -> Callable[[datetime], InboxReport]:
    """One run of the inbox reader at the given moment."""
    return lambda at: read_inbox(engine=engine, settings=imap_settings, now=at, actor="test")


def _stage(engine: Engine, enrollment_id: int) -> str:
    with session_scope(engine) as session:
        row = session.get(Enrollment, enrollment_id)
        assert row is not None
        return row.stage


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(InboundMessage)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.count()).select_from(Suppression)) or 0,
        )


def test_reply_auto_reply_and_bounce_are_classified_and_applied(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    anna, ben, gone = contacted(engine, now, "anna", "ben", "gone")
    marker = "Auto-Submitted: auto-replied"
    imap_folder.append(auto_reply_from(ben, "<ooo-1@creator.example>", marker=marker), when=ARRIVED)
    imap_folder.append(
        reply_from(anna, "<reply-1@creator.example>"), when=ARRIVED + timedelta(minutes=5)
    )
    imap_folder.append(
        bounce_of(gone, "<dsn-1@mx.brand.example>"), when=ARRIVED + timedelta(minutes=10)
    )
    spam = reply(
        sender="stranger@else.example",
        in_reply_to=None,
        message_id="<spam-1@else>",
        subject="Partnership?",
    )
    imap_folder.append(spam, when=ARRIVED + timedelta(minutes=15))

    report = read(now)

    assert report.fetched == 4 and report.recorded == 4
    assert dict(report.counts) == {"auto_reply": 1, "reply": 1, "hard_bounce": 1, "unrelated": 1}
    assert _stage(engine, anna.enrollment_id) == "replied"
    assert _stage(engine, ben.enrollment_id) == "contacted"  # an out-of-office is no answer
    assert _stage(engine, gone.enrollment_id) == "bounced"
    with session_scope(engine) as session:
        message = session.scalars(
            select(OutreachMessage).where(OutreachMessage.enrollment_id == gone.enrollment_id)
        ).one()
        assert message.status == "bounced" and "5.1.1" in (message.detail or "")
        assert session.scalars(select(Suppression.email)).all() == ["gone@creator.example"]
        kinds = {
            row.message_key: row.classification for row in session.scalars(select(InboundMessage))
        }
        assert kinds["<dsn-1@mx.brand.example>"] == "hard_bounce"
        events = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
        assert events.count("stage_changed") == 2
        assert {
            "reply_received",
            "auto_reply_received",
            "hard_bounce_received",
            "message_bounced",
            "suppressed",
            "unrelated_received",
        } <= set(events)
        assert all(
            e.actor == "test"
            for e in session.scalars(select(Event).where(Event.kind != "campaign_registered"))
        )


def test_reading_the_inbox_again_changes_nothing(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    [anna] = contacted(engine, now, "anna")
    imap_folder.append(reply_from(anna, "<reply-2@creator.example>"), when=ARRIVED)
    read(now)
    before = _counts(engine)

    again = read(now + timedelta(hours=1))
    # forget the checkpoint: everything is fetched again, and still recorded once
    with session_scope(engine) as session:
        session.execute(sa.delete(InboxCheckpoint))
    full = read(now + timedelta(hours=2))

    assert again.fetched == 0
    assert full.fetched == 1 and full.recorded == 0
    assert _counts(engine) == before


def test_new_uidvalidity_rereads_by_date_and_records_only_new_mail(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    anna, ben = contacted(engine, now, "anna", "ben")
    first = reply_from(anna, "<reply-3@creator.example>")
    imap_folder.append(first, when=ARRIVED)
    read(now)
    with session_scope(engine) as session:
        old = session.scalars(select(InboxCheckpoint)).one()
        old_validity = old.uidvalidity
        assert old.last_uid == 1 and old.last_seen_at == ARRIVED

    imap_folder.recreate()  # e.g. the mailbox was restored or moved to another server
    imap_folder.append(first, when=ARRIVED)  # the same message, under a new UID scheme
    imap_folder.append(
        reply_from(ben, "<reply-4@creator.example>"), when=ARRIVED + timedelta(hours=3)
    )
    report = read(now + timedelta(hours=1))

    assert report.fetched == 2 and report.recorded == 1
    assert _stage(engine, ben.enrollment_id) == "replied"
    with session_scope(engine) as session:
        new = session.scalars(select(InboxCheckpoint)).one()
        assert new.uidvalidity != old_validity and new.last_uid == 2
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


def test_message_moved_in_with_an_old_arrival_date_is_still_read(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    [anna] = contacted(engine, now, "anna")
    imap_folder.append(
        reply(sender="x@else.example", in_reply_to=None, message_id="<noise@else>"), when=ARRIVED
    )
    read(now)
    # a reply rescued from the spam folder keeps its INTERNALDATE of a week earlier
    imap_folder.append(
        reply_from(anna, "<reply-5@creator.example>"), when=ARRIVED - timedelta(days=7)
    )
    report = read(now)
    assert report.fetched == 1
    assert _stage(engine, anna.enrollment_id) == "replied"


def test_reply_matched_by_sender_when_threading_headers_are_gone(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    [anna] = contacted(engine, now, "anna")
    fresh = {"message_id": "<fresh@creator>", "subject": "About your email"}
    imap_folder.append(
        reply(sender="ANNA@creator.example", in_reply_to=None, **fresh), when=ARRIVED
    )
    read(now)
    assert _stage(engine, anna.enrollment_id) == "replied"


def test_opt_out_by_mail_suppresses_and_opts_out(
    engine: Engine, read: Callable[[datetime], InboxReport], imap_folder: ImapFolder, now: datetime
) -> None:
    [anna] = contacted(engine, now, "anna")
    unsubscribe = reply_from(anna, "<unsub@creator>", subject="unsubscribe", body="\n")
    imap_folder.append(unsubscribe, when=ARRIVED)
    report = read(now)
    assert report.counts["unsubscribe"] == 1
    assert _stage(engine, anna.enrollment_id) == "opted_out"
    with session_scope(engine) as session:
        row = session.scalars(select(Suppression)).one()
        assert (row.email, row.source) == ("anna@creator.example", "reply")


def test_wrong_imap_password_is_a_clear_error_without_the_password(
    imap_folder: ImapFolder,
) -> None:
    url = imap_folder.url.replace(imap_folder.server.password, "not-the-pass-word")
    with pytest.raises(InboxError) as caught:
        open_inbox(url).read(None)
    assert "not-the-pass-word" not in str(caught.value)
    assert f"127.0.0.1:{imap_folder.server.port}" in str(caught.value)


def test_reply_received_before_the_follow_up_day_stops_the_follow_up(
    engine: Engine,
    read: Callable[[datetime], InboxReport],
    imap_settings: Settings,
    imap_folder: ImapFolder,
    now: datetime,
) -> None:
    from creatorflow.services.outreach.follow_ups import send_follow_ups

    anna, ben = contacted(engine, now, "anna", "ben")  # first emails went out a day before `now`
    imap_folder.append(reply_from(anna, "<reply-6@creator.example>"), when=ARRIVED)
    follow_up_day = now + timedelta(days=2, hours=6)  # day 3 after the first email, 10:00 in NY

    # what the track-campaigns flow does: read the inbox, then send what is due
    read(follow_up_day)
    report = send_follow_ups(
        engine=engine,
        settings=imap_settings,
        campaign_slug="spring-glow",
        now=follow_up_day,
        actor="test",
    )

    assert [(o.enrollment_id, o.step) for o in report.sent] == [(ben.enrollment_id, "follow_up_1")]
    with session_scope(engine) as session:
        steps = session.scalars(
            select(OutreachMessage.step).where(OutreachMessage.enrollment_id == anna.enrollment_id)
        ).all()
    assert steps == ["initial"]


def test_unreachable_imap_server_is_a_temporary_error() -> None:
    from creatorflow.mail.inbox import InboxUnavailable
    from tests.support.servers import free_port

    with pytest.raises(InboxUnavailable, match="cannot reach"):
        open_inbox(f"imap://u:p@127.0.0.1:{free_port()}", timeout=5).read(None)


def test_imaps_reads_with_the_configured_ca_and_refuses_an_unknown_certificate(
    settings: Settings, dovecot_server: Dovecot, imap_folder: ImapFolder, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    [anna] = contacted(engine, now, "anna")
    imap_folder.append(reply_from(anna, "<tls-reply@creator>"), when=ARRIVED)
    url = f"{dovecot_server.tls_url}/{imap_folder.name}"
    with pytest.raises(InboxError, match="TLS"):
        open_inbox(url, timeout=10).read(None)

    tls_settings = settings.model_copy(
        update={"inbox_url": SecretStr(url), "mail_ca_file": dovecot_server.ca_file}
    )
    report = read_inbox(engine=engine, settings=tls_settings, now=now, actor="test")
    assert report.mailbox.startswith("imaps://outreach@127.0.0.1:")
    assert report.recorded == 1 and _stage(engine, anna.enrollment_id) == "replied"
