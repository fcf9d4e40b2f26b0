"""The `respond` flow (deployment respond/manual): the operator's form in the Prefect UI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
from tests.outreach_rows import seed_campaign, seed_contacted


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CREATORFLOW_MAIL_URL", settings.mail_url.get_secret_value())
    monkeypatch.setenv("CREATORFLOW_SENDER", settings.sender or "")
    monkeypatch.setenv("CREATORFLOW_POSTAL_ADDRESS", settings.postal_address or "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_respond_flow_accepts_from_the_typed_form(
    settings: Settings, now: datetime, env: None
) -> None:
    from flows.replies import CreatorResponse, respond

    engine = engine_for(settings.database_url)
    campaign = seed_campaign(engine, now)
    anna = seed_contacted(engine, campaign, handle="anna", email="anna@creator.example", now=now)

    result = respond(
        CreatorResponse(campaign_slug="spring-glow", creator="instagram:anna", answer="accepted"),
        as_of=now + timedelta(hours=6),
    )

    assert result["stage"] == "accepted" and result["brief"] == "sent"
    assert result["promo_code"] and "utm_content=anna" in result["tracking_url"]
    with session_scope(engine) as session:
        row = session.get(Enrollment, anna.enrollment_id)
        assert row is not None and row.stage == "accepted"


def test_respond_form_rejects_a_malformed_creator() -> None:
    from pydantic import ValidationError

    from flows.replies import CreatorResponse

    with pytest.raises(ValidationError, match="creator"):
        CreatorResponse(campaign_slug="spring-glow", creator="anna", answer="accepted")
    with pytest.raises(ValidationError, match="fee"):
        CreatorResponse(
            campaign_slug="spring-glow", creator="tiktok:anna", answer="accepted", fee=-5
        )
