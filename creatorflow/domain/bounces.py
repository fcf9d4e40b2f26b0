"""Delivery failure reports: RFC 3464 reports and the plain-text notices many MTAs still send.

A report is recognised by its ``message/delivery-status`` part, by an Amazon SES notification, or
by the usual signs of a plain-text notice: a null or daemon sender (``MAILER-DAEMON``,
``postmaster``, a list manager), a bounce subject ("Undelivered Mail", "failure notice",
"Unzustellbar", "Non remis", ...) and an SMTP reply quoted in the body. For a plain notice the
failed address is found in the text above the copy of our message. Each recipient then gets its
class from ``bounce_wording.verdict``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Final

from creatorflow.domain.amazon_ses import SesNotification, notification_in
from creatorflow.domain.auto_replies import auto_reply_subject
from creatorflow.domain.bounce_wording import kind_of_words, status_in, verdict
from creatorflow.domain.inbound import Kind, RecipientStatus
from creatorflow.domain.mail_parts import (
    address,
    addresses_in,
    field_blocks,
    header,
    notice_text,
    report_blocks,
    returned_headers,
)

_DAEMON: Final = re.compile(
    r"^(?:mailer-?daemon|mail-?daemon|postmaster|post_master|poostmaster|mail\.delivery\.system"
    r"|mdaemon|mailer|mail-?delivery(?:-?system)?|bounces?|nobody|daemon|owner-.+|.+-owner"
    r"|.+-admin|.+-request|.+-bounces?)$"
)
_DAEMON_NAME: Final = re.compile(
    r"mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|mail administrator",
    re.IGNORECASE,
)
_SUBJECT: Final = re.compile(
    r"undeliver|undelivered|returned mail|returned to sender|delivery status notification"
    r"|delivery (?:status|failure|failed|problem|report|notification|notice)|failure notice"
    r"|failed delivery|delivery has failed|mail delivery failed|mail (?:system )?error"
    r"|mail failure|non[- ]?delivery|not delivered|could not (?:be )?(?:delivered|send)"
    r"|delayed mail|warning: could not send|message you sent blocked|returned message"
    r"|nicht zustellbar|unzustellbar|non remis|non distribu|non recapitabil|no entregad"
    r"|no se pudo entregar|não entregue|недоставлен|не доставлен|メールエラー|エラー通知"
    r"|配信(?:エラー|不能|失敗)|不達|postmaster notify|see transcript",
    re.IGNORECASE,
)
#: An SMTP reply or a failure sentence quoted by a plain-text notice.
_EVIDENCE: Final = re.compile(
    r"\b[45]\d\d[ -]|\b[45]\.\d{1,3}\.\d{1,3}\b|could not be delivered|was not delivered"
    r"|wasn't delivered|undeliverable|permanent (?:fatal )?error|delivery (?:has )?failed"
    r"|failed to deliver|unable to deliver|not (?:be )?delivered|giving up|user unknown"
    r"|does not like recipient|following address(?:es)? (?:failed|had)|delivery to the following"
    r"|did not reach|could not deliver|returned to sender|delivery problem|not able to be delivered"
    r"|error (?:has )?occurred while (?:attempting|trying) to deliver|rejected by (?:a |the )?"
    r"(?:remote )?(?:mail )?server|delivery to the following recipients? failed"
    r"|nicht zugestellt|n'a pas pu être|не может быть доставлено|не доставлено"
    r"|届きません|送信できません",
    re.IGNORECASE,
)
#: RFC 3464 actions that mean the message arrived (anything else is a failure or a delay).
_DELIVERED_ACTIONS: Final = frozenset({"delivered", "relayed", "expanded"})
_DIAGNOSTIC_LIMIT: Final = 300


@dataclass(frozen=True)
class Bounce:
    """A delivery report: who failed and how, and which of our messages it returns."""

    recipients: tuple[RecipientStatus, ...]  # empty when the notice names nobody we can read
    kind: Kind  # the message's class: its worst recipient (hard, then blocked, then soft)
    returned_ids: tuple[str, ...]  # Message-IDs of the returned message


def read_bounce(msg: Message, *, own: set[str]) -> Bounce | None:
    """The report in ``msg``, or None when it is not one. ``own``: addresses of the envelope
    (our sender, the notice's From) never taken as the failed recipient."""
    ses = notification_in(msg)
    if ses is not None and ses.type == "bounce":
        return _from_ses(ses)
    notice = notice_text(msg)
    blocks = [b for b in report_blocks(msg) if _recipients_of(b)]
    if not blocks:  # a report pasted as text (broken MIME, "Technical report:")
        blocks = [b for b in field_blocks(notice) if _recipients_of(b) and "action" in b]
    if not blocks and not _plain_notice(msg, notice):
        return None
    returned = returned_headers(msg)
    returned_ids: tuple[str, ...] = ()
    if returned is not None:
        returned_ids = _ids(header(returned, "Message-ID"))
        own = own | {a for a in (address(header(returned, "From")),) if a}
    if blocks:
        recipients = _from_blocks(blocks, notice)
    else:
        recipients = _from_notice(notice, own=own, returned=returned)
    if blocks and not recipients:  # every recipient was delivered, relayed or expanded
        return Bounce((), Kind.AUTO_REPLY, returned_ids)
    kind = (
        _worst(r.kind for r in recipients)
        if recipients
        else verdict(action="", status="", diagnostic="", notice=notice)
    )
    return Bounce(recipients, kind, returned_ids)


def _from_ses(ses: SesNotification) -> Bounce:
    recipients = tuple(
        RecipientStatus(
            recipient=r.address,
            kind=verdict(
                action=r.action or ("failed" if ses.permanent else "delayed"),
                status=r.status,
                diagnostic=r.diagnostic,
                notice="" if ses.permanent else "temporary",
            ),
            action=r.action,
            status=r.status,
            diagnostic=r.diagnostic[:_DIAGNOSTIC_LIMIT],
        )
        for r in ses.recipients
    )
    kind = _worst(r.kind for r in recipients) if recipients else Kind.SOFT_BOUNCE
    return Bounce(recipients, kind, ses.message_ids)


def is_daemon(msg: Message) -> bool:
    """Sent by a mail system, not a person: null sender, MAILER-DAEMON, postmaster, a list."""
    sender = header(msg, "From") or ""
    found = address(sender)
    local = found.split("@", 1)[0] if found else ""
    if _DAEMON.match(local) or _DAEMON_NAME.search(sender) or (not found and "<>" in sender):
        return True
    return_path = (header(msg, "Return-Path") or "").strip().strip("<>").lower()
    return return_path.split("@", 1)[0] == "mailer-daemon"


def _plain_notice(msg: Message, notice: str) -> bool:
    """A notice from a mail system (or with a bounce subject) that quotes a failure."""
    subject = header(msg, "Subject") or ""
    if auto_reply_subject(msg) and not _SUBJECT.search(subject):
        return False  # an out-of-office sent with a null sender, as some MTAs do
    if _EVIDENCE.search(notice) or _EVIDENCE.search(subject):
        return is_daemon(msg) or bool(_SUBJECT.search(subject))
    return is_daemon(msg) and kind_of_words(notice) is not None


def _recipients_of(block: dict[str, str]) -> list[str]:
    """The addresses a recipient block names: the one we wrote to (Original-Recipient) and the
    one that failed (Final-Recipient, which differs when the address forwards elsewhere)."""
    found: list[str] = []
    for name in ("original-recipient", "final-recipient", "x-actual-recipient"):
        value = block.get(name)
        if value:
            typed = value.split(";", 1)[1] if ";" in value else value
            address_found = address(typed.strip().strip("<>"))
            if address_found and address_found not in found:
                found.append(address_found)
    return found


def _from_blocks(blocks: list[dict[str, str]], notice: str) -> tuple[RecipientStatus, ...]:
    found: dict[str, RecipientStatus] = {}
    for block in blocks:
        action = block.get("action", "").strip().lower()
        if action in _DELIVERED_ACTIONS:
            continue
        status = (block.get("status", "").split() or [""])[0]
        diagnostic = block.get("diagnostic-code", "")
        diagnostic = diagnostic.split(";", 1)[1] if ";" in diagnostic[:12] else diagnostic
        diagnostic = diagnostic.strip()
        kind = verdict(action=action, status=status, diagnostic=diagnostic, notice=notice)
        code = status or status_in(diagnostic) or ""
        for recipient in _recipients_of(block):
            found.setdefault(
                recipient,
                RecipientStatus(recipient, kind, action, code, diagnostic[:_DIAGNOSTIC_LIMIT]),
            )
    return tuple(found.values())


def _from_notice(
    notice: str, *, own: set[str], returned: Message | None
) -> tuple[RecipientStatus, ...]:
    """Recipients of a plain-text notice: addresses in its text, else the returned To:."""
    candidates = [a for a in addresses_in(notice) if a not in own and not _is_system(a)]
    if not candidates and returned is not None:
        candidates = [a for a in (address(header(returned, "To")),) if a and a not in own]
    recipients = []
    for recipient in candidates:
        paragraph = _paragraph(notice, recipient)
        kind = verdict(action="", status="", diagnostic=paragraph, notice=notice)
        code = status_in(paragraph) or status_in(notice) or ""
        recipients.append(
            RecipientStatus(recipient, kind, "failed", code, " ".join(paragraph.split())[:300])
        )
    return tuple(recipients)


def _is_system(candidate: str) -> bool:
    return bool(_DAEMON.match(candidate.split("@", 1)[0]))


def _paragraph(notice: str, recipient: str) -> str:
    """The lines about ``recipient``: from its first mention to the next blank line."""
    lower = notice.lower()
    at = lower.find(recipient)
    if at < 0:
        return ""
    start = lower.rfind("\n", 0, at) + 1
    end = lower.find("\n\n", at)
    while end >= 0 and not lower[at:end].strip("<>: \n").replace(recipient, "").strip():
        end = lower.find("\n\n", end + 2)  # the address alone on its line: take the next block
    return notice[start : end if end >= 0 else len(notice)]


def _worst(kinds: Iterable[Kind]) -> Kind:
    order = (Kind.HARD_BOUNCE, Kind.BLOCKED, Kind.SOFT_BOUNCE)
    present = set(kinds)
    return next((k for k in order if k in present), Kind.SOFT_BOUNCE)


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(re.findall(r"<[^<>\s]+>", value or ""))
