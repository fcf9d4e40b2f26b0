"""Sending outreach exactly once: render all, then claim, send and record each message.

``send_emails`` first recovers the stale claims of crashed runs (their one ``sending`` row per
connection becomes ``unknown`` for the operator, never resent; their ``queued`` rows were never
tried and go out again), then renders every email of the batch (a template error stops the batch
with nothing sent) and hands the messages to ``dispatch``: the deliverability guard,
suppression, caps and send window checked at send time, the outbox row ``(enrollment, step)``
claimed with its Message-ID before the SMTP conversation, the outcome recorded after. A row that
already exists means that step is settled or owned by another run: skip. A ``deferred`` row that
is due is claimed again under its Message-ID. Prefect caching is not the guard; this table is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, tuple_
from sqlalchemy.orm import Session

from creatorflow.domain.model import MessageStatus
from creatorflow.errors import InputError
from creatorflow.mail.message import Sender, new_message_id
from creatorflow.mail.templates import TemplateRenderer
from creatorflow.mail.transport import Transport, transport_for
from creatorflow.services.outreach.deliverability import Guard
from creatorflow.services.outreach.delivery import dispatch
from creatorflow.services.outreach.outcomes import RetryPolicy, settle_contacted
from creatorflow.services.outreach.recipients import (
    Recipient,
    load_recipients,
    load_threads,
    template_context,
    unsubscribe_links,
)
from creatorflow.services.outreach.send_limits import SendLimits, existing_reason, recover_stale
from creatorflow.services.outreach.send_results import (
    Content,
    Prepared,
    SendOutcome,
    SendReport,
    Unbuildable,
    write_preview,
)
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import OutreachMessage

__all__ = ["OutboundEmail", "SendOutcome", "SendReport", "send_emails"]

STALE_AFTER = timedelta(minutes=15)
TEMPORARY_RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)
#: Messages claimed per transaction (as ``queued``; each starts in its own transaction). A
#: chunk costs two transactions and a dozen statements (suppression, caps, the contact cap's
#: lock, the claims, the stage moves): 50 spreads them thin; ``queued`` rows of a killed run are
#: sent by the next one, so a larger chunk delays those, never duplicates them.
CLAIM_BATCH = 50


def _address_problem(address: str | None) -> str | None:
    if not address:
        return "no email address"
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or "." not in domain or not address.isascii() or " " in address:
        return f"invalid email address {address!r}"
    # One address only: "a@x.com,b@y.com" would become two recipients in the To header, and
    # suppression was checked on the whole value, not on each of them.
    if address.count("@") != 1 or any(c in address for c in ',;<>()[]"\\'):
        return f"invalid email address {address!r}"
    return None


@dataclass
class OutboundEmail:
    """One message to send: ``template`` names ``templates/<template>.{subject,txt,html}.j2``."""

    enrollment_id: int
    step: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    thread: bool = True


def _prepare(
    email: OutboundEmail,
    recipient: Recipient,
    *,
    settings: Settings,
    sender: Sender,
    renderer: TemplateRenderer,
    thread: list[Any],
    now: datetime,
    earlier: OutreachMessage | None = None,
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
    # a step tried before keeps its Message-ID: a mailbox that got it after all drops the copy
    message_id = earlier.message_id if earlier is not None else new_message_id(sender)
    return Prepared(
        email.enrollment_id,
        email.step,
        recipient,
        Content(sender, rendered.text, rendered.html, now, tuple(links)),
        message_id,
        subject,
        in_reply_to,
        references,
        retry_of=earlier.id if earlier is not None else None,
        attempts=earlier.attempts if earlier is not None else 0,
    )


def _earlier_rows(
    session: Session, emails: Sequence[OutboundEmail]
) -> dict[tuple[int, str], OutreachMessage]:
    """The outbox rows the batch's steps already have (one query per 500 steps)."""
    keys = sorted({(e.enrollment_id, e.step) for e in emails})
    found: dict[tuple[int, str], OutreachMessage] = {}
    for start in range(0, len(keys), 500):
        rows = session.scalars(
            select(OutreachMessage).where(
                tuple_(OutreachMessage.enrollment_id, OutreachMessage.step).in_(
                    keys[start : start + 500]
                )
            )
        )
        found.update({(r.enrollment_id, r.step): r for r in rows})
    return found


def _due_again(row: OutreachMessage, now: datetime) -> bool:
    """A deferred step whose next try has come (or that the operator released)."""
    return row.status == MessageStatus.DEFERRED.value and (
        row.deferred_until is None or row.deferred_until <= now
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
    claim_batch: int = CLAIM_BATCH,
) -> SendReport:
    """Send ``emails`` at most once each; see the module docstring for the protocol."""
    settings.require("sender", "postal_address")
    if settings.unsubscribe_base_url:
        settings.require("secret_key")
    sender = Sender.parse(settings.sender or "")
    renderer = TemplateRenderer(settings.templates_dir)
    report = SendReport()
    if not dry_run:
        report.unknown.extend(
            recover_stale(engine=engine, now=now, actor=actor, older_than=stale_after)
        )
        settle_contacted(engine=engine, now=now, actor=actor)
    with session_scope(engine) as session:
        recipients = load_recipients(session, [e.enrollment_id for e in emails])
        threads = load_threads(session, recipients)
        earlier = {} if dry_run else _earlier_rows(session, emails)
    missing = sorted({e.enrollment_id for e in emails} - set(recipients))
    if missing:
        raise InputError(f"no enrollment(s) {missing[:10]}")
    prepared: list[Prepared] = []
    for email in emails:  # render everything before the first send
        recipient = recipients[email.enrollment_id]
        row = earlier.get((email.enrollment_id, email.step))
        if row is not None and not _due_again(row, now):
            report.add(SendOutcome.of(recipient, email.step, "skipped", existing_reason(row)))
            continue
        problem = _address_problem(recipient.email)
        if problem:
            report.add(SendOutcome.of(recipient, email.step, "skipped", problem))
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
                earlier=row,
            )
        )
    if dry_run:
        target = Path(preview_dir or settings.preview_dir)
        for item in prepared:
            try:
                write_preview(target, item)
            except Unbuildable as exc:
                report.add(SendOutcome.of(item.recipient, item.step, "skipped", str(exc)))
                continue
            report.add(SendOutcome.of(item.recipient, item.step, "preview", str(target)))
        report.preview_dir = target
        return report

    if not prepared:
        return report
    guard = Guard.load(
        engine=engine,
        settings=settings,
        sender=sender,
        campaigns={p.recipient.campaign_id: p.recipient.campaign_slug for p in prepared},
        now=now,
        actor=actor,
    )
    limits = SendLimits.load(engine=engine, settings=settings, now=now)
    owned = transport is None
    transport = transport or transport_for(settings)
    try:
        dispatch(
            prepared,
            engine=engine,
            transport=transport,
            limits=limits,
            guard=guard,
            report=report,
            now=now,
            actor=actor,
            retry_delays=retry_delays,
            retry=RetryPolicy(
                settings.send_max_attempts, timedelta(minutes=settings.send_retry_minutes)
            ),
            claim_batch=claim_batch,
        )
    finally:
        report.pauses += [line for line in guard.pauses if line not in report.pauses]
        report.warnings += [line for line in guard.warnings if line not in report.warnings]
        if owned:
            transport.close()
    return report
