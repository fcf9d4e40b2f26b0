"""`creators forget`: after an erasure no table names the person, they cannot come back, and the
campaign's figures are what they were (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.domain.personal_data import ERASED_ON_REQUEST
from creatorflow.sandbox import World
from creatorflow.services.creators.discovery import discover_creators
from creatorflow.services.creators.erasers import ERASERS, NO_PERSONAL_DATA
from creatorflow.services.creators.forget import forget_person
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.services.reporting.figures import compute_figures
from creatorflow.services.reporting.prices import load_price_table
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import (
    Account,
    Base,
    Creator,
    ErasedIdentity,
    Event,
    Report,
)
from tests.support.builders import (
    add_creator,
)
from tests.support.campaigns import OUTREACH_SPEC, make_spec
from tests.support.cli import dump_tables, run_main
from tests.support.personal_data import (
    CHANNEL_NAME,
    EMAIL,
    HANDLE,
    NAME,
    SECRETS,
    add_zoe,
    dump_text,
)
from tests.support.worlds import AS_OF, build_report_world

PRICES = load_price_table(PROJECT_ROOT / "config", "emv-2026-01")


def figures(engine: Engine):  # type: ignore[no-untyped-def]
    campaign = get_campaign(engine, "spring-glow")
    return compute_figures(engine=engine, campaign=campaign, as_of=AS_OF, prices=PRICES)


def test_after_forget_no_table_names_the_person_and_figures_still_add_up(
    db_settings: Settings,
) -> None:
    engine = engine_for(db_settings.database_url)
    world = build_report_world(engine)
    zoe = add_zoe(engine, world.campaign_id)
    sent = Report(campaign_id=world.campaign_id, period="2027-W09", as_of=AS_OF, status="sent")
    sent.definitions_version, sent.prices_version, sent.recipients = "d", "p", ["m@lumen.example"]
    sent.html_sha256, sent.created_at, sent.sent_at = "ab" * 32, AS_OF, AS_OF
    with session_scope(engine) as s:
        s.add(sent)
    reports = dump_tables(engine)["reports"]
    before = figures(engine)
    text = dump_text(engine)
    held = [s for s in SECRETS if s != CHANNEL_NAME or "display_name" in Account.__table__.c]
    assert all(s.lower() in text or json.dumps(s)[1:-1].lower() in text for s in held)

    result = forget_person(
        engine=engine,
        settings=db_settings,
        person="instagram:@Zoe_Marchetti.Glow",
        reason=f"asked by mail from {EMAIL}",
        now=AS_OF + timedelta(days=1),
        actor="cli:creators forget",
    )

    assert result.creator_id == zoe.creator_id
    text = dump_text(engine)
    for secret in SECRETS:
        assert secret.lower() not in text, secret
        assert json.dumps(secret)[1:-1].lower() not in text, secret
    assert "ana@creators.example" in text  # the others are untouched
    assert "ben@creators.example" in text  # the event naming her keeps what is not hers
    assert dump_tables(engine)["reports"] == reports  # reports already sent are not changed
    after = figures(engine)
    assert after.overall == before.overall
    assert (after.tiers, after.platforms, after.funnel) == (
        before.tiers,
        before.platforms,
        before.funnel,
    )
    row = next(c for c in after.creators if c.enrollment_id == zoe.enrollment_id)
    assert row.name == f"erased creator #{zoe.creator_id}"
    assert (
        row.figures
        == next(c for c in before.creators if c.enrollment_id == zoe.enrollment_id).figures
    )
    with session_scope(engine) as s:
        # the address, both handles and the channel id (an import may give it as the handle)
        assert s.scalar(select(sa.func.count()).select_from(ErasedIdentity)) == 4
        stages = s.scalars(
            select(Event.detail).where(Event.entity == "enrollment", Event.kind == "stage_changed")
            .where(Event.entity_id == zoe.enrollment_id).order_by(Event.id)
        ).all()  # fmt: skip
        assert [d["to"] for d in stages][-1] == "posted"  # stage history kept


def test_an_erased_person_is_neither_imported_nor_shortlisted_again(
    db_settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(db_settings.database_url)
    now = AS_OF
    csv = tmp_path / "creators.csv"
    csv.write_text(
        "platform,handle,email,name,followers\n"
        f"instagram,{HANDLE},{EMAIL},{NAME},20000\n"
        "instagram,bystander,by@creators.example,By Stander,20000\n",
        encoding="utf-8",
    )
    rules = load_default_tier_rules(db_settings.config_dir)
    kwargs = {"lawful_basis": "legitimate-interest", "tier_rules": rules, "actor": "test"}
    first = import_creators(engine=engine, path=csv, now=now, **kwargs)
    assert (first.created, first.rejected) == (2, [])

    forget_person(engine=engine, settings=db_settings, person=EMAIL.upper(), reason="asked",
                  now=now, actor="test")  # fmt: skip

    again = import_creators(
        engine=engine, path=csv, now=now, secret_key=db_settings.secret_key, **kwargs
    )
    assert [(r.line, r.reason) for r in again.rejected] == [(2, ERASED_ON_REQUEST)]
    # the same address under a new handle, and the old handle with no address: both refused
    other = tmp_path / "other.csv"
    other.write_text(f"platform,handle,email\ninstagram,new.handle,{EMAIL}\ninstagram,{HANDLE},\n")
    refused = import_creators(
        engine=engine, path=other, now=now, secret_key=db_settings.secret_key, **kwargs
    )
    assert [r.reason for r in refused.rejected] == [ERASED_ON_REQUEST] * 2
    # rediscovered by hand with an address: the shortlist still leaves her out, with the reason
    add_creator(engine, now, handle=HANDLE, email="zoe.new@creators.example")
    with session_scope(engine) as s:
        s.execute(sa.update(Account).values(tier="micro", followers=20_000, status="active"))
    spec = make_spec(OUTREACH_SPEC, platforms=["instagram"])
    shortlist = shortlist_campaign(
        engine=engine, settings=db_settings, spec=spec, now=now, actor="test"
    )
    reasons = {e["creator"]: e["reason"] for e in shortlist.exclusions}
    assert reasons[f"instagram:{HANDLE}"] == ERASED_ON_REQUEST
    assert [p["creator"] for p in shortlist.picks] == ["instagram:bystander"]
    with session_scope(engine) as s:
        assert s.scalar(select(sa.func.count()).select_from(Creator)) == 3


def test_forget_from_the_command_line_names_nobody_and_needs_the_secret_key(
    settings: Settings,
) -> None:
    engine = engine_for(settings.database_url)
    add_creator(engine, AS_OF, handle=HANDLE, email=EMAIL, name=NAME)
    env = {"CREATORFLOW_DATABASE_URL": settings.database_url, "CREATORFLOW_SECRET_KEY": None}
    env["CREATORFLOW_MAIL_URL"] = settings.mail_url.get_secret_value()
    env["CREATORFLOW_PREVIEW_DIR"] = str(settings.preview_dir)
    outbox = Path(settings.mail_url.get_secret_value().removeprefix("maildir://")) / "new"
    outbox.mkdir(parents=True)
    (outbox / "1.eml").write_text(f"To: {NAME} <{EMAIL.upper()}>\n\nHi!\n")
    (outbox / "2.eml").write_text("To: ana@creators.example\n\nHi!\n")
    refused = run_main("creators", "forget", EMAIL, env=env)
    assert refused.code != 0 and "CREATORFLOW_SECRET_KEY" in refused.err
    assert NAME.lower() in dump_text(engine)  # nothing half-done

    env["CREATORFLOW_SECRET_KEY"] = "a-long-random-secret-for-the-test"
    bad = run_main("creators", "forget", "myspace:someone", env=env)
    assert bad.code != 0 and "not a platform" in bad.err
    done = run_main("creators", "forget", f"instagram:{HANDLE}", "--reason", "objection", env=env)
    assert done.code == 0, done.err
    assert "erased creator #1" in done.out and EMAIL not in done.out + done.err
    assert EMAIL not in dump_text(engine) and HANDLE not in dump_text(engine)
    assert "1 message file(s) deleted" in done.out
    assert sorted(p.name for p in outbox.iterdir()) == ["2.eml"]  # the outbox copy to her
    twice = run_main("creators", "forget", f"instagram:{HANDLE}", env=env)
    assert twice.code == 0 and "remembered as erased" in twice.out


def test_every_table_is_covered_by_an_eraser_or_declared_free_of_personal_data() -> None:
    tables = set(Base.metadata.tables) | {"alembic_version"}
    uncovered = tables - set(ERASERS) - NO_PERSONAL_DATA
    assert not uncovered, f"add an eraser (services/creators/erasers.py) for {sorted(uncovered)}"


def test_discovery_does_not_add_an_erased_person_back(
    world: World, settings: Settings, make_settings: Callable[..., Settings]
) -> None:
    engine = engine_for(settings.database_url)
    world.add_account("youtube", "skinbysam", followers=20_000, biography="skincare daily")
    world.add_account("youtube", "skinlab", followers=600_000, biography="skincare science")
    forget_person(engine=engine, settings=settings, person="youtube:skinbysam", reason="asked",
                  now=AS_OF, actor="test")  # fmt: skip
    search = {"platform": Platform.YOUTUBE, "query": "skincare", "max_results": 10}
    found = discover_creators(
        engine=engine, settings=make_settings(), now=AS_OF, actor="test", **search
    )
    assert found.added == ["skinlab"]
    assert found.unreadable == [f"skinbysam ({ERASED_ON_REQUEST})"]
    assert "skinbysam" not in dump_text(engine)
