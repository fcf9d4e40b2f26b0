"""Recording a creator's answer: accepting sends one brief (maildir outbox), declining ends it."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select

from creatorflow.errors import InputError, NotFoundError, TransitionError
from creatorflow.services.replies.answers import ResponseResult, respond, send_pending_briefs
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, OutreachMessage
from tests.support.builders import contact
from tests.support.campaigns import register_example

# 15:00 UTC on a Monday is 10:00 in New York: inside the example campaign's send window.
IN_WINDOW = timedelta(hours=6)


def _outbox(settings: Settings) -> list[EmailMessage]:
    path = Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))
    if not path.exists():
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    return [
        cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(box.get_bytes(key)))
        for key in box.iterkeys()
    ]


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def registered(settings: Settings, now: datetime) -> tuple[Engine, StoredCampaign]:
    """The example campaign, registered; tests contact the creators they need."""
    engine = engine_for(settings.database_url)
    campaign = register_example(engine, now)
    return engine, campaign


def answer(
    engine: Engine, settings: Settings, handle: str, *, at: datetime, **terms: Any
) -> ResponseResult:
    """The operator records instagram:``handle``'s answer in spring-glow at ``at``: accepted at
    the offer unless ``terms`` say ``accepted=False`` or give a ``fee``."""
    where = {"campaign_slug": "spring-glow", "platform": "instagram", "handle": handle}
    terms = {"accepted": True, "fee": None, **terms}
    return respond(engine=engine, settings=settings, now=at, actor="test", **where, **terms)


def test_accepting_sends_exactly_one_brief_with_link_code_and_due_date(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    anna = contact(
        engine, campaign, handle="anna.glow", email="anna@creator.example", now=now, stage="replied"
    )
    at = now + IN_WINDOW

    result = answer(engine, settings, "@Anna.Glow", at=at, fee=Decimal("450"))
    again = answer(engine, settings, "anna.glow", at=at + timedelta(minutes=5))

    assert result.changed and result.brief == "sent"
    assert not again.changed and again.brief is not None and again.brief.startswith("skipped")
    mails = _outbox(settings)
    assert len(mails) == 1
    brief = mails[0]
    assert brief["To"].addresses[0].addr_spec == "anna@creator.example"
    assert brief["Subject"].startswith("Your brief: Spring Glow 2027")
    text = _text(brief)
    due = (at + timedelta(days=14)).date()
    assert f"{due:%B} {due.day}, {due.year}" in text and "450 USD" in text  # as people write it
    assert "#springglow #lumenpartner" in text and "@lumenskincare" in text
    assert "#ad" in text
    assert result.promo_code is not None and result.promo_code in text
    assert result.tracking_url is not None and result.tracking_url in text
    query = parse_qs(urlsplit(result.tracking_url).query)
    assert query == {
        "utm_source": ["instagram"],
        "utm_medium": ["influencer"],
        "utm_campaign": ["spring-glow"],
        "utm_content": ["anna.glow"],
    }
    assert "unsubscribe" in text  # the shared compliance footer
    with session_scope(engine) as session:
        row = session.get(Enrollment, anna.enrollment_id)
        assert row is not None
        assert (row.stage, row.fee, row.currency) == ("accepted", Decimal("450.00"), "USD")
        assert row.accepted_at == at and row.due_at == at + timedelta(days=14)
        assert row.promo_code == result.promo_code
        brief_row = session.scalars(
            select(OutreachMessage).where(
                OutreachMessage.enrollment_id == anna.enrollment_id, OutreachMessage.step == "brief"
            )
        ).one()
        assert brief_row.status == "sent" and brief_row.message_id == brief["Message-ID"]
        changes = [
            e.detail for e in session.scalars(select(Event).where(Event.kind == "stage_changed"))
        ]
        assert changes[-1]["to"] == "accepted" and changes[-1]["from"] == "replied"


def test_accepting_without_a_fee_takes_the_offer(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    contact(engine, campaign, handle="ben", now=now)
    result = answer(engine, settings, "ben", at=now + IN_WINDOW)
    assert result.fee == Decimal("400")
    assert "400 USD" in _text(_outbox(settings)[0])


def test_brief_held_back_by_the_send_window_goes_out_with_pending_briefs(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    contact(engine, campaign, handle="cara", now=now)
    night = now  # 04:00 in New York
    result = answer(engine, settings, "cara", at=night)
    assert result.stage == "accepted" and result.brief is not None
    assert result.brief.startswith("skipped") and _outbox(settings) == []

    report = send_pending_briefs(
        engine=engine, settings=settings, now=now + IN_WINDOW, actor="test"
    )
    later = send_pending_briefs(engine=engine, settings=settings, now=now + IN_WINDOW, actor="test")
    assert len(report.sent) == 1 and later.sent == [] and len(_outbox(settings)) == 1


def test_declining_ends_the_sequence_and_repeating_it_changes_nothing(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    dan = contact(engine, campaign, handle="dan", now=now)
    first = answer(engine, settings, "dan", at=now, accepted=False)
    second = answer(engine, settings, "dan", at=now, accepted=False)
    assert (first.stage, first.changed) == ("declined", True)
    assert (second.stage, second.changed) == ("declined", False)
    with session_scope(engine) as session:
        row = session.get(Enrollment, dan.enrollment_id)
        assert row is not None and row.stage == "declined"
    assert _outbox(settings) == []


@pytest.mark.parametrize(
    ("stage", "message"),
    [("opted_out", "opted out"), ("bounced", "bounced"), ("shortlisted", "not been contacted")],
)
def test_impossible_acceptances_are_refused_and_change_nothing(
    settings: Settings,
    now: datetime,
    registered: tuple[Engine, StoredCampaign],
    stage: str,
    message: str,
) -> None:
    engine, campaign = registered
    eve = contact(engine, campaign, handle="eve", now=now, stage=stage)
    with pytest.raises(TransitionError, match=message) as caught:
        answer(engine, settings, "eve", at=now + IN_WINDOW)
    assert "instagram:eve" in str(caught.value) and "spring-glow" in str(caught.value)
    with session_scope(engine) as session:
        row = session.get(Enrollment, eve.enrollment_id)
        assert row is not None and row.stage == stage and row.promo_code is None
    assert _outbox(settings) == []


def test_suppressed_address_cannot_accept(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    from creatorflow.services.outreach.suppression import suppress

    engine, campaign = registered
    contact(engine, campaign, handle="fay", now=now)
    suppress(
        engine=engine,
        email="FAY@creator.example",
        reason="asked",
        source="cli",
        now=now,
        actor="test",
    )
    with pytest.raises(TransitionError, match="suppression list"):
        answer(engine, settings, "fay", at=now + IN_WINDOW)


def test_unknown_campaign_creator_or_enrollment_are_refused(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    contact(engine, campaign, handle="gus", now=now)
    kwargs = dict(engine=engine, settings=settings, accepted=True, fee=None, now=now, actor="test")
    with pytest.raises(NotFoundError, match="no campaign 'autumn'"):
        respond(campaign_slug="autumn", platform="instagram", handle="gus", **kwargs)
    with pytest.raises(NotFoundError, match="no creator tiktok:gus"):
        respond(campaign_slug="spring-glow", platform="tiktok", handle="gus", **kwargs)
    with pytest.raises(InputError, match="unknown platform"):
        respond(campaign_slug="spring-glow", platform="myspace", handle="gus", **kwargs)


def test_creator_in_another_campaign_only_is_refused(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    from creatorflow.storage.campaigns import register_campaign

    engine, campaign = registered
    other = register_campaign(
        engine=engine,
        spec=campaign.spec.model_copy(update={"slug": "autumn"}),
        now=now,
        actor="test",
    )
    contact(engine, other, handle="hal", now=now)
    with pytest.raises(NotFoundError, match="instagram:hal is not in campaign spring-glow"):
        answer(engine, settings, "hal", at=now)


def test_changing_the_fee_of_an_accepted_creator_is_refused(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    engine, campaign = registered
    contact(engine, campaign, handle="ivy", now=now)
    answer(engine, settings, "ivy", at=now + IN_WINDOW, fee=Decimal("300"))
    with pytest.raises(TransitionError, match="already accepted with fee 300"):
        answer(engine, settings, "ivy", at=now + IN_WINDOW, fee=Decimal("350"))


def test_accepting_without_a_sender_configured_changes_nothing(
    settings: Settings, now: datetime, registered: tuple[Engine, StoredCampaign]
) -> None:
    from creatorflow.settings import SettingsError

    engine, campaign = registered
    joe = contact(engine, campaign, handle="joe", now=now)
    unconfigured = settings.model_copy(update={"sender": None})
    with pytest.raises(SettingsError, match="CREATORFLOW_SENDER"):
        answer(engine, unconfigured, "joe", at=now + IN_WINDOW)
    with session_scope(engine) as session:
        row = session.get(Enrollment, joe.enrollment_id)
        assert row is not None and row.stage == "contacted" and row.accepted_at is None
