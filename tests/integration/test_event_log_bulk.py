"""``record_events`` takes many events at once through ``COPY`` on PostgreSQL: the same rows as
the per-row insert (detail JSON with quotes, tabs, newlines, backslashes and non-ASCII text,
aware UTC instants, NULLs), beside a session's pending events, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from creatorflow.storage.events import COPY_FROM, event_values, record_event, record_events
from creatorflow.storage.models import Event

AWKWARD = 'quote " tab \t newline \n backslash \\ null-ish \\N ünï ✓ {"nested": [1, 2]}'


def _rows(now: datetime, count: int) -> list[dict[str, object]]:
    return [
        event_values(
            kind="caption_changed",
            entity="deliverable",
            entity_id=n if n % 3 else None,
            detail={"n": n, "text": AWKWARD, "list": [n, None, True], "deep": {"a": {"b": n}}},
            actor="flow-run:1234",
            at=now + timedelta(seconds=n),
            creator_id=n + 100,
            campaign_id=None if n % 2 else 7,
        )
        for n in range(count)
    ]


def test_many_events_are_stored_as_given_beside_pending_ones(
    engine: sa.Engine, now: datetime
) -> None:
    rows = _rows(now, COPY_FROM + 5)
    with Session(engine) as session, session.begin():
        record_event(
            session,
            kind="first",
            entity="creator",
            entity_id=1,
            detail={},
            actor="cli:test",
            at=now,
        )
        record_events(session, rows)
    with Session(engine) as session:
        stored = session.scalars(sa.select(Event).order_by(Event.id)).all()
    assert sorted(e.kind for e in stored) == ["caption_changed"] * len(rows) + ["first"]
    bulk = [e for e in stored if e.kind == "caption_changed"]
    for event, row in zip(bulk, rows, strict=True):
        assert event.detail == row["detail"]
        assert event.occurred_at == row["occurred_at"]
        assert event.occurred_at.utcoffset() == timedelta(0)
        assert (event.entity_id, event.creator_id, event.campaign_id, event.actor) == (
            row["entity_id"],
            row["creator_id"],
            row["campaign_id"],
            row["actor"],
        )


def test_a_few_events_and_a_connection(engine: sa.Engine, now: datetime) -> None:
    with engine.begin() as conn:
        record_events(conn, _rows(now, 2))
        record_events(conn, _rows(now, COPY_FROM))
        record_events(conn, [])
    with Session(engine) as session:
        details = session.scalars(sa.select(Event.detail).order_by(Event.id)).all()
    assert [d["n"] for d in details] == [0, 1, *range(COPY_FROM)]
    assert all(d["text"] == AWKWARD for d in details)
