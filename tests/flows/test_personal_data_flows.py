"""The ``forget-person`` form and the daily run's retention, through Prefect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from creatorflow.domain.model import Platform
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
from flows.creators import refresh_creators_flow
from flows.personal_data import ErasureRequest, forget_person
from tests.support.artifacts import latest_artifact
from tests.support.builders import contact
from tests.support.campaigns import OUTREACH_SPEC, make_spec, store_campaign
from tests.support.personal_data import dump_text

DAY0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_the_form_erases_a_person_and_the_daily_run_erases_expired_contacts(
    sqlite_url: str, app_env: Callable[[Mapping[str, str]], None], tmp_path: Path
) -> None:
    app_env(
        {
            "CREATORFLOW_DATABASE_URL": sqlite_url,
            "CREATORFLOW_SECRET_KEY": "a-long-random-secret-for-the-test",
            "CREATORFLOW_MAIL_URL": f"maildir://{tmp_path / 'outbox'}",
            "CREATORFLOW_PREVIEW_DIR": str(tmp_path / "preview"),
        }
    )
    engine = engine_for(sqlite_url)
    campaign = store_campaign(engine, make_spec(OUTREACH_SPEC), now=DAY0)
    asked = contact(engine, campaign, handle="asked.to.go", now=DAY0, stage="replied")
    quiet = contact(engine, campaign, handle="never.answered", now=DAY0)

    done = forget_person(
        request=ErasureRequest(person="asked.to.go@creator.example", reason="objection"),
        as_of=DAY0,
    )
    assert done["creator_id"] == asked.creator_id
    assert "asked.to.go" not in dump_text(engine) and "never.answered" in dump_text(engine)
    assert latest_artifact("forget-person").startswith(f"erased creator #{asked.creator_id}")
    with session_scope(engine) as session:  # in conversation: closed, no follow-up leaves
        stage = session.get(Enrollment, asked.enrollment_id)
        assert stage is not None and stage.stage == "opted_out"

    # the daily run (one platform with no account: only its retention step does anything)
    refresh_creators_flow(platform=Platform.TIKTOK, as_of=datetime(2028, 2, 1, 5, 0, tzinfo=UTC))

    listed = latest_artifact("retention")
    assert f"erased creator #{quiet.creator_id} (last emailed 2027-01-03)" in listed
    assert "never.answered" not in dump_text(engine)
