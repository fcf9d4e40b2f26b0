"""Who a new campaign must leave alone: people erased on request, and people at the contact cap.

One person is contacted cold (a first email) by at most ``CREATORFLOW_MAX_CAMPAIGNS_PER_PERSON``
campaigns in any 90 days, whoever launches them: the shortlist counts the first emails other
campaigns sent (or are sending) the person in the 90 days before the launch's ``as_of``, and
at the cap the candidate is excluded with the reason. A person erased on request is recognised by
the keyed hash of their address or handle and excluded too, even if rediscovered since.

Two launches approved at the same moment both pass the shortlist check, so the cap is checked
again when a first email is claimed (``held_at_send``, in the claim's transaction): the
creators' rows are locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op
``UPDATE`` takes the database's write lock), so a second sending run waits for the first's
claims to commit and counts them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.model import MessageStatus
from creatorflow.domain.personal_data import CAP_WINDOW, ERASED_ON_REQUEST, cap_reason
from creatorflow.domain.shortlist import Candidate
from creatorflow.services.creators.forget import any_erased, erased_among
from creatorflow.settings import Settings
from creatorflow.storage.models import Creator, Enrollment, OutreachMessage

#: Outbox statuses of a first email that reached, or is reaching, the person.
CONTACTING = (
    MessageStatus.QUEUED.value,
    MessageStatus.SENDING.value,
    MessageStatus.SENT.value,
    MessageStatus.UNKNOWN.value,
    MessageStatus.BOUNCED.value,
)


def cold_contacts(
    session: Session, *, campaign_id: int | None, now: datetime
) -> dict[int, list[tuple[int, datetime]]]:
    """creator id -> (campaign id, first email) of other campaigns' first emails in the 90 days
    before ``now`` (one query: the window bounds it, whatever the number of creators)."""
    found: dict[int, list[tuple[int, datetime]]] = {}
    when = func.coalesce(OutreachMessage.sent_at, OutreachMessage.claimed_at)
    rows = session.execute(
        select(Enrollment.creator_id, Enrollment.campaign_id, when)
        .join(OutreachMessage, OutreachMessage.enrollment_id == Enrollment.id)
        .where(Enrollment.campaign_id != (campaign_id or 0))
        .where(OutreachMessage.step == "initial")
        .where(OutreachMessage.status.in_(CONTACTING))
        .where(when > now - CAP_WINDOW)
        .where(when <= now)
    ).all()
    for creator_id, other, at in rows:
        found.setdefault(creator_id, []).append((other, at))
    return found


def _lock_creators(session: Session, creator_ids: list[int]) -> None:
    """Hold the creators' rows until the transaction ends (in id order: no deadlock)."""
    for start in range(0, len(creator_ids), 500):
        chunk = creator_ids[start : start + 500]
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                select(Creator.id)
                .where(Creator.id.in_(chunk))
                .order_by(Creator.id)
                .with_for_update()
            ).all()
        else:  # SQLite has no row locks: the first write takes the database's write lock
            session.execute(
                update(Creator)
                .where(Creator.id.in_(chunk))
                .values(created_at=Creator.created_at)
                .execution_options(synchronize_session=False)
            )


def _first_emails_to(
    session: Session, creator_ids: list[int], *, since: datetime
) -> list[tuple[int, int, datetime]]:
    """(creator id, campaign id, when) of the first emails reaching ``creator_ids`` after
    ``since``, in two look-ups that stay on their indexes whatever the planner knows: the
    creators' enrollments, then each one's ``initial`` outbox row by its unique key. Status and
    time are filtered here, not in SQL: a ``status IN (...)`` beside the join let PostgreSQL
    (on tables not analysed yet) scan every outbox row by its status index, once per claimed
    chunk, so a campaign's sending slowed down as its outbox grew."""
    enrollments: dict[int, tuple[int, int]] = {}
    for start in range(0, len(creator_ids), 500):
        rows = session.execute(
            select(Enrollment.id, Enrollment.creator_id, Enrollment.campaign_id).where(
                Enrollment.creator_id.in_(creator_ids[start : start + 500])
            )
        )
        enrollments.update((i, (creator_id, campaign_id)) for i, creator_id, campaign_id in rows)
    ids = sorted(enrollments)
    found: list[tuple[int, int, datetime]] = []
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                OutreachMessage.enrollment_id,
                OutreachMessage.status,
                OutreachMessage.sent_at,
                OutreachMessage.claimed_at,
            )
            .where(OutreachMessage.enrollment_id.in_(ids[start : start + 500]))
            .where(OutreachMessage.step == "initial")
        )
        for enrollment_id, status, sent_at, claimed_at in rows:
            when = sent_at or claimed_at
            if status in CONTACTING and when > since:
                found.append((*enrollments[enrollment_id], when))
    return found


def held_at_send(
    session: Session, first_emails: list[tuple[int, int]], *, limit: int, now: datetime
) -> list[str | None]:
    """For each (creator id, campaign id) first email about to be claimed: why the cap holds it
    back, or ``None``. Locks the creators first; each email let through counts for the next."""
    if not first_emails:
        return []
    creator_ids = sorted({creator_id for creator_id, _ in first_emails})
    _lock_creators(session, creator_ids)
    contacts: dict[int, list[tuple[int, datetime]]] = {}
    for creator_id, campaign_id, at in _first_emails_to(
        session, creator_ids, since=now - CAP_WINDOW
    ):
        # a claim stamped a moment later by another run's clock still counts
        contacts.setdefault(creator_id, []).append((campaign_id, min(at, now)))
    reasons: list[str | None] = []
    for creator_id, campaign_id in first_emails:
        seen = contacts.setdefault(creator_id, [])
        others = [(other, at) for other, at in seen if other != campaign_id]
        reason = cap_reason(others, now=now, limit=limit)
        if reason is None:
            seen.append((campaign_id, now))
        reasons.append(None if reason is None else f"held back at send: {reason}")
    return reasons


def _erased(session: Session, candidates: list[Candidate], settings: Settings) -> list[bool]:
    """Which candidates were erased on request (no query beyond one when nobody was)."""
    if not any_erased(session):
        return [False] * len(candidates)
    ids = sorted({c.creator_id for c in candidates})
    emails: dict[int, str | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(select(Creator.id, Creator.email).where(Creator.id.in_(chunk)))
        emails.update((creator_id, email) for creator_id, email in rows)
    people = [(emails.get(c.creator_id), [c.label]) for c in candidates]
    return erased_among(session, people, secret_key=settings.secret_key)


def hold_back(
    session: Session,
    candidates: list[Candidate],
    *,
    settings: Settings,
    campaign_id: int | None,
    now: datetime,
) -> list[Candidate]:
    """``candidates`` with ``held_back`` set on those erased on request or at the cap."""
    if not candidates:
        return candidates
    erased = _erased(session, candidates, settings)
    contacts = cold_contacts(session, campaign_id=campaign_id, now=now)
    limit = settings.max_campaigns_per_person
    out: list[Candidate] = []
    for candidate, was_erased in zip(candidates, erased, strict=True):
        if was_erased:
            out.append(replace(candidate, held_back=("erased", ERASED_ON_REQUEST)))
            continue
        reason = cap_reason(contacts.get(candidate.creator_id, ()), now=now, limit=limit)
        out.append(replace(candidate, held_back=("contact_cap", reason)) if reason else candidate)
    return out
