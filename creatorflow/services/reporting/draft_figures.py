"""The report's draft funnel (issue 18): per tier, drafts submitted, approved, sent back for
changes and still awaiting review, as the record stood at ``as_of``.

Counted from the stored ``drafts`` and ``draft_reviews`` rows, not from the event log that
``services/portal/funnel.py`` reads for ``campaign status``: a draft counts once it was submitted
by ``as_of`` and a decision once it was taken by ``as_of``, so a report re-run for the same
``as_of`` is byte-identical however the reviews went on. Drafts are versions (a creator sent back
for changes submits again); ``creators`` says how many creators stand behind them. The names are
``portal_funnel``'s, so the status and the report speak of the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select

from creatorflow.domain.model import TIER_ORDER
from creatorflow.services.portal.reviews import APPROVED, CHANGES_REQUESTED
from creatorflow.services.reporting import numbers as fmt
from creatorflow.services.reporting.aggregates import UNTIERED
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Deliverable, Draft, DraftReview, Enrollment

#: ``services/portal/funnel.PORTAL_FUNNEL``'s names, so the status and the report agree.
SUBMITTED, APPROVED_KEY, CHANGES_KEY = "drafts_submitted", "drafts_approved", "changes_requested"
COLUMNS = ("creators", SUBMITTED, APPROVED_KEY, CHANGES_KEY, "awaiting_review")
LABELS = {
    "creators": "creators with a draft",
    SUBMITTED: "drafts submitted",
    APPROVED_KEY: "approved",
    CHANGES_KEY: "changes requested",
    "awaiting_review": "awaiting review",
}
_DECISION_COLUMN = {APPROVED: APPROVED_KEY, CHANGES_REQUESTED: CHANGES_KEY}


@dataclass
class DraftFigures:
    by_tier: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Posts detected by ``as_of`` before their creator's first approval (None: not required).
    posted_before_approval: int | None = None

    def total(self, column: str) -> int:
        return sum(row[column] for row in self.by_tier.values())


def draft_figures(
    *, engine: Engine, campaign_id: int, as_of: datetime, draft_review: bool
) -> DraftFigures:
    """The campaign's drafts as of ``as_of``; ``draft_review``: the campaign requires approval."""
    with session_scope(engine) as session:
        drafts = session.execute(
            select(Draft.id, Draft.enrollment_id, Enrollment.tier)
            .join(Enrollment, Enrollment.id == Draft.enrollment_id)
            .where(Enrollment.campaign_id == campaign_id, Draft.submitted_at <= as_of)
            .order_by(Draft.id)
        ).all()
        decisions: dict[int, str] = {
            draft_id: decision
            for draft_id, decision in session.execute(
                select(DraftReview.draft_id, DraftReview.decision)
                .join(Draft, Draft.id == DraftReview.draft_id)
                .join(Enrollment, Enrollment.id == Draft.enrollment_id)
                .where(Enrollment.campaign_id == campaign_id)
                .where(Draft.submitted_at <= as_of, DraftReview.decided_at <= as_of)
            ).tuples()
        }
        early: int | None = None
        if draft_review:
            first_approval = (
                select(func.min(DraftReview.decided_at))
                .join(Draft, Draft.id == DraftReview.draft_id)
                .where(Draft.enrollment_id == Deliverable.enrollment_id)
                .where(DraftReview.decision == APPROVED, DraftReview.decided_at <= as_of)
                .correlate(Deliverable)
                .scalar_subquery()
            )
            early = int(
                session.scalar(
                    select(func.count(Deliverable.id))
                    .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
                    .where(Enrollment.campaign_id == campaign_id)
                    .where(Deliverable.detected_at <= as_of)
                    .where((first_approval.is_(None)) | (Deliverable.detected_at < first_approval))
                )
                or 0
            )
    figures = DraftFigures(posted_before_approval=early)
    creators: dict[str, set[int]] = {}
    for draft_id, enrollment_id, tier in drafts:
        name = tier or UNTIERED
        row = figures.by_tier.setdefault(name, dict.fromkeys(COLUMNS, 0))
        creators.setdefault(name, set()).add(enrollment_id)
        row[SUBMITTED] += 1
        decision = decisions.get(draft_id)
        row[_DECISION_COLUMN.get(decision or "", "awaiting_review")] += 1
    for name, members in creators.items():
        figures.by_tier[name]["creators"] = len(members)
    return figures


def _tier_key(tier: str) -> tuple[int, str]:
    order = [t.value for t in TIER_ORDER]
    return (order.index(tier) if tier in order else len(order), tier)


def draft_view(
    *, engine: Engine, campaign_id: int, as_of: datetime, draft_review: bool
) -> dict[str, object]:
    """The section as strings (the funnel part of the report templates), tiers smallest first.

    ``shown`` is false when the campaign neither received drafts nor requires them: the
    section is left out rather than printed as a table of zeros.
    """
    f = draft_figures(
        engine=engine, campaign_id=campaign_id, as_of=as_of, draft_review=draft_review
    )
    rows = [
        {"tier": tier, "values": [fmt.count(f.by_tier[tier][c]) for c in COLUMNS]}
        for tier in sorted(f.by_tier, key=_tier_key)
    ]
    early = f.posted_before_approval
    return {
        "shown": bool(rows) or draft_review,
        "submitted": fmt.count(f.total(SUBMITTED)),
        "labels": [LABELS[c] for c in COLUMNS],
        "rows": rows,
        "totals": [fmt.count(f.total(c)) for c in COLUMNS],
        "posted_before_approval": "" if early is None else fmt.count(early),
    }
