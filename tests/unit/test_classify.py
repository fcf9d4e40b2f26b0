"""Classification of inbound mail, on messages written the way real servers write them."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

import pytest

from creatorflow.domain.classify import Kind, classify
from tests.support.mail import auto_reply, bounce, reply

OURS = "<initial-1@brand.example>"


def _classify(raw: bytes):
    msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    return classify(msg, raw)


def _answer(message_id: str, **kw: Any) -> bytes:
    """A creator's mail answering our first email."""
    return reply(sender="a@c.example", in_reply_to=OURS, message_id=message_id, **kw)


def _bounce_of_ours(recipient: str, message_id: str, **kw: Any) -> bytes:
    return bounce(recipient=recipient, original_message_id=OURS, message_id=message_id, **kw)


def test_human_reply_points_at_our_message() -> None:
    c = _classify(reply(sender="Anna@Creator.example", in_reply_to=OURS, message_id="<r1@x>"))
    assert c.kind is Kind.REPLY
    assert c.referenced_ids == (OURS,)
    assert c.from_address == "anna@creator.example"
    assert c.message_key == "<r1@x>"


@pytest.mark.parametrize(
    "marker",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated; owner-email=x@y.example",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: auto_reply",
        "Precedence: bulk",
        "Return-Path: <>",
    ],
)
def test_auto_reply_markers_are_not_human_replies(marker: str) -> None:
    raw = auto_reply(sender="a@c.example", in_reply_to=OURS, message_id="<a1@x>", marker=marker)
    c = _classify(raw)
    assert c.kind is Kind.AUTO_REPLY
    assert c.referenced_ids == (OURS,)


def test_auto_submitted_no_is_a_person() -> None:
    raw = _answer("<a2@x>", extra="Auto-Submitted: no\r\n")
    assert _classify(raw).kind is Kind.REPLY


@pytest.mark.parametrize("returned", ["headers", "message"])
def test_permanent_bounce_names_recipient_status_and_our_message(returned: str) -> None:
    raw = _bounce_of_ours("Gone@Creator.example", "<b1@mx>", returned=returned)
    c = _classify(raw)
    assert c.kind is Kind.HARD_BOUNCE
    assert c.referenced_ids[0] == OURS
    assert [(r.recipient, r.action, r.status) for r in c.recipients] == [
        ("gone@creator.example", "failed", "5.1.1")
    ]
    assert c.failed_permanently == c.recipients


def test_delayed_report_is_a_soft_bounce_not_a_permanent_one() -> None:
    raw = _bounce_of_ours("slow@creator.example", "<b2@mx>", status="4.4.1", action="delayed")
    c = _classify(raw)
    assert c.kind is Kind.SOFT_BOUNCE
    assert c.failed_permanently == ()


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("unsubscribe", "sent from my phone"),
        ("Re: Spring Glow", "Please remove me\n\n> Hi Anna"),
        ("Re: Spring Glow", "STOP\n"),
    ],
)
def test_opt_out_requests_by_mail(subject: str, body: str) -> None:
    raw = _answer("<u1@x>", subject=subject, body=body)
    assert _classify(raw).kind is Kind.UNSUBSCRIBE


def test_reply_mentioning_stop_later_is_still_a_reply() -> None:
    raw = _answer("<u2@x>", body="Love it! I will stop by the store to try it.\n")
    assert _classify(raw).kind is Kind.REPLY


def test_message_without_message_id_gets_a_stable_digest_key() -> None:
    raw = b"From: a@c.example\r\nSubject: hi\r\n\r\nhello\r\n"
    first, second = _classify(raw), _classify(raw)
    assert first.message_key.startswith("sha256:")
    assert first.message_key == second.message_key


def test_references_are_taken_newest_first() -> None:
    references = "References: <one@brand.example> <two@brand.example>\r\n"
    raw = reply(sender="a@c.example", in_reply_to=None, message_id="<r9@x>", extra=references)
    assert _classify(raw).referenced_ids == ("<two@brand.example>", "<one@brand.example>")
