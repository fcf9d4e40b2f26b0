"""Erasing a person (GDPR Art. 17, an objection under Art. 21): ``creatorflow creators forget``.

Everything that names them is blanked or deleted by the erasers (``erasers.py``, one per table);
what stays is the creator row as "erased creator #id" with its figures, and the keyed hashes of
their address and handles in ``erased_identities``: an import row or a shortlist candidate that
matches one is refused as "erased on request", so an objection holds after everything else is
forgotten. Their open enrollments are closed as opted out (no follow-up leaves). One transaction:
a failure erases nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr
from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.orm import Session

from creatorflow.domain.creator_rows import RejectedRow
from creatorflow.domain.lifecycle import Cause, Stage
from creatorflow.domain.personal_data import (
    ERASED_ON_REQUEST,
    Identity,
    email_identity,
    erased_label,
    handle_identity,
    identity_digest,
    parse_identity,
    redact_reason,
)
from creatorflow.errors import InputError, shown
from creatorflow.services.creators.csv_file import ParsedFile
from creatorflow.services.creators.erasers import delete_files, erase
from creatorflow.services.creators.person_rows import collect_person
from creatorflow.settings import Settings, SettingsError
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Base,
    Creator,
    Enrollment,
    ErasedIdentity,
    Erasure,
)


@dataclass
class ForgetResult:
    """What one erasure did, naming nobody (the CLI and the Prefect artifact print it)."""

    creator_id: int | None
    already_erased: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    closed_enrollments: int = 0
    mail_files: int = 0  # copies of messages to them deleted from the maildir outbox, previews
    files: list[Path] = field(default_factory=list)  # their uploads, deleted after the commit

    def summary(self) -> str:
        if self.creator_id is None and self.already_erased:
            return "already erased: remembered as erased by a keyed hash; nothing else is held"
        if self.creator_id is None:
            return "no creator held under that name; remembered as erased (never imported)"
        label = erased_label(self.creator_id)
        if self.already_erased:
            return f"{label} was already erased"
        touched = ", ".join(f"{table} {n}" for table, n in self.rows.items() if n)
        return (
            f"{label}: personal data erased ({touched or 'nothing else held'}); "
            f"{self.closed_enrollments} open enrollment(s) closed; "
            f"{self.mail_files} message file(s) deleted"
        )


def secret_key_bytes(secret_key: SecretStr | None) -> bytes:
    if secret_key is None or not secret_key.get_secret_value().strip():
        raise SettingsError(
            "missing required setting(s): CREATORFLOW_SECRET_KEY (erased people are "
            "remembered by a keyed hash)"
        )
    return secret_key.get_secret_value().encode()


def parse_person(raw: str) -> Identity:
    """``EMAIL|PLATFORM:HANDLE`` from the command line or the form (``InputError`` if neither)."""
    try:
        return parse_identity(raw)
    except ValueError as exc:
        raise InputError(f"PERSON: {shown(raw)} is not EMAIL or PLATFORM:HANDLE ({exc})") from None


def find_creator(session: Session, identity: Identity) -> int | None:
    """The creator an identity names, if one is held."""
    if identity.kind == "email":
        return session.scalars(
            select(Creator.id).where(func.lower(Creator.email) == identity.value)
        ).first()
    platform, _, handle = identity.value.partition(":")
    named = or_(Account.handle == handle, Account.external_id == handle)  # a YouTube channel id
    return session.scalars(
        select(Account.creator_id).where(Account.platform == platform, named)
    ).first()


def _identities(email: str | None, handles: Iterable[str]) -> list[Identity]:
    found: list[Identity] = []
    if email:
        # a stored address that is no address: nothing to recognise it by
        with contextlib.suppress(ValueError):
            found.append(email_identity(email))
    for text in handles:
        platform, _, handle = text.partition(":")
        with contextlib.suppress(ValueError):
            found.append(handle_identity(platform, handle))
    return found


def remember(
    session: Session,
    identities: Sequence[Identity],
    *,
    key: bytes,
    erasure_id: int | None,
    now: datetime,
) -> None:
    """Put the keyed hashes on the list of erased people (a hash already there stays)."""
    table = Base.metadata.tables[ErasedIdentity.__tablename__]
    for identity in identities:
        values = {
            "digest": identity_digest(identity, key=key),
            "kind": identity.kind,
            "erasure_id": erasure_id,
            "created_at": now,
        }
        session.execute(insert_ignore(session, table, values, conflict_columns=["digest"]))


def forget_creator(
    session: Session,
    creator_id: int,
    *,
    key: bytes,
    reason: str,
    source: str,
    now: datetime,
    actor: str,
    upload_dir: Path | None = None,
    also: Sequence[Identity] = (),
    deferred_secrets: list[str] | None = None,
) -> ForgetResult:
    """Erase one held creator in the caller's transaction (the retention run calls this too).

    With ``deferred_secrets`` the scan of the whole event log for mentions is left to the caller
    (``redact_mentions`` once for many people): the person's identifiers are appended there.
    """
    if session.scalars(select(Erasure.id).where(Erasure.creator_id == creator_id)).first():
        return ForgetResult(creator_id, already_erased=True)
    person = collect_person(session, creator_id, upload_dir=upload_dir)
    if deferred_secrets is not None:
        person.defer_mentions = True
        deferred_secrets.extend(person.secrets)
    # an objection stops what could still write to them; retention's contacts are past that,
    # and a declined or finished enrollment keeps its stage (the funnel stays as it was)
    still_open = [Stage.SHORTLISTED, Stage.CONTACTED, Stage.REPLIED] if source == "request" else []
    open_ids = session.scalars(
        select(Enrollment.id)
        .where(Enrollment.creator_id == creator_id)
        .where(Enrollment.stage.in_([s.value for s in still_open]))
    ).all()
    moved = move_stages(
        session, open_ids, cause=Cause.OPT_OUT, reason=ERASED_ON_REQUEST, now=now, actor=actor
    )
    rows = erase(session, person, now=now)  # the stage events just written are scrubbed too
    erasure = Erasure(
        creator_id=creator_id,
        reason=redact_reason(reason, person.secrets),
        source=source,
        erased_at=now,
        actor=actor[:200],
    )
    session.add(erasure)
    session.flush()
    identities = list(dict.fromkeys([*_identities(person.email, person.handles), *also]))
    remember(session, identities, key=key, erasure_id=erasure.id, now=now)
    record_event(
        session,
        kind="creator_erased",
        entity="creator",
        entity_id=creator_id,
        detail={"reason": erasure.reason, "source": source, "identities": len(identities)},
        actor=actor,
        at=now,
        creator_id=creator_id,
    )
    return ForgetResult(creator_id, rows=rows, closed_enrollments=len(moved), files=person.files)


def forget_person(
    *, engine: Engine, settings: Settings, person: str, reason: str, now: datetime, actor: str
) -> ForgetResult:
    """Erase the person ``person`` names (``EMAIL`` or ``PLATFORM:HANDLE``), in one transaction.

    Someone not held at all is still remembered (their hash), so a later import skips them.
    """
    identity = parse_person(person)
    key = secret_key_bytes(settings.secret_key)
    with session_scope(engine) as session:
        creator_id = find_creator(session, identity)
        if creator_id is None:  # erased before (the hash is there), or never held
            if erased_digests(session, [identity_digest(identity, key=key)]):
                return ForgetResult(None, already_erased=True)
            remember(session, [identity], key=key, erasure_id=None, now=now)
            return ForgetResult(None)
        email = session.scalar(select(Creator.email).where(Creator.id == creator_id))
        result = forget_creator(
            session,
            creator_id,
            key=key,
            reason=reason,
            source="request",
            now=now,
            actor=actor,
            upload_dir=settings.upload_dir,
            also=[identity],
        )
    if not result.already_erased:  # after the commit: files cannot be rolled back
        delete_files(result.files)
        result.mail_files = erase_mail_copies(settings, [email or "", identity.value])
    return result


def erase_mail_copies(settings: Settings, addresses: Sequence[str]) -> int:
    """Delete the copies of messages to ``addresses`` that creatorflow wrote to disk itself: the
    maildir outbox (``CREATORFLOW_MAIL_URL=maildir://``) and the ``--dry-run`` previews. What an
    SMTP server or a mailbox provider keeps is theirs to erase."""
    folders = [Path(settings.preview_dir)]
    parts = urlsplit(settings.mail_url.get_secret_value())
    if parts.scheme.lower() == "maildir":
        folders.append(Path(unquote(parts.netloc + parts.path)))
    wanted = sorted({a.strip().lower() for a in addresses if "@" in a})
    # the whole address only: erasing ann@example.com leaves joann@example.com's mail alone
    needles = re.compile(
        rb"(?<![\w.%+-])(?:"
        + b"|".join(re.escape(a.encode()) for a in wanted)
        + rb")(?![\w-]|\.\w)"
    )
    removed = 0
    for folder in folders:
        if not wanted or not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes().lower()
            except OSError:
                continue
            if needles.search(data):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def erased_digests(session: Session | Connection, digests: Iterable[str]) -> set[str]:
    """Which of ``digests`` are on the list of erased people (500 per query)."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            session.scalars(
                select(ErasedIdentity.digest).where(
                    ErasedIdentity.digest.in_(wanted[start : start + 500])
                )
            )
        )
    return found


def any_erased(session: Session | Connection) -> bool:
    return session.scalars(select(ErasedIdentity.id).limit(1)).first() is not None


def erased_among(
    session: Session | Connection,
    people: Sequence[tuple[str | None, Sequence[str]]],
    *,
    secret_key: SecretStr | None,
) -> list[bool]:
    """For each (email, ``platform:handle`` list): whether that person was erased on request.

    Without any erased person this costs one query and needs no key; with some, it needs the
    key that hashed them (``SettingsError`` otherwise: nobody erased may slip back in).
    """
    if not people or not any_erased(session):
        return [False] * len(people)
    key = secret_key_bytes(secret_key)
    hashed = [
        {identity_digest(i, key=key) for i in _identities(email, handles)}
        for email, handles in people
    ]
    found = erased_digests(session, set().union(*hashed))
    return [bool(h & found) for h in hashed]


def erased_reason(flag: bool) -> str | None:
    return ERASED_ON_REQUEST if flag else None


def reject_erased(
    executor: Session | Connection, parsed: ParsedFile, *, secret_key: SecretStr | None
) -> ParsedFile:
    """``parsed`` without the rows naming an erased person, each rejected "erased on request"."""
    people = [(row.email, [f"{row.platform.value}:{row.handle}"]) for row in parsed.rows]
    flags = erased_among(executor, people, secret_key=secret_key)
    if not any(flags):
        return parsed
    kept = [row for row, erased in zip(parsed.rows, flags, strict=True) if not erased]
    lines = [row.line for row, erased in zip(parsed.rows, flags, strict=True) if erased]
    cells = parsed.cells_at(lines)
    refused = [
        RejectedRow(str(parsed.path), line, ERASED_ON_REQUEST, cells[line]) for line in lines
    ]
    return replace(parsed, rows=kept, rejected=sorted([*parsed.rejected, *refused], key=_line))


def _line(row: RejectedRow) -> int:
    return row.line
