"""The `respond` flow (deployment respond/manual): the operator's form in the Prefect UI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import pytest

from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
from tests.support.builders import contacted
from tests.support.environment import settings_env


@pytest.fixture
def env(settings: Settings, app_env: Callable[[Mapping[str, str]], None]) -> None:
    app_env(settings_env(settings))


def test_respond_flow_accepts_from_the_typed_form(
    settings: Settings, now: datetime, env: None
) -> None:
    from flows.replies import CreatorResponse, respond

    engine = engine_for(settings.database_url)
    [anna] = contacted(engine, now, "anna")

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
