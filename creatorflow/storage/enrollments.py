"""The one writer of an enrollment's stage: a new enrollment's first stage and every move after.

Each move is a compare-and-set in bulk (``UPDATE ... WHERE id IN (...) AND stage = <from>``, one
statement per stage the move may start from), so a run that read a stage another run has since
changed moves nothing; only the rows actually moved get their ``stage_changed`` event, in the
caller's transaction. The moves allowed are ``domain.lifecycle``'s table: anything else is
refused before any SQL runs. ``services.reporting.stage_history`` reads these events back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from creatorflow.domain.lifecycle import (
    FIRST_STAGE,
    Cause,
    Stage,
    StageMoveRefused,
    allowed_from,
    target_of,
)
from creatorflow.errors import TransitionError
from creatorflow.storage.db import insert_ignore
from creatorflow.storage.events import event_values, record_events
from creatorflow.storage.models import Enrollment

STAGE_CHANGED = "stage_changed"
_CHUNK = 500  # ids per statement: far below every driver's limit on bound parameters
_ENROLLMENTS = cast(Table, Enrollment.__table__)


@dataclass(frozen=True)
class StageMove:
    """One enrollment actually moved (and its event written)."""

    enrollment_id: int
    creator_id: int
    campaign_id: int
    from_: Stage
    to: Stage


def move_stages(
    session: Session,
    enrollment_ids: Iterable[int],
    *,
    cause: Cause,
    now: datetime,
    actor: str,
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
    expected_from: Stage | Iterable[Stage] | None = None,
) -> list[StageMove]:
    """Move the enrollments that are still where ``cause`` may move them from; return those moved.

    ``expected_from`` narrows the starting stages (the stage the caller read); a stage the
    lifecycle does not allow for ``cause`` raises ``StageMoveRefused``. Events carry ``from``,
    ``to``, ``reason`` (when given) and ``detail``, and come in the order of ``enrollment_ids``.
    """
    to = target_of(cause)
    starts = _starting_stages(cause, to, expected_from)
    ids = list(dict.fromkeys(enrollment_ids))
    if not ids:
        return []
    moved: dict[int, StageMove] = {}
    for start in sorted(starts):  # the target is never a start: no row moves twice
        for offset in range(0, len(ids), _CHUNK):
            rows = session.execute(
                update(Enrollment)
                .where(Enrollment.id.in_(ids[offset : offset + _CHUNK]))
                .where(Enrollment.stage == start.value)
                .values(stage=to.value, updated_at=now)
                .returning(Enrollment.id, Enrollment.creator_id, Enrollment.campaign_id)
            ).all()
            for enrollment_id, creator_id, campaign_id in rows:
                moved[enrollment_id] = StageMove(enrollment_id, creator_id, campaign_id, start, to)
    result = [moved[i] for i in ids if i in moved]
    extra = dict(detail or {})
    record_events(
        session,
        [
            _stage_event(
                m.enrollment_id,
                m.creator_id,
                m.campaign_id,
                {"from": m.from_.value, "to": to.value, **_reason(reason), **extra},
                now=now,
                actor=actor,
            )
            for m in result
        ],
    )
    return result


def move_stage(
    session: Session,
    enrollment_id: int,
    *,
    cause: Cause,
    expected_from: Stage,
    now: datetime,
    actor: str,
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> StageMove:
    """``move_stages`` for one enrollment the caller read at ``expected_from`` and must move.

    An operator's answer was checked against that stage: when another run moved the enrollment
    first, nothing is written and ``TransitionError`` says so (the caller's transaction rolls back).
    """
    moved = move_stages(
        session,
        [enrollment_id],
        cause=cause,
        expected_from=expected_from,
        now=now,
        actor=actor,
        reason=reason,
        detail=detail,
    )
    if not moved:
        raise TransitionError(
            f"enrollment {enrollment_id} is no longer {expected_from.value}: "
            "another run moved it first; try again"
        )
    return moved[0]


def enroll(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    actor: str,
    reason: str,
) -> list[int]:
    """Insert enrollments (``campaign_id``, ``creator_id``, ...) at the first stage, with events.

    A creator already in the campaign is left alone; returns the ids of the rows inserted.
    """
    inserted: list[int] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        values = {**row, "stage": FIRST_STAGE.value, "created_at": now, "updated_at": now}
        new_id = session.execute(
            insert_ignore(
                session, _ENROLLMENTS, values, conflict_columns=["campaign_id", "creator_id"]
            ).returning(_ENROLLMENTS.c.id)
        ).scalar()
        if new_id is None:
            continue
        inserted.append(int(new_id))
        events.append(
            _stage_event(
                int(new_id),
                row["creator_id"],
                row["campaign_id"],
                {"from": None, "to": FIRST_STAGE.value, "reason": reason},
                now=now,
                actor=actor,
            )
        )
    record_events(session, events)
    return inserted


def _starting_stages(
    cause: Cause, to: Stage, expected_from: Stage | Iterable[Stage] | None
) -> frozenset[Stage]:
    allowed = allowed_from(cause)
    if expected_from is None:
        return allowed
    wanted = (
        frozenset({expected_from}) if isinstance(expected_from, Stage) else frozenset(expected_from)
    )
    refused = sorted(wanted - allowed)
    if refused:
        raise StageMoveRefused(refused[0], to, cause)
    return wanted


def _reason(reason: str | None) -> dict[str, str]:
    return {} if reason is None else {"reason": reason}


def _stage_event(
    enrollment_id: int,
    creator_id: int,
    campaign_id: int,
    detail: dict[str, Any],
    *,
    now: datetime,
    actor: str,
) -> dict[str, Any]:
    return event_values(
        kind=STAGE_CHANGED,
        entity="enrollment",
        entity_id=enrollment_id,
        detail=detail,
        actor=actor,
        at=now,
        creator_id=creator_id,
        campaign_id=campaign_id,
    )
