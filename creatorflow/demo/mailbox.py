"""The demo's simulated creators reading their mail and answering it.

The demo's outbox is a Maildir (what creatorflow sent); its inbox is another Maildir (what the
outreach mailbox received). Simulated creators read the outbox like recipients would and answer
into the inbox with real messages: human replies threaded with In-Reply-To and References,
RFC 3834 auto-replies, and RFC 3464 delivery status reports for addresses that do not exist, so
creatorflow's inbox reader sees exactly what a mail server would hand it.
"""

from __future__ import annotations

import hashlib
import mailbox
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

MAILER_DAEMON = "MAILER-DAEMON@mx.creators.example"


@dataclass(frozen=True)
class Delivered:
    """One message creatorflow sent, as its recipient sees it."""

    key: str  # the Maildir key, so a message is answered once
    to: str
    sender: str
    subject: str
    message_id: str
    references: str
    raw_headers: str
    text: str = ""  # the text/plain part, as a recipient reads it


def read_outbox(outbox: Path, seen: set[str]) -> list[Delivered]:
    """Messages in the outbox not in ``seen`` (which is updated), oldest first."""
    if not outbox.exists():
        return []
    box = mailbox.Maildir(outbox, factory=None, create=False)
    found: list[tuple[float, Delivered]] = []
    for key in box.iterkeys():
        if key in seen:
            continue
        seen.add(key)
        msg = box.get_message(key)
        headers = "".join(f"{name}: {value}\n" for name, value in msg.items())
        found.append(
            (
                msg.get_date(),
                Delivered(
                    key=key,
                    to=parseaddr(str(msg["To"]))[1].lower(),
                    sender=str(msg["From"]),
                    subject=str(msg["Subject"] or ""),
                    message_id=str(msg["Message-ID"] or ""),
                    references=str(msg["References"] or ""),
                    raw_headers=headers,
                    text=_plain_text(msg),
                ),
            )
        )
    return [delivered for _, delivered in sorted(found, key=lambda pair: pair[0])]


def _plain_text(msg: Message) -> str:
    """The first text/plain part, decoded (empty when there is none)."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


def _base(subject: str, sender: str, to: str, when: datetime) -> EmailMessage:
    msg = EmailMessage(policy=default_policy)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    return msg


def human_reply(original: Delivered, *, name: str, text: str, when: datetime) -> EmailMessage:
    """A person answering: threaded on the message they received."""
    subject = original.subject if original.subject.startswith("Re:") else f"Re: {original.subject}"
    msg = _base(subject, f"{name} <{original.to}>", original.sender, when)
    msg["In-Reply-To"] = original.message_id
    msg["References"] = f"{original.references} {original.message_id}".strip()
    msg.set_content(f"{text}\n\n{name}\n")
    return msg


def auto_reply(original: Delivered, *, name: str, when: datetime) -> EmailMessage:
    """An out-of-office answer (RFC 3834): not the creator answering."""
    msg = _base(
        f"Out of office: {original.subject}", f"{name} <{original.to}>", original.sender, when
    )
    msg["Auto-Submitted"] = "auto-replied"
    msg["In-Reply-To"] = original.message_id
    msg.set_content("I am travelling until next month with limited access to email.\n")
    return msg


def bounce(original: Delivered, *, when: datetime) -> EmailMessage:
    """An RFC 3464 delivery status report: the address does not exist (5.1.1).

    Written out as text, as a mail server sends it: the standard library's generator cannot
    produce a ``message/delivery-status`` part from scratch.
    """
    domain = original.to.rsplit("@", 1)[-1]
    boundary = (
        "dsn-" + hashlib.sha256(f"{original.message_id}|{original.to}".encode()).hexdigest()[:24]
    )
    raw = (
        f"From: Mail Delivery System <{MAILER_DAEMON}>\n"
        f"To: {original.sender}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {format_datetime(when)}\n"
        f"Message-ID: {make_msgid(domain='mx.creators.example')}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        "\n"
        f"--{boundary}\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        f"Your message to {original.to} could not be delivered: the mailbox does not exist.\n\n"
        f"--{boundary}\n"
        "Content-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.{domain}\n\n"
        f"Final-Recipient: rfc822; {original.to}\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{original.to}>: Recipient address rejected\n\n"
        f"--{boundary}\n"
        "Content-Type: text/rfc822-headers\n\n"
        f"{original.raw_headers}\n"
        f"--{boundary}--\n"
    )
    return message_from_string(raw, policy=default_policy)


def deliver(inbox: Path, msg: EmailMessage) -> None:
    """Put a message into the outreach mailbox (Maildir ``new/``), as a mail server would."""
    box = mailbox.Maildir(inbox, create=True)
    box.add(msg)
