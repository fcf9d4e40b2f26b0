"""Exactly once under faults: dropped connections, lost replies, killed runs, overlapping runs.

The ledger that matters is the SMTP server's: every test counts what it received.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
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

ACTOR = "test:exactly-once"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def smtp_port(handler: RecordingHandler) -> Iterator[int]:
    controller = start_smtpd(handler)
    yield controller.port
    controller.stop()


def smtp(settings: Settings, port: int, **changes: object) -> Settings:
    return settings.model_copy(
        update={"mail_url": SecretStr(f"smtp://127.0.0.1:{port}"), **changes}
    )


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
        report = send_emails(
            engine=engine, settings=config, emails=emails, now=now, actor=ACTOR, retry_delays=(0.0,)
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


KILLED_RUN = """
import json, sys
from datetime import datetime
from creatorflow.services.outreach.launch import send_initial_emails
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
config = Settings(_env_file=None, **json.loads(sys.argv[1]))
send_initial_emails(engine=engine_for(config.database_url), settings=config,
                    campaign_slug="spring-glow", now=datetime.fromisoformat(sys.argv[2]),
                    actor="test:killed")
"""


def test_run_killed_mid_data_leaves_unknown_not_a_resend(
    settings: Settings, handler: RecordingHandler, smtp_port: int, now: datetime
) -> None:
    config = smtp(settings, smtp_port)
    engine = prepare(config, now, 2)
    handler.block_in_data = threading.Event()
    fields = {
        "database_url": config.database_url,
        "mail_url": f"smtp://127.0.0.1:{smtp_port}",
        "sender": config.sender,
        "postal_address": config.postal_address,
        "templates_dir": str(config.templates_dir),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, json.dumps(fields), now.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not handler.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handler.received, "the child never reached DATA"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        handler.block_in_data.set()
    # Both messages were claimed in one chunk before the first SMTP byte: both stay claimed.
    assert statuses(engine) == {"sending": 2}
    handler.block_in_data = None
    report = send_initial(engine, config, now + timedelta(hours=1))
    assert [o.reason for o in report.unknown] == [
        "stale claim from a crashed run: needs an operator"
    ] * 2
    assert report.sent == [] and len(report.skipped) == 2
    assert_each_received_once(handler, 1)  # the one in DATA arrived; nothing was resent
    assert statuses(engine) == {"unknown": 2}


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
    for _ in range(5):  # re-runs pick up what a dropped connection deferred, nothing else
        rerun = send_initial(engine, config, now)
        sent += len(rerun.sent)
        if not rerun.deferred:
            break
    assert sent == 40
    assert_each_received_once(handler, 40)
    assert statuses(engine) == {"sent": 40}
    # engine_for's cache (8 URLs) evicts this engine during later tests: close its pool now.
    engine.dispose()
