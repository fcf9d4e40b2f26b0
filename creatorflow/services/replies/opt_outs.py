"""Suppression and stage changes shared by the replies service, responses and the web endpoint.

Every change here records its event in the same session, so the caller's transaction carries the
change and its history together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creatorflow.domain.answers import opt_out_stage
from creatorflow.domain.model import Stage
from creatorflow.domain.send_rules import normalize_address
from creatorflow.domain.unsubscribe import UnsubscribeRequest
from creatorflow.services.outreach.suppression import add_suppression
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Campaign, Creator, Enrollment, OutreachMessage


def normalise_address(email: str) -> str:
    return normalize_address(email)


def suppress_address(
    session: Session, *, email: str, reason: str, source: str, now: datetime, actor: str
) -> bool:
    """Add ``email`` to the global list (the outbox's own ``add_suppression``).

    False when it was already there, or when it is not an address at all (a mangled From: header
    must not stop the rest of the inbox from being read).
    """
    address = normalize_address(email)
    local, _, domain = address.partition("@")
    if not local or not domain:
        return False
    return add_suppression(
        session, email=address, reason=reason, source=source, now=now, actor=actor
    )


def change_stage(
    session: Session,
    enrollment: Enrollment,
    to: Stage,
    *,
    now: datetime,
    actor: str,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Move ``enrollment`` to ``to`` and record why (``reason``, as the outbox does)."""
    before = enrollment.stage
    enrollment.stage = to.value
    enrollment.updated_at = now
    record_event(
        session,
        kind="stage_changed",
        entity="enrollment",
        entity_id=enrollment.id,
        detail={"from": before, "to": to.value, "reason": reason, **(detail or {})},
        actor=actor,
        at=now,
        creator_id=enrollment.creator_id,
        campaign_id=enrollment.campaign_id,
    )


@dataclass(frozen=True)
class UnsubscribeResult:
    email: str
    newly_suppressed: bool
    opted_out_enrollments: list[int]


def unsubscribe(
    *, engine: Engine, request: UnsubscribeRequest, now: datetime, actor: str
) -> UnsubscribeResult:
    """Honour a one-click unsubscribe: suppress the address, opt out its enrollments there.

    The suppression happens even when the campaign is unknown: an opt-out must always work.
    Repeating the request changes nothing.
    """
    address = normalise_address(request.email)
    with session_scope(engine) as session:
        campaign = session.scalars(
            select(Campaign).where(Campaign.slug == request.campaign_slug)
        ).one_or_none()
        enrollments: list[Enrollment] = []
        if campaign is not None:
            by_message = select(OutreachMessage.enrollment_id).where(
                func.lower(OutreachMessage.to_address) == address
            )
            by_creator = select(Creator.id).where(func.lower(Creator.email) == address)
            enrollments = list(
                session.scalars(
                    select(Enrollment)
                    .where(Enrollment.campaign_id == campaign.id)
                    .where(Enrollment.id.in_(by_message) | Enrollment.creator_id.in_(by_creator))
                    .order_by(Enrollment.id)
                )
            )
        newly = suppress_address(
            session,
            email=address,
            reason=f"one-click unsubscribe ({request.campaign_slug})",
            source="unsubscribe-link",
            now=now,
            actor=actor,
        )
        changed = []
        for enrollment in enrollments:
            target = opt_out_stage(Stage(enrollment.stage))
            if target is not None:
                change_stage(
                    session,
                    enrollment,
                    target,
                    now=now,
                    actor=actor,
                    reason="one-click unsubscribe",
                )
                changed.append(enrollment.id)
        return UnsubscribeResult(address, newly, changed)
