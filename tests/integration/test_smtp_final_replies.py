"""The final reply of every SMTP transaction decides a message's state (aiosmtpd on loopback).

451, 550 and 552 after the message data, and connections dropped before and after the 354:
each leaves the state the reply means, retries what nothing delivered, and loses nothing.
The ledger that matters is the server's: every test counts what it received.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from creatorflow.mail.errors import PermanentMailError, TemporaryMailError
from creatorflow.mail.message import Sender, build_message
from creatorflow.mail.transport import SMTPTransport
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Suppression
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.outbox import event_kinds, outbox, send_first, shortlisted, stages, statuses
from tests.support.send_runs import smtp_settings

A, B = "ana@mail.example", "bo@mail.example"


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def port(handler: RecordingHandler) -> Iterator[int]:
    controller = start_smtpd(handler)
    yield controller.port
    controller.stop()


@pytest.fixture
def config(settings: Settings, port: int) -> Settings:
    return smtp_settings(settings, port)


def received(handler: RecordingHandler) -> list[str]:
    return sorted(r for item in handler.received for r in item.rcpt_tos)


def test_451_after_the_data_defers_and_a_later_run_sends_it_once_under_its_message_id(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.final_replies[A] = ["451 4.3.0 try again later"] * 2  # the run's own retry too
    first = send_first(engine, config, now)
    assert [o.to for o in first.sent] == [B] and received(handler) == [B]
    [deferred] = first.deferred
    row = outbox(engine)[0]
    assert (deferred.to, deferred.message_id, deferred.at) == (A, row.message_id, now)
    assert "451 4.3.0 try again later" in (deferred.reason or "")
    assert (row.status, row.attempts, row.smtp_code) == ("deferred", 1, 451)
    assert row.deferred_until == now + timedelta(minutes=30)
    assert stages(engine) == {1: "shortlisted", 2: "contacted"}

    early = send_first(engine, config, now + timedelta(minutes=10))
    assert early.sent == [] and "deferred until" in (early.skipped[0].reason or "")
    later = send_first(engine, config, now + timedelta(minutes=31))
    assert [o.to for o in later.sent] == [A]
    assert received(handler) == [A, B]  # each once
    ana = next(item.message for item in handler.received if item.rcpt_tos == [A])
    assert ana["Message-ID"] == row.message_id
    assert statuses(engine) == {"sent": 2}
    assert event_kinds(engine)["message_deferred"] == 1


def test_550_5_1_1_after_the_data_fails_with_code_and_text_and_suppresses_the_address(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.final_replies[A] = ["550 5.1.1 <ana@mail.example>: Recipient address rejected"]
    report = send_first(engine, config, now)
    [failed] = report.failed
    assert failed.to == A and failed.message_id and failed.at == now
    assert "550 5.1.1 <ana@mail.example>: Recipient address rejected" in (failed.reason or "")
    row = outbox(engine)[0]
    assert (row.status, row.smtp_code, row.smtp_status, row.failure) == (
        "failed",
        550,
        "5.1.1",
        "address",
    )
    with session_scope(engine) as session:
        assert session.scalars(select(Suppression.email)).all() == [A]
    assert stages(engine) == {1: "bounced", 2: "contacted"}
    assert received(handler) == [B]
    assert send_first(engine, config, now + timedelta(days=1)).sent == []
    assert received(handler) == [B]


def test_552_mailbox_full_is_tried_again_later_then_failed_never_suppressed(
    settings: Settings, port: int, handler: RecordingHandler, now: datetime
) -> None:
    config = smtp_settings(settings, port, send_max_attempts=2)
    engine = shortlisted(config, now, addresses=(A,))
    handler.final_replies[A] = ["552 5.2.2 mailbox full"] * 5
    first = send_first(engine, config, now, retry_delays=(0.0, 0.0))
    assert len(first.deferred) == 1
    assert len(handler.final_replies[A]) == 4  # a full mailbox is not retried within the run
    row = outbox(engine)[0]
    assert (row.status, row.failure, row.smtp_status) == ("deferred", "mailbox_full", "5.2.2")
    second = send_first(engine, config, now + timedelta(hours=1))
    [failed] = second.failed
    assert "gave up after 2 tries" in (failed.reason or "") and "552 5.2.2" in (failed.reason or "")
    assert outbox(engine)[0].status == "failed"
    with session_scope(engine) as session:
        assert session.scalars(select(Suppression.email)).all() == []
    assert stages(engine) == {1: "shortlisted"} and received(handler) == []


def test_a_policy_refusal_fails_but_the_person_is_not_suppressed(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A,))
    handler.final_replies[A] = ["550 5.7.1 Message rejected as spam"]
    report = send_first(engine, config, now)
    assert len(report.failed) == 1
    assert outbox(engine)[0].failure == "policy"
    with session_scope(engine) as session:
        assert session.scalars(select(Suppression.email)).all() == []
    assert stages(engine) == {1: "shortlisted"}


def test_a_drop_before_the_354_is_sent_again_on_a_new_connection_never_unknown(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.drop_before_354[A] = 1
    handler.drop_before_354[B] = 4  # two tries of two connections each: deferred
    first = send_first(engine, config, now)
    assert [o.to for o in first.sent] == [A] and not first.unknown
    [deferred] = first.deferred
    assert deferred.to == B and "nothing was delivered" in (deferred.reason or "")
    later = send_first(engine, config, now + timedelta(hours=1))
    assert [o.to for o in later.sent] == [B] and not later.unknown
    assert received(handler) == [A, B]
    assert statuses(engine) == {"sent": 2}


def test_a_drop_after_the_data_is_unknown_named_and_never_resent(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.drop_after_data = {A}
    first = send_first(engine, config, now)
    [unknown] = first.unknown
    row = outbox(engine)[0]
    assert (unknown.creator, unknown.step, unknown.at, unknown.message_id) == (
        "instagram:ana",
        "initial",
        now,
        row.message_id,
    )
    assert "before the final reply" in (unknown.reason or "")
    assert [o.to for o in first.sent] == [B]  # the batch went on over a new connection
    handler.drop_after_data = set()
    again = send_first(engine, config, now + timedelta(hours=2))
    assert again.sent == []
    assert [o.reason for o in again.skipped] == [
        "outcome unknown from an earlier run: needs an operator"
    ]
    assert received(handler) == [A, B]
    assert statuses(engine) == {"unknown": 1, "sent": 1}


def _message(text: str, to: str = A) -> object:
    return build_message(
        sender=Sender("Team", "team@brand.example"),
        to_address=to,
        to_name=None,
        subject="Hi",
        text=text,
        html="<p>h</p>",
        message_id=f"<{to}@brand.example>",
        date=datetime(2027, 3, 1, tzinfo=UTC),
    )


def test_the_transport_reads_the_final_reply_and_keeps_the_connection_for_the_next(
    handler: RecordingHandler, port: int
) -> None:
    handler.final_replies[A] = ["550 5.1.1 no such user", "451 4.7.1 greylisted", "552 5.2.2 full"]
    with SMTPTransport("127.0.0.1", port, timeout=10) as transport:
        with pytest.raises(PermanentMailError) as dead:
            transport.send(_message("x"))  # type: ignore[arg-type]
        assert (dead.value.code, dead.value.status, dead.value.kind) == (550, "5.1.1", "address")
        with pytest.raises(TemporaryMailError) as later:
            transport.send(_message("x"))  # type: ignore[arg-type]
        assert (later.value.code, later.value.persistent) == (451, False)
        with pytest.raises(TemporaryMailError) as full:
            transport.send(_message("x"))  # type: ignore[arg-type]
        assert full.value.persistent and full.value.kind == "mailbox_full"
        delivered = transport.send(_message(".hidden line\n..two dots\nend", to=B))  # type: ignore[arg-type]
    assert delivered.code == 250
    [item] = handler.received
    body = item.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.splitlines()[:3] == [".hidden line", "..two dots", "end"]  # dots unstuffed
