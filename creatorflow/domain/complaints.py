"""Spam complaints from mailbox providers' feedback loops.

- ARF (RFC 5965): ``multipart/report; report-type=feedback-report`` with a
  ``message/feedback-report`` part (``Feedback-Type: abuse``, ``Original-Rcpt-To``) and our
  message, or its headers, attached. Providers often redact the recipient: the Message-ID of the
  attached message is then what names the person.
- Hotmail / Outlook.com JMRP, the older non-ARF format: our message returned by
  ``staff@hotmail.com`` with ``X-HmXmrOriginalRecipient`` naming the person who complained.
- Amazon SES complaint notifications (JSON through SNS).

A report of another type (``auth-failure``: a DMARC failure report, ``not-spam``) is no complaint
by the person; ``opt-out`` / ``unsubscribe`` reports are opt-outs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from typing import Final

from creatorflow.domain.amazon_ses import notification_in
from creatorflow.domain.inbound import Kind, RecipientStatus
from creatorflow.domain.mail_parts import (
    address,
    addresses_in,
    header,
    headers,
    message_ids,
    report_blocks,
    returned_headers,
)

_COMPLAINT_TYPES: Final = frozenset({"abuse", "fraud", "virus", "other", "complaint", ""})
_OPT_OUT_TYPES: Final = frozenset({"opt-out", "optout", "unsubscribe"})
_JMRP_SUBJECT: Final = re.compile(r"complaint about message from", re.IGNORECASE)
_JMRP_HEADER: Final = "X-HmXmrOriginalRecipient"


@dataclass(frozen=True)
class Complaint:
    kind: Kind  # COMPLAINT, UNSUBSCRIBE (an opt-out report) or UNRELATED (another report type)
    recipients: tuple[RecipientStatus, ...]
    reported_ids: tuple[str, ...]  # Message-IDs of the message complained about


def read_complaint(msg: Message) -> Complaint | None:
    """The complaint in ``msg``, or None when it is not a feedback report."""
    for reader in (_arf, _jmrp, _ses):
        found = reader(msg)
        if found is not None:
            return found
    return None


def _arf(msg: Message) -> Complaint | None:
    is_report = (
        msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type") or "").lower() == "feedback-report"
    )
    blocks = [b for b in report_blocks(msg) if "feedback-type" in b or "user-agent" in b]
    if not blocks and not is_report:
        return None
    fields = blocks[0] if blocks else {}
    feedback_type = fields.get("feedback-type", "").strip().lower()
    kind = Kind.COMPLAINT
    if feedback_type in _OPT_OUT_TYPES:
        kind = Kind.UNSUBSCRIBE
    elif feedback_type not in _COMPLAINT_TYPES:
        kind = Kind.UNRELATED
    attached = returned_headers(msg)
    listed = [
        a
        for block in blocks
        for name in ("original-rcpt-to", "removal-recipient")
        for a in addresses_in(block.get(name, ""))
    ]
    if not listed and attached is not None:
        listed = addresses_in(header(attached, "To") or "")
    ids = message_ids(header(attached, "Message-ID")) if attached is not None else ()
    return Complaint(kind, _recipients(listed, kind), ids)


def _jmrp(msg: Message) -> Complaint | None:
    attached = returned_headers(msg)
    holders = [m for m in (msg, attached) if m is not None and header(m, _JMRP_HEADER)]
    from_hotmail = (address(header(msg, "From")) or "").startswith("staff@hotmail")
    if not holders and not (from_hotmail and _JMRP_SUBJECT.search(header(msg, "Subject") or "")):
        return None
    reported = holders[0] if holders else (attached or msg)
    listed = [a for value in headers(reported, _JMRP_HEADER) for a in addresses_in(value)]
    if not listed:
        listed = addresses_in(header(reported, "To") or "")
    ids = message_ids(header(reported, "Message-ID"))
    return Complaint(Kind.COMPLAINT, _recipients(listed, Kind.COMPLAINT), ids)


def _ses(msg: Message) -> Complaint | None:
    found = notification_in(msg)
    if found is None or found.type != "complaint":
        return None
    listed = [r.address for r in found.recipients]
    return Complaint(Kind.COMPLAINT, _recipients(listed, Kind.COMPLAINT), found.message_ids)


def _recipients(addresses: list[str], kind: Kind) -> tuple[RecipientStatus, ...]:
    seen = dict.fromkeys(a.lower() for a in addresses if "@" in a)
    return tuple(RecipientStatus(a, kind) for a in seen)
