"""The operator waives a post's compliance problems, with a reason kept as evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from creatorflow.errors import InputError, NotFoundError
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Campaign, ComplianceProblem, Deliverable, Enrollment


def waive_problems(
    *, engine: Engine, campaign_slug: str, post_id: str, reason: str, now: datetime, actor: str
) -> list[int]:
    """Close the post's open problems as waived by the operator, with the reason: no nudge or
    reminder goes out for them any more."""
    if not reason.strip():
        raise InputError("--reason: say why the problem is waived (kept as evidence)")
    with session_scope(engine) as session:
        found = session.execute(
            select(Deliverable.id, Enrollment.creator_id, Campaign.id)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Campaign, Campaign.id == Enrollment.campaign_id)
            .where(Campaign.slug == campaign_slug, Deliverable.post_id == post_id)
        ).first()
        if found is None:
            raise NotFoundError(f"campaign {campaign_slug!r} has no post {post_id!r}")
        deliverable_id, creator_id, campaign_id = found
        problems = session.scalars(
            select(ComplianceProblem)
            .where(ComplianceProblem.deliverable_id == deliverable_id)
            .where(ComplianceProblem.closed_at.is_(None))
            .order_by(ComplianceProblem.id)
        ).all()
        opened = [p.opened_at for p in problems if p.opened_at > now]
        if opened:  # the evidence would show a problem closed before it opened
            raise InputError(
                f"--as-of: post {post_id!r}'s problem opened at {min(opened).isoformat()},"
                " after the waiver's time: waive it at or after that moment"
            )
        for problem in problems:
            problem.waived_at, problem.waived_by, problem.waive_reason = now, actor, reason
            problem.closed_at, problem.closed_reason = now, "waived"
            record_event(
                session,
                kind="compliance_waived",
                entity="deliverable",
                entity_id=deliverable_id,
                detail={"problem": problem.id, "kind": problem.kind, "reason": reason},
                actor=actor,
                at=now,
                creator_id=creator_id,
                campaign_id=campaign_id,
            )
        return [p.id for p in problems]
