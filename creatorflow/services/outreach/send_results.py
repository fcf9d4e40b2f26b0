"""What a send batch did, message by message: the table artifacts and the CLI print this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from creatorflow.mail.message import Sender, build_message
from creatorflow.services.outreach.recipients import Recipient

STATUSES = ("sent", "skipped", "waiting", "failed", "unknown", "deferred", "preview")
#: Outcomes an operator must see by name: the message did not (surely) arrive.
PROBLEMS = ("unknown", "failed", "deferred")


class Unbuildable(ValueError):
    """This creator's data cannot make a valid message (the rest of the batch goes on)."""


@dataclass(frozen=True)
class Content:
    """A rendered email's parts and the run's fixed headers: what ``Prepared.message`` builds
    from. The ``EmailMessage`` itself is built per chunk, just before the claim: thousands held
    at once (a 10,000-email launch renders everything first) made each of Python's full garbage
    collections walk all of their header objects, so building cost more per email the larger
    the launch (0.8 ms kept one by one, 1.8 ms all held, at 10,000)."""

    sender: Sender
    text: str
    html: str
    date: datetime
    list_unsubscribe: tuple[str, ...]


@dataclass
class Prepared:
    """A rendered message waiting for its claim (internal to the outbox)."""

    enrollment_id: int
    step: str
    recipient: Recipient
    content: Content
    message_id: str
    subject: str
    in_reply_to: str | None
    references: list[str]
    row_id: int | None = None
    #: the outbox row of an earlier try (deferred, or released by the operator): claimed again
    #: under the same Message-ID, so a mailbox that already holds it drops the duplicate
    retry_of: int | None = None
    attempts: int = 0

    def message(self) -> EmailMessage:
        """The message as it goes out, built now; ``Unbuildable`` when the data cannot make one."""
        content = self.content
        try:
            return build_message(
                sender=content.sender,
                to_address=self.recipient.email or "",
                to_name=self.recipient.name,
                subject=self.subject,
                text=content.text,
                html=content.html,
                message_id=self.message_id,
                date=content.date,
                in_reply_to=self.in_reply_to,
                references=self.references,
                list_unsubscribe=content.list_unsubscribe,
            )
        except ValueError as exc:  # bad data on one creator must not stop everyone's email
            raise Unbuildable(f"cannot build the message: {exc}") from None


@dataclass(frozen=True)
class SendOutcome:
    enrollment_id: int
    step: str
    creator: str  # platform:handle
    to: str | None
    status: str  # one of STATUSES
    reason: str | None
    message_id: str | None = None
    at: datetime | None = None  # when the outbox row was claimed (the try's moment)

    @classmethod
    def of(
        cls,
        recipient: Recipient,
        step: str,
        status: str,
        reason: str | None,
        *,
        message_id: str | None = None,
        at: datetime | None = None,
    ) -> SendOutcome:
        return cls(
            recipient.enrollment_id,
            step,
            recipient.label,
            recipient.email,
            status,
            reason,
            message_id,
            at,
        )

    def as_problem(self) -> dict[str, Any]:
        """The outcome as the operator reads it: who, which step, when, which Message-ID, why."""
        return {
            "creator": self.creator,
            "to": self.to or "",
            "step": self.step,
            "status": self.status,
            "at": self.at.isoformat() if self.at else "",
            "message_id": self.message_id or "",
            "reason": self.reason or "",
        }


@dataclass
class SendReport:
    """Outcomes by status.

    ``deferred``: nothing was delivered (4xx, mailbox full, a connection lost before the end of
    the data); the outbox retries it in a later run. ``waiting``: a follow-up held back until an
    earlier step of its sequence is resolved. ``pauses``: the deliverability guard's lines (what
    is paused, why, how to resume); ``warnings``: what the operator should watch.
    """

    sent: list[SendOutcome] = field(default_factory=list)
    skipped: list[SendOutcome] = field(default_factory=list)
    waiting: list[SendOutcome] = field(default_factory=list)
    failed: list[SendOutcome] = field(default_factory=list)
    unknown: list[SendOutcome] = field(default_factory=list)
    deferred: list[SendOutcome] = field(default_factory=list)
    preview: list[SendOutcome] = field(default_factory=list)
    preview_dir: Path | None = None
    pauses: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, outcome: SendOutcome) -> None:
        getattr(self, outcome.status).append(outcome)

    def extend(self, other: SendReport) -> None:
        for status in STATUSES:
            getattr(self, status).extend(getattr(other, status))
        self.preview_dir = self.preview_dir or other.preview_dir
        self.pauses += [line for line in other.pauses if line not in self.pauses]
        self.warnings += [line for line in other.warnings if line not in self.warnings]

    def counts(self) -> dict[str, int]:
        return {status: len(getattr(self, status)) for status in STATUSES}

    def rows(self) -> list[dict[str, Any]]:
        """One row per message, for a Prefect table artifact (no secrets: addresses only)."""
        return [
            {
                "creator": o.creator,
                "to": o.to or "",
                "step": o.step,
                "status": o.status,
                "reason": o.reason or "",
                "at": o.at.isoformat() if o.at else "",
                "message_id": o.message_id or "",
            }
            for status in STATUSES
            for o in getattr(self, status)
        ]

    def problems(self) -> list[dict[str, Any]]:
        """Every unknown, failed and deferred message by name (``SendOutcome.as_problem``)."""
        return [o.as_problem() for status in PROBLEMS for o in getattr(self, status)]

    def summary(self) -> str:
        parts = [f"{n} {status}" for status, n in self.counts().items() if n]
        text = ", ".join(parts) or "nothing to send"
        if self.unknown:
            text += (
                " (unknown outcomes need an operator: check the mailbox, then "
                "`creatorflow campaign resolve`)"
            )
        if self.pauses:
            text += "; " + "; ".join(self.pauses)
        if self.preview_dir is not None:
            text += f"; previews in {self.preview_dir}"
        return text


def write_preview(folder: Path, item: Prepared) -> None:
    """The message as ``.eml`` (open it in a mail client) and its HTML part (open in a browser).

    ``Unbuildable`` (nothing written) when this creator's data cannot make the message."""
    msg = item.message()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{item.recipient.campaign_slug}-{item.enrollment_id:06d}-{item.step}"
    (folder / f"{stem}.eml").write_bytes(msg.as_bytes())
    html = msg.get_body(preferencelist=("html",))
    if html is not None:
        (folder / f"{stem}.html").write_text(str(html.get_content()), encoding="utf-8")
