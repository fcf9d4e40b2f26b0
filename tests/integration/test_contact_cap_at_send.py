"""The contact cap holds at send time: two launches shortlisted at the same moment, sent by two
overlapping runs, contact a person at the cap once (SQLite and PostgreSQL).

Both runs are made to count the person's contacts before either claims (a barrier after the
count): without the lock on the creator both would see none and both would send.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from creatorflow.domain.model import Stage
from creatorflow.services.outreach import contact_cap
from creatorflow.services.outreach.launch import send_initial_emails, shortlist_campaign
from creatorflow.services.outreach.outbox_review import list_outbox
from creatorflow.services.tracking.status import campaign_status
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, OutreachMessage
from tests.support.builders import add_creator
from tests.support.campaigns import OUTREACH_SPEC, make_spec
from tests.support.concurrency import run_together

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _shortlist(engine: Any, settings: Settings, slug: str) -> None:
    selection = {"tiers": {"micro": 50}, "exclude_active_elsewhere": False}
    spec = make_spec(OUTREACH_SPEC, slug=slug, platforms=["instagram"], selection=selection)
    result = shortlist_campaign(engine=engine, settings=settings, spec=spec, now=NOW, actor="t")
    assert "instagram:popular" in {p["creator"] for p in result.picks}  # nobody contacted yet


def test_two_overlapping_sending_runs_contact_a_person_at_the_cap_once(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = db_settings.model_copy(update={"max_campaigns_per_person": 1})
    engine = engine_for(settings.database_url)
    add_creator(engine, NOW, handle="popular", email="popular@mail.example")
    _shortlist(engine, settings, "north")
    _shortlist(engine, settings, "south")

    # each run waits (briefly) for the other after counting: a run that cannot arrive is
    # waiting for the lock, as it should
    meet = threading.Barrier(2, timeout=0.5)
    counted = contact_cap.cap_reason

    def cap_reason_then_meet(*args: Any, **kwargs: Any) -> str | None:
        reason = counted(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                meet.wait()
        return reason

    waited = threading.local()
    monkeypatch.setattr(contact_cap, "cap_reason", cap_reason_then_meet)
    runs = [
        lambda slug=slug: send_initial_emails(
            engine=engine, settings=settings, campaign_slug=slug, now=NOW, actor=f"run-{slug}"
        )
        for slug in ("north", "south")
    ]
    reports, errors = run_together(runs)
    assert not errors, errors

    with session_scope(engine) as s:
        rows = s.execute(
            select(OutreachMessage.status, OutreachMessage.failure, OutreachMessage.detail)
            .where(OutreachMessage.step == "initial")
            .order_by(OutreachMessage.id)
        ).all()
        stages = s.scalars(select(Enrollment.stage)).all()
    assert sorted((status, failure) for status, failure, _ in rows) == [
        ("failed", "contact_cap"),
        ("sent", None),
    ]
    assert sorted(stages) == [Stage.CONTACTED.value, Stage.REMOVED.value]
    held = [o for r in reports for o in r.failed]
    assert len(held) == 1 and held[0].creator == "instagram:popular"
    reason = (
        "held back at send: contacted by 1 campaigns in the last 90 days (at most 1 per person)"
    )
    assert held[0].reason == reason

    listed = {slug: list_outbox(engine=engine, campaign_slug=slug) for slug in ("north", "south")}
    loser = next(slug for slug, entries in listed.items() if entries)
    assert [(e.creator, e.status, e.reason) for e in listed[loser]] == [
        ("instagram:popular", "failed", reason)
    ]
    status = campaign_status(engine=engine, campaign_slug=loser, now=NOW)
    assert [p["reason"] for p in status.send_problems] == [reason]
    assert [c.stage for c in status.creators] == [Stage.REMOVED.value]
