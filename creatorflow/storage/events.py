"""The append-only event log: every state change says what, for whom, when and who did it.

Name the person by ``creator_id`` (and the row by ``entity``/``entity_id``), not in ``detail``:
erasure (``services/creators/erasers.py``) is the one update the log gets, and keeps only the
non-identifying keys of a person's events (``domain.personal_data.SAFE_DETAIL_KEYS``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Select, bindparam, insert, select
from sqlalchemy.orm import Session

from creatorflow.storage.bulk import bulk_insert
from creatorflow.storage.models import Account, Base, Enrollment, Event


def record_event(
    session: Session,
    *,
    kind: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any],
    actor: str,
    at: datetime,
    creator_id: int | None = None,
    campaign_id: int | None = None,
) -> Event:
    """Add one event to the session (committed with the change it describes)."""
    row = Event(
        occurred_at=at,
        kind=kind,
        entity=entity,
        entity_id=entity_id,
        creator_id=creator_id,
        campaign_id=campaign_id,
        detail=detail,
        actor=actor,
    )
    session.add(row)
    return row


def record_account_event(
    session: Session,
    account: Account,
    *,
    kind: str,
    detail: dict[str, Any],
    actor: str,
    at: datetime,
) -> Event:
    """An event about one platform account: its detail starts with the platform and handle."""
    return record_event(
        session,
        kind=kind,
        entity="account",
        entity_id=account.id,
        detail={"platform": account.platform, "handle": account.handle, **detail},
        actor=actor,
        at=at,
        creator_id=account.creator_id,
    )


def record_enrollment_event(
    session: Session,
    enrollment: Enrollment,
    *,
    kind: str,
    detail: dict[str, Any],
    actor: str,
    at: datetime,
) -> Event:
    """An event about one enrollment, filed under its creator and its campaign."""
    return record_event(
        session,
        kind=kind,
        entity="enrollment",
        entity_id=enrollment.id,
        detail=detail,
        actor=actor,
        at=at,
        creator_id=enrollment.creator_id,
        campaign_id=enrollment.campaign_id,
    )


def event_values(
    *,
    kind: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any],
    actor: str,
    at: datetime,
    creator_id: int | None = None,
    campaign_id: int | None = None,
) -> dict[str, Any]:
    """One event as a plain row, for ``record_events`` (bulk paths such as creator import)."""
    return {
        "occurred_at": at,
        "kind": kind,
        "entity": entity,
        "entity_id": entity_id,
        "creator_id": creator_id,
        "campaign_id": campaign_id,
        "detail": detail,
        "actor": actor,
    }


#: From this many events on, PostgreSQL takes them with one ``COPY`` (``bulk_insert``): psycopg's
#: pipelined ``executemany`` pays a round of protocol messages and Python work per row, which
#: made a first poll of 100,000 posts (an event per caption) wait on the event log.
COPY_FROM = 10


def record_events(executor: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Append many events in one statement (same transaction as the changes they describe)."""
    if not rows:
        return
    table = Base.metadata.tables[Event.__tablename__]
    # a session's own connection: its pending rows are flushed when it commits, as before
    connection = executor.connection() if isinstance(executor, Session) else executor
    columns = tuple(rows[0])
    if (
        len(rows) >= COPY_FROM
        and connection.dialect.name == "postgresql"
        and all(row.keys() == rows[0].keys() for row in rows)
    ):
        bulk_insert(connection, table, columns, [tuple(row[c] for c in columns) for row in rows])
        return
    connection.execute(insert(table), rows)


#: The columns an event takes from its writer (``entity_id`` may come from a statement instead).
EVENT_FIELDS = ("occurred_at", "kind", "entity", "creator_id", "campaign_id", "detail", "actor")


def event_for_each(rows: Select[Any], *, prefix: str = "event_") -> Insert:
    """One event for each row of ``rows`` (a select of ids, e.g. a CTE's ``RETURNING``).

    The event's ``entity_id`` is the row's id; its other fields are bound parameters named
    ``prefix`` + field (``event_kind``...). A statement that changes rows can log them in the
    same statement (PostgreSQL data-modifying CTEs), and the log keeps this one writer.
    """
    table = Base.metadata.tables[Event.__tablename__]
    values = [bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in EVENT_FIELDS]
    (ids,) = rows.selected_columns
    return (
        insert(table)
        .from_select([*EVENT_FIELDS, "entity_id"], select(*values, ids))
        .returning(table.c.id)
    )
