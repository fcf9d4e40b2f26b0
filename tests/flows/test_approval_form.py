"""The approval form of `launch-campaign` (a Prefect pause with input) and the empty shortlist.

The form's description is the shortlist's summary (per tier, offers against the budget, the
exclusions' reasons, a link to the artifact), read back from the paused run as the UI reads it;
a rejection ends the run Cancelled, never Completed; an empty shortlist never pauses. A dry run
first builds the shortlist, so the form also shows that a reused shortlist reports its true
exclusions. Two flow tests, about a second per flow run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import Enrollment, OutreachMessage
from flows.outreach import launch_campaign
from tests.support.builders import add_creator, add_creators
from tests.support.campaigns import OUTREACH_SPEC, merged
from tests.support.cli import run_main
from tests.support.prefect import paused_run

#: A relay that is never reached (nothing is sent in these tests): "production" for the warning.
RELAY = "smtp://127.0.0.1:9"


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The tasks' environment: this test's database, an SMTP relay, no unsubscribe URL."""
    values = {
        "CREATORFLOW_DATABASE_URL": settings.database_url,
        "CREATORFLOW_MAIL_URL": RELAY,
        "CREATORFLOW_SENDER": str(settings.sender),
        "CREATORFLOW_POSTAL_ADDRESS": str(settings.postal_address),
        "CREATORFLOW_PREVIEW_DIR": str(settings.preview_dir),
    }
    monkeypatch.delenv("CREATORFLOW_UNSUBSCRIBE_BASE_URL", raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def _campaign(tmp_path: Path, **changes: Any) -> Path:
    path = tmp_path / "spring-glow.yaml"
    path.write_text(yaml.safe_dump(merged(OUTREACH_SPEC, **changes)), encoding="utf-8")
    return path


def _artifact_description(key: str) -> str:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        [newest, *_] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
        )
    return str(newest.description)


def test_the_form_summarises_the_shortlist_and_a_rejection_ends_cancelled(
    env: dict[str, str],
    settings: Settings,
    tmp_path: Path,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.flow_runs import resume_flow_run
    from prefect.input.actions import read_flow_run_input
    from prefect.input.run_input import keyset_from_paused_state

    engine = engine_for(settings.database_url)
    add_creators(engine, now, 3)  # micro
    add_creator(engine, now, handle="nano1", email="nano1@mail.example", tier="nano")
    add_creator(engine, now, handle="quiet")  # no email address
    add_creator(engine, now, handle="big", email="big@mail.example", tier="mega")
    campaign = _campaign(tmp_path, budget=20000, selection={"tiers": {"micro": 5, "nano": 5}})
    monkeypatch.setattr("flows.outreach.APPROVAL_POLL_SECONDS", 1)  # the answer is read sooner

    dry = launch_campaign(campaign=str(campaign), dry_run=True, as_of=now)
    assert (dry["shortlisted"], dry["excluded"]) == (4, 2)

    states: list[Any] = []
    runner = threading.Thread(
        target=lambda: states.append(
            launch_campaign(campaign="spring-glow", approve=False, as_of=now, return_state=True)
        ),
        daemon=True,
    )
    runner.start()
    paused = paused_run("launch-spring-glow", never="the flow never paused for approval")
    keys = keyset_from_paused_state(paused.state)
    form = str(read_flow_run_input(keys["description"], flow_run_id=paused.id))
    resume_flow_run(paused.id, run_input={"approve_all": False})
    runner.join(timeout=120)

    assert "| nano | 1 | 5 | 150 | 150 |" in form and "| micro | 3 | 5 | 400 | 1,200 |" in form
    assert "offers **1,350 of the 20,000 USD budget** (7%)" in form
    assert "**2 not shortlisted**" in form  # the dry run's shortlist, reused: still true
    assert "- 1 no email address: import a file with an `email` column" in form
    assert "- 1 tier not in `selection.tiers`" in form
    assert "shortlist-spring-glow" in form and "shortlist-exclusions-spring-glow" in form
    assert "/artifacts/key/shortlist-exclusions-spring-glow)" in form  # a link into the UI
    assert "CREATORFLOW_UNSUBSCRIBE_BASE_URL is not set" in form
    assert "Gmail and Yahoo" in _artifact_description("shortlist-spring-glow")

    [state] = states
    assert state.is_cancelled() and state.message == "rejected by the operator: nothing sent"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(OutreachMessage)) == 0
        stages = conn.scalars(select(Enrollment.stage)).all()
    assert sorted(stages) == ["shortlisted"] * 4


def test_an_empty_shortlist_says_why_and_never_waits_for_approval(
    env: dict[str, str], settings: Settings, tmp_path: Path, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    add_creators(engine, now, 2, engagement_rate=None)  # never refreshed
    add_creator(engine, now, handle="quiet")  # no email address
    campaign = _campaign(tmp_path, selection={"min_engagement_rate": 0.02})

    result = run_main("campaign", "launch", str(campaign), "--dry-run", env=env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("spring-glow: 0 shortlisted, 3 excluded")
    assert (
        "  2 engagement rate unknown (profile not refreshed yet): run `creatorflow creators "
        "refresh`, or set `selection.unknown_engagement: include`" in lines
    )
    assert (
        "  1 no email address: import a file with an `email` column: `creatorflow creators "
        "import FILE.csv`" in lines
    )
    assert "first emails: nothing to send (nobody shortlisted)" in lines
    assert not any(line.startswith("previews") for line in lines)  # no folder to name
    assert not settings.preview_dir.exists()
    assert any("CREATORFLOW_UNSUBSCRIBE_BASE_URL is not set" in line for line in lines)

    states: list[Any] = []
    runner = threading.Thread(
        target=lambda: states.append(
            launch_campaign(campaign=str(campaign), approve=False, as_of=now, return_state=True)
        ),
        daemon=True,
    )
    runner.start()
    runner.join(timeout=90)
    assert not runner.is_alive(), "the flow paused for approval of an empty shortlist"
    [state] = states
    assert state.is_completed()
    assert (
        state.message == "nothing to approve: nobody was shortlisted for spring-glow; nothing sent"
    )
    summary = state.result()
    assert summary["approved"] is False and summary["excluded"] == 3
