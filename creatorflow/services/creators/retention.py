"""Retention (GDPR Art. 5(1)(e)): contacts who never answered are erased once old enough.

A person whose campaigns all show a contact and no answer (``contacted``, ``finished`` or
``bounced``; see ``domain.personal_data.never_answered``), and whose last email left more than
``CREATORFLOW_RETENTION_DAYS`` before the run's ``as_of``, is erased exactly as ``forget`` erases
(their hashes stay, so they are not imported again). The daily ``refresh-creators`` run does it and
lists them in its ``retention`` artifact; 0 days turns it off. One transaction for the run (a
failure erases nobody; the next run tries again), with one scan of the event log for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creatorflow.domain.personal_data import erased_label, never_answered, retention_cutoff
from creatorflow.services.creators.erasers import delete_files, redact_mentions
from creatorflow.services.creators.forget import (
    erase_mail_copies,
    forget_creator,
    secret_key_bytes,
)
from creatorflow.settings import Settings, SettingsError
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Enrollment, Erasure, OutreachMessage


@dataclass
class RetentionResult:
    """Who the retention run erased (by id: nothing else is left to name them by)."""

    days: int
    cutoff: datetime | None
    erased: list[tuple[int, datetime]] = field(default_factory=list)  # creator id, last email
    problem: str | None = None

    def lines(self) -> list[str]:
        if self.cutoff is None:
            return ["retention is off (CREATORFLOW_RETENTION_DAYS=0)"]
        if self.problem:
            return [f"retention not applied: {self.problem}"]
        head = (
            f"retention: {len(self.erased)} contact(s) who never answered, last emailed before "
            f"{self.cutoff:%Y-%m-%d} ({self.days} days), erased"
        )
        return [head] + [
            f"- {erased_label(cid)} (last emailed {last:%Y-%m-%d})" for cid, last in self.erased
        ]

    def markdown(self) -> str:
        return "## Retention\n\n" + "\n".join(self.lines()) + "\n"

    def as_json(self) -> dict[str, object]:
        return {
            "days": self.days,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "erased": [cid for cid, _ in self.erased],
            "problem": self.problem,
        }


def expired_contacts(session: Session, *, cutoff: datetime) -> list[tuple[int, datetime]]:
    """(creator id, last email) of people last emailed before ``cutoff`` who never answered."""
    when = func.coalesce(OutreachMessage.sent_at, OutreachMessage.claimed_at)
    erased = select(Erasure.creator_id)
    last = session.execute(
        select(Enrollment.creator_id, func.max(when))
        .join(OutreachMessage, OutreachMessage.enrollment_id == Enrollment.id)
        .where(Enrollment.creator_id.not_in(erased))
        .group_by(Enrollment.creator_id)
        .having(func.max(when) < cutoff)
    ).all()
    if not last:
        return []
    stages: dict[int, list[str]] = {}
    ids = sorted(cid for cid, _ in last)
    for start in range(0, len(ids), 500):
        for creator_id, stage in session.execute(
            select(Enrollment.creator_id, Enrollment.stage).where(
                Enrollment.creator_id.in_(ids[start : start + 500])
            )
        ):
            stages.setdefault(creator_id, []).append(stage)
    return sorted(
        (cid, at) for cid, at in last if never_answered(stages.get(cid, [])) and at is not None
    )


def apply_retention(
    *, engine: Engine, settings: Settings, now: datetime, actor: str
) -> RetentionResult:
    """Erase every expired contact as of ``now`` (nothing when retention is off)."""
    days = settings.retention_days
    result = RetentionResult(days, retention_cutoff(now, days))
    if result.cutoff is None:
        return result
    with session_scope(engine) as session:
        expired = expired_contacts(session, cutoff=result.cutoff)
    if not expired:
        return result
    try:
        key = secret_key_bytes(settings.secret_key)
    except SettingsError as exc:
        result.problem = f"{len(expired)} contact(s) are due but {exc}"
        return result
    reason = f"retention: no answer within {days} days"
    secrets: list[str] = []
    uploads: list[Path] = []
    with session_scope(engine) as session:
        for creator_id, last in expired:
            done = forget_creator(
                session,
                creator_id,
                key=key,
                reason=reason,
                source="retention",
                now=now,
                actor=actor,
                upload_dir=settings.upload_dir,
                deferred_secrets=secrets,
            )
            if not done.already_erased:
                result.erased.append((creator_id, last))
                uploads.extend(done.files)
        redact_mentions(session, secrets)  # one scan of the log for everyone
    delete_files(uploads)  # after the commit: a failed run deletes nothing
    erase_mail_copies(settings, [s for s in secrets if "@" in s])
    return result
