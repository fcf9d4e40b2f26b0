"""Retention erases contacts who never answered, and the contact cap holds across campaigns, both
run with ``--as-of`` (``now``) over simulated months, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.personal_data import cap_reason, never_answered
from creatorflow.services.outreach.launch import send_initial_emails, shortlist_campaign
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Campaign, Creator
from tests.support.builders import add_creator, contact
from tests.support.campaigns import OUTREACH_SPEC, make_spec, store_campaign
from tests.support.cli import run_main
from tests.support.personal_data import dump_text

DAY0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def env_for(settings: Settings, **extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {"CREATORFLOW_DATABASE_URL": settings.database_url}
    env["CREATORFLOW_SECRET_KEY"] = "a-long-random-secret-for-the-test"
    env["CREATORFLOW_MAIL_URL"] = settings.mail_url.get_secret_value()
    env["CREATORFLOW_PREVIEW_DIR"] = str(settings.preview_dir)
    return env | {f"CREATORFLOW_{k.upper()}": v for k, v in extra.items()}


def test_contacts_who_never_answered_are_erased_after_the_retention_days(
    db_settings: Settings,
) -> None:
    settings = db_settings
    engine = engine_for(settings.database_url)
    campaign = store_campaign(engine, make_spec(OUTREACH_SPEC), now=DAY0)
    # first emails a day before: January for three of them, July for the fourth
    quiet = contact(engine, campaign, handle="quiet.one", now=DAY0)
    bounced = contact(engine, campaign, handle="bounced.one", now=DAY0, stage="bounced")
    talker = contact(engine, campaign, handle="talker.one", now=DAY0, stage="replied")
    late = contact(engine, campaign, handle="late.one", now=DAY0 + timedelta(days=180))
    with session_scope(engine) as s:  # a bounce report naming her address, not her id
        detail = {"recipients": [{"recipient": quiet.email, "status": "5.1.1"}]}
        record_event(s, kind="bounce_received", entity="inbound_message", entity_id=None,
                     detail=detail, actor="flow-run:x", at=DAY0)  # fmt: skip
    env = env_for(settings)

    june = run_main("creators", "retention", "--as-of", "2027-06-01T05:00:00Z", env=env)
    assert june.code == 0, june.err
    assert "retention: 0 contact(s)" in june.out

    january = run_main("creators", "retention", "--as-of", "2028-01-10T05:00:00Z", env=env)
    assert january.code == 0, january.err
    erased = {quiet.creator_id, bounced.creator_id}
    assert f"retention: {len(erased)} contact(s)" in january.out
    for creator_id in erased:
        assert f"erased creator #{creator_id} (last emailed 2027-01-03)" in january.out
    text = dump_text(engine)
    assert "quiet.one" not in text and "bounced.one" not in text
    assert '"status": "5.1.1"' in text  # the bounce event keeps what is not hers
    assert "talker.one@creator.example" in text and "late.one" in text  # answered; too recent

    again = run_main("creators", "retention", "--as-of", "2028-01-11T05:00:00Z", env=env)
    assert "retention: 0 contact(s)" in again.out  # erased once

    off = env_for(settings, retention_days="0")
    assert (
        "retention is off"
        in run_main("creators", "retention", "--as-of", "2029-01-01", env=off).out
    )
    august = run_main("creators", "retention", "--as-of", "2028-08-01T05:00:00Z", env=env)
    assert f"erased creator #{late.creator_id}" in august.out
    assert f"#{talker.creator_id}" not in august.out
    assert "late.one" not in dump_text(engine)


def launch(engine: Engine, settings: Settings, slug: str, at: datetime) -> dict[str, str]:
    """Shortlist campaign ``slug`` as of ``at`` and send its first emails; creator -> reason
    for the exclusions (picks are "picked")."""
    selection = {"tiers": {"micro": 50}, "exclude_active_elsewhere": False}
    spec = make_spec(OUTREACH_SPEC, slug=slug, platforms=["instagram"], selection=selection)
    result = shortlist_campaign(engine=engine, settings=settings, spec=spec, now=at, actor="test")
    send_initial_emails(engine=engine, settings=settings, campaign_slug=slug, now=at, actor="t")
    outcome = {e["creator"]: e["reason"] for e in result.exclusions}
    return outcome | {p["creator"]: "picked" for p in result.picks}


def test_one_person_is_contacted_cold_by_at_most_two_campaigns_in_any_90_days(
    db_settings: Settings,
) -> None:
    settings = db_settings
    engine = engine_for(settings.database_url)
    add_creator(engine, DAY0, handle="popular", email="popular@mail.example")
    assert launch(engine, settings, "january", DAY0)["instagram:popular"] == "picked"
    february = launch(engine, settings, "february", DAY0 + timedelta(days=30))
    assert february["instagram:popular"] == "picked"
    add_creator(engine, DAY0, handle="newcomer", email="newcomer@mail.example")

    march = launch(engine, settings, "march", DAY0 + timedelta(days=60))

    assert march["instagram:popular"] == (
        "contacted by 2 campaigns in the last 90 days (at most 2 per person)"
    )
    assert march["instagram:newcomer"] == "picked"  # one campaign so far
    # 100 days in, January's email has left the window: one campaign (February) remains
    april = launch(engine, settings, "april", DAY0 + timedelta(days=100))
    assert april["instagram:popular"] == "picked"
    assert april["instagram:newcomer"] == "picked"  # March and now April
    may = launch(engine, settings, "may", DAY0 + timedelta(days=110))
    assert may["instagram:popular"].startswith("contacted by 2 campaigns")  # February, April
    # a higher cap, whoever launches: the same person may be picked again
    roomy = settings.model_copy(update={"max_campaigns_per_person": 3})
    june = launch(engine, roomy, "june", DAY0 + timedelta(days=115))
    assert june["instagram:popular"] == "picked"
    with session_scope(engine) as s:
        assert len(s.scalars(select(Campaign.id)).all()) == 6
        assert len(s.scalars(select(Creator.id)).all()) == 2


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        ((100, 30), None),
        ((60, 30), "contacted by 2 campaigns"),
        ((95, 1, -5), None),
        ((89, 1), "contacted by 2 campaigns"),
    ],
)
def test_cap_counts_other_campaigns_first_emails_in_the_90_days_before_now(
    days_ago: tuple[int, ...], expected: str | None
) -> None:
    now = DAY0
    contacts = [(n, now - timedelta(days=d)) for n, d in enumerate(days_ago)]
    reason = cap_reason(contacts, now=now, limit=2)
    assert (reason or "").startswith(expected or "") and (reason is None) == (expected is None)


def test_only_contacts_without_any_answer_are_due_for_retention() -> None:
    assert never_answered(["contacted", "finished"]) and never_answered(["bounced", "removed"])
    assert not never_answered(["contacted", "replied"]) and not never_answered(["shortlisted"])
    assert not never_answered(["finished", "opted_out"])
