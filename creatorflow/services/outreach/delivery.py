"""Claim, deliver, record: the exactly-once core of the outbox, a chunk of messages at a time.

For each chunk (``claim_batch`` messages) one transaction checks suppression, caps, window and
the deliverability guard, and claims the outbox rows as ``queued`` under this run's claim token:
new steps with ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, steps deferred earlier with a
compare-and-set ``UPDATE`` (they keep their Message-ID). Then each message goes out over the
batch's connection, its start and the previous message's outcome written in one transaction
(``outcomes.Ledger``; on PostgreSQL one autocommitted statement): a crash leaves at most one
``sending`` row, which the next run turns into ``unknown`` for the operator, and ``queued`` rows
that were never tried, which go out again.
The claim also checks the contact cap for first emails, under a lock on the creators
(``contact_cap.held_at_send``): one held back is written ``failed`` (``contact_cap``), not sent.
"""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import MessageStatus
from creatorflow.domain.send_rules import normalize_address
from creatorflow.mail.errors import (
    MailConnectionError,
    MailOutcomeUnknown,
    PermanentMailError,
    TemporaryMailError,
)
from creatorflow.mail.transport import Transport
from creatorflow.services.outreach.contact_cap import held_at_send
from creatorflow.services.outreach.deliverability import Guard
from creatorflow.services.outreach.outcomes import (
    MESSAGES,
    Ledger,
    Result,
    RetryPolicy,
    event_row,
)
from creatorflow.services.outreach.send_limits import SendLimits, existing_reason
from creatorflow.services.outreach.send_results import (
    Prepared,
    SendOutcome,
    SendReport,
    Unbuildable,
)
from creatorflow.services.outreach.suppression import suppressed_among
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_events
from creatorflow.storage.models import Base, OutreachMessage


def dispatch(
    prepared: Sequence[Prepared],
    *,
    engine: Engine,
    transport: Transport,
    limits: SendLimits,
    guard: Guard,
    report: SendReport,
    now: datetime,
    actor: str,
    retry_delays: Sequence[float],
    retry: RetryPolicy,
    claim_batch: int,
) -> None:
    """Send ``prepared`` in chunks; a connection failure or a crash stops the batch (raised)."""
    with engine.connect() as connection, ExitStack() as stack:
        single = None
        if engine.dialect.name == "postgresql":  # each start in one statement (``Ledger``)
            single = stack.enter_context(engine.connect())
            single = single.execution_options(isolation_level="AUTOCOMMIT")
        ledger = Ledger(
            connection=connection,
            token=uuid.uuid4().hex,
            now=now,
            actor=actor,
            limits=limits,
            report=report,
            retry=retry,
            single=single,
        )
        for start in range(0, len(prepared), claim_batch):
            chunk = prepared[start : start + claim_batch]
            _send_chunk(
                chunk,
                ledger=ledger,
                guard=guard,
                transport=transport,
                engine=engine,
                retry_delays=retry_delays,
            )


def _send_chunk(
    chunk: Sequence[Prepared],
    *,
    ledger: Ledger,
    guard: Guard,
    transport: Transport,
    engine: Engine,
    retry_delays: Sequence[float],
) -> None:
    """Build the chunk's messages, claim them, then send them one after the other."""
    messages: dict[int, EmailMessage] = {}
    for item in chunk:
        try:
            messages[id(item)] = item.message()
        except Unbuildable as exc:
            ledger.report.add(SendOutcome.of(item.recipient, item.step, "skipped", str(exc)))
    chunk = [item for item in chunk if id(item) in messages]
    claimed = _claim(chunk, engine=engine, ledger=ledger, guard=guard)
    for index, item in enumerate(claimed):
        try:
            paused = guard.why_paused(item.recipient.campaign_slug)
            if paused is not None:  # the guard paused this sending during the chunk
                ledger.give_back(item, paused)
                continue
            if not ledger.start(item):
                continue
            result = _deliver(item, messages[id(item)], transport, retry_delays)
            ledger.settle(result)
            if result.failure in ("address", "policy"):  # the guard counts it at once
                ledger.finish()
                guard.reassess(engine=engine, now=ledger.now, actor=ledger.actor)
        except BaseException as exc:
            # The message in flight: unknown, unless the connection never came up. The rest
            # of the chunk was never tried: its claims are given back.
            interrupted = None
            if ledger.current is not None:
                if isinstance(exc, MailConnectionError):
                    interrupted = Result(item, "released", str(exc))
                    ledger.report.add(
                        SendOutcome.of(item.recipient, item.step, "deferred", str(exc))
                    )
                else:
                    interrupted = Result(
                        item,
                        "unknown",
                        f"interrupted: {type(exc).__name__}: the message may have left; "
                        "check the mail server before any resend",
                    )
            # a failed start left this message queued: it is given back with the rest
            untried = claimed[index + 1 :] if ledger.current is not None else claimed[index:]
            ledger.abort(interrupted, untried)
            raise
    ledger.finish()


def _claim(
    chunk: Sequence[Prepared], *, engine: Engine, ledger: Ledger, guard: Guard
) -> list[Prepared]:
    """Check the rules and claim what may go, in one transaction."""
    actor, now, limits, report = ledger.actor, ledger.now, ledger.limits, ledger.report
    run_id = actor.removeprefix("flow-run:")[:64] if actor.startswith("flow-run:") else None
    with session_scope(engine) as session:
        suppressed = suppressed_among(session, [i.recipient.email or "" for i in chunk])
        eligible: list[Prepared] = []
        for item in chunk:
            address = item.recipient.email or ""
            reason = guard.why_paused(item.recipient.campaign_slug) or limits.why_not(
                item.recipient, suppressed=normalize_address(address) in suppressed, now=now
            )
            if reason is not None:
                report.add(SendOutcome.of(item.recipient, item.step, "skipped", reason))
                continue
            limits.count(item.recipient)  # counted now so the rest of the chunk sees it
            eligible.append(item)
        eligible = _hold_back_at_cap(session, eligible, ledger=ledger)
        if not eligible:
            return []
        claim = {
            "status": MessageStatus.QUEUED.value,
            "claimed_at": now,
            "flow_run_id": run_id,
            "claim_token": ledger.token,
            "from_address": guard.sender,
        }
        fresh = [i for i in eligible if i.retry_of is None]
        ids = _insert_claims(session, fresh, claim)
        ids.update(_reclaim(session, [i for i in eligible if i.retry_of is not None], claim, now))
        claimed = [i for i in eligible if (i.enrollment_id, i.step) in ids]
        taken = [i for i in eligible if (i.enrollment_id, i.step) not in ids]
        existing = _existing_rows(session, taken)
        for item in taken:
            limits.uncount(item.recipient)
            row = existing.get((item.enrollment_id, item.step))
            reason = existing_reason(row) if row else "in flight in another run"
            report.add(SendOutcome.of(item.recipient, item.step, "skipped", reason))
        for item in claimed:
            item.row_id = ids[(item.enrollment_id, item.step)]
        record_events(session, [event_row("message_claimed", i, actor, now) for i in claimed])
    return claimed


def _hold_back_at_cap(session: Session, items: list[Prepared], *, ledger: Ledger) -> list[Prepared]:
    """``items`` without the first emails the contact cap holds back now (checked under a lock
    on the creators, so two sending runs cannot both pass it): those are written ``failed``
    with the reason (``campaign outbox`` and ``campaign status`` name them), not sent, and
    their enrollments leave the shortlist (``contact_cap``)."""
    first = [i for i in items if i.step == "initial"]
    reasons = held_at_send(
        session,
        [(i.recipient.creator_id, i.recipient.campaign_id) for i in first],
        limit=ledger.limits.settings.max_campaigns_per_person,
        now=ledger.now,
    )
    held = {id(i): r for i, r in zip(first, reasons, strict=True) if r is not None}
    if not held:
        return items
    now, actor = ledger.now, ledger.actor
    refused = {
        "status": MessageStatus.FAILED.value,
        "claimed_at": now,
        "claim_token": None,
        "failure": "contact_cap",
    }
    written: list[Prepared] = []
    for item in (i for i in items if id(i) in held):
        ledger.limits.uncount(item.recipient)
        values = refused | {"detail": held[id(item)]}
        if item.retry_of is None:
            ids = _insert_claims(session, [item], values)
        else:  # a deferred first email: compare-and-set, as a reclaim
            ids = _reclaim(session, [item], values, now)
        if (item.enrollment_id, item.step) not in ids:  # another run holds the row
            ledger.report.add(
                SendOutcome.of(item.recipient, item.step, "skipped", "in flight in another run")
            )
            continue
        item.row_id = ids[(item.enrollment_id, item.step)]
        written.append(item)
        ledger.report.add(
            SendOutcome.of(item.recipient, item.step, "failed", held[id(item)], at=now)
        )
    for item in written:
        move_stages(
            session,
            [item.enrollment_id],
            cause=Cause.CONTACT_CAP,
            reason=held[id(item)],
            now=now,
            actor=actor,
        )
    record_events(
        session,
        [event_row("message_held_back", i, actor, now, {"reason": held[id(i)]}) for i in written],
    )
    return [i for i in items if id(i) not in held]


def _insert_claims(
    session: Session, items: Sequence[Prepared], claim: dict[str, Any]
) -> dict[tuple[int, str], int]:
    if not items:
        return {}
    rows = [
        {
            "enrollment_id": item.enrollment_id,
            "step": item.step,
            "message_id": item.message_id,
            "in_reply_to": item.in_reply_to,
            "references": " ".join(item.references) or None,
            "to_address": item.recipient.email or "",
            "subject": item.subject,
            "attempts": 0,
            **claim,
        }
        for item in items
    ]
    # RETURNING, not rowcount: rowcount is -1 for this statement on PostgreSQL.
    return {
        (enrollment_id, step): row_id
        for row_id, enrollment_id, step in session.execute(_claim_statement(session), rows)
    }


def _reclaim(
    session: Session, items: Sequence[Prepared], claim: dict[str, Any], now: datetime
) -> dict[tuple[int, str], int]:
    """Deferred rows that are due, claimed by compare-and-set: one run wins each."""
    if not items:
        return {}
    by_id = {item.retry_of: item for item in items}
    won = session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id.in_(list(by_id)))
        .where(MESSAGES.c.status == MessageStatus.DEFERRED.value)
        .where(or_(MESSAGES.c.deferred_until.is_(None), MESSAGES.c.deferred_until <= now))
        .values(**claim)
        .returning(MESSAGES.c.id)
    ).scalars()
    return {(by_id[i].enrollment_id, by_id[i].step): i for i in won}


def _claim_statement(session: Session) -> Any:
    """``INSERT ... ON CONFLICT (enrollment_id, step) DO NOTHING RETURNING``, executed with many
    parameter sets: compiled once and cached (a multi-row VALUES literal is compiled every time).
    """
    table = Base.metadata.tables["outreach_messages"]
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "step"])
        .returning(table.c.id, table.c.enrollment_id, table.c.step)
    )


def _existing_rows(
    session: Session, items: Sequence[Prepared]
) -> dict[tuple[int, str], OutreachMessage]:
    if not items:
        return {}
    rows = session.scalars(
        select(OutreachMessage).where(
            OutreachMessage.enrollment_id.in_({i.enrollment_id for i in items})
        )
    )
    return {(r.enrollment_id, r.step): r for r in rows}


def _deliver(
    item: Prepared, msg: EmailMessage, transport: Transport, retry_delays: Sequence[float]
) -> Result:
    """Send one message; connection-level failures and crashes propagate to ``dispatch``.

    A temporary refusal is tried again after each of ``retry_delays`` (a full mailbox is not:
    seconds do not empty it), then deferred to a later run.
    """
    for attempt in range(len(retry_delays) + 1):
        try:
            transport.send(msg)
            return Result(item, "sent")
        except TemporaryMailError as exc:
            if exc.persistent or attempt == len(retry_delays):
                return Result(item, "deferred", str(exc), exc.kind, exc.code, exc.status)
            clock.sleep(retry_delays[attempt])
        except PermanentMailError as exc:
            return Result(item, "failed", str(exc), exc.kind, exc.code, exc.status)
        except MailOutcomeUnknown as exc:
            return Result(item, "unknown", str(exc))
    raise AssertionError("unreachable")  # pragma: no cover
