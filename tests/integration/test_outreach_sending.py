"""Outreach through a real SMTP server on loopback: MIME, headers, TLS, AUTH, threading, rules."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select, update

from creatorflow.domain.model import Stage
from creatorflow.domain.unsubscribe import read_token
from creatorflow.mail.errors import TemplateError
from creatorflow.services.outreach.follow_ups import send_follow_ups
from creatorflow.services.outreach.launch import send_initial_emails, shortlist_campaign
from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.outreach.suppression import suppress
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, OutreachMessage, Suppression
from tests.integration.smtpd import (
    Authenticator,
    RecordingHandler,
    make_certificate,
    server_tls,
    start_smtpd,
)
from tests.support.builders import add_creator, add_creators
from tests.support.campaigns import make_spec

ACTOR = "test:outreach"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def starttls_server(handler: RecordingHandler, certificate: tuple[Path, Path]) -> Iterator[int]:
    auth = Authenticator("outreach", "s3cret$pass")
    tls = {"tls_context": server_tls(*certificate), "require_starttls": True}
    controller = start_smtpd(handler, authenticator=auth, auth_required=True, **tls)
    handler.authenticator = auth  # type: ignore[attr-defined]
    yield controller.port
    controller.stop()


@pytest.fixture
def smtp_settings(
    settings: Settings, starttls_server: int, certificate: tuple[Path, Path]
) -> Settings:
    return settings.model_copy(
        update={
            "mail_url": SecretStr(
                f"smtp+starttls://outreach:s3cret%24pass@127.0.0.1:{starttls_server}"
            ),
            "mail_ca_file": certificate[0],
        }
    )


@pytest.fixture
def db(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


def launch(engine: Engine, settings: Settings, now: datetime, **spec: object) -> None:
    shortlist_campaign(
        engine=engine, settings=settings, spec=make_spec(**spec), now=now, actor=ACTOR
    )


def creators(engine: Engine, now: datetime, **addresses: str) -> None:
    """One creator per handle=address, in that order."""
    for handle, email in addresses.items():
        add_creator(engine, now, handle=handle, email=email)


def send_first(engine: Engine, settings: Settings, at: datetime) -> SendReport:
    """The campaign's first emails due at ``at``."""
    return send_initial_emails(
        engine=engine, settings=settings, campaign_slug="spring-glow", now=at, actor=ACTOR
    )


def rows(engine: Engine) -> list[OutreachMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutreachMessage).order_by(OutreachMessage.id)))


def test_initial_email_over_starttls_and_auth_carries_every_header(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creator(db, now, handle="ana", name="Ana Lima", email="Ana@Mail.example")
    launch(db, smtp_settings, now)
    report = send_first(db, smtp_settings, now)
    assert [o.creator for o in report.sent] == ["instagram:ana"]
    assert handler.authenticator.logins == ["outreach"]  # type: ignore[attr-defined]
    [received] = handler.received
    msg = received.message
    assert received.mail_from == "team@brand.example"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"] == "Glow Team <team@brand.example>"
    assert msg["To"] == "Ana Lima <Ana@Mail.example>"
    assert msg["Subject"] == "Paid collaboration: Lumen x Ana Lima (Spring Glow)"
    assert msg["Date"] is not None and "2027" in msg["Date"]
    [row] = rows(db)
    assert msg["Message-ID"] == row.message_id and row.message_id.endswith("@brand.example>")
    assert row.status == "sent" and row.sent_at == now
    assert msg["In-Reply-To"] is None and msg["References"] is None
    https, mailto = [u.strip().strip("<>") for u in msg["List-Unsubscribe"].split(",")]
    token = https.removeprefix("https://brand.example/u/")
    request = read_token(token, key=b"test-secret-key-that-is-long-enough")
    assert (request.email, request.campaign_slug) == ("ana@mail.example", "spring-glow")
    assert mailto == "mailto:team@brand.example?subject=unsubscribe"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw_headers = received.data.split(b"\r\n\r\n", 1)[0].decode()
    assert f"List-Unsubscribe: <{https}>, <{mailto}>" in raw_headers  # not RFC 2047-encoded
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "1 Market St, San Francisco, CA 94105, USA" in body
        assert "object to this and any further messages" in body
        assert https in body
    assert "<style" not in html and 'style="' in html  # CSS inlined
    with session_scope(db) as session:
        assert session.scalars(select(Enrollment.stage)).one() == Stage.CONTACTED
        kinds = set(session.scalars(select(Event.kind)))
    assert {"message_claimed", "message_sent", "stage_changed", "campaign_launched"} <= kinds


# aiosmtpd only counts STARTTLS as TLS for AUTH; on implicit TLS the connection is encrypted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtps_with_implicit_tls_delivers(
    db: Engine, settings: Settings, certificate: tuple[Path, Path], now: datetime
) -> None:
    handler = RecordingHandler()
    auth = Authenticator("u", "p")
    tls = {"ssl_context": server_tls(*certificate), "auth_require_tls": False}
    controller = start_smtpd(handler, authenticator=auth, auth_required=True, **tls)
    try:
        smtps = settings.model_copy(
            update={
                "mail_url": SecretStr(f"smtps://u:p@127.0.0.1:{controller.port}"),
                "mail_ca_file": certificate[0],
            }
        )
        add_creator(db, now, handle="bo", email="bo@mail.example")
        launch(db, smtps, now)
        report = send_first(db, smtps, now)
    finally:
        controller.stop()
    assert len(report.sent) == 1 and len(handler.received) == 1 and auth.logins == ["u"]


def test_follow_ups_thread_on_the_first_email_and_the_sequence_ends(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creator(db, now, handle="ana", email="ana@mail.example")
    launch(db, smtp_settings, now)
    send_first(db, smtp_settings, now)

    def follow_ups(at: datetime) -> int:
        report = send_follow_ups(
            engine=db, settings=smtp_settings, campaign_slug="spring-glow", now=at, actor=ACTOR
        )
        return len(report.sent)

    assert follow_ups(now + timedelta(days=2)) == 0
    assert follow_ups(now + timedelta(days=3)) == 1
    assert follow_ups(now + timedelta(days=3, hours=2)) == 0
    assert follow_ups(now + timedelta(days=7)) == 1
    assert follow_ups(now + timedelta(days=30)) == 0
    first, second, third = (r.message for r in handler.received)
    assert second["Subject"] == third["Subject"] == f"Re: {first['Subject']}"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"] == f"{first['Message-ID']} {second['Message-ID']}"
    assert [r.step for r in rows(db)] == ["initial", "follow_up_1", "follow_up_2"]
    with session_scope(db) as session:
        assert session.scalars(select(Enrollment.stage)).one() == Stage.FINISHED


def test_follow_ups_stop_once_the_creator_replied(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creators(db, now, 2)
    launch(db, smtp_settings, now)
    send_first(db, smtp_settings, now)
    with session_scope(db) as session:
        session.execute(update(Enrollment).where(Enrollment.id == 1).values(stage="replied"))
    day_three = now + timedelta(days=3)
    report = send_follow_ups(
        engine=db, settings=smtp_settings, campaign_slug="spring-glow", now=day_three, actor=ACTOR
    )
    assert [o.enrollment_id for o in report.sent] == [2]


def test_suppressed_address_is_never_emailed_whatever_its_spelling(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    creators(db, now, ana="Ana@Mail.Example", bo="bo@mail.example")
    launch(db, smtp_settings, now)
    assert suppress(
        engine=db, email="  ANA@mail.example ", reason="asked", source="cli", now=now, actor=ACTOR
    )
    report = send_first(db, smtp_settings, now)
    assert [(o.creator, o.reason) for o in report.skipped] == [("instagram:ana", "suppressed")]
    assert [r.rcpt_tos for r in handler.received] == [["bo@mail.example"]]


def test_daily_cap_and_per_domain_cap_hold_back_the_rest(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creators(db, now, 4, domain="big.example")
    add_creators(db, now, 0)
    for i in range(3):
        add_creator(db, now, handle=f"other{i}", email=f"other{i}@small.example")
    launch(db, smtp_settings, now, outreach={"per_domain_cap": 2, "daily_cap": 4})
    report = send_first(db, smtp_settings, now)
    assert len(report.sent) == 4 and len(handler.received) == 4
    reasons = sorted(o.reason or "" for o in report.skipped)
    assert reasons.count("per-domain cap reached (2 a day)") == 2
    assert reasons.count("daily cap reached (4 per mailbox)") == 1
    later = send_first(db, smtp_settings, now + timedelta(hours=25))
    assert len(later.sent) == 3


def test_send_window_follows_the_recipient_time_zone(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creator(db, now, handle="tokyo", email="t@mail.example", timezone="Asia/Tokyo")
    add_creator(db, now, handle="lisbon", email="l@mail.example", timezone="Europe/Lisbon")
    launch(db, smtp_settings, now, outreach={"send_window": {"start": "09:00", "end": "17:00"}})
    report = send_first(db, smtp_settings, now)  # 09:00 UTC: 18:00 in Tokyo
    assert [o.creator for o in report.sent] == ["instagram:lisbon"]
    [skipped] = report.skipped
    assert skipped.reason is not None and skipped.reason.startswith("outside send window")
    weekend = send_first(db, smtp_settings, now + timedelta(days=4, hours=-8))  # Fri 10:00 JST
    assert [o.creator for o in weekend.sent] == ["instagram:tokyo"]


def test_template_error_stops_the_batch_with_nothing_sent(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(smtp_settings.templates_dir, templates)
    settings = smtp_settings.model_copy(update={"templates_dir": templates})
    add_creators(db, now, 3)
    launch(db, settings, now)
    # edited after the shortlist (whose launch rendered every first email: see
    # test_bad_input_storage.py), before the send
    broken = templates / "outreach" / "default" / "initial.txt.j2"
    broken.write_text("Hi {{ creator.first_name }},\n\nCode: {{ promo }}\n")
    with pytest.raises(TemplateError) as caught:
        send_first(db, settings, now)
    assert "initial.txt.j2:3" in str(caught.value) and "'promo' is undefined" in str(caught.value)
    assert handler.received == [] and rows(db) == []


def test_creator_name_with_markup_is_escaped_in_the_html_part(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    add_creator(db, now, handle="xss", name="<script>alert(1)</script>", email="x@mail.example")
    launch(db, smtp_settings, now)
    send_first(db, smtp_settings, now)
    html = handler.received[0].message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_address_fails_and_is_suppressed_while_deferrals_are_retried(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    creators(db, now, gone="gone@mail.example", busy="busy@mail.example")
    handler.refuse["gone@mail.example"] = "550 5.1.1 no such user"
    handler.defer["busy@mail.example"] = 1
    launch(db, smtp_settings, now)
    from creatorflow.services.outreach.sending import OutboundEmail, send_emails

    report = send_emails(
        engine=db,
        settings=smtp_settings,
        now=now,
        actor=ACTOR,
        retry_delays=(0.0,),
        emails=[OutboundEmail(i, "initial", "outreach/default/initial") for i in (1, 2)],
    )
    assert [o.creator for o in report.failed] == ["instagram:gone"]
    assert "550 5.1.1" in (report.failed[0].reason or "")
    assert [o.creator for o in report.sent] == ["instagram:busy"]
    with session_scope(db) as session:
        assert session.scalars(select(Suppression.email)).all() == ["gone@mail.example"]
        stages = dict(session.execute(select(Enrollment.id, Enrollment.stage)).tuples().all())
    assert stages == {1: "bounced", 2: "contacted"}
    assert [r.status for r in rows(db)] == ["failed", "sent"]


def test_sending_refuses_to_start_without_sender_and_postal_address(
    db: Engine, settings: Settings, now: datetime
) -> None:
    from creatorflow.settings import SettingsError

    add_creator(db, now, handle="ana", email="ana@mail.example")
    launch(db, settings, now)
    bare = settings.model_copy(update={"sender": None, "postal_address": ""})
    with pytest.raises(SettingsError) as caught:
        send_first(db, bare, now)
    assert str(caught.value) == (
        "missing required setting(s): CREATORFLOW_SENDER, CREATORFLOW_POSTAL_ADDRESS"
    )
    assert rows(db) == []


def test_a_creator_with_a_broken_address_is_skipped_and_the_rest_still_go(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    creators(db, now, typo="typo-at-mail.example", ok="ok@mail.example")
    launch(db, smtp_settings, now)
    report = send_first(db, smtp_settings, now)
    assert [(o.creator, o.reason) for o in report.skipped] == [
        ("instagram:typo", "invalid email address 'typo-at-mail.example'")
    ]
    assert [r.rcpt_tos for r in handler.received] == [["ok@mail.example"]]


def test_a_creator_name_with_line_breaks_cannot_inject_headers_or_stop_the_batch(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    """Names from platform look-ups are creator-controlled and may carry line breaks."""
    add_creator(
        db, now, handle="evil", name="Eve\r\nBcc: victim@else.example", email="e@mail.example"
    )
    add_creator(db, now, handle="ok", email="ok@mail.example")
    launch(db, smtp_settings, now)
    report = send_first(db, smtp_settings, now)
    assert sorted(o.creator for o in report.sent) == ["instagram:evil", "instagram:ok"]
    assert sorted(r.rcpt_tos[0] for r in handler.received) == ["e@mail.example", "ok@mail.example"]
    evil = next(r.message for r in handler.received if r.rcpt_tos == ["e@mail.example"])
    assert evil["Bcc"] is None
    assert "Eve Bcc: victim@else.example" in str(evil["Subject"])


def test_an_address_holding_two_addresses_is_skipped_not_sent_to_both(
    db: Engine, smtp_settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    """Suppression is checked on the whole stored value, so the outbox must never split it."""
    suppress(
        engine=db, email="bcc@else.example", reason="opted out", source="test", now=now, actor=ACTOR
    )
    creators(db, now, two="x@mail.example,bcc@else.example", ok="ok@mail.example")
    launch(db, smtp_settings, now)
    report = send_first(db, smtp_settings, now)
    assert [o.creator for o in report.skipped] == ["instagram:two"]
    assert [r.rcpt_tos for r in handler.received] == [["ok@mail.example"]]
