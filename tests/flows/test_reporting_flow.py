"""The campaign-report flow: one email per period when the schedule fires twice; artifacts."""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from creatorflow.settings import Settings
from creatorflow.storage.db import make_engine
from creatorflow.storage.models import Campaign
from tests.support.environment import settings_env
from tests.support.worlds import AS_OF, build_report_world


@pytest.fixture
def report_env(settings: Settings, app_env: Callable[[Mapping[str, str]], None]) -> Path:
    """The flow runs on this test's settings; returns the outbox folder."""
    app_env(settings_env(settings))
    return Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))


def test_schedule_firing_twice_in_a_period_sends_one_report(
    settings: Settings, report_env: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.reporting import campaign_report

    engine = make_engine(settings.database_url)
    build_report_world(engine)
    engine.dispose()
    first = campaign_report(slug="spring-glow", as_of=AS_OF)
    second = campaign_report(slug="spring-glow", as_of=AS_OF + timedelta(hours=1))
    assert (first["send"], second["send"]) == ("sent", "skipped")
    assert first["period"] == second["period"] == "2027-W09"
    assert first["definitions_version"] and first["prices_version"] == "emv-2026-01"
    box = mailbox.Maildir(report_env, create=False)
    messages = list(box)
    assert len(messages) == 1
    assert messages[0]["Auto-Submitted"] == "auto-generated"
    assert messages[0]["To"] == "marketing@lumen.example"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["report-spring-glow", "report-spring-glow-creators"])
            )
        )
    by_key = {a.key: str(a.data) for a in artifacts}
    assert "Tier comparison" in by_key["report-spring-glow"]
    assert "hostile" in by_key["report-spring-glow-creators"]
    preview = campaign_report(slug="spring-glow", send=False, as_of=AS_OF + timedelta(days=7))
    assert preview["send"] == "not requested" and len(list(box)) == 1
    # the weekly deployment names no campaign: every active one is reported
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(update(Campaign).values(status="active"))
    engine.dispose()
    weekly = campaign_report(as_of=AS_OF + timedelta(days=7))
    assert weekly["campaigns"]["spring-glow"]["send"] == "sent"
    assert weekly["campaigns"]["spring-glow"]["period"] == "2027-W10"
    assert len(list(box)) == 2
