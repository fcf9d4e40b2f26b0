"""Exactly once under faults: dropped connections, lost replies, killed runs, overlapping runs.

The ledger that matters is the SMTP server's: every test counts what it received.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.services.outreach.launch import send_initial_emails, shortlist_campaign
from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.outreach.sending import OutboundEmail, send_emails
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import OutreachMessage
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.builders import add_creators
from tests.support.campaigns import make_spec
from tests.support.concurrency import run_together
from tests.support.send_runs import smtp_settings as smtp
from tests.support.send_runs import start_sending, wait_until

ACTOR = "test:exactly-once"


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def smtp_port(handler: RecordingHandler) -> Iterator[int]:
    controller = start_smtpd(handler)
    yield controller.port
    controller.stop()


def statuses(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        out: dict[str, int] = {}
        for status in session.scalars(select(OutreachMessage.status)):
            out[status] = out.get(status, 0) + 1
        return out


def assert_each_received_once(handler: RecordingHandler, expected: int) -> None:
    counts = handler.count_by_recipient()
    assert len(counts) == expected
    assert set(counts.values()) == {1}


def prepare(config: Settings, now: datetime, count: int) -> Engine:
    """``count`` creators shortlisted in the campaign; returns the engine of ``config``."""
    engine = engine_for(config.database_url)
    add_creators(engine, now, count)
    shortlist_campaign(engine=engine, settings=config, spec=make_spec(), now=now, actor=ACTOR)
    return engine


def send_initial(engine: Engine, config: Settings, at: datetime) -> SendReport:
    return send_initial_emails(
        engine=engine, settings=config, campaign_slug="spring-glow", now=at, actor=ACTOR
    )


def test_random_connection_drops_before_data_still_deliver_each_email_once(
    settings: Settings, handler: RecordingHandler, smtp_port: int, now: datetime
) -> None:
    config = smtp(settings, smtp_port)
    engine = prepare(config, now, 30)
    handler.drop_rcpt_rate = 0.35
    emails = [OutboundEmail(i, "initial", "outreach/default/initial") for i in range(1, 31)]
    sent, runs = 0, 0
    while sent < 30 and runs < 10:
        runs += 1
        at = now + timedelta(hours=runs - 1)  # a deferred message waits for a later run
        report = send_emails(
            engine=engine, settings=config, emails=emails, now=at, actor=ACTOR, retry_delays=(0.0,)
        )
        sent += len(report.sent)
        assert not report.failed and not report.unknown
    assert runs > 1 or handler.drop_rcpt_rate  # the faults really happened
    assert_each_received_once(handler, 30)
    assert statuses(engine) == {"sent": 30}


def test_connection_lost_after_data_is_unknown_and_never_resent(
    settings: Settings, handler: RecordingHandler, smtp_port: int, now: datetime
) -> None:
    config = smtp(settings, smtp_port)
    engine = prepare(config, now, 3)
    handler.drop_after_data = {"creator0001@mail.example"}
    first = send_initial(engine, config, now)
    assert [o.to for o in first.unknown] == ["creator0001@mail.example"]
    assert len(first.sent) == 2
    handler.drop_after_data = set()
    again = send_initial(engine, config, now + timedelta(hours=1))
    assert again.sent == []
    assert [o.reason for o in again.skipped] == [
        "outcome unknown from an earlier run: needs an operator"
    ]
    assert_each_received_once(handler, 3)
    assert statuses(engine) == {"sent": 2, "unknown": 1}


class ExplodingAfterSend:
    """A transport wrapper: the process dies right after the server accepted the message."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def send(self, msg: object) -> None:
        self.inner.send(msg)  # type: ignore[attr-defined]
        raise RuntimeError("worker crashed after sending")

    def close(self) -> None:
        self.inner.close()  # type: ignore[attr-defined]


def test_crash_after_sending_marks_unknown_and_a_rerun_sends_only_the_rest(
    settings: Settings, handler: RecordingHandler, smtp_port: int, now: datetime
) -> None:
    from creatorflow.mail.transport import transport_for

    config = smtp(settings, smtp_port)
    engine = prepare(config, now, 3)
    exploding = ExplodingAfterSend(transport_for(config))
    try:
        with pytest.raises(RuntimeError):
            send_emails(
                engine=engine,
                settings=config,
                now=now,
                actor=ACTOR,
                transport=exploding,  # type: ignore[arg-type]
                emails=[OutboundEmail(1, "initial", "outreach/default/initial")],
            )
    finally:
        exploding.close()
    report = send_initial(engine, config, now)
    assert len(report.sent) == 2 and len(report.skipped) == 1
    assert_each_received_once(handler, 3)
    assert statuses(engine) == {"sent": 2, "unknown": 1}


def test_run_killed_mid_data_leaves_one_unknown_and_its_untried_claims_go_out_again(
    settings: Settings, handler: RecordingHandler, smtp_port: int, now: datetime
) -> None:
    config = smtp(settings, smtp_port)
    engine = prepare(config, now, 2)
    handler.block_in_data = threading.Event()
    child = start_sending(config, now, "test:killed")
    try:
        wait_until(lambda: bool(handler.received), what="the child to reach DATA")
        child.kill()
        assert child.wait(timeout=30) is None
    finally:
        if child.process.poll() is None:
            child.kill()
            child.wait()
        handler.block_in_data.set()
    # Both were claimed in one chunk; only the one in flight had started.
    assert statuses(engine) == {"sending": 1, "queued": 1}
    handler.block_in_data = None
    report = send_initial(engine, config, now + timedelta(hours=1))
    [unknown] = report.unknown
    assert unknown.reason == "stale claim from a crashed run: needs an operator"
    assert unknown.to == "creator0000@mail.example" and unknown.message_id and unknown.at == now
    assert [o.to for o in report.sent] == ["creator0001@mail.example"]  # never tried: sent now
    assert [o.reason for o in report.skipped] == [
        "outcome unknown from an earlier run: needs an operator"
    ]
    assert_each_received_once(handler, 2)  # the one in DATA arrived; nothing was resent
    assert statuses(engine) == {"unknown": 1, "sent": 1}


@pytest.mark.postgres
def test_overlapping_runs_on_postgresql_send_each_step_once(
    settings: Settings,
    postgres_url: str,
    handler: RecordingHandler,
    smtp_port: int,
    now: datetime,
) -> None:
    config = smtp(settings, smtp_port, database_url=postgres_url)
    engine = prepare(config, now, 40)
    handler.drop_rcpt_rate = 0.1
    reports, errors = run_together([lambda: send_initial(engine, config, now)] * 3)
    assert not errors, [repr(e) for e in errors]
    sent = sum(len(r.sent) for r in reports)
    assert sent > 0 and len(reports) == 3
    for hours in range(1, 6):  # later runs pick up what a dropped connection deferred
        rerun = send_initial(engine, config, now + timedelta(hours=hours))
        sent += len(rerun.sent)
        if not rerun.deferred:
            break
    assert sent == 40
    assert_each_received_once(handler, 40)
    assert statuses(engine) == {"sent": 40}
    # engine_for's cache (8 URLs) evicts this engine during later tests: close its pool now.
    engine.dispose()
