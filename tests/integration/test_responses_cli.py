"""`creatorflow campaign respond` as the operator runs it (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
from tests.outreach_rows import seed_campaign, seed_contacted


def _run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CREATORFLOW_DATABASE_URL": settings.database_url,
        "CREATORFLOW_MAIL_URL": settings.mail_url.get_secret_value(),
        "CREATORFLOW_SENDER": settings.sender or "",
        "CREATORFLOW_POSTAL_ADDRESS": settings.postal_address or "",
        "DO_NOT_TRACK": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "creatorflow.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_respond_accepts_declines_and_refuses_with_one_line(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = seed_campaign(engine, now)
    anna = seed_contacted(engine, campaign, handle="anna", email="anna@creator.example", now=now)
    seed_contacted(
        engine, campaign, handle="ben", email="ben@creator.example", now=now, stage="opted_out"
    )
    in_window = "2027-03-01T15:00:00+00:00"

    accepted = _run(
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
    refused = _run(
        settings,
        "campaign",
        "respond",
        "spring-glow",
        "instagram:ben",
        "--accepted",
        "--as-of",
        in_window,
    )
    neither = _run(settings, "campaign", "respond", "spring-glow", "instagram:anna")

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
