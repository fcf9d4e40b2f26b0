"""The append-only event log: every state change says what, for whom, when and who did it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from creatorflow.storage.models import Event


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
