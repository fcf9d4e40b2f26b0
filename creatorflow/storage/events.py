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


def record_events(executor: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Append many events in one executemany (same transaction as the changes they describe)."""
    if rows:
        executor.execute(insert(Base.metadata.tables[Event.__tablename__]), rows)


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
