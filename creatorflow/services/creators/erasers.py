"""The registry of erasers: one function per table that holds personal data, run by ``forget``.

A table added later is covered by one more ``@eraser("table")`` function here (or by naming it
in ``NO_PERSONAL_DATA``); ``tests/integration/test_forget_person.py`` fails while a table is in
neither. Rows that figures depend on (creators, accounts, enrollments, messages, deliverables,
events) stay, with their personal columns blanked; rows that are nothing but personal data
(shipping addresses, webhook payloads, the plain-text suppression) are deleted.

The event log stays append-only for state changes; erasure is the one update it ever gets: every
event of the person (by ``creator_id`` or by the entity it is about) keeps only the domain's
``SAFE_DETAIL_KEYS``, and any other event whose detail or actor contains one of the person's
identifiers has them redacted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.personal_data import (
    REDACTED,
    erased_handle,
    erased_label,
    redact,
    redact_value,
    scrub_detail,
    search_terms,
)
from creatorflow.services.creators.person_rows import Person, row_ids, table_named
from creatorflow.storage.models import Base

Eraser = Callable[[Session, Person, datetime], int]

#: table name -> its eraser, in the order they run (children before the rows they point at)
ERASERS: dict[str, Eraser] = {}

#: Tables without personal data: figures, campaigns, the brand's own mailboxes and runs.
NO_PERSONAL_DATA = frozenset(
    {
        "alembic_version",
        "campaigns",
        "profile_snapshots",  # counts of an account, by account id
        "metric_snapshots",  # counts of a post, by deliverable id
        "conversions",  # the brand's sales figures per enrollment
        "reports",  # reports already sent are not changed (recipients are the brand's)
        "sending_pauses",  # keyed by the brand's mailbox or a campaign slug
        "inbox_checkpoints",
        "platform_access",
        "compliance_problems",  # dates and kinds; the waive reason is redacted below
        "erasures",  # the erasure itself: creator id, redacted reason
        "erased_identities",  # keyed hashes only
    }
)


def eraser(table: str) -> Callable[[Eraser], Eraser]:
    """Register the function that erases one person's data from ``table``."""

    def register(function: Eraser) -> Eraser:
        ERASERS[table] = function
        return function

    return register


def _present(t: Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for the columns ``t`` has (a column another change dropped is skipped)."""
    return {name: value for name, value in values.items() if name in t.c}


def _set(session: Session, table: str, ids: Sequence[int], **values: Any) -> int:
    t = table_named(table)
    if t is None or not ids:
        return 0
    session.execute(update(t).where(t.c.id.in_(list(ids))).values(**_present(t, values)))
    return len(ids)


def _each(session: Session, table: str, ids: Sequence[int], values: Callable[[int], Any]) -> int:
    """Update ``ids`` one by one (the new values depend on the row id: unique columns)."""
    t = table_named(table)
    if t is None:
        return 0
    for row_id in ids:
        session.execute(update(t).where(t.c.id == row_id).values(**_present(t, values(row_id))))
    return len(ids)


@eraser("webhook_events")
def _webhook_events(session: Session, person: Person, now: datetime) -> int:
    t = table_named("webhook_events")
    if t is None:
        return 0
    bare = [h.partition(":")[2] for h in person.handles]
    payload = func.lower(cast(t.c.payload, Text))
    # a value of the payload that is exactly the handle ("username": "zoe.glow"), not any text
    # that contains it (another creator's "zoe.glowing")
    quoted = {json.dumps(h.lower()) for h in bare} | {json.dumps("@" + h.lower()) for h in bare}
    mentions = [payload.contains(term, autoescape=True) for term in sorted(quoted)]
    hit = or_(
        t.c.deliverable_id.in_(person.of("deliverable")),
        func.lower(t.c.sender).in_([h.lower() for h in bare] or [""]),
        *mentions,
    )
    result = session.execute(delete(t).where(hit))
    return int(getattr(result, "rowcount", 0) or 0)


@eraser("caption_versions")
def _caption_versions(session: Session, person: Person, now: datetime) -> int:
    ids = row_ids(session, "caption_versions", "deliverable_id", person.of("deliverable"))
    return _set(
        session, "caption_versions", ids, title=None, text=None, found=None, reason=REDACTED
    )


@eraser("compliance_problems")
def _compliance_problems(session: Session, person: Person, now: datetime) -> int:
    ids = row_ids(session, "compliance_problems", "deliverable_id", person.of("deliverable"))
    return _set(session, "compliance_problems", ids, waive_reason=None)


@eraser("draft_reviews")
def _draft_reviews(session: Session, person: Person, now: datetime) -> int:
    ids = row_ids(session, "draft_reviews", "draft_id", person.of("draft"))
    return _set(session, "draft_reviews", ids, comment=None)


@eraser("drafts")
def _drafts(session: Session, person: Person, now: datetime) -> int:
    """Blank the links and notes; the uploaded files go in ``person.files``, deleted by the
    caller after the commit (``delete_files``). The versions stay counted."""
    t = table_named("drafts")
    if t is None or not person.of("draft"):
        return 0
    paths = session.scalars(select(t.c.path).where(t.c.id.in_(person.of("draft")))).all()
    for path in paths:
        if path and person.upload_dir is not None:
            target = (person.upload_dir / path).resolve()
            if target.is_relative_to(person.upload_dir.resolve()):
                person.files.append(target)
    values = {"link": None, "path": None, "note": None, "sha256": None}
    return _set(session, "drafts", person.of("draft"), **values)


@eraser("portal_links")
def _portal_links(session: Session, person: Person, now: datetime) -> int:
    """No personal data, but a live link would let the erased person's portal page open."""
    t = table_named("portal_links")
    if t is None or not person.of("enrollment"):
        return 0
    result = session.execute(
        update(t)
        .where(t.c.enrollment_id.in_(person.of("enrollment")), t.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by="erasure")
    )
    return int(getattr(result, "rowcount", 0) or 0)


@eraser("shipping_addresses")
def _shipping_addresses(session: Session, person: Person, now: datetime) -> int:
    t = table_named("shipping_addresses")
    if t is None or not person.of("enrollment"):
        return 0
    result = session.execute(delete(t).where(t.c.enrollment_id.in_(person.of("enrollment"))))
    return int(getattr(result, "rowcount", 0) or 0)


@eraser("inbound_messages")
def _inbound_messages(session: Session, person: Person, now: datetime) -> int:
    return _each(
        session,
        "inbound_messages",
        person.of("inbound_message"),
        lambda i: {"from_address": None, "subject": None, "message_key": f"erased:{i}"},
    )


@eraser("deliverables")
def _deliverables(session: Session, person: Person, now: datetime) -> int:
    """The post stays counted (its snapshots are the figures) but no longer points at it."""
    return _each(
        session,
        "deliverables",
        person.of("deliverable"),
        lambda i: {"post_id": f"erased-{i}", "url": None, "caption": None, "media_url": None},
    )


@eraser("outreach_messages")
def _outreach_messages(session: Session, person: Person, now: datetime) -> int:
    """Statuses and times stay (sending figures, the deliverability guard); addresses go."""
    return _each(
        session,
        "outreach_messages",
        person.of("message"),
        lambda i: {
            "to_address": REDACTED,
            "subject": REDACTED,
            "message_id": f"<erased-{i}@erased.invalid>",
            "in_reply_to": None,
            "references": None,
            "detail": None,
        },
    )


@eraser("suppressions")
def _suppressions(session: Session, person: Person, now: datetime) -> int:
    """The plain address goes; its keyed hash (``erased_identities``) keeps it suppressed."""
    t = Base.metadata.tables["suppressions"]
    if not person.of("suppression"):
        return 0
    session.execute(delete(t).where(t.c.id.in_(person.of("suppression"))))
    return len(person.of("suppression"))


@eraser("enrollments")
def _enrollments(session: Session, person: Person, now: datetime) -> int:
    """Stage, fee and offer stay (reports add up); links and codes naming the person go."""
    return _set(session, "enrollments", person.of("enrollment"), tracking_url=None, promo_code=None)


@eraser("accounts")
def _accounts(session: Session, person: Person, now: datetime) -> int:
    """Followers and tier stay (figures); the handle becomes ``erased-<id>``."""
    return _each(
        session,
        "accounts",
        person.of("account"),
        lambda i: {
            "handle": erased_handle(i),
            "external_id": None,
            "display_name": None,  # the channel's name, often the person's
            "public_handle": None,
            "status_detail": None,
            "updated_at": now,
        },
    )


@eraser("creators")
def _creators(session: Session, person: Person, now: datetime) -> int:
    values: dict[str, Any] = {"name": erased_label(person.creator_id), "email": None}
    values["country"] = None
    values |= {"niche": None, "timezone": None, "source": "erased", "updated_at": now}
    return _set(session, "creators", [person.creator_id], **values)


def _about_person(ev: Table, person: Person) -> ColumnElement[bool]:
    about = [ev.c.creator_id == person.creator_id]
    about += [
        and_(ev.c.entity == entity, ev.c.entity_id.in_(ids))
        for entity, ids in person.ids.items()
        if ids
    ]
    return or_(*about)


@eraser("events")
def _events(session: Session, person: Person, now: datetime) -> int:
    """Scrub the person's events; redact their identifiers from any other event."""
    ev = Base.metadata.tables["events"]
    changed = 0
    for event_id, detail, actor in session.execute(
        select(ev.c.id, ev.c.detail, ev.c.actor).where(_about_person(ev, person))
    ).all():
        values: dict[str, Any] = {"detail": scrub_detail(detail, person.secrets)}
        values["actor"] = redact(actor, person.secrets)
        session.execute(update(ev).where(ev.c.id == event_id).values(**values))
        changed += 1
    if not person.defer_mentions:
        changed += redact_mentions(session, person.secrets)
    return changed


def redact_mentions(session: Session, secrets: Sequence[str]) -> int:
    """Redact ``secrets`` from every event whose detail or actor mentions one.

    A scan of the whole log (free text has no index): a retention run erasing many people
    defers it (``Person.defer_mentions``) and scans once for all of them, 100 terms at a time.
    """
    ev = Base.metadata.tables["events"]
    terms = search_terms(secrets)
    changed = 0
    for start in range(0, len(terms), 100):
        chunk = terms[start : start + 100]
        text, actor_text = func.lower(cast(ev.c.detail, Text)), func.lower(ev.c.actor)
        mentions = or_(
            *[text.contains(t, autoescape=True) for t in chunk],
            *[actor_text.contains(t, autoescape=True) for t in chunk],
        )
        for event_id, detail, actor in session.execute(
            select(ev.c.id, ev.c.detail, ev.c.actor).where(mentions)
        ).all():
            new_detail, new_actor = redact_value(detail, secrets), redact(actor, secrets)
            if (new_detail, new_actor) != (detail, actor):
                session.execute(
                    update(ev).where(ev.c.id == event_id).values(detail=new_detail, actor=new_actor)
                )
                changed += 1
    return changed


def erase(session: Session, person: Person, *, now: datetime) -> dict[str, int]:
    """Run every eraser for ``person`` in the caller's transaction; rows touched per table."""
    return {table: run(session, person, now) for table, run in ERASERS.items()}


def delete_files(paths: Sequence[Path]) -> int:
    """Delete the erased uploads, once the erasure is committed; the number deleted."""
    removed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed
