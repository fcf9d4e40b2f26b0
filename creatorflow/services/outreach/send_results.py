"""What a send batch did, message by message: the table artifacts and the CLI print this."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from creatorflow.services.outreach.recipients import Recipient

STATUSES = ("sent", "skipped", "failed", "unknown", "deferred", "preview")


@dataclass
class Prepared:
    """A rendered message waiting for its claim (internal to the outbox)."""

    enrollment_id: int
    step: str
    recipient: Recipient
    msg: EmailMessage
    message_id: str
    subject: str
    in_reply_to: str | None
    references: list[str]
    row_id: int | None = None


@dataclass(frozen=True)
class SendOutcome:
    enrollment_id: int
    step: str
    creator: str  # platform:handle
    to: str | None
    status: str  # one of STATUSES
    reason: str | None

    @classmethod
    def of(cls, recipient: Recipient, step: str, status: str, reason: str | None) -> SendOutcome:
        return cls(recipient.enrollment_id, step, recipient.label, recipient.email, status, reason)


@dataclass
class SendReport:
    """Outcomes by status. ``deferred``: a temporary (4xx) error; nothing claimed, retried later."""

    sent: list[SendOutcome] = field(default_factory=list)
    skipped: list[SendOutcome] = field(default_factory=list)
    failed: list[SendOutcome] = field(default_factory=list)
    unknown: list[SendOutcome] = field(default_factory=list)
    deferred: list[SendOutcome] = field(default_factory=list)
    preview: list[SendOutcome] = field(default_factory=list)
    preview_dir: Path | None = None

    def add(self, outcome: SendOutcome) -> None:
        getattr(self, outcome.status).append(outcome)

    def extend(self, other: SendReport) -> None:
        for status in STATUSES:
            getattr(self, status).extend(getattr(other, status))
        self.preview_dir = self.preview_dir or other.preview_dir

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
            }
            for status in STATUSES
            for o in getattr(self, status)
        ]

    def summary(self) -> str:
        parts = [f"{n} {status}" for status, n in self.counts().items() if n]
        text = ", ".join(parts) or "nothing to send"
        if self.unknown:
            text += " (unknown outcomes need an operator: check the mailbox before any resend)"
        if self.preview_dir is not None:
            text += f"; previews in {self.preview_dir}"
        return text


def write_preview(folder: Path, item: Prepared) -> None:
    """The message as ``.eml`` (open it in a mail client) and its HTML part (open in a browser)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{item.recipient.campaign_slug}-{item.enrollment_id:06d}-{item.step}"
    (folder / f"{stem}.eml").write_bytes(item.msg.as_bytes())
    html = item.msg.get_body(preferencelist=("html",))
    if html is not None:
        (folder / f"{stem}.html").write_text(str(html.get_content()), encoding="utf-8")
