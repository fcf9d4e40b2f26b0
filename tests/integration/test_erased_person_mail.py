"""Mail from a person erased on request is dropped before anything is stored (maildir inbox):
no address, name, subject or effect, nobody re-created, counted once in the run summary."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from creatorflow.services.creators.forget import forget_person
from creatorflow.services.replies.mailbox import read_inbox
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Creator, Enrollment, InboundMessage, Suppression
from tests.support.builders import contacted
from tests.support.mail import bounce, reply, reply_from
from tests.support.personal_data import dump_text


def _deliver(settings: Settings, *messages: bytes) -> None:
    box = mailbox.Maildir(Path(settings.inbox_url.get_secret_value()[len("maildir://") :]))
    for raw in messages:
        box.add(raw)


def test_mail_from_an_erased_person_is_dropped_and_counted_once(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    zara, lena = contacted(engine, now, "zarafina", "lena")
    forget_person(
        engine=engine, settings=settings, person=zara.email, reason="asked", now=now, actor="t"
    )
    with session_scope(engine) as s:
        creators = s.scalar(select(func.count(Creator.id)))
    assert "zarafina" not in dump_text(engine)
    later = now + timedelta(days=3)
    _deliver(
        settings,
        # a new message from her address, naming her in the subject and the body
        reply(
            sender=zara.email,
            in_reply_to=None,
            message_id="<fresh-1@mail.example>",
            subject="Zarafina again: about Spring Glow",
            body="Hi, Zarafina Rossi here, call me on +39 333 1234567\n",
            when=later,
        ),
        # a late bounce naming her address
        bounce(
            recipient=zara.email,
            original_message_id=zara.message_ids["initial"],
            message_id="<bounce-3@mx.example>",
            when=later,
        ),
        reply_from(lena, "<lena-4@mail.example>", when=later),
    )

    report = read_inbox(engine=engine, settings=settings, now=later, actor="t")

    assert (report.fetched, report.recorded, report.erased_dropped) == (3, 1, 2)
    assert report.counts["reply"] == 1 and report.replied == [lena.enrollment_id]
    assert report.as_json()["erased_dropped"] == 2
    assert report.summary().endswith("; 2 mail(s) from an erased person, dropped")
    text = dump_text(engine)
    for secret in ("zarafina", "rossi", "333 1234567"):
        assert secret not in text
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Creator.id))) == creators  # nobody re-created
        assert s.get(Enrollment, zara.enrollment_id).stage == "opted_out"  # type: ignore[union-attr]
        assert s.scalars(select(Suppression.email)).all() == []
        dropped = s.scalars(
            select(InboundMessage).where(InboundMessage.message_key.startswith("erased:"))
        ).all()
        assert len(dropped) == 2
        assert {(d.from_address, d.subject, d.enrollment_id) for d in dropped} == {
            (None, None, None)
        }

    again = read_inbox(engine=engine, settings=settings, now=later, actor="t")
    assert (again.recorded, again.erased_dropped) == (0, 0)  # counted once, never stored
