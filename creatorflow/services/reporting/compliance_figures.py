"""The report's compliance section: per tier, posts checked, compliant at first sight, fixed
after a nudge, still open and removed early, as the record stood at ``as_of``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from creatorflow.domain.compliance import ProblemKind, Verdict
from creatorflow.domain.model import Tier
from creatorflow.services.reporting import numbers as fmt
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import CaptionVersion, ComplianceProblem, Deliverable, Enrollment

COLUMNS = ("checked", "first_sight", "fixed_after_nudge", "open", "removed_early")
LABELS = {
    "checked": "posts checked",
    "first_sight": "compliant at first sight",
    "fixed_after_nudge": "fixed after a nudge",
    "open": "still open",
    "removed_early": "removed early",
}


@dataclass
class ComplianceFigures:
    by_tier: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, column: str) -> int:
        return sum(row[column] for row in self.by_tier.values())


def compliance_figures(*, engine: Engine, campaign_id: int, as_of: datetime) -> ComplianceFigures:
    with session_scope(engine) as session:
        posts: dict[int, str | None] = {
            deliverable_id: tier
            for deliverable_id, tier in session.execute(
                select(Deliverable.id, Enrollment.tier)
                .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
                .where(Enrollment.campaign_id == campaign_id)
                .where(Deliverable.detected_at <= as_of)
            )
        }
        first: dict[int, str] = {}
        for deliverable_id, verdict in session.execute(
            select(CaptionVersion.deliverable_id, CaptionVersion.verdict)
            .where(CaptionVersion.deliverable_id.in_(list(posts)))
            .where(CaptionVersion.first_seen_at <= as_of)
            .order_by(CaptionVersion.deliverable_id, CaptionVersion.seq)
        ):
            first.setdefault(deliverable_id, verdict)
        problems = session.scalars(
            select(ComplianceProblem)
            .where(ComplianceProblem.deliverable_id.in_(list(posts)))
            .where(ComplianceProblem.opened_at <= as_of)
        ).all()
    figures = ComplianceFigures()

    def row(deliverable_id: int) -> dict[str, int]:
        tier = posts.get(deliverable_id) or "unknown"
        return figures.by_tier.setdefault(tier, dict.fromkeys(COLUMNS, 0))

    for deliverable_id, verdict in first.items():
        row(deliverable_id)["checked"] += 1
        if verdict == Verdict.DISCLOSED.value:
            row(deliverable_id)["first_sight"] += 1
    fixed: set[int] = set()
    still_open: set[int] = set()
    for problem in problems:
        closed = problem.closed_at is not None and problem.closed_at <= as_of
        if problem.kind == ProblemKind.REMOVED_EARLY.value:
            row(problem.deliverable_id)["removed_early"] += 1
            continue
        nudged = problem.nudged_at is not None and problem.nudged_at <= as_of
        if closed and problem.closed_reason == "fixed" and nudged:
            fixed.add(problem.deliverable_id)
        if not closed:
            still_open.add(problem.deliverable_id)
    for deliverable_id in fixed:
        row(deliverable_id)["fixed_after_nudge"] += 1
    for deliverable_id in still_open:
        row(deliverable_id)["open"] += 1
    return figures


def compliance_view(*, engine: Engine, campaign_id: int, as_of: datetime) -> dict[str, object]:
    """The section as strings (``templates/report/_compliance.html.j2``), tiers smallest first."""
    f = compliance_figures(engine=engine, campaign_id=campaign_id, as_of=as_of)
    order = [t.value for t in Tier] + ["unknown"]
    tiers = sorted(f.by_tier, key=lambda t: order.index(t) if t in order else len(order))
    rows = [
        {"tier": tier, "values": [fmt.count(f.by_tier[tier][c]) for c in COLUMNS]} for tier in tiers
    ]
    return {
        "checked": f.total("checked"),
        "labels": [LABELS[c] for c in COLUMNS],
        "rows": rows,
        "totals": [fmt.count(f.total(c)) for c in COLUMNS],
    }
