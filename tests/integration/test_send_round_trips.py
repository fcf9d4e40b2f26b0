"""What a send batch costs the database, and that the cheaper path still records everything.

Each message's start (the previous outcome, its event, ``sending``) is one statement on
PostgreSQL; every outcome still has its row and its one event, whatever the outcome. The contact
cap at send time counts only first emails that reached (or are reaching) the person in the last
90 days, now filtered in Python rather than SQL (issue 20: the SQL filter scanned the outbox).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from creatorflow.mail.errors import MailOutcomeUnknown, PermanentMailError, TemporaryMailError
from creatorflow.mail.transport import Delivered, Transport
from creatorflow.services.outreach.contact_cap import held_at_send
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, OutreachMessage
from tests.support.outbox import send_first, shortlisted

COUNT = 120  # more than two claim chunks
#: creator number -> what the server does with that creator's message (the rest: accepted)
SCRIPT = {3: "deferred", 7: "failed", 51: "unknown", 52: "deferred", 99: "failed"}


class Scripted(Transport):
    """Answers each message by the recipient's number (``creator0007@...`` is 7)."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def send(self, msg: EmailMessage) -> Delivered:
        address = str(msg["To"]).rpartition("<")[2].rstrip(">")
        self.sent[address] += 1
        what = SCRIPT.get(int(address.partition("@")[0].removeprefix("creator")))
        if what == "deferred":
            raise TemporaryMailError("451 try later", code=451, status="4.3.0")
        if what == "failed":
            raise PermanentMailError("554 content refused", code=554, status="5.6.0")
        if what == "unknown":
            raise MailOutcomeUnknown("connection lost after the data")
        return Delivered(250, "queued")


@pytest.fixture
def config(settings: Settings, db_url: str) -> Settings:
    return settings.model_copy(update={"database_url": db_url, "daily_cap": 10 * COUNT})


def _counting(engine: Engine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(*args: Any) -> None:
        statements.append(args[2])

    return statements


def test_every_outcome_has_its_row_and_one_event_and_a_start_is_one_statement_on_postgresql(
    config: Settings, now: datetime
) -> None:
    engine = shortlisted(config, now, count=COUNT)
    statements = _counting(engine)
    transport = Scripted()
    report = send_first(engine, config, now, transport=transport)
    sending = len(statements)

    expected = Counter({"sent": COUNT - len(SCRIPT)}) + Counter(SCRIPT.values())
    assert Counter(report.counts()) - Counter() == expected
    assert max(transport.sent.values()) == 2  # a 451 is tried again once (retry_delays)
    with session_scope(engine) as session:
        rows = {r.id: r.status for r in session.scalars(select(OutreachMessage))}
        events = session.execute(
            select(Event.kind, Event.entity_id).where(Event.entity == "message")
        ).all()
        stages = Counter(session.scalars(select(Enrollment.stage)))
    assert Counter(rows.values()) == expected
    claimed = Counter(entity for kind, entity in events if kind == "message_claimed")
    outcomes = Counter((kind, entity) for kind, entity in events if kind != "message_claimed")
    assert claimed == Counter(list(rows))  # one claim each
    assert outcomes == Counter((f"message_{status}", i) for i, status in rows.items())
    assert stages["contacted"] == expected["sent"]

    # per message: one statement on PostgreSQL, three in one transaction on SQLite (no
    # data-modifying WITH there); plus a few per chunk of 50 (rules, claims, stage moves) and
    # the batch's reads
    per_message = 1 if config.database_url.startswith("postgresql") else 3
    assert sending <= per_message * COUNT + 60, sending


def _first_email(session: Any, enrollment_id: int, status: str, at: datetime, step: str) -> None:
    session.execute(
        insert(OutreachMessage).values(
            enrollment_id=enrollment_id,
            step=step,
            message_id=f"<{enrollment_id}-{step}@brand.example>",
            to_address="someone@mail.example",
            subject="Hello",
            status=status,
            claimed_at=at,
            sent_at=at if status == "sent" else None,
        )
    )


@pytest.mark.parametrize(
    ("status", "days_ago", "step", "held"),
    [
        ("sent", 10, "initial", True),
        ("queued", 0, "initial", True),  # being sent by another run right now
        ("unknown", 30, "initial", True),
        ("bounced", 30, "initial", True),
        ("sent", 91, "initial", False),  # outside the 90 days
        ("failed", 10, "initial", False),  # never reached the person
        ("deferred", 10, "initial", False),
        ("sent", 10, "follow_up_1", False),  # not a cold contact
    ],
)
def test_the_cap_at_send_counts_first_emails_that_reached_the_person_in_90_days(
    config: Settings, now: datetime, status: str, days_ago: int, step: str, held: bool
) -> None:
    engine = engine_for(config.database_url)
    shortlisted(config, now, count=2)
    with session_scope(engine) as session:
        enrollments = session.execute(
            select(Enrollment.id, Enrollment.creator_id, Enrollment.campaign_id).order_by(
                Enrollment.id
            )
        ).all()
        (one, creator, campaign), (_two, other, _) = enrollments
        # the contact is another campaign's: a second campaign row for the same creator
        _first_email(session, one, status, now - timedelta(days=days_ago), step)
        reasons = held_at_send(
            session, [(creator, campaign + 1), (other, campaign + 1)], limit=1, now=now
        )
    assert reasons[1] is None  # the other creator has no contact at all
    if held:
        assert reasons[0] == (
            "held back at send: contacted by 1 campaigns in the last 90 days (at most 1 per person)"
        )
    else:
        assert reasons[0] is None
