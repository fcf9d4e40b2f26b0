"""Each message's outcome, written in the transaction that starts the next message.

A run claims a chunk of messages as ``queued`` (one transaction, ``delivery``). Then, for each
message, one transaction records the previous message's outcome and moves this one to
``sending`` (compare-and-set on the run's claim token) before its SMTP conversation begins. A
killed run therefore leaves at most one ``sending`` row per connection (it becomes ``unknown``:
the message may have left) and ``queued`` rows that were never tried (they go out again). One
durable write per message is the least that guarantee costs: the row, its event and a
suppression ride in it. The stage moves of first emails sent (``contacted``, the campaign
``active``) follow once per chunk; ``settle_contacted`` makes them after a crash in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import MessageStatus, Stage
from creatorflow.services.outreach.send_limits import SendLimits
from creatorflow.services.outreach.send_results import Prepared, SendOutcome, SendReport
from creatorflow.services.outreach.suppression import add_suppression
from creatorflow.storage.campaigns import mark_launched
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import event_for_each, record_events
from creatorflow.storage.models import Enrollment, OutreachMessage

#: Never wait longer than this between two tries of a deferred message.
LONGEST_WAIT = timedelta(hours=24)
#: The table itself: per-message writes take the Core path (the ORM's bulk UPDATE costs more).
MESSAGES = cast(Table, OutreachMessage.__table__)
#: What ``_settle_values`` sets on the outbox row (each bound as ``new_<column>``).
_SETTLED_COLUMNS = (
    "status",
    "sent_at",
    "detail",
    "smtp_code",
    "smtp_status",
    "failure",
    "deferred_until",
    "attempts",
)


@dataclass
class Result:
    """What one try of one message came to (``released``: never attempted, claim given back)."""

    item: Prepared
    status: str  # sent, failed, unknown, deferred, released
    detail: str | None = None
    failure: str | None = None  # address, policy, message, mailbox_full, temporary
    code: int | None = None
    smtp_status: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How often a deferred message is tried again, and when it is given up as failed."""

    max_attempts: int
    first_wait: timedelta

    def next_try(self, attempts: int, now: datetime) -> datetime:
        factor: int = 2 ** max(attempts - 1, 0)
        return now + min(self.first_wait * factor, LONGEST_WAIT)


def _param(name: str) -> Any:
    """A bound value for the column ``name`` in the SET clause (typed as that column)."""
    return bindparam(f"new_{name}", type_=MESSAGES.c[name].type)


def _start_statement() -> Any:
    """``queued`` -> ``sending`` by compare-and-set on the run's claim token (``row_id``)."""
    return (
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam("row_id"))
        .where(MESSAGES.c.status == MessageStatus.QUEUED.value)
        .where(MESSAGES.c.claim_token == bindparam("token"))
        .values(status=MessageStatus.SENDING.value)
        .returning(MESSAGES.c.id)
    )


def _settle_statement(row_key: str) -> Any:
    """The outcome written on the row named by ``row_key`` while the run still holds it."""
    return (
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam(row_key))
        .where(MESSAGES.c.claim_token == bindparam("token"))
        .values({name: _param(name) for name in _SETTLED_COLUMNS} | {"claim_token": None})
        .returning(MESSAGES.c.id)
    )


def _settle_and_start_statement() -> Any:
    """PostgreSQL: the previous outcome, its event and the next start in one statement.

    Data-modifying CTEs run once each, atomically, as one statement: on a connection in
    autocommit that is one round trip and one commit per message instead of five round trips
    (BEGIN, two UPDATEs, the event INSERT, COMMIT). The event row is inserted only when the
    outcome was written (``settled`` returned the row): the same rule as ``Ledger._write``.
    """
    settled = _settle_statement("prev_row_id").cte("settled")
    logged = event_for_each(select(settled.c.id)).cte("logged")
    started = _start_statement().cte("started")
    return select(
        *(select(func.count()).select_from(c).scalar_subquery() for c in (settled, logged, started))
    )


#: Built once: the per-message writes are the hot path of a batch.
_START = _start_statement()
_SETTLE = _settle_statement("row_id")
_SETTLE_AND_START = _settle_and_start_statement()


@dataclass
class Ledger:
    """One sending connection's book: the claim it holds and the outcome not yet written.

    Its writes go through one database connection held for the batch (``connection``); on
    PostgreSQL ``single``, a second one in autocommit, takes each message's start as one
    statement (``_SETTLE_AND_START``): atomic by itself, one round trip.
    """

    connection: Connection
    token: str
    now: datetime
    actor: str
    limits: SendLimits
    report: SendReport
    retry: RetryPolicy
    single: Connection | None = None
    pending: Result | None = None
    current: Prepared | None = None
    _contacted: list[Prepared] = field(default_factory=list)  # first emails sent, not moved yet

    def start(self, item: Prepared) -> bool:
        """Write the previous outcome and move ``item`` to ``sending``; ``False``: not ours."""
        if self.single is not None and not (self.pending and _needs_session(self.pending)):
            outcome, ours = self._start_at_once(self.single, item)
        else:
            with self.connection.begin():
                outcome = self._write(self.pending) if self.pending else None
                started = self.connection.execute(
                    _START, {"row_id": item.row_id, "token": self.token}
                )
                ours = started.first() is not None
        self.pending, self.current = None, item if ours else None
        if outcome is not None:
            self.report.add(outcome)
        if not ours:
            self.limits.uncount(item.recipient)
            self.report.add(
                SendOutcome.of(item.recipient, item.step, "skipped", "taken over by another run")
            )
        return ours

    def give_back(self, item: Prepared, reason: str) -> None:
        """``item`` will not be tried in this run (the guard paused it): its claim goes back."""
        with self.connection.begin():
            outcome = self._write(self.pending) if self.pending else None
            self._write(Result(item, "released", f"not attempted: {reason}"))
        self.pending = None
        if outcome is not None:
            self.report.add(outcome)
        self.report.add(SendOutcome.of(item.recipient, item.step, "skipped", reason))

    def settle(self, result: Result) -> None:
        """``current`` got its answer; it is written with the next ``start`` or ``finish``."""
        self.pending, self.current = result, None

    def finish(self) -> None:
        """Write the outcome in hand and move the stages of the first emails sent."""
        outcome = None
        if self.pending is not None or self._contacted:
            with self.connection.begin():
                if self.pending is not None:
                    outcome = self._write(self.pending)
                self._in_session(self._move_contacted)
        self.pending = None
        if outcome is not None:
            self.report.add(outcome)

    def abort(self, interrupted: Result | None, untried: Sequence[Prepared]) -> None:
        """The batch stops: the answer in hand, the interrupted message, the rest given back."""
        results = [r for r in (self.pending, interrupted) if r is not None]
        results += [Result(i, "released", "not attempted: the batch stopped") for i in untried]
        with self.connection.begin():
            outcomes = [self._write(r) for r in results]
            self._in_session(self._move_contacted)
        self.pending = self.current = None
        for outcome in outcomes:
            if outcome is not None and outcome.status != "released":
                self.report.add(outcome)

    def _in_session(self, work: Callable[[Session], None]) -> None:
        """``work`` through an ORM session inside the connection's transaction (the rare
        writes: stage moves, suppressions), flushed, never committed by itself."""
        session = Session(bind=self.connection)
        try:
            work(session)
            session.flush()
        finally:
            session.close()

    def _start_at_once(self, single: Connection, item: Prepared) -> tuple[SendOutcome | None, bool]:
        """``start`` as one autocommitted statement: (the previous outcome, whether ours)."""
        if self.pending is None:
            row = single.execute(_START, {"row_id": item.row_id, "token": self.token}).first()
            return None, row is not None
        values, event, status, detail = self._settle_values(self.pending)
        settled, _logged, started = single.execute(
            _SETTLE_AND_START,
            values
            | {"prev_row_id": self.pending.item.row_id, "row_id": item.row_id}
            | {f"event_{name}": value for name, value in event.items() if name != "entity_id"},
        ).one()
        outcome = self._settled(self.pending, status, detail) if settled else None
        return outcome, bool(started)

    def _settle_values(self, r: Result) -> tuple[dict[str, Any], dict[str, Any], str, str | None]:
        """The row's new values (``_SETTLE``'s parameters), its event, its status and detail."""
        item, status, detail = r.item, r.status, r.detail
        attempts, until = item.attempts, None
        event: dict[str, Any] = {"detail": detail} if detail else {}
        new_status = {"released": MessageStatus.DEFERRED.value}.get(status, status)
        if status == "deferred":
            attempts += 1
            if attempts >= self.retry.max_attempts:
                status = new_status = MessageStatus.FAILED.value
                detail = f"gave up after {attempts} tries; last: {detail}"
            else:
                until = self.retry.next_try(attempts, self.now)
                detail = (
                    f"{detail} (try {attempts} of {self.retry.max_attempts}; "
                    f"next after {until:%Y-%m-%d %H:%M} UTC)"
                )
                event["deferred_until"] = until.isoformat()
            event.update(detail=detail, attempts=attempts)
        values = {
            "token": self.token,
            "new_status": new_status,
            "new_sent_at": self.now if status == "sent" else None,
            "new_detail": detail,
            "new_smtp_code": r.code,
            "new_smtp_status": r.smtp_status,
            "new_failure": r.failure,
            "new_deferred_until": until,
            "new_attempts": attempts,
        }
        return (
            values,
            event_row(f"message_{status}", item, self.actor, self.now, event),
            status,
            detail,
        )

    def _write(self, r: Result) -> SendOutcome | None:
        """The row, its event and its consequences; the outcome to report (``None``: not ours)."""
        values, event, status, detail = self._settle_values(r)
        ours = self.connection.execute(_SETTLE, values | {"row_id": r.item.row_id}).first()
        if ours is None:  # an operator or another run settled it meanwhile
            return None
        record_events(self.connection, [event])
        if _needs_session(r):
            self._in_session(lambda session: self._rejected(session, r))
        return self._settled(r, status, detail)

    def _settled(self, r: Result, status: str, detail: str | None) -> SendOutcome:
        """What follows a written outcome in memory: caps, stage moves owed, the report line."""
        item = r.item
        if status in ("released", "deferred"):  # nothing left: it does not count against caps
            self.limits.uncount(item.recipient)
        if status == "sent" and item.step == "initial":
            self._contacted.append(item)
        return SendOutcome.of(
            item.recipient, item.step, status, detail, message_id=item.message_id, at=self.now
        )

    def _move_contacted(self, session: Session) -> None:
        """``shortlisted`` -> ``contacted`` for the first emails sent, their campaigns active."""
        if not self._contacted:
            return
        move_stages(
            session,
            [item.enrollment_id for item in self._contacted],
            cause=Cause.FIRST_EMAIL_SENT,
            reason="initial email sent",
            now=self.now,
            actor=self.actor,
        )
        for campaign_id in sorted({item.recipient.campaign_id for item in self._contacted}):
            mark_launched(session=session, campaign_id=campaign_id, now=self.now, actor=self.actor)
        self._contacted = []

    def _rejected(self, session: Session, r: Result) -> None:
        """A dead address (5.1.x): suppressed everywhere, and this enrollment ``bounced``."""
        item = r.item
        add_suppression(
            session,
            email=item.recipient.email or "",
            reason=f"hard bounce at SMTP ({r.smtp_status or r.code})",
            source="smtp",
            now=self.now,
            actor=self.actor,
        )
        move_stages(
            session,
            [item.enrollment_id],
            cause=Cause.ADDRESS_REJECTED,
            reason=f"address refused by the SMTP server ({r.smtp_status or r.code})",
            now=self.now,
            actor=self.actor,
        )


def _needs_session(r: Result) -> bool:
    """A dead address: its outcome comes with a suppression and a stage move (``_rejected``)."""
    return r.status == "failed" and r.failure == "address" and bool(r.item.recipient.email)


def event_row(
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


def settle_contacted(*, engine: Engine, now: datetime, actor: str) -> int:
    """Stage moves a crashed run owed: a creator whose first email is ``sent`` is contacted."""
    with session_scope(engine) as session:
        owed = session.execute(
            select(Enrollment.id, Enrollment.campaign_id)
            .join(
                OutreachMessage,
                and_(
                    OutreachMessage.enrollment_id == Enrollment.id,
                    OutreachMessage.step == "initial",
                    OutreachMessage.status == MessageStatus.SENT.value,
                ),
            )
            .where(Enrollment.stage == Stage.SHORTLISTED.value)
        ).all()
        if not owed:
            return 0
        moved = move_stages(
            session,
            [enrollment_id for enrollment_id, _ in owed],
            cause=Cause.FIRST_EMAIL_SENT,
            reason="initial email sent (recorded after the sending run stopped)",
            now=now,
            actor=actor,
        )
        for campaign_id in sorted({campaign_id for _, campaign_id in owed}):
            mark_launched(session=session, campaign_id=campaign_id, now=now, actor=actor)
        return len(moved)
