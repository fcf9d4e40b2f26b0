"""The schema's safety net on SQLite and PostgreSQL: unique keys, insert_ignore, UTC, events,
and migrations that match the models."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from creatorflow.storage.bulk import allocate_ids, bulk_insert
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import event_values, record_event, record_events
from creatorflow.storage.migrate import downgrade, upgrade
from creatorflow.storage.models import (
    Account,
    Base,
    Campaign,
    Creator,
    Deliverable,
    Enrollment,
    Event,
    MetricSnapshot,
    OutreachMessage,
    Report,
)

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def creator(session: Session, email: str | None = None) -> Creator:
    return add(
        session,
        Creator(email=email, lawful_basis="legitimate-interest", source="t.csv:2",
                created_at=T0, updated_at=T0),
    )  # fmt: skip


def account(session: Session, owner: Creator, handle: str = "mia") -> Account:
    return add(
        session,
        Account(creator_id=owner.id, platform="instagram", handle=handle, status="unverified",
                created_at=T0, updated_at=T0),
    )  # fmt: skip


def campaign(session: Session, slug: str = "glow") -> Campaign:
    return add(
        session,
        Campaign(slug=slug, name="Glow", brand="Brand", spec={}, spec_sha256="0" * 64,
                 status="active", created_at=T0),
    )  # fmt: skip


def enrollment(session: Session) -> Enrollment:
    owner = creator(session)
    return add(
        session,
        Enrollment(campaign_id=campaign(session).id, creator_id=owner.id,
                   account_id=account(session, owner).id, stage="shortlisted",
                   created_at=T0, updated_at=T0),
    )  # fmt: skip


def message(enrolled: Enrollment, step: str, message_id: str) -> OutreachMessage:
    return OutreachMessage(
        enrollment_id=enrolled.id, step=step, message_id=message_id, to_address="a@example.com",
        subject="Hi", status="sending", claimed_at=T0,
    )  # fmt: skip


def deliverable(session: Session) -> Deliverable:
    return add(
        session,
        Deliverable(enrollment_id=enrollment(session).id, platform="instagram", post_id="p1",
                    provenance="api", status="live", detected_at=T0),
    )  # fmt: skip


def report(campaign_id: int, period: str) -> Report:
    return Report(
        campaign_id=campaign_id, period=period, as_of=T0, definitions_version="v1",
        prices_version="v1", status="sent", recipients=["a@example.com"], created_at=T0,
    )  # fmt: skip


def count(engine: sa.Engine, model: type[Base]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def violates(engine: sa.Engine, build: Callable[[Session], None]) -> bool:
    """Whether ``build`` fails on a unique constraint (its transaction is rolled back)."""
    try:
        with session_scope(engine) as session:
            build(session)
            session.flush()
    except IntegrityError:
        return True
    return False


def test_one_account_per_platform_and_handle(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        account(session, creator(session))

    def same_again(session: Session) -> None:
        account(session, creator(session))

    assert violates(engine, same_again)
    with session_scope(engine) as session:  # another handle or platform is fine
        owner = creator(session)
        account(session, owner, "mia2")
        add(session, Account(creator_id=owner.id, platform="tiktok", handle="mia",
                             status="unverified", created_at=T0, updated_at=T0))  # fmt: skip
    assert count(engine, Account) == 3


def test_one_email_per_creator(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        creator(session, "a@example.com")
        creator(session)
        creator(session)  # unknown emails do not collide
    assert violates(engine, lambda s: creator(s, "a@example.com") and None)


def test_one_outreach_message_per_enrollment_and_step(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        enrolled = enrollment(session)
        session.add(message(enrolled, "initial", "<1@x>"))
        session.add(message(enrolled, "follow_up_1", "<2@x>"))
    assert violates(engine, lambda s: s.add(message(enrolled, "initial", "<3@x>")))
    assert count(engine, OutreachMessage) == 2


def test_one_metric_snapshot_per_deliverable_and_instant(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        post = deliverable(session)
        session.add(MetricSnapshot(deliverable_id=post.id, taken_at=T0, views=1, provenance="api"))
    clash = MetricSnapshot(
        deliverable_id=post.id,
        taken_at=T0.astimezone(timezone(timedelta(hours=2))),
        views=2,
        provenance="api",
    )  # the same instant written in another zone is the same snapshot
    assert violates(engine, lambda s: s.add(clash))
    assert count(engine, MetricSnapshot) == 1


def test_one_report_per_campaign_and_period(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        glow = campaign(session)
        session.add(report(glow.id, "2027-W10"))
        session.add(report(glow.id, "2027-W11"))
    assert violates(engine, lambda s: s.add(report(glow.id, "2027-W10")))


def test_insert_ignore_skips_conflicts_and_inserts_the_rest(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        post = deliverable(session)
    table = Base.metadata.tables["metric_snapshots"]
    rows = [
        {"deliverable_id": post.id, "taken_at": T0, "views": 10, "provenance": "api"},
        {"deliverable_id": post.id, "taken_at": T0 + timedelta(hours=1), "views": 20,
         "provenance": "api"},
    ]  # fmt: skip
    with session_scope(engine) as session:
        first = session.execute(insert_ignore(session, table, rows[0]))
        assert first.rowcount == 1  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        again = session.execute(
            insert_ignore(
                session, table, [{**rows[0], "views": 99}, rows[1]],
                conflict_columns=["deliverable_id", "taken_at"],
            )
        )  # fmt: skip
        assert again.rowcount == 1  # type: ignore[attr-defined]
    with engine.connect() as conn:
        views = conn.execute(sa.select(MetricSnapshot.views).order_by(MetricSnapshot.taken_at))
        assert views.scalars().all() == [10, 20]  # the conflicting row did not overwrite


def test_timestamps_round_trip_as_aware_utc(engine: sa.Engine) -> None:
    paris = timezone(timedelta(hours=1))
    written = datetime(2027, 3, 1, 10, 30, 15, 123456, tzinfo=paris)
    with session_scope(engine) as session:
        session.add(Campaign(slug="tz", name="n", brand="b", spec={}, spec_sha256="0",
                             status="draft", created_at=written))  # fmt: skip
    with engine.connect() as conn:
        read = conn.execute(sa.select(Campaign.created_at)).scalar_one()
    assert read == written
    assert read.tzinfo is not None and read.utcoffset() == timedelta(0)
    assert (read.hour, read.microsecond) == (9, 123456)


def test_naive_timestamps_are_rejected(engine: sa.Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        session.add(Campaign(slug="naive", name="n", brand="b", spec={}, spec_sha256="0",
                             status="draft", created_at=datetime(2027, 3, 1, 9, 0)))  # fmt: skip
        session.flush()
    assert count(engine, Campaign) == 0


def test_events_are_appended_with_who_what_and_when(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        record_event(session, kind="stage_changed", entity="enrollment", entity_id=7,
                     detail={"from": "shortlisted", "to": "contacted"}, actor="flow-run:abc",
                     at=T0, creator_id=3, campaign_id=4)  # fmt: skip
    with engine.begin() as conn:
        record_events(conn, [
            event_values(kind="suppressed", entity="suppression", entity_id=1,
                         detail={"reason": "opt-out"}, actor="cli:suppress", at=T0),
        ])  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Event).order_by(Event.id)).all()
    assert [(r.kind, r.entity_id, r.actor, r.occurred_at) for r in rows] == [
        ("stage_changed", 7, "flow-run:abc", T0),
        ("suppressed", 1, "cli:suppress", T0),
    ]
    assert rows[0].detail == {"from": "shortlisted", "to": "contacted"}
    assert (rows[0].creator_id, rows[0].campaign_id, rows[1].campaign_id) == (3, 4, None)


def test_bulk_insert_allocates_ids_and_processes_types(engine: sa.Engine) -> None:
    table = Base.metadata.tables["events"]
    with engine.begin() as conn:
        ids = allocate_ids(conn, table, 3)
        bulk_insert(
            conn, table, ("id", "kind", "entity", "detail"),
            [(ids[0], "a", "x", {"n": 1}), (ids[1], "b", "x", {"n": 2})],
            constants={"occurred_at": T0, "actor": "test"},
        )  # fmt: skip
    assert len(set(ids)) == 3
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Event.id, Event.detail, Event.occurred_at)).all()
    assert [(r.id, r.detail, r.occurred_at) for r in rows] == [
        (ids[0], {"n": 1}, T0),
        (ids[1], {"n": 2}, T0),
    ]
    with engine.begin() as conn:  # ids keep coming after a bulk write (sequences stay in step)
        later = allocate_ids(conn, table, 1)
    assert later[0] > ids[1]
    with session_scope(engine) as session:
        record_event(session, kind="c", entity="x", entity_id=None, detail={}, actor="t", at=T0)


def test_bulk_insert_stores_json_serialised_by_the_caller_as_is(engine: sa.Engine) -> None:
    table = Base.metadata.tables["events"]
    with engine.begin() as conn:
        bulk_insert(
            conn, table, ("kind", "entity", "detail"),
            [("a", "x", '{"n": [1, "\\u00e9"]}'), ("b", "x", "{}")],
            constants={"occurred_at": T0, "actor": "test"},
            serialized=("detail",),
        )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Event.kind, Event.detail).order_by(Event.id)).all()
    assert [tuple(r) for r in rows] == [("a", {"n": [1, "é"]}), ("b", {})]


def test_migrations_match_the_models(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(sqlite_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "roundtrip.db"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    downgrade(url, "base")
    engine = sa.create_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(url)
        engine.dispose()
        assert set(Base.metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
