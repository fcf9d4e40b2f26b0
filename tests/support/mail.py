"""Inbound mail as it really arrives: replies, auto-replies, RFC 3464 bounces, opt-outs.

The bounce is written the way Postfix writes one (multipart/report with a human part, a
message/delivery-status part and the returned headers), not built by our own code, so the
classifier is tested against the format and not against itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from tests.support.builders import Contacted


def _date(when: datetime | None) -> str:
    return format_datetime(when or datetime(2027, 3, 2, 10, 0, tzinfo=UTC))


def reply(
    *,
    sender: str,
    in_reply_to: str | None,
    message_id: str,
    subject: str = "Re: Spring Glow",
    body: str = "Hi! Sounds great, tell me more about the brief.\n\n> earlier text\n",
    when: datetime | None = None,
    extra: str = "",
) -> bytes:
    threading = (
        f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    )
    text = (
        f"From: Creator <{sender}>\r\n"
        "To: Glow Team <team@brand.example>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {_date(when)}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"{threading}{extra}"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body.replace("\n", "\r\n")
    )
    return text.encode()


def auto_reply(
    *, sender: str, in_reply_to: str, message_id: str, marker: str, when: datetime | None = None
) -> bytes:
    """An out-of-office answer carrying one of the usual markers (a header line)."""
    away = {"subject": "Out of office: Re: Spring Glow", "extra": marker + "\r\n"}
    away["body"] = "I am away until March 10 with limited access to email.\n"
    return reply(sender=sender, in_reply_to=in_reply_to, message_id=message_id, when=when, **away)


def bounce(
    *,
    recipient: str,
    original_message_id: str,
    message_id: str,
    status: str = "5.1.1",
    action: str = "failed",
    returned: str = "headers",
    when: datetime | None = None,
    diagnostic: str | None = None,
) -> bytes:
    """A Postfix-style RFC 3464 delivery status notification for one recipient; the remote
    server's words are ``diagnostic`` (default: a 5.1.1 user unknown)."""
    original = (
        "From: Glow Team <team@brand.example>\r\n"
        f"To: {recipient}\r\n"
        "Subject: Spring Glow x you?\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "Date: Mon, 01 Mar 2027 09:00:00 +0000\r\n"
    )
    if returned == "headers":
        returned_part = "Content-Type: text/rfc822-headers\r\n\r\n" + original
    else:
        returned_part = (
            "Content-Type: message/rfc822\r\n\r\n" + original + "\r\nHello, we love your work.\r\n"
        )
    diagnostic = diagnostic or f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.brand.example (Mail Delivery System)\r\n"
        "To: team@brand.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {_date(when)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY42"\r\n'
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n--BOUNDARY42\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n--BOUNDARY42\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.brand.example\r\n"
        "X-Postfix-Queue-ID: 4ABC123\r\n"
        "Arrival-Date: Mon,  1 Mar 2027 09:00:01 +0000 (UTC)\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.creator.example\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "\r\n--BOUNDARY42\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        f"{returned_part}"
        "\r\n--BOUNDARY42--\r\n"
    ).encode()


def reply_from(person: Contacted, message_id: str, *, step: str = "initial", **kw: Any) -> bytes:
    """``person``'s answer to the ``step`` email we sent them."""
    return reply(
        sender=person.email, in_reply_to=person.message_ids[step], message_id=message_id, **kw
    )


def auto_reply_from(person: Contacted, message_id: str, *, marker: str) -> bytes:
    """An out-of-office answer from ``person`` to their first email."""
    first = person.message_ids["initial"]
    return auto_reply(sender=person.email, in_reply_to=first, message_id=message_id, marker=marker)


def bounce_of(person: Contacted, message_id: str, *, step: str = "initial", **kw: Any) -> bytes:
    """The mail server's report that the ``step`` email to ``person`` could not be delivered."""
    sent = person.message_ids[step]
    return bounce(recipient=person.email, original_message_id=sent, message_id=message_id, **kw)


def qmail_bounce(
    *, recipient: str, original_message_id: str, message_id: str, remote_said: str
) -> bytes:
    """qmail's plain-text notice (no MIME report): the failed address and the remote server's
    reply in the text, a copy of our message below the line."""
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.brand.example\r\n"
        "To: team@brand.example\r\n"
        "Subject: failure notice\r\n"
        f"Date: {_date(None)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "\r\n"
        "Hi. This is the qmail-send program at mx.brand.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n"
        "\r\n"
        f"<{recipient}>:\r\n"
        f"192.0.2.25 does not like recipient.\r\nRemote host said: {remote_said}\r\n"
        "Giving up on 192.0.2.25.\r\n"
        "\r\n"
        "--- Below this line is a copy of the message.\r\n"
        "\r\n"
        "Return-Path: <team@brand.example>\r\n"
        "From: Glow Team <team@brand.example>\r\n"
        f"To: {recipient}\r\n"
        "Subject: Spring Glow x you?\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "\r\n"
        'Hello, we love your work. Reply with "unsubscribe" and we will never write again.\r\n'
    ).encode()


def arf_complaint(*, recipient: str | None, original_message_id: str, message_id: str) -> bytes:
    """A feedback-loop spam complaint (RFC 5965); ``recipient=None``: the provider redacted the
    person (as AOL does), only our returned Message-ID names them."""
    rcpt = f"Original-Rcpt-To: {recipient}\r\n" if recipient else "Redacted-Address: redacted\r\n"
    to = recipient or "redacted@provider.example"
    return (
        "From: Feedback Loop <fbl@provider.example>\r\n"
        "To: abuse@brand.example\r\n"
        "Subject: Email Feedback Report for IP 192.0.2.10\r\n"
        f"Date: {_date(None)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"\r\n'
        "\r\n--ARF\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is an email abuse report for an email message received from IP 192.0.2.10.\r\n"
        "\r\n--ARF\r\n"
        "Content-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: ProviderFBL/1.0\r\nVersion: 1\r\n"
        "Original-Mail-From: <team@brand.example>\r\n"
        f"{rcpt}"
        "\r\n--ARF\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
        "From: Glow Team <team@brand.example>\r\n"
        f"To: {to}\r\n"
        "Subject: Spring Glow x you?\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "\r\nHello, we love your work.\r\n"
        "\r\n--ARF--\r\n"
    ).encode()
