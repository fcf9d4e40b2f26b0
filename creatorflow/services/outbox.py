"""Sending outreach exactly once: render all, then claim, send and record each message.

For every email of a batch: render (all of them first: a template error stops the batch with
nothing sent), check suppression, caps and send window at send time, claim the outbox row
``(enrollment, step)`` with ``INSERT ... ON CONFLICT DO NOTHING`` (status ``sending``, Message-ID
stored before the SMTP conversation), send, then mark ``sent``, ``failed`` or ``unknown``. A row
that already exists means another run owns that step: skip. A ``sending`` row older than
``stale_after`` belongs to a crashed run: it becomes ``unknown`` for the operator, never resent.
Prefect caching is not the guard; this table is.
"""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, select, update

from creatorflow.campaigns import mark_launched
from creatorflow.domain.model import MessageStatus, Stage
from creatorflow.errors import InputError
from creatorflow.mail.errors import (
    MailConnectionError,
    MailOutcomeUnknown,
    PermanentMailError,
    TemporaryMailError,
)
from creatorflow.mail.message import Sender, build_message, new_message_id
from creatorflow.mail.templates import TemplateRenderer
from creatorflow.mail.transport import Transport, transport_for
from creatorflow.services.outbox_report import Prepared, SendOutcome, SendReport, write_preview
from creatorflow.services.recipients import (
    Recipient,
    load_recipients,
    load_threads,
    template_context,
    unsubscribe_links,
)
from creatorflow.services.send_limits import SendLimits, recover_stale
from creatorflow.services.suppression import add_suppression, is_suppressed
from creatorflow.settings import Settings
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Base, Enrollment, OutreachMessage

__all__ = ["OutboundEmail", "SendOutcome", "SendReport", "send_emails"]

STALE_AFTER = timedelta(minutes=15)
TEMPORARY_RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)


@dataclass
class OutboundEmail:
    """One message to send: ``template`` names ``templates/<template>.{subject,txt,html}.j2``."""

    enrollment_id: int
    step: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    thread: bool = True


def _flow_run_id(actor: str) -> str | None:
    return actor.removeprefix("flow-run:")[:64] if actor.startswith("flow-run:") else None


def _prepare(
    email: OutboundEmail,
    recipient: Recipient,
    *,
    settings: Settings,
    sender: Sender,
    renderer: TemplateRenderer,
    thread: list[Any],
    now: datetime,
) -> Prepared:
    assert recipient.email is not None
    links = unsubscribe_links(settings, sender, recipient.email, recipient.campaign_slug)
    context = template_context(
        recipient,
        settings=settings,
        sender=sender,
        step=email.step,
        links=links,
        extra=email.context,
    )
    rendered = renderer.render(email.template, context)
    subject, in_reply_to, references = rendered.subject, None, [m.message_id for m in thread]
    if email.thread and thread:
        first = thread[0].subject
        subject = first if first.lower().startswith("re:") else f"Re: {first}"
        in_reply_to = thread[-1].message_id
    else:
        references = []
    message_id = new_message_id(sender)
    try:
        msg = build_message(
            sender=sender,
            to_address=recipient.email,
            to_name=recipient.name,
            subject=subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            date=now,
            in_reply_to=in_reply_to,
            references=references,
            list_unsubscribe=links,
        )
    except ValueError as exc:
        raise InputError(
            f"enrollment {recipient.enrollment_id}: cannot build message: {exc}"
        ) from None
    return Prepared(
        email.enrollment_id,
        email.step,
        recipient,
        msg,
        message_id,
        subject,
        in_reply_to,
        references,
    )


def send_emails(
    *,
    engine: Engine,
    settings: Settings,
    emails: Sequence[OutboundEmail],
    now: datetime,
    actor: str,
    dry_run: bool = False,
    preview_dir: Path | None = None,
    transport: Transport | None = None,
    stale_after: timedelta = STALE_AFTER,
    retry_delays: Sequence[float] = TEMPORARY_RETRY_DELAYS,
) -> SendReport:
    """Send ``emails`` at most once each; see the module docstring for the protocol."""
    settings.require("sender", "postal_address")
    if settings.unsubscribe_base_url:
        settings.require("secret_key")
    sender = Sender.parse(settings.sender or "")
    renderer = TemplateRenderer(settings.templates_dir)
    report = SendReport()
    with session_scope(engine) as session:
        recipients = load_recipients(session, [e.enrollment_id for e in emails])
        threads = load_threads(session, recipients)
    missing = sorted({e.enrollment_id for e in emails} - set(recipients))
    if missing:
        raise InputError(f"no enrollment(s) {missing[:10]}")
    prepared: list[Prepared] = []
    for email in emails:  # render everything before the first send
        recipient = recipients[email.enrollment_id]
        if not recipient.email:
            report.add(SendOutcome.of(recipient, email.step, "skipped", "no email address"))
            continue
        thread = [m for m in threads.get(email.enrollment_id, []) if m.step != email.step]
        prepared.append(
            _prepare(
                email,
                recipient,
                settings=settings,
                sender=sender,
                renderer=renderer,
                thread=thread,
                now=now,
            )
        )
    if dry_run:
        target = Path(preview_dir or settings.preview_dir)
        for item in prepared:
            write_preview(target, item)
            report.add(SendOutcome.of(item.recipient, item.step, "preview", str(target)))
        report.preview_dir = target
        return report

    stale = recover_stale(engine=engine, now=now, actor=actor, older_than=stale_after)
    report.unknown.extend(stale)
    if not prepared:
        return report
    limits = SendLimits.load(engine=engine, settings=settings, now=now)
    owned = transport is None
    transport = transport or transport_for(settings)
    try:
        for item in prepared:
            _send_one(
                item,
                engine=engine,
                transport=transport,
                limits=limits,
                report=report,
                now=now,
                actor=actor,
                retry_delays=retry_delays,
            )
    finally:
        if owned:
            transport.close()
    return report


def _send_one(
    item: Prepared,
    *,
    engine: Engine,
    transport: Transport,
    limits: SendLimits,
    report: SendReport,
    now: datetime,
    actor: str,
    retry_delays: Sequence[float],
) -> None:
    recipient = item.recipient
    address = recipient.email or ""
    with session_scope(engine) as session:
        suppressed = is_suppressed(session, address)
        reason = limits.why_not(recipient, suppressed=suppressed, now=now)
        if reason is not None:
            report.add(SendOutcome.of(recipient, item.step, "skipped", reason))
            return
        table = Base.metadata.tables["outreach_messages"]
        row_id = session.execute(
            insert_ignore(
                session,
                table,
                {
                    "enrollment_id": item.enrollment_id,
                    "step": item.step,
                    "message_id": item.message_id,
                    "in_reply_to": item.in_reply_to,
                    "references": " ".join(item.references) or None,
                    "to_address": address,
                    "subject": item.subject,
                    "status": MessageStatus.SENDING.value,
                    "claimed_at": now,
                    "flow_run_id": _flow_run_id(actor),
                },
                conflict_columns=["enrollment_id", "step"],
            ).returning(table.c.id)
        ).scalar_one_or_none()  # rowcount is not reliable here on PostgreSQL (-1)
        if row_id is None:
            existing = session.scalars(
                select(OutreachMessage).where(
                    OutreachMessage.enrollment_id == item.enrollment_id,
                    OutreachMessage.step == item.step,
                )
            ).one_or_none()
            reason = _existing_reason(existing) if existing else "in flight in another run"
            report.add(SendOutcome.of(recipient, item.step, "skipped", reason))
            return
        _event(session, "message_claimed", row_id, item, actor, now, {})
    limits.count(recipient)
    item.row_id = row_id
    try:
        _deliver(item, transport, retry_delays)
    except MailConnectionError as exc:
        _release(engine, item, exc, now=now, actor=actor)
        raise
    except TemporaryMailError as exc:
        _release(engine, item, exc, now=now, actor=actor)
        limits.uncount(recipient)
        report.add(SendOutcome.of(recipient, item.step, "deferred", str(exc)))
    except PermanentMailError as exc:
        _mark_failed(engine, item, exc, now=now, actor=actor)
        report.add(SendOutcome.of(recipient, item.step, "failed", str(exc)))
    except MailOutcomeUnknown as exc:
        _mark(engine, item, MessageStatus.UNKNOWN, str(exc), now=now, actor=actor)
        report.add(SendOutcome.of(recipient, item.step, "unknown", str(exc)))
    except BaseException as exc:
        _mark(
            engine,
            item,
            MessageStatus.UNKNOWN,
            f"interrupted: {type(exc).__name__}",
            now=now,
            actor=actor,
        )
        raise
    else:
        _mark_sent(engine, item, now=now, actor=actor)
        report.add(SendOutcome.of(recipient, item.step, "sent", None))


def _release(engine: Engine, item: Prepared, exc: Exception, *, now: datetime, actor: str) -> None:
    """Nothing was delivered (the server said so, or never got DATA): give the step back."""
    with session_scope(engine) as session:
        session.execute(delete(OutreachMessage).where(OutreachMessage.id == item.row_id))
        _event(session, "message_deferred", item.row_id or 0, item, actor, now, {"error": str(exc)})


def _deliver(item: Prepared, transport: Transport, retry_delays: Sequence[float]) -> None:
    for attempt in range(len(retry_delays) + 1):
        try:
            transport.send(item.msg)
            return
        except TemporaryMailError:
            if attempt == len(retry_delays):
                raise
            clock.sleep(retry_delays[attempt])


def _existing_reason(row: OutreachMessage) -> str:
    return {
        MessageStatus.SENT.value: "already sent",
        MessageStatus.SENDING.value: f"in flight (claimed {row.claimed_at:%Y-%m-%d %H:%M} UTC)",
        MessageStatus.UNKNOWN.value: "outcome unknown from an earlier run: needs an operator",
        MessageStatus.FAILED.value: f"failed earlier: {row.detail or ''}".strip(),
    }.get(row.status, f"already {row.status}")


def _event(
    session: Any,
    kind: str,
    row_id: int,
    item: Prepared,
    actor: str,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    record_event(
        session,
        kind=kind,
        entity="message",
        entity_id=row_id,
        detail={
            "step": item.step,
            "enrollment_id": item.enrollment_id,
            "message_id": item.message_id,
            **detail,
        },
        actor=actor,
        at=now,
        creator_id=item.recipient.creator_id,
        campaign_id=item.recipient.campaign_id,
    )


def _mark(
    engine: Engine,
    item: Prepared,
    status: MessageStatus,
    detail: str | None,
    *,
    now: datetime,
    actor: str,
) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.id == item.row_id)
            .values(status=status.value, detail=detail)
        )
        _event(
            session,
            f"message_{status.value}",
            item.row_id or 0,
            item,
            actor,
            now,
            {"detail": detail} if detail else {},
        )


def _mark_sent(engine: Engine, item: Prepared, *, now: datetime, actor: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.id == item.row_id)
            .values(status=MessageStatus.SENT.value, sent_at=now, detail=None)
        )
        _event(session, "message_sent", item.row_id or 0, item, actor, now, {})
        if item.step == "initial":
            move_stage(
                session,
                item.recipient,
                Stage.SHORTLISTED,
                Stage.CONTACTED,
                reason="initial email sent",
                now=now,
                actor=actor,
            )
            mark_launched(
                session=session, campaign_id=item.recipient.campaign_id, now=now, actor=actor
            )


def _mark_failed(
    engine: Engine, item: Prepared, exc: PermanentMailError, *, now: datetime, actor: str
) -> None:
    _mark(engine, item, MessageStatus.FAILED, str(exc), now=now, actor=actor)
    if not exc.address_unknown or not item.recipient.email:
        return
    with session_scope(engine) as session:
        add_suppression(
            session,
            email=item.recipient.email,
            reason=f"hard bounce ({exc.code})",
            source="smtp",
            now=now,
            actor=actor,
        )
        stage = session.get(Enrollment, item.enrollment_id)
        if stage is not None:
            move_stage(
                session,
                item.recipient,
                Stage(stage.stage),
                Stage.BOUNCED,
                reason="address unknown at the SMTP server",
                now=now,
                actor=actor,
            )


def move_stage(
    session: Any,
    recipient: Recipient,
    from_stage: Stage,
    to_stage: Stage,
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> bool:
    """Compare-and-set an enrollment's stage, with its event; ``False`` when it had moved on."""
    moved = _affected(
        session.execute(
            update(Enrollment)
            .where(Enrollment.id == recipient.enrollment_id, Enrollment.stage == from_stage.value)
            .values(stage=to_stage.value, updated_at=now)
        )
    )
    if moved:
        record_event(
            session,
            kind="stage_changed",
            entity="enrollment",
            entity_id=recipient.enrollment_id,
            detail={"from": from_stage.value, "to": to_stage.value, "reason": reason},
            actor=actor,
            at=now,
            creator_id=recipient.creator_id,
            campaign_id=recipient.campaign_id,
        )
    return bool(moved)


def _affected(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (``Result`` does not declare ``rowcount``)."""
    return int(cast(CursorResult[Any], result).rowcount)
