"""A person who left every kind of trace (for the erasure, export and retention tests), and
a dump of the whole database as text, to show what is left after an erasure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from creatorflow.services.outreach.suppression import add_suppression
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Base,
    Conversion,
    InboundMessage,
    OutreachMessage,
    ProfileSnapshot,
)
from tests.support.builders import (
    add_account,
    add_enrollment,
    add_post,
    add_sent_messages,
    record_stages,
)
from tests.support.worlds import T0, at

EMAIL = "zoe.marchetti@creators.example"
HANDLE = "zoe_marchetti.glow"
CHANNEL = "UCzoemarchetti000000000a"
TUBE = "zoemarchetti.tube"
CHANNEL_NAME = "Glow With Zoë M"
NAME = "Zoë Marchetti"
OLD_EMAIL = "old.zoe@mail.example"
#: Everything that names her: none of it may be left anywhere after the erasure.
SECRETS = [EMAIL, HANDLE, TUBE, CHANNEL, CHANNEL_NAME, NAME, "Marchetti", OLD_EMAIL, "Via Roma 17"]


@dataclass(frozen=True)
class Zoe:
    creator_id: int
    enrollment_id: int


def add_zoe(engine: Engine, campaign_id: int) -> Zoe:
    """A posted creator with everything a person leaves: two accounts, mail both ways, a post,
    snapshots, a conversion, a suppression, a shipping address and events naming her."""
    person = {"name": NAME, "email": EMAIL, "country": "IT", "timezone": "Europe/Rome"}
    with session_scope(engine) as s:
        account = add_account(
            s, platform="instagram", handle=HANDLE, now=T0, creator=person, followers=40_000
        )
        cid = account.creator_id
        tube = Account(creator_id=cid, platform="youtube", handle=TUBE, tier="micro")
        tube.external_id, tube.status, tube.created_at, tube.updated_at = CHANNEL, "active", T0, T0
        if "display_name" in Account.__table__.c:  # the channel's own name, as YouTube shows it
            tube.display_name = CHANNEL_NAME  # type: ignore[attr-defined,unused-ignore]
        s.add(tube)
        terms = {"stage": "posted", "fee": Decimal("250.00"), "currency": "USD"}
        terms |= {"promo_code": "ZOE15", "accepted_at": at(2, 6), "followers_at_shortlist": 40_000}
        terms["tracking_url"] = f"https://lumen.example/spring?utm_content={HANDLE}"
        enrollment = add_enrollment(s, account, campaign_id=campaign_id, now=T0, **terms)
        path = [("shortlisted", T0), ("contacted", at(2, 2)), ("replied", at(2, 4))]
        record_stages(s, enrollment, [*path, ("accepted", at(2, 6))])
        ids = add_sent_messages(s, enrollment, to=EMAIL, steps=("initial", "brief"), now=at(2, 8))
        s.execute(
            sa.update(OutreachMessage)
            .where(OutreachMessage.message_id == ids["initial"])
            .values(detail=f"250 ok <{EMAIL}>", subject=f"Spring Glow x {NAME}?")
        )
        s.add(
            InboundMessage(
                message_key=f"<reply-{HANDLE}@mail.example>",
                mailbox="INBOX",
                classification="reply",
                from_address=EMAIL,
                subject=f"Re: Spring Glow x {NAME}?",
                enrollment_id=enrollment.id,
                received_at=at(2, 4),
                recorded_at=at(2, 4),
            )
        )
        caption = f"my glow routine with @lumen #ad by @{HANDLE}"
        url = f"https://www.instagram.com/{HANDLE}/p/zoe1/"
        snapshots = [(at(2, 17), (3000, 300, 30, None, 10))]
        add_post(s, enrollment.id, platform="instagram", post_id="zoe1", posted_at=at(2, 16),
                 snapshots=snapshots, url=url, caption=caption)  # fmt: skip
        record_stages(s, enrollment, [("posted", at(2, 16))], before="accepted")
        s.add(ProfileSnapshot(account_id=account.id, taken_at=at(2, 10), followers=41_000))
        conversion = Conversion(campaign_id=campaign_id, enrollment_id=enrollment.id, clicks=9)
        conversion.row_key, conversion.occurred_on, conversion.imported_at = "z", at(2, 20), T0
        conversion.leads, conversion.sales, conversion.source = 1, 1, "test"
        s.add(conversion)
        add_suppression(s, email=EMAIL, reason="asked", source="reply", now=at(2, 9), actor="t")
        changes = {"changes": {"email": [OLD_EMAIL, EMAIL], "name": [None, NAME]}}
        record_event(s, kind="creator_updated", entity="creator", entity_id=cid, creator_id=cid,
                     detail=changes | {"source": "creators.csv:3"}, actor="cli", at=T0)  # fmt: skip
        # an event that names her without her id: redacted, the rest of it kept
        detail = {"from": f"{NAME} <{EMAIL}>", "also": "ben@creators.example"}
        record_event(s, kind="message_unknown", entity="inbound_message", entity_id=None,
                     detail=detail, actor="flow-run:x", at=at(2, 5))  # fmt: skip
        shipping = Base.metadata.tables.get("shipping_addresses")
        if shipping is not None:
            s.execute(
                sa.insert(shipping).values(
                    enrollment_id=enrollment.id, name=NAME, street="Via Roma 17", city="Milano",
                    postcode="20121", country="IT", updated_at=T0,
                )
            )  # fmt: skip
        webhooks = Base.metadata.tables.get("webhook_events")
        if webhooks is not None:  # a mention notification naming her, matched to no post
            s.execute(
                sa.insert(webhooks).values(
                    platform="instagram", event_key="zoe-mention", kind="story_mention",
                    payload={"from": {"username": HANDLE}, "text": f"hi from {NAME}"},
                    received_at=at(2, 17), status="unmatched",
                )
            )  # fmt: skip
        return Zoe(cid, enrollment.id)


def dump_text(engine: Engine) -> str:
    """Every column of every table in the database (not only the models'), cast to text."""
    found = []
    with engine.connect() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn)  # what the database holds, not only the models' tables
        for table in reflected.sorted_tables:
            columns = [sa.cast(c, sa.Text) for c in table.c]
            for row in conn.execute(sa.select(*columns)):
                found.append(" | ".join("" if v is None else str(v) for v in row))
    return "\n".join(found).lower()


@pytest.fixture
def db_settings(settings: Settings, db_url: str) -> Settings:
    """The test's settings on the parametrised database (SQLite, then PostgreSQL)."""
    return settings.model_copy(update={"database_url": db_url})
