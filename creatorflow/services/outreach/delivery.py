"""Claim, deliver, record: the exactly-once core of the outbox, a chunk of messages at a time.

For each chunk (``claim_batch`` messages): one transaction checks suppression, caps and window
and claims the outbox rows (``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, status
``sending``); the messages go out over the batch's connection; one transaction records every
outcome (``sent`` / ``failed`` / ``unknown``, or the claim given back when the server deferred).
Claims are durable before the first byte of SMTP, so a crash can never cause a resend: it leaves
at most one chunk in ``sending``, which the next run turns into ``unknown`` for the operator.
Two commits per chunk instead of two per message is what keeps the bookkeeping cheap.
"""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
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
from creatorflow.services.outreach.send_limits import SendLimits
from creatorflow.services.outreach.send_results import Prepared, SendOutcome, SendReport
from creatorflow.services.outreach.suppression import add_suppression, suppressed_among
from creatorflow.storage.campaigns import mark_launched
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.models import Base, Event, OutreachMessage


@dataclass
class _Result:
    item: Prepared
    status: str  # sent, failed, unknown, deferred ("not tried" when a crash stopped the chunk)
    detail: str | None = None
    address_unknown: bool = False
    code: int | None = None


def dispatch(
    prepared: Sequence[Prepared],
    *,
    engine: Engine,
    transport: Transport,
    limits: SendLimits,
    report: SendReport,
    now: datetime,
    actor: str,
    retry_delays: Sequence[float],
    claim_batch: int,
) -> None:
    for start in range(0, len(prepared), claim_batch):
        chunk = prepared[start : start + claim_batch]
        claimed = _claim(chunk, engine=engine, limits=limits, report=report, now=now, actor=actor)
        results: list[_Result] = []
        try:
            for item in claimed:
                results.append(_deliver(item, transport, retry_delays))
        except BaseException as exc:
            # This message's fate is unknown unless the connection never came up; the rest of
            # the chunk was never tried: give those claims back, then stop the batch.
            current = claimed[len(results)]
            if isinstance(exc, MailConnectionError):
                results.append(_Result(current, "deferred", str(exc)))
            else:
                results.append(_Result(current, "unknown", f"interrupted: {type(exc).__name__}"))
            results += [_Result(i, "deferred", "not tried") for i in claimed[len(results) :]]
            _record(results, engine=engine, limits=limits, report=None, now=now, actor=actor)
            raise
        _record(results, engine=engine, limits=limits, report=report, now=now, actor=actor)


def _claim(
    chunk: Sequence[Prepared],
    *,
    engine: Engine,
    limits: SendLimits,
    report: SendReport,
    now: datetime,
    actor: str,
) -> list[Prepared]:
    """Check the rules and claim what may go, in one transaction and one INSERT statement."""
    run_id = actor.removeprefix("flow-run:")[:64] if actor.startswith("flow-run:") else None
    with session_scope(engine) as session:
        suppressed = suppressed_among(session, [i.recipient.email or "" for i in chunk])
        eligible: list[Prepared] = []
        for item in chunk:
            address = item.recipient.email or ""
            reason = limits.why_not(
                item.recipient, suppressed=normalize_address(address) in suppressed, now=now
            )
            if reason is not None:
                report.add(SendOutcome.of(item.recipient, item.step, "skipped", reason))
                continue
            limits.count(item.recipient)  # counted now so the rest of the chunk sees it
            eligible.append(item)
        if not eligible:
            return []
        rows = [
            {
                "enrollment_id": item.enrollment_id,
                "step": item.step,
                "message_id": item.message_id,
                "in_reply_to": item.in_reply_to,
                "references": " ".join(item.references) or None,
                "to_address": item.recipient.email or "",
                "subject": item.subject,
                "status": MessageStatus.SENDING.value,
                "claimed_at": now,
                "flow_run_id": run_id,
            }
            for item in eligible
        ]
        # RETURNING, not rowcount: rowcount is -1 for this statement on PostgreSQL.
        inserted = {
            (enrollment_id, step): row_id
            for row_id, enrollment_id, step in session.execute(_claim_statement(session), rows)
        }
        claimed = [i for i in eligible if (i.enrollment_id, i.step) in inserted]
        taken = [i for i in eligible if (i.enrollment_id, i.step) not in inserted]
        existing = _existing_rows(session, taken)
        for item in taken:
            limits.uncount(item.recipient)
            row = existing.get((item.enrollment_id, item.step))
            reason = _existing_reason(row) if row else "in flight in another run"
            report.add(SendOutcome.of(item.recipient, item.step, "skipped", reason))
        for item in claimed:
            item.row_id = inserted[(item.enrollment_id, item.step)]
        _insert_events(session, [_event_row("message_claimed", i, actor, now) for i in claimed])
    return claimed


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


def _deliver(item: Prepared, transport: Transport, retry_delays: Sequence[float]) -> _Result:
    """Send one message; connection-level failures and crashes propagate to ``dispatch``."""
    for attempt in range(len(retry_delays) + 1):
        try:
            transport.send(item.msg)
            return _Result(item, "sent")
        except TemporaryMailError as exc:
            if attempt == len(retry_delays):
                return _Result(item, "deferred", str(exc), code=exc.code)
            clock.sleep(retry_delays[attempt])
        except PermanentMailError as exc:
            return _Result(item, "failed", str(exc), exc.address_unknown, exc.code)
        except MailOutcomeUnknown as exc:
            return _Result(item, "unknown", str(exc))
    raise AssertionError("unreachable")  # pragma: no cover


def _record(
    results: list[_Result],
    *,
    engine: Engine,
    limits: SendLimits,
    report: SendReport | None,
    now: datetime,
    actor: str,
) -> None:
    """Every outcome of a chunk in one transaction (deferred claims are given back)."""
    events: list[dict[str, Any]] = []
    with session_scope(engine) as session:
        contacted = [
            r.item.recipient for r in results if r.status == "sent" and r.item.step == "initial"
        ]
        move_stages(
            session,
            [r.enrollment_id for r in contacted],
            cause=Cause.FIRST_EMAIL_SENT,
            reason="initial email sent",
            now=now,
            actor=actor,
        )
        for campaign_id in sorted({r.campaign_id for r in contacted}):
            mark_launched(session=session, campaign_id=campaign_id, now=now, actor=actor)
        sent_ids = [r.item.row_id for r in results if r.status == "sent"]
        if sent_ids:
            session.execute(
                update(OutreachMessage)
                .where(OutreachMessage.id.in_(sent_ids))
                .values(status=MessageStatus.SENT.value, sent_at=now, detail=None)
            )
        for r in results:
            item = r.item
            if r.status == "deferred":
                session.execute(delete(OutreachMessage).where(OutreachMessage.id == item.row_id))
                limits.uncount(item.recipient)
                events.append(
                    _event_row("message_deferred", item, actor, now, {"detail": r.detail})
                )
            elif r.status in ("failed", "unknown"):
                session.execute(
                    update(OutreachMessage)
                    .where(OutreachMessage.id == item.row_id)
                    .values(status=r.status, detail=r.detail)
                )
                events.append(
                    _event_row(f"message_{r.status}", item, actor, now, {"detail": r.detail})
                )
                if r.address_unknown and item.recipient.email:
                    _bounce(session, item, r, now=now, actor=actor)
            else:
                events.append(_event_row("message_sent", item, actor, now))
            if report is not None and not (r.status == "deferred" and r.detail == "not tried"):
                report.add(SendOutcome.of(item.recipient, item.step, r.status, r.detail))
        _insert_events(session, events)


def _bounce(session: Session, item: Prepared, r: _Result, *, now: datetime, actor: str) -> None:
    add_suppression(
        session,
        email=item.recipient.email or "",
        reason=f"hard bounce ({r.code})",
        source="smtp",
        now=now,
        actor=actor,
    )
    move_stages(
        session,
        [item.enrollment_id],
        cause=Cause.ADDRESS_REJECTED,
        reason="address unknown at the SMTP server",
        now=now,
        actor=actor,
    )


def _existing_reason(row: OutreachMessage) -> str:
    return {
        MessageStatus.SENT.value: "already sent",
        MessageStatus.SENDING.value: f"in flight (claimed {row.claimed_at:%Y-%m-%d %H:%M} UTC)",
        MessageStatus.UNKNOWN.value: "outcome unknown from an earlier run: needs an operator",
        MessageStatus.FAILED.value: f"failed earlier: {row.detail or ''}".strip(),
    }.get(row.status, f"already {row.status}")


def _event_row(
    kind: str, item: Prepared, actor: str, now: datetime, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An ``events`` row (the same columns ``record_event`` writes), for one bulk INSERT."""
    return {
        "occurred_at": now,
        "kind": kind,
        "entity": "message",
        "entity_id": item.row_id,
        "creator_id": item.recipient.creator_id,
        "campaign_id": item.recipient.campaign_id,
        "detail": {
            "step": item.step,
            "enrollment_id": item.enrollment_id,
            "message_id": item.message_id,
            **(detail or {}),
        },
        "actor": actor,
    }


def _insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Event), rows)
