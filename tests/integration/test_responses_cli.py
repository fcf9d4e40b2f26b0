"""`creatorflow campaign respond` as the operator runs it (a real subprocess)."""

from __future__ import annotations

from datetime import datetime

from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
from tests.support.builders import contact
from tests.support.campaigns import register_example
from tests.support.environment import run_cli


def test_respond_accepts_declines_and_refuses_with_one_line(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = register_example(engine, now)
    anna = contact(engine, campaign, handle="anna", now=now)
    contact(engine, campaign, handle="ben", now=now, stage="opted_out")
    in_window = "2027-03-01T15:00:00+00:00"

    accepted = run_cli(
        settings,
        "campaign",
        "respond",
        "spring-glow",
        "instagram:anna",
        "--accepted",
        "--fee",
        "425.50",
        "--as-of",
        in_window,
    )
    refused = run_cli(
        settings,
        "campaign",
        "respond",
        "spring-glow",
        "instagram:ben",
        "--accepted",
        "--as-of",
        in_window,
    )
    neither = run_cli(settings, "campaign", "respond", "spring-glow", "instagram:anna")

    assert accepted.returncode == 0, accepted.stderr
    assert "instagram:anna in spring-glow: accepted" in accepted.stdout
    assert "fee: 425.50 USD" in accepted.stdout and "brief: sent" in accepted.stdout
    assert "due: 2027-03-15" in accepted.stdout
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "error: cannot accept instagram:ben in spring-glow: instagram:ben opted out "
        "(never contact them again)"
    ]
    assert neither.returncode == 1 and "--accepted or --declined" in neither.stderr
    with session_scope(engine) as session:
        row = session.get(Enrollment, anna.enrollment_id)
        assert row is not None and row.stage == "accepted"
