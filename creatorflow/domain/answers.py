"""How a creator's answer moves their enrollment: the stage rules for replies and responses.

Pure rules, so the replies service, the responses service and the unsubscribe endpoint agree on
what a reply, a bounce, an opt-out, an acceptance or a refusal may change. Stages after acceptance
(accepted, posted) are not undone by mail: the suppression list already stops further emails.
"""

from __future__ import annotations

from creatorflow.domain.classify import Kind
from creatorflow.domain.model import Stage

# Contacted and still open (or run out): an answer by mail can still change these.
_OPEN = frozenset({Stage.CONTACTED, Stage.FINISHED})
_BEFORE_ACCEPTANCE = frozenset(
    {Stage.SHORTLISTED, Stage.CONTACTED, Stage.REPLIED, Stage.FINISHED, Stage.DECLINED}
)


def stage_after_mail(kind: Kind, current: Stage) -> Stage | None:
    """The stage an inbound message of ``kind`` leads to, or None when the stage stays."""
    if kind is Kind.REPLY and current in _OPEN:
        return Stage.REPLIED
    if kind is Kind.BOUNCE and current in _BEFORE_ACCEPTANCE - {Stage.DECLINED}:
        return Stage.BOUNCED
    if kind is Kind.UNSUBSCRIBE and current in _BEFORE_ACCEPTANCE:
        return Stage.OPTED_OUT
    return None


def opt_out_stage(current: Stage) -> Stage | None:
    """One-click unsubscribe: the same rule as an opt-out by mail."""
    return stage_after_mail(Kind.UNSUBSCRIBE, current)


def refuse_acceptance(current: Stage) -> str | None:
    """Why a creator at ``current`` cannot accept, or None when they can."""
    reasons = {
        Stage.SHORTLISTED: "has not been contacted yet",
        Stage.REMOVED: "was removed from the shortlist",
        Stage.OPTED_OUT: "opted out (never contact them again)",
        Stage.BOUNCED: "has an address that bounced",
        Stage.POSTED: "has already posted",
    }
    return reasons.get(current)


def refuse_decline(current: Stage) -> str | None:
    """Why a creator at ``current`` cannot be marked as declining, or None when they can."""
    reasons = {
        Stage.SHORTLISTED: "has not been contacted yet",
        Stage.REMOVED: "was removed from the shortlist",
        Stage.OPTED_OUT: "opted out",
        Stage.BOUNCED: "has an address that bounced",
        Stage.POSTED: "has already posted",
        Stage.DECLINED: "has already declined",
    }
    return reasons.get(current)
