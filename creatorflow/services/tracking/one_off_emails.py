"""One-off emails: one templated message to an enrollment for one outbox step, sent at most once.

Deliverable and draft reminders, compliance nudges and their reminders, and story-results
requests all work the same way: per tracked campaign a planner picks the (enrollment, step)
pairs due now, each with its template and context, and the outbox sends them. The outbox's
unique (enrollment, step) row (``services/outreach/sending.py``) makes a re-run or an
overlapping run a no-op, so a planner only has to name the step. This module holds what they
share: the planned message, the run's report and the run over the tracked campaigns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope


@dataclass(frozen=True)
class PlannedEmail:
    """One message due: ``template`` names ``templates/<template>.{subject,txt,html}.j2``."""

    enrollment_id: int
    step: str
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class OneOffReport:
    """What one run planned, and what the outbox did with it."""

    planned: int
    outbox: SendReport

    def counts(self) -> dict[str, int]:
        """``planned``, then (once anything was planned) the outbox's counts by outcome."""
        counts = {"planned": self.planned}
        if self.planned:
            counts.update((s, n) for s, n in self.outbox.counts().items() if s != "preview")
        return counts


def campaign_template(campaign: StoredCampaign, name: str) -> str:
    """The template ``name`` in the campaign's own template set (``outreach.template_set``)."""
    return f"outreach/{campaign.spec.outreach.template_set}/{name}"


def send_one_off_emails(
    *,
    engine: Engine,
    settings: Settings,
    campaign_slug: str | None,
    now: datetime,
    actor: str,
    plan: Callable[[StoredCampaign], Sequence[PlannedEmail]],
    thread: bool,
    after: Callable[[StoredCampaign], None] | None = None,
) -> OneOffReport:
    """Send what ``plan`` finds due in each tracked campaign, then call ``after`` (if given).

    ``thread``: the messages answer the creator's thread (``Re:`` its first subject) rather
    than start their own.
    """
    from creatorflow.services.outreach.sending import OutboundEmail, send_emails

    planned_total, outbox = 0, SendReport()
    with session_scope(engine) as session:
        campaigns = tracked_campaigns(session, campaign_slug)
    for campaign in campaigns:
        planned = plan(campaign)
        planned_total += len(planned)
        if planned:
            emails = [
                OutboundEmail(
                    enrollment_id=p.enrollment_id,
                    step=p.step,
                    template=p.template,
                    context=p.context,
                    thread=thread,
                )
                for p in planned
            ]
            outbox.extend(
                send_emails(engine=engine, settings=settings, emails=emails, now=now, actor=actor)
            )
        if after is not None:
            after(campaign)
    return OneOffReport(planned=planned_total, outbox=outbox)
