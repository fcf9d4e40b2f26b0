"""Bulk writes (``storage.bulk``): COPY on PostgreSQL and executemany on SQLite store the same.

Text that COPY's format must escape (tabs, newlines, backslashes, ``\\N``) and column defaults
come back as an ORM insert would leave them; ids drawn from a sequence stay right when they do
not come out contiguous.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from creatorflow.storage.bulk import allocate_ids, bulk_insert
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Base, Event, ProfileSnapshot
from tests.support.builders import add_account

T0 = datetime(2027, 3, 1, 9, tzinfo=UTC)
AWKWARD = ("tab\there", "two\nlines", "back\\slash", "\\N", "crlf\r\n", "naïve 🙂", "")


def test_text_that_copy_escapes_round_trips_with_nulls(engine: sa.Engine) -> None:
    table = Base.metadata.tables["events"]
    rows = [(text, "x", None if n % 2 else n, {"said": text}) for n, text in enumerate(AWKWARD)]
    with engine.begin() as conn:
        bulk_insert(
            conn,
            table,
            ("kind", "entity", "entity_id", "detail"),
            rows,
            constants={"occurred_at": T0, "actor": "a\tb"},
        )
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(
                Event.kind, Event.entity_id, Event.detail, Event.actor, Event.occurred_at
            ).order_by(Event.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (text, entity_id, detail, "a\tb", T0) for text, _, entity_id, detail in rows
    ]


def test_columns_left_out_take_their_python_default(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        account = add_account(session, platform="youtube", handle="h", now=T0).id
    with engine.begin() as conn:
        bulk_insert(
            conn,
            Base.metadata.tables["profile_snapshots"],
            ("account_id", "followers"),
            [(account, 10)],
            constants={"taken_at": T0},
        )
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ProfileSnapshot.posts_considered, ProfileSnapshot.provenance)
        ).one()
    assert tuple(row) == (0, "api")


@pytest.mark.postgres
def test_ids_drawn_out_of_order_are_returned_one_by_one(postgres_url: str) -> None:
    """Another session drawing from the sequence meanwhile leaves gaps: every id still comes
    back (here the sequence steps by 3, as gaps would look)."""
    engine = engine_for(postgres_url)
    table = Base.metadata.tables["events"]
    sequence = "pg_get_serial_sequence('events', 'id')"
    with engine.begin() as conn:
        conn.execute(sa.text(f"SELECT setval({sequence}, 100)"))
        name = conn.execute(sa.text(f"SELECT {sequence}")).scalar_one()
        conn.execute(sa.text(f"ALTER SEQUENCE {name} INCREMENT BY 3"))
    try:
        with engine.begin() as conn:
            scattered = allocate_ids(conn, table, 4)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER SEQUENCE {name} INCREMENT BY 1"))
    with engine.begin() as conn:
        contiguous = allocate_ids(conn, table, 3)
    assert scattered == [103, 106, 109, 112]
    assert contiguous == [113, 114, 115]
