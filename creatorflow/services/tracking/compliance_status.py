"""Compliance where the operator looks: a line per creator in ``campaign status`` and the open
problems in the tracking summary's "needs attention" list (with the command that waives one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creatorflow.storage.models import (
    Account,
    Campaign,
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    Enrollment,
)

_WORDS = {
    "missing": "no ad disclosure",
    "buried": "disclosure buried",
    "removed_early": "removed early",
}


def creator_compliance(session: Session, *, campaign_id: int) -> dict[int, str]:
    """Enrollment id -> one line: each checked post's latest verdict, then open problems."""
    newest = (
        select(CaptionVersion.deliverable_id, func.max(CaptionVersion.seq).label("seq"))
        .group_by(CaptionVersion.deliverable_id)
        .subquery()
    )
    verdicts = session.execute(
        select(Deliverable.enrollment_id, CaptionVersion.verdict)
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .join(CaptionVersion, CaptionVersion.deliverable_id == Deliverable.id)
        .join(
            newest,
            (newest.c.deliverable_id == CaptionVersion.deliverable_id)
            & (newest.c.seq == CaptionVersion.seq),
        )
        .where(Enrollment.campaign_id == campaign_id)
        .order_by(Deliverable.enrollment_id, Deliverable.id)
    ).all()
    problems = session.execute(
        select(Deliverable.enrollment_id, ComplianceProblem.kind, ComplianceProblem.nudged_at)
        .join(Deliverable, Deliverable.id == ComplianceProblem.deliverable_id)
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .where(Enrollment.campaign_id == campaign_id)
        .where(ComplianceProblem.closed_at.is_(None))
        .order_by(ComplianceProblem.id)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for enrollment_id, verdict in verdicts:
        by_verdict = counts.setdefault(enrollment_id, {})
        by_verdict[verdict] = by_verdict.get(verdict, 0) + 1
    open_of: dict[int, list[str]] = {}
    for enrollment_id, kind, nudged_at in problems:
        state = f"nudged {nudged_at:%Y-%m-%d}" if nudged_at else "open"
        open_of.setdefault(enrollment_id, []).append(f"{_WORDS.get(kind, kind)} ({state})")
    lines: dict[int, str] = {}
    for enrollment_id in sorted(set(counts) | set(open_of)):
        parts = [f"{n} {v}" for v, n in sorted(counts.get(enrollment_id, {}).items())]
        parts += open_of.get(enrollment_id, [])
        lines[enrollment_id] = ", ".join(parts)
    return lines


def open_problems(session: Session, *, campaign_slugs: Sequence[str]) -> list[dict[str, Any]]:
    """The open compliance problems of the campaigns, oldest first, as JSON-able values."""
    rows = session.execute(
        select(
            Campaign.slug,
            Account.platform,
            Account.handle,
            Deliverable.post_id,
            Deliverable.url,
            ComplianceProblem.kind,
            ComplianceProblem.opened_at,
            ComplianceProblem.nudged_at,
        )
        .join(Deliverable, Deliverable.id == ComplianceProblem.deliverable_id)
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .join(Campaign, Campaign.id == Enrollment.campaign_id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Campaign.slug.in_(list(campaign_slugs)))
        .where(ComplianceProblem.closed_at.is_(None))
        .order_by(ComplianceProblem.opened_at, ComplianceProblem.id)
    ).all()
    return [
        {
            "campaign": slug,
            "account": f"{platform}:{handle}",
            "post_id": post_id,
            "url": url,
            "kind": kind,
            "opened_at": opened.isoformat(),
            "nudged_at": nudged.isoformat() if nudged else None,
        }
        for slug, platform, handle, post_id, url, kind, opened, nudged in rows
    ]


def problem_line(item: dict[str, Any]) -> str:
    """One "needs attention" bullet for an open problem, with the next step."""
    what = _WORDS.get(item["kind"], item["kind"])
    state = "nudged, waiting for the fix" if item.get("nudged_at") else "not nudged yet"
    if item["kind"] == "removed_early":
        state = "ask the creator why; the fee may not be due"
    return (
        f"- `{item['account']}` ({item['campaign']}) post {item['post_id']}: {what} "
        f"since {item['opened_at'][:10]}, {state} (`creatorflow campaign waive "
        f"{item['campaign']} {item['post_id']} --reason ...` to accept it)."
    )
