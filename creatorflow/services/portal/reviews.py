"""Reviewing a draft: what the reviewer sees, and the decision, emailed to the creator once.

The ``review-draft`` flow pauses on a form whose description is ``review_context(...).markdown``
(the draft, the brief, the deadline); the answer comes back to ``decide_draft``, which stores one
``draft_reviews`` row per draft (a second decision on the same draft is refused, so a resumed or
retried run cannot decide twice) and sends the decision through the outbox under the step
``draft_review_<id>``: the outbox's unique (enrollment, step) makes the email leave exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.domain.model import Stage
from creatorflow.errors import InputError, NotFoundError
from creatorflow.services.outreach.sending import OutboundEmail, SendReport, send_emails
from creatorflow.services.portal.links import portal_url
from creatorflow.services.portal.view import draft_due
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import campaign_by_id, load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_enrollment_event
from creatorflow.storage.models import Account, Deliverable, Draft, DraftReview, Enrollment

APPROVED = "approved"
CHANGES_REQUESTED = "changes_requested"
DECISION_TEMPLATE = "portal/draft_decision"


def decision_step(draft_id: int) -> str:
    return f"draft_review_{draft_id}"


def _md(text: str) -> str:
    """Creator text shown in the Prefect UI's markdown: as literal text, never as markup."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()<>#+-.!|~" else c for c in text)


@dataclass(frozen=True)
class ReviewContext:
    draft_id: int
    version: int
    creator: str
    campaign_slug: str
    decided: str | None  # the earlier decision, when there is one
    markdown: str


def review_context(*, engine: Engine, settings: Settings, draft_id: int) -> ReviewContext:
    """The draft, the brief and the deadline, as the review form's description."""
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise NotFoundError(f"no draft {draft_id}")
        enrollment, account = session.execute(
            select(Enrollment, Account)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.id == draft.enrollment_id)
        ).one()
        spec = campaign_by_id(session, enrollment.campaign_id).spec
        earlier = session.scalars(
            select(DraftReview.decision).where(DraftReview.draft_id == draft_id)
        ).one_or_none()
        creator = f"{account.platform}:{account.handle}"
        if draft.path:
            where = (settings.upload_dir / draft.path).resolve()
            what = (
                f"file `{where}` ({draft.media_type}, {draft.size:,} bytes, sha256 {draft.sha256})"
            )
        else:
            what = f"link: {_md(draft.link or '')}"
        due = enrollment.due_at.strftime("%Y-%m-%d") if enrollment.due_at else "not set"
        draft_due_at = draft_due(enrollment.due_at, spec)
        draft_line = f" (the draft was due {draft_due_at:%Y-%m-%d})" if draft_due_at else ""
        lines = [
            f"## Draft v{draft.version} from {_md(creator)} for {_md(spec.name)}",
            "",
            f"- **Draft**: {what}",
            f"- **Creator's note**: {_md(draft.note or '(none)')}",
            f"- **Submitted**: {draft.submitted_at:%Y-%m-%d %H:%M} UTC",
            f"- **Post due**: {due}{draft_line}",
            f"- **Hashtags**: {_md(' '.join('#' + h for h in spec.hashtags) or '(none)')}",
            f"- **Mentions**: {_md(' '.join('@' + m for m in spec.mentions) or '(none)')}",
            f"- **Window**: {spec.window.start} to {spec.window.end}",
            "- **Disclosure**: #ad or #sponsored at the start, and the paid-partnership label",
            "",
            "Approve, or untick *approve* and say what to change in *comment* (emailed to the "
            "creator).",
        ]
        return ReviewContext(draft_id, draft.version, creator, spec.slug, earlier, "\n".join(lines))


@dataclass(frozen=True)
class DecisionResult:
    draft_id: int
    decision: str
    changed: bool
    email: str  # sent / skipped: reason / deferred ...

    def as_json(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id,
            "decision": self.decision,
            "changed": self.changed,
            "email": self.email,
        }


def decide_draft(
    *,
    engine: Engine,
    settings: Settings,
    draft_id: int,
    approved: bool,
    comment: str,
    now: datetime,
    actor: str,
) -> DecisionResult:
    """Record the decision once and email it through the outbox (exactly once)."""
    comment = comment.strip()
    if not approved and not comment:
        raise InputError("say what to change: requesting changes needs a comment")
    decision = APPROVED if approved else CHANGES_REQUESTED
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise NotFoundError(f"no draft {draft_id}")
        enrollment = session.get(Enrollment, draft.enrollment_id)
        assert enrollment is not None
        earlier = session.scalars(
            select(DraftReview).where(DraftReview.draft_id == draft_id)
        ).one_or_none()
        changed = earlier is None
        if earlier is None:
            session.add(
                DraftReview(
                    draft_id=draft_id,
                    decision=decision,
                    comment=comment or None,
                    decided_at=now,
                    decided_by=actor,
                )
            )
            draft.status = decision
            record_enrollment_event(
                session,
                enrollment,
                kind=f"draft_{decision}",
                detail={"draft_id": draft_id, "version": draft.version, "comment": comment},
                actor=actor,
                at=now,
            )
        else:
            decision, comment = earlier.decision, earlier.comment or ""
        link = portal_url(
            session, settings=settings, enrollment_id=enrollment.id, now=now, actor=actor
        )
        email = OutboundEmail(
            enrollment_id=enrollment.id,
            step=decision_step(draft_id),
            template=DECISION_TEMPLATE,
            context={
                "review": {
                    "approved": decision == APPROVED,
                    "comment": comment,
                    "version": draft.version,
                    "portal_url": link,
                }
            },
            thread=False,
        )
    report = send_emails(engine=engine, settings=settings, emails=[email], now=now, actor=actor)
    return DecisionResult(draft_id, decision, changed, _outcome(report))


def _outcome(report: SendReport) -> str:
    for status in ("sent", "skipped", "deferred", "failed", "unknown"):
        outcomes = getattr(report, status)
        if outcomes:
            reason = outcomes[0].reason
            return f"{status}: {reason}" if reason else status
    return "not sent"


@dataclass(frozen=True)
class EarlyPost:
    creator: str
    post_id: str
    url: str | None


def posts_before_approval(*, engine: Engine, campaign_slug: str) -> list[EarlyPost]:
    """Posts detected before any draft of their creator was approved (``draft_review`` on)."""
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        if not campaign.spec.deliverables.draft_review:
            return []
        rows = session.execute(
            select(Deliverable, Account)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Enrollment.stage.in_([Stage.ACCEPTED.value, Stage.POSTED.value]))
            .order_by(Deliverable.id)
        ).all()
        approvals: dict[int, datetime] = {}
        for enrollment_id, decided_at in session.execute(
            select(Draft.enrollment_id, DraftReview.decided_at)
            .join(DraftReview, DraftReview.draft_id == Draft.id)
            .join(Enrollment, Enrollment.id == Draft.enrollment_id)
            .where(Enrollment.campaign_id == campaign.id, DraftReview.decision == APPROVED)
        ):
            first = approvals.get(enrollment_id)
            approvals[enrollment_id] = decided_at if first is None else min(first, decided_at)
        early = []
        for post, account in rows:
            approved_at = approvals.get(post.enrollment_id)
            if approved_at is None or post.detected_at < approved_at:
                early.append(
                    EarlyPost(f"{account.platform}:{account.handle}", post.post_id, post.url)
                )
        return early


def early_posts(*, engine: Engine, campaign_slugs: Sequence[str]) -> list[dict[str, Any]]:
    """``posts_before_approval`` of every campaign, as the tracking summary's attention items."""
    return [
        {"campaign": slug, "account": p.creator, "post_id": p.post_id, "url": p.url}
        for slug in campaign_slugs
        for p in posts_before_approval(engine=engine, campaign_slug=slug)
    ]
