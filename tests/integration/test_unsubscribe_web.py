"""The one-click unsubscribe endpoint over real HTTP on loopback (uvicorn in a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from creatorflow.domain.unsubscribe import make_token
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, Event, Suppression
from creatorflow.web.app import create_app
from tests.support.builders import Contacted, contact
from tests.support.campaigns import register_example
from tests.support.servers import serve

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def web(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1; yields its base URL."""
    with serve(create_app(settings)) as base_url:
        yield base_url


@pytest.fixture
def anna(settings: Settings, now: datetime) -> Contacted:
    engine = engine_for(settings.database_url)
    return contact(
        engine, register_example(engine, now), handle="anna", email="Anna@Creator.example", now=now
    )


def _key(settings: Settings) -> bytes:
    assert settings.secret_key is not None
    return settings.secret_key.get_secret_value().encode()


@pytest.fixture
def token(settings: Settings, anna: Contacted) -> str:
    """anna's unsubscribe token, as her emails carry it."""
    return make_token(anna.email, "spring-glow", key=_key(settings))


def _state(settings: Settings, enrollment_id: int) -> tuple[str, list[str], int]:
    with session_scope(engine_for(settings.database_url)) as session:
        enrollment = session.get(Enrollment, enrollment_id)
        assert enrollment is not None
        return (
            enrollment.stage,
            list(session.scalars(select(Suppression.email))),
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )


def test_one_click_post_suppresses_and_opts_out(
    web: str, settings: Settings, anna: Contacted, token: str
) -> None:
    with requests.Session() as http:
        answer = http.post(f"{web}/u/{token}", data=ONE_CLICK, timeout=10)
        assert answer.status_code == 200
        assert "unsubscribed" in answer.text
        assert not answer.cookies
        stage, suppressed, events = _state(settings, anna.enrollment_id)
        assert stage == "opted_out"
        assert suppressed == ["anna@creator.example"]
        # pressing the button twice changes nothing more
        assert http.post(f"{web}/u/{token}", data=ONE_CLICK, timeout=10).status_code == 200
    assert _state(settings, anna.enrollment_id) == (stage, suppressed, events)
    with session_scope(engine_for(settings.database_url)) as session:
        kinds = [
            e.kind for e in session.scalars(select(Event).where(Event.actor == "web:unsubscribe"))
        ]
    assert sorted(kinds) == ["stage_changed", "suppressed"]


def test_later_sends_skip_an_address_unsubscribed_by_one_click(
    web: str, settings: Settings, anna: Contacted, token: str, now: datetime
) -> None:
    from creatorflow.services.outreach.sending import OutboundEmail, send_emails

    assert requests.post(f"{web}/u/{token}", data=ONE_CLICK, timeout=10).status_code == 200
    report = send_emails(
        engine=engine_for(settings.database_url),
        settings=settings,
        emails=[OutboundEmail(anna.enrollment_id, "follow_up_1", "outreach/default/follow_up_1")],
        now=now + timedelta(hours=6),  # inside the campaign's send window
        actor="test",
    )
    assert report.sent == [] and [o.reason for o in report.skipped] == ["suppressed"]
    outbox = Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))
    assert list(outbox.glob("*/*")) == []


def test_forged_or_altered_tokens_get_400_and_change_nothing(
    web: str, settings: Settings, anna: Contacted
) -> None:
    before = _state(settings, anna.enrollment_id)
    genuine = make_token(anna.email, "spring-glow", key=_key(settings))
    forged = make_token(anna.email, "spring-glow", key=b"someone-elses-key-entirely")
    payload, signature = genuine.split(".")
    other = make_token("ben@creator.example", "spring-glow", key=_key(settings)).split(".")[0]
    altered = f"{other}.{signature}"
    with requests.Session() as http:
        for token in (forged, altered, "garbage", f"{payload}.", "a.b.c"):
            answer = http.post(f"{web}/u/{token}", data=ONE_CLICK, timeout=10)
            assert answer.status_code == 400, token
            assert http.get(f"{web}/u/{token}", timeout=10).status_code == 400
    assert _state(settings, anna.enrollment_id) == before


def test_post_without_the_one_click_body_changes_nothing(
    web: str, settings: Settings, anna: Contacted, token: str
) -> None:
    before = _state(settings, anna.enrollment_id)
    answer = requests.post(f"{web}/u/{token}", data={"something": "else"}, timeout=10)
    assert answer.status_code == 400
    assert _state(settings, anna.enrollment_id) == before


def test_get_shows_a_confirmation_button_and_changes_nothing(
    web: str, settings: Settings, anna: Contacted, token: str
) -> None:
    before = _state(settings, anna.enrollment_id)
    page = requests.get(f"{web}/u/{token}", timeout=10)
    assert page.status_code == 200
    assert f'action="/u/{token}"' in page.text and 'method="post"' in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert _state(settings, anna.enrollment_id) == before


def test_multipart_one_click_body_is_accepted(
    web: str, settings: Settings, anna: Contacted, token: str
) -> None:
    answer = requests.post(
        f"{web}/u/{token}", files={"List-Unsubscribe": (None, "One-Click")}, timeout=10
    )
    assert answer.status_code == 200
    assert _state(settings, anna.enrollment_id)[0] == "opted_out"
