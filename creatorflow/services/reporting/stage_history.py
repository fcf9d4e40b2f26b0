"""An enrollment's stage at a past moment, read back from the append-only event log.

``enrollments.stage`` only holds the stage now, so a report as of an earlier moment would
change as the campaign moves on. Every stage change records a ``stage_changed`` event
(``detail.to``, ``occurred_at``) in the same transaction (``storage.enrollments`` writes
both), so the stage at ``moment`` is the ``to`` of the enrollment's last such event at or
before it (ties broken by event id: the log is append-only). The expression is a correlated
subquery over the ``(entity, entity_id)`` index: one seek per enrollment inside the caller's
single statement, not a query per creator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.sql import ColumnElement

from creatorflow.domain.lifecycle import FIRST_STAGE
from creatorflow.storage.enrollments import STAGE_CHANGED
from creatorflow.storage.models import Event

__all__ = ["STAGE_CHANGED", "stage_as_of"]

ev = Event.__table__


def stage_as_of(
    enrollment_id: ColumnElement[Any],
    stored_stage: ColumnElement[Any],
    moment: ColumnElement[Any] | datetime,
) -> ColumnElement[Any]:
    """SQL for the stage of the enrollment ``enrollment_id`` at ``moment``.

    An enrollment with a stage history but no change yet at ``moment`` was shortlisted (its
    first stage). One with no history at all was written without the event log (data loaded
    by hand): its stored stage is all there is.
    """
    history = and_(
        ev.c.entity == "enrollment",
        ev.c.entity_id == enrollment_id,
        ev.c.kind == STAGE_CHANGED,
    )
    latest = (
        select(ev.c.detail["to"].as_string())
        .where(history, ev.c.occurred_at <= moment)
        .order_by(ev.c.occurred_at.desc(), ev.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(
        latest,
        case((exists().where(history), literal(FIRST_STAGE.value)), else_=stored_stage),
    )
