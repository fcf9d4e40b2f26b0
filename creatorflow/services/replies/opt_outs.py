"""Opting out: suppression shared by the inbox, the answers and the one-click unsubscribe link.

Every change here records its event in the same session, so the caller's transaction carries the
change and its history together; stage moves go through ``storage.enrollments.move_stages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.send_rules import normalize_address
from creatorflow.domain.unsubscribe import UnsubscribeRequest
from creatorflow.services.outreach.suppression import add_suppression
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
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
        enrollment_ids: list[int] = []
        if campaign is not None:
            by_message = select(OutreachMessage.enrollment_id).where(
                func.lower(OutreachMessage.to_address) == address
            )
            by_creator = select(Creator.id).where(func.lower(Creator.email) == address)
            enrollment_ids = list(
                session.scalars(
                    select(Enrollment.id)
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
        moved = move_stages(
            session,
            enrollment_ids,
            cause=Cause.OPT_OUT,
            reason="one-click unsubscribe",
            now=now,
            actor=actor,
        )
        return UnsubscribeResult(address, newly, [m.enrollment_id for m in moved])
