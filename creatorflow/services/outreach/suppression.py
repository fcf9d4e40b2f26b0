"""The global suppression list: addresses never emailed again, whatever the campaign.

Unsubscribes, hard bounces, complaints, objections (GDPR Art. 21) and manual blocks all land here;
the outbox checks it for every message at send time, on normalised addresses.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.handles import normalise_email
from creatorflow.domain.send_rules import normalize_address
from creatorflow.errors import InputError, shown
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Base, Creator, Suppression

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def add_suppression(
    session: Session, *, email: str, reason: str, source: str, now: datetime, actor: str
) -> bool:
    """Suppress ``email`` inside the caller's transaction; ``False`` when it already was."""
    address = normalize_address(email)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise InputError(f"{email!r} is not an email address")
    inserted = (
        session.execute(
            insert_ignore(
                session,
                Base.metadata.tables["suppressions"],
                {
                    "email": address,
                    "reason": reason[:200],
                    "source": source[:200],
                    "created_at": now,
                },
                conflict_columns=["email"],
            ).returning(Base.metadata.tables["suppressions"].c.id)
        ).scalar_one_or_none()
        is not None
    )
    if not inserted:
        return False
    row_id = session.scalars(select(Suppression.id).where(Suppression.email == address)).one()
    creator_id = session.scalars(
        select(Creator.id).where(Creator.email.in_({email.strip(), address}))
    ).first()
    record_event(
        session,
        kind="suppressed",
        entity="suppression",
        entity_id=row_id,
        detail={"email": address, "reason": reason, "source": source},
        actor=actor,
        at=now,
        creator_id=creator_id,
    )
    return True


def suppress(
    *, engine: Engine, email: str, reason: str, source: str, now: datetime, actor: str
) -> bool:
    """Suppress ``email`` in its own transaction (the ``creatorflow suppress`` command).

    An operator types or pastes the address, so it must be exactly one address: a pasted
    ``a@x.example\r\nBcc: b@x.example`` stored whole would suppress nobody (the outbox compares
    normalised single addresses) while saying "suppressed".
    """
    try:
        address = normalise_email(email)
    except ValueError as exc:
        raise InputError(f"EMAIL: {shown(email)} is not one email address ({_why(exc)})") from None
    if _CONTROL.search(reason) or len(reason) > 200:
        raise InputError("--reason: one line of at most 200 characters, without control characters")
    with session_scope(engine) as session:
        return add_suppression(
            session,
            email=address,
            reason=reason.strip() or "manual",
            source=source,
            now=now,
            actor=actor,
        )


def _why(exc: ValueError) -> str:
    """The reason of a ``normalise_email`` error without the address it repeats."""
    text = str(exc)
    return text.rsplit("' ", 1)[-1] if "' " in text else text


def is_suppressed(session: Session, email: str) -> bool:
    address = normalize_address(email)
    return (
        session.scalars(select(Suppression.id).where(Suppression.email == address)).first()
        is not None
    )


def suppressed_among(session: Session, emails: list[str]) -> set[str]:
    """The normalised addresses of ``emails`` that are suppressed (one query)."""
    wanted = {normalize_address(e) for e in emails if e}
    if not wanted:
        return set()
    found: set[str] = set()
    batch = sorted(wanted)
    for start in range(0, len(batch), 500):
        found.update(
            session.scalars(
                select(Suppression.email).where(Suppression.email.in_(batch[start : start + 500]))
            )
        )
    return found
