"""Each class of inbound mail, on the shapes real servers and clients write (issue 12).

The corpus test (``tests/integration/test_mail_corpus.py``) measures the classifier on real
published mail; these tests pin the rules one by one: RFC 3463 classes, words over codes,
plain-text notices, feedback loops, auto-replies without RFC 3834 headers, and opt-outs in the
new text of a reply, never in the quote of our own footer.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

import pytest

from creatorflow.domain.classify import Classification, Kind, classify
from creatorflow.domain.inbound import describe_inbox, undeliverable_after
from creatorflow.settings import PROJECT_ROOT
from tests.support.mail import arf_complaint, bounce, qmail_bounce, reply

OURS = "<initial-1-anna@brand.example>"
ANNA = "anna@creator.example"


def _classify(raw: bytes) -> Classification:
    msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    return classify(msg, raw)


def _bounce(status: str, diagnostic: str, **kw: Any) -> Classification:
    raw = bounce(
        recipient=ANNA,
        original_message_id=OURS,
        message_id="<dsn@mx>",
        status=status,
        diagnostic=diagnostic,
        **kw,
    )
    return _classify(raw)


#: An earlier message of the thread, quoted with ours: opt-out words that are not a request now.
EARLIER = "Unsubscribe me from the newsletter, but keep me posted on collabs."


def _our_footer() -> str:
    """The footer every outreach email ends with, as the template writes it, without its "--"
    line: what stops the reader must be the quote, not a signature delimiter."""
    text = (PROJECT_ROOT / "templates" / "outreach" / "_footer.txt.j2").read_text()
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", text)
    assert 'reply with "unsubscribe"' in text
    return "\n".join(line for line in text.splitlines() if line.strip() != "--")


def _answer(body: str, *, subject: str = "Re: Spring Glow x you?", extra: str = "") -> bytes:
    return reply(
        sender=ANNA, in_reply_to=OURS, message_id="<r@c>", subject=subject, body=body, extra=extra
    )


@pytest.mark.parametrize(
    ("status", "diagnostic", "kind"),
    [
        (
            "5.1.1",
            "550 5.1.1 <anna@creator.example>: Recipient address rejected: User unknown",
            Kind.HARD_BOUNCE,
        ),
        (
            "5.1.10",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
            Kind.HARD_BOUNCE,
        ),
        (
            "5.1.2",
            "Host or domain name not found. Name service error for name=creator.example",
            Kind.HARD_BOUNCE,
        ),
        ("5.2.2", "552 5.2.2 Mailbox full", Kind.SOFT_BOUNCE),
        ("5.1.1", "552 5.2.2 Over quota", Kind.SOFT_BOUNCE),  # the words win over the code
        ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering", Kind.BLOCKED),
        ("5.7.26", "550-5.7.26 Unauthenticated email is not accepted (DMARC policy)", Kind.BLOCKED),
        ("5.0.0", "554 Your IP 192.0.2.7 is listed at zen.spamhaus.org", Kind.BLOCKED),
        ("4.4.1", "Connection timed out", Kind.SOFT_BOUNCE),
    ],
)
def test_report_class_follows_the_remote_servers_words_then_the_code(
    status: str, diagnostic: str, kind: Kind
) -> None:
    c = _bounce(status, diagnostic)
    assert c.kind is kind
    assert [(r.recipient, r.kind) for r in c.recipients] == [(ANNA, kind)]
    assert c.referenced_ids[0] == OURS


def test_delayed_report_is_never_worse_than_soft() -> None:
    c = _bounce("5.1.1", "550 5.1.1 User unknown", action="delayed")
    assert c.kind is Kind.SOFT_BOUNCE and c.failed_permanently == ()


def test_report_of_a_delivered_message_is_no_bounce() -> None:
    c = _bounce("2.0.0", "250 2.0.0 OK queued", action="delivered")
    assert c.kind is Kind.AUTO_REPLY and c.recipients == ()


@pytest.mark.parametrize(
    ("remote_said", "kind"),
    [
        ("550 5.1.1 <anna@creator.example>... User Unknown", Kind.HARD_BOUNCE),
        ("552 5.2.2 <anna@creator.example>... Mailbox Full", Kind.SOFT_BOUNCE),
        ("554 5.7.1 Service unavailable; Client host blocked using bl.spamcop.net", Kind.BLOCKED),
    ],
)
def test_plain_text_notice_names_the_failed_address_in_its_body(
    remote_said: str, kind: Kind
) -> None:
    raw = qmail_bounce(
        recipient=ANNA, original_message_id=OURS, message_id="<q@mx>", remote_said=remote_said
    )
    c = _classify(raw)
    assert c.kind is kind
    assert [r.recipient for r in c.recipients] == [ANNA]  # not our sender, not the daemon
    assert OURS in c.referenced_ids  # read from the copy below the line
    assert c.recipients[0].status == remote_said.split()[1]


@pytest.mark.parametrize("recipient", [ANNA, None])
def test_feedback_loop_complaint_names_the_person_or_returns_our_message(
    recipient: str | None,
) -> None:
    c = _classify(arf_complaint(recipient=recipient, original_message_id=OURS, message_id="<f>"))
    assert c.kind is Kind.COMPLAINT
    assert c.referenced_ids[0] == OURS
    assert [r.recipient for r in c.recipients] == (
        [ANNA] if recipient else ["redacted@provider.example"]
    )


@pytest.mark.parametrize(
    ("subject", "extra"),
    [
        ("Re: Spring Glow x you?", "X-Apple-Action: VACATION\r\n"),  # iCloud
        ("AUTO: Anna Lee is out of the office (returning 03/10/2027)", ""),  # Lotus Notes
        ("Automatic reply: Spring Glow x you?", "X-Auto-Response-Suppress: All\r\n"),  # Exchange
        ("Automatische Antwort: Spring Glow x you?", "X-Auto-Response-Suppress: All\r\n"),
        ("Abwesenheitsnotiz: Spring Glow x you?", ""),
        ("Réponse automatique : Spring Glow x you?", ""),
        ("Respuesta automática: Spring Glow x you?", ""),
        ("Out of Office: Spring Glow x you?", ""),
    ],
)
def test_auto_replies_without_rfc_3834_headers(subject: str, extra: str) -> None:
    raw = _answer("Thank you for your message.\n", subject=subject, extra=extra)
    assert _classify(raw).kind is Kind.AUTO_REPLY


def test_out_of_office_words_alone_make_an_auto_reply_only_when_nothing_is_quoted() -> None:
    away = "I am out of the office until March 10 with limited access to email.\n"
    assert _classify(_answer(away)).kind is Kind.AUTO_REPLY
    quoted = "Yes, count me in!\n\nOn Mon, Mar 1, 2027 at 9:00 AM Glow wrote:\n> " + away
    assert _classify(_answer(quoted)).kind is Kind.REPLY


def test_challenge_response_notice_is_an_auto_reply() -> None:
    body = (
        'Hello,\n\nYour message about "Spring Glow x you?" has been waitlisted.\n'
        "Please add yourself to my Guest List so your messages will go to my Inbox.\n"
    )
    raw = reply(
        sender="noreply@boxbe.com",
        in_reply_to=OURS,
        message_id="<cr@boxbe>",
        subject="Re: Spring Glow x you? (Action Required)",
        body=body,
    )
    assert _classify(raw).kind is Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "new_text",
    [
        "Hi there, please unsubscribe me from these emails.",
        "Please take me off your list.",
        "Stop emailing me",
        "unsubscribe",
        "Not interested. Do not contact me again.",
        "Hallo, bitte abmelden. Danke",
        "Bitte keine E-Mails mehr an diese Adresse.",
        "Bonjour, merci de me désinscrire de votre liste.",
        "Je ne souhaite plus recevoir vos messages.",
        "Hola, por favor darme de baja.",
        "No me envíen más correos, gracias.",
    ],
)
def test_opt_out_in_the_new_text_above_the_quoted_original(new_text: str) -> None:
    quote = "\n".join(f"> {line}" for line in ("Hi Anna,", "We love your work.", _our_footer()))
    attribution = "On Mon, 1 Mar 2027 at 09:00, Glow Team <team@brand.example> wrote:"
    body = f"{new_text}\n\n{attribution}\n{quote}\n"
    assert _classify(_answer(body)).kind is Kind.UNSUBSCRIBE


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 1 Mar 2027 at 09:00, Glow Team <team@brand.example> wrote:",
        "Am 01.03.2027 um 09:00 schrieb Glow Team <team@brand.example>:",
        "Le lun. 1 mars 2027 à 09:00, Glow Team <team@brand.example> a écrit :",
        "El lun, 1 mar 2027 a las 09:00, Glow Team (<team@brand.example>) escribió:",
        "-----Original Message-----",
    ],
)
def test_our_footer_in_the_quote_is_not_an_opt_out(attribution: str) -> None:
    body = (
        f"Sounds great, tell me more about the brief!\n\n{attribution}\nHi Anna,\n{_our_footer()}\n"
        f"{EARLIER}\n"
    )
    assert _classify(_answer(body)).kind is Kind.REPLY


def test_our_footer_in_an_html_reply_quote_is_not_an_opt_out() -> None:
    html = (
        '<div>Love it, send the brief!</div><div class="gmail_quote"><div>On Mon, Glow wrote:'
        f"</div><blockquote>{_our_footer()}<br>{EARLIER}</blockquote></div>"
    )
    raw = _answer(html, extra="").replace(b"text/plain", b"text/html")
    assert _classify(raw).kind is Kind.REPLY


@pytest.mark.parametrize(
    "text",
    [
        "Love it! I will stop by the store to try it.",
        "Happy to! Do you need me to remove the watermark from the last post?",
        "Sure! My newsletter has a link to unsubscribe if you ever want, lol. Yes to the deal!",
        "Yes! Please don't contact me on Instagram though, email works better.",
        "Happy to. Stop emailing my manager, write to me directly.",
    ],
)
def test_ordinary_answers_are_replies(text: str) -> None:
    assert _classify(_answer(text + "\n")).kind is Kind.REPLY


def test_soft_bounces_make_an_address_undeliverable_only_when_spread_out() -> None:
    from datetime import UTC, datetime, timedelta

    day = datetime(2027, 3, 1, tzinfo=UTC)
    spread = [day, day + timedelta(days=3), day + timedelta(days=7)]
    assert undeliverable_after(spread, limit=3, days=7)
    assert not undeliverable_after(spread[:2], limit=3, days=7)
    assert not undeliverable_after([day, day, day + timedelta(days=2)], limit=3, days=7)
    assert undeliverable_after(spread[:2], limit=2, days=0)


def test_inbox_line_names_every_class() -> None:
    line = describe_inbox(
        {
            "recorded": 3,
            "by_kind": {"reply": 1, "hard_bounce": 1, "complaint": 1},
            "replied": 1,
            "bounced": 1,
            "opted_out": 1,
            "suppressed": 2,
            "undeliverable": 0,
        }
    )
    assert line.startswith(
        "3 new: 1 reply, 0 auto-replies, 1 hard bounce, 0 soft bounces, 0 blocked, 1 complaint, "
        "0 opt-outs, 0 unrelated; 1 creator(s) replied, 1 bounced, 1 opted out, 2 address(es)"
    )
    assert describe_inbox({"recorded": 0}) == "0 new"


def test_tracking_summary_says_what_was_read_and_warns_about_refusals_and_complaints() -> None:
    from creatorflow.services.tracking.run_summary import tracking_summary_markdown

    inbox = {
        "fetched": 4,
        "recorded": 4,
        "by_kind": {"reply": 1, "soft_bounce": 1, "blocked": 1, "complaint": 1},
        "replied": 1,
        "opted_out": 1,
        "suppressed": 1,
    }
    text = tracking_summary_markdown({"as_of": "2027-03-04T10:00:00+00:00", "inbox": inbox})
    assert "Inbox: 4 new: 1 reply, 0 auto-replies, 0 hard bounces, 1 soft bounce, 1 blocked" in text
    assert "1 message(s) refused as spam or by policy" in text
    assert "1 spam complaint(s)" in text
    assert "Nothing needs you" not in text


@pytest.mark.parametrize(
    "quote_start",
    [
        # Outlook: a header block, no ">" marks
        "________________________________\nFrom: Glow Team <team@brand.example>\n"
        "Sent: Monday, March 1, 2027 9:00 AM\nTo: Anna <anna@creator.example>",
        # iOS in Norwegian: a localised signature, then an attribution, no ">" marks
        "Sendt fra min iPhone\n\nDen 1. mars 2027 kl. 09.00 skrev Glow Team <team@brand.example>:",
        # Gmail wraps a long attribution over three lines
        "On Mon, Mar 1, 2027 at 9:00 AM Glow Team from the Spring Glow campaign\n"
        "<team@brand.example>\nwrote:",
    ],
)
def test_unmarked_quotes_of_our_footer_are_not_opt_outs(quote_start: str) -> None:
    body = (
        f"Yes please, send me the brief.\n\n{quote_start}\n\nHi Anna,\n{_our_footer()}\n{EARLIER}\n"
    )
    assert _classify(_answer(body)).kind is Kind.REPLY


def test_an_opt_out_posted_below_the_quote_counts() -> None:
    body = (
        f"On Mon, 1 Mar 2027, Glow Team wrote:\n> Hi Anna,\n> {_our_footer()}\n\nUnsubscribe me.\n"
    )
    assert _classify(_answer(body)).kind is Kind.UNSUBSCRIBE
