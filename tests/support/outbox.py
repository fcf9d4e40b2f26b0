"""A campaign ready to send, and what its outbox holds afterwards: for the sending tests."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.services.outreach.follow_ups import send_follow_ups
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.outreach.sending import OutboundEmail, send_emails
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, InboundMessage, OutreachMessage
from tests.support.builders import add_creator, add_creators
from tests.support.campaigns import make_spec

ACTOR = "test:outbox"
SLUG = "spring-glow"


def shortlisted(
    config: Settings, now: datetime, *, count: int = 0, addresses: tuple[str, ...] = ()
) -> Engine:
    """``count`` creators (creator0000@mail.example, ...) or one creator per address, shortlisted
    in the ``spring-glow`` campaign with room for all of them; returns the engine."""
    engine = engine_for(config.database_url)
    if count:
        add_creators(engine, now, count)
    for address in addresses:
        add_creator(engine, now, handle=address.partition("@")[0], email=address)
    size = count + len(addresses)
    spec = make_spec(
        selection={"tiers": {"micro": size}},
        offer={"micro": 100},
        budget=100 * size,
        outreach={"per_domain_cap": size * 5},
    )
    shortlist_campaign(engine=engine, settings=config, spec=spec, now=now, actor=ACTOR)
    return engine


def send_first(
    engine: Engine, config: Settings, at: datetime, *, actor: str = ACTOR, **options: Any
) -> SendReport:
    """The first email of every creator still ``shortlisted`` (what a launch re-run sends)."""
    with session_scope(engine) as session:
        ids = session.scalars(
            select(Enrollment.id).where(Enrollment.stage == "shortlisted").order_by(Enrollment.id)
        ).all()
    emails = [OutboundEmail(i, "initial", "outreach/default/initial", thread=False) for i in ids]
    options.setdefault("retry_delays", (0.0,))
    return send_emails(
        engine=engine, settings=config, emails=emails, now=at, actor=actor, **options
    )


def follow_ups(engine: Engine, config: Settings, at: datetime) -> SendReport:
    return send_follow_ups(engine=engine, settings=config, campaign_slug=SLUG, now=at, actor=ACTOR)


def outbox(engine: Engine) -> list[OutreachMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutreachMessage).order_by(OutreachMessage.id)))


def statuses(engine: Engine) -> dict[str, int]:
    return dict(Counter(row.status for row in outbox(engine)))


def event_kinds(engine: Engine) -> Counter[str]:
    with session_scope(engine) as session:
        return Counter(session.scalars(select(Event.kind)))


def stages(engine: Engine) -> dict[int, str]:
    with session_scope(engine) as session:
        return dict(session.execute(select(Enrollment.id, Enrollment.stage)).tuples().all())


def record_inbound(
    engine: Engine, message: OutreachMessage, classification: str, now: datetime
) -> None:
    """An inbound message about ``message`` as the inbox records it (``hard_bounce``,
    ``blocked``, ``complaint``...): what the deliverability guard counts."""
    with session_scope(engine) as session:
        session.add(
            InboundMessage(
                message_key=f"<{classification}-{message.id}@feedback.example>",
                mailbox="test",
                classification=classification,
                from_address="feedback@provider.example",
                subject=classification,
                enrollment_id=message.enrollment_id,
                outreach_message_id=message.id,
                received_at=now,
                recorded_at=now,
            )
        )
