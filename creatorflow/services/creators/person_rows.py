"""One person's rows in every table, and the identifiers to redact: what erasure and the
access export both start from (``collect_person``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.orm import Session

from creatorflow.storage.models import Base


@dataclass
class Person:
    """Everything erasure needs to find one person's rows: their ids in every table, and the
    identifiers (address, name, handles, platform ids) to redact from free text."""

    creator_id: int
    email: str | None
    handles: list[str]  # normalised platform:handle
    secrets: list[str]
    ids: dict[str, list[int]] = field(default_factory=dict)  # event entity -> row ids
    upload_dir: Path | None = None
    defer_mentions: bool = False  # the caller runs ``redact_mentions`` for many people at once
    #: uploaded files to delete once the erasure is committed (a rollback must not lose them)
    files: list[Path] = field(default_factory=list)

    def of(self, entity: str) -> list[int]:
        return self.ids.get(entity, [])


def table_named(name: str) -> Table | None:
    return Base.metadata.tables.get(name)


def row_ids(session: Session, table: str, column: str, among: Sequence[int]) -> list[int]:
    t = table_named(table)
    if t is None or not among:
        return []
    return list(session.scalars(select(t.c.id).where(t.c[column].in_(list(among)))))


def collect_person(session: Session, creator_id: int, *, upload_dir: Path | None) -> Person:
    """The person behind ``creator_id``, with the ids of their rows in every table."""
    c, a = Base.metadata.tables["creators"], Base.metadata.tables["accounts"]
    name, email = session.execute(select(c.c.name, c.c.email).where(c.c.id == creator_id)).one()
    accounts = session.execute(
        select(a.c.id, a.c.platform, a.c.handle, a.c.external_id).where(
            a.c.creator_id == creator_id
        )
    ).all()
    names = [
        v
        for row in session.execute(
            select(a.c.display_name, a.c.public_handle).where(a.c.creator_id == creator_id)
        )
        for v in row
        if v
    ]
    handles = [f"{platform}:{handle}" for _, platform, handle, _ in accounts]
    # a platform id an import may give as the handle (a YouTube channel id) is a handle too
    handles += [f"{platform}:{external}" for _, platform, _, external in accounts if external]
    secrets = [s for s in (email, name, *names) if s]
    secrets += [h for _, _, h, _ in accounts] + handles + [x for *_, x in accounts if x]
    person = Person(creator_id, email, handles, secrets, upload_dir=upload_dir)
    person.ids["creator"] = [creator_id]
    person.ids["account"] = [row[0] for row in accounts]
    enrollments = row_ids(session, "enrollments", "creator_id", [creator_id])
    person.ids["enrollment"] = enrollments
    person.ids["message"] = row_ids(session, "outreach_messages", "enrollment_id", enrollments)
    person.ids["deliverable"] = row_ids(session, "deliverables", "enrollment_id", enrollments)
    person.ids["draft"] = row_ids(session, "drafts", "enrollment_id", enrollments)
    inbound = Base.metadata.tables["inbound_messages"]
    by_address = func.lower(inbound.c.from_address) == (email or "").strip().lower()
    person.ids["inbound_message"] = list(
        session.scalars(
            select(inbound.c.id).where(
                or_(
                    inbound.c.enrollment_id.in_(enrollments),
                    inbound.c.outreach_message_id.in_(person.of("message")),
                    and_(by_address, inbound.c.from_address.is_not(None)),
                )
            )
        )
    )
    s = Base.metadata.tables["suppressions"]
    person.ids["suppression"] = (
        list(session.scalars(select(s.c.id).where(s.c.email == email.strip().lower())))
        if email
        else []
    )
    return person
