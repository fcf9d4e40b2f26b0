"""What an SMTP refusal means (RFC 5321 codes read with RFC 3463), and the guard's arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from creatorflow.mail.errors import PermanentMailError, TemporaryMailError
from creatorflow.mail.smtp_replies import enhanced_status, refusal
from creatorflow.services.outreach.deliverability import Figures, Thresholds, verdict
from creatorflow.services.outreach.outcomes import RetryPolicy


@pytest.mark.parametrize(
    ("code", "text", "phase", "kind"),
    [
        (550, "5.1.1 <a@x.example>: user unknown", "end", "address"),
        (550, "5.1.2 bad destination system", "rcpt", "address"),
        (550, "5.1.10 null MX", "rcpt", "address"),
        (551, "5.1.6 mailbox moved", "rcpt", "address"),
        (553, "5.1.7 bad sender mailbox syntax", "rcpt", "message"),  # about us, not them
        (550, "5.1.1 sender unknown", "mail", "message"),
        (550, "user unknown", "rcpt", "address"),  # no enhanced code: RCPT 550 names the address
        (550, "rejected", "end", "message"),  # ... but after the data it does not
        (550, "5.7.1 message refused as spam", "end", "policy"),
        (554, "5.7.26 DMARC policy", "rcpt", "policy"),
        (552, "5.3.4 message too big", "end", "message"),
        (552, "5.2.2 mailbox full", "end", "mailbox_full"),
        (552, "mailbox full", "rcpt", "mailbox_full"),
        (452, "4.2.2 mailbox full", "rcpt", "mailbox_full"),
        (451, "4.7.1 greylisted", "end", "temporary"),
        (421, "4.3.2 shutting down", "mail", "temporary"),
    ],
)
def test_each_refusal_means_what_the_outbox_does_with_it(
    code: int, text: str, phase: str, kind: str
) -> None:
    error = refusal(code, text.encode(), where="SMTP mx:25", phase=phase)
    assert error.kind == kind
    expected = TemporaryMailError if kind in ("mailbox_full", "temporary") else PermanentMailError
    assert isinstance(error, expected)
    assert str(error) == f"SMTP mx:25: {code} {text}"
    assert error.code == code and error.reply == text


def test_enhanced_codes_are_read_from_the_start_of_the_reply_only() -> None:
    assert enhanced_status("5.1.10 null MX") == "5.1.10"
    assert enhanced_status("  4.2.2 full") == "4.2.2"
    assert enhanced_status("user 5.1.1 unknown") is None
    assert enhanced_status("5.1.1000 nonsense") is None


def test_a_multi_line_reply_is_kept_as_one_line() -> None:
    error = refusal(
        550, b"5.1.1 no such user\r\n5.1.1 see https://help.example", where="w", phase="rcpt"
    )
    assert error.reply == "5.1.1 no such user 5.1.1 see https://help.example"


def test_deferred_messages_wait_twice_as_long_each_time_at_most_a_day() -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    retry = RetryPolicy(max_attempts=9, first_wait=timedelta(minutes=30))
    waits = [retry.next_try(n, now) - now for n in (1, 2, 3, 7)]
    assert waits == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(days=1),
    ]


LIMITS = Thresholds(window=200, bounce_rate=0.05, complaint_rate=0.003, blocked_rate=0.10)


def test_the_guard_pauses_only_above_its_rates_counting_young_scopes_as_a_full_window() -> None:
    assert verdict(Figures(200, 10, 0, 0), LIMITS) == (None, None)  # exactly 5%: not above
    pause, _ = verdict(Figures(200, 11, 0, 0), LIMITS)
    assert pause and pause.startswith("11 hard bounce(s) in the last 200 sends (5.5% > 5.0%)")
    assert verdict(Figures(30, 10, 0, 0), LIMITS) == (None, None)  # 10 of "200"
    pause, _ = verdict(Figures(200, 0, 1, 0), LIMITS)  # 0.5% > 0.3%
    assert pause and "1 spam complaint(s) in the last 200 sends (0.50% > 0.30%)" in pause
    pause, warning = verdict(Figures(200, 0, 0, 21), LIMITS)
    assert pause is None and warning and "21 message(s) refused as policy or spam" in warning
