"""Send rules: suppression first, then caps, then the window in the recipient's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time

from creatorflow.domain.send_rules import (
    SendPolicy,
    in_send_window,
    normalize_address,
    recipient_domain,
    why_not_send,
)

POLICY = SendPolicy(
    daily_cap=3,
    per_domain_cap=2,
    window_start=time(9),
    window_end=time(17),
    default_timezone="America/New_York",
)
MONDAY_15_UTC = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


def reason(**changes: object) -> str | None:
    values: dict[str, object] = {
        "now": MONDAY_15_UTC,
        "timezone": None,
        "suppressed": False,
        "sent_today_by_mailbox": 0,
        "sent_today_to_domain": 0,
        "policy": POLICY,
    }
    values.update(changes)
    return why_not_send(**values)  # type: ignore[arg-type]


def test_addresses_are_compared_trimmed_and_lower_cased() -> None:
    assert normalize_address("  Ana@Example.COM ") == "ana@example.com"
    assert recipient_domain("Ana@Example.COM") == "example.com"


def test_the_window_uses_the_recipients_zone_and_falls_back_to_the_campaigns() -> None:
    assert in_send_window(MONDAY_15_UTC, None, POLICY)  # 10:00 in New York
    assert not in_send_window(MONDAY_15_UTC, "Asia/Tokyo", POLICY)  # midnight in Tokyo
    assert in_send_window(MONDAY_15_UTC, "Europe/Berlin", POLICY)  # 16:00
    assert in_send_window(MONDAY_15_UTC, "Not/AZone", POLICY)  # unknown zone: the default
    saturday = datetime(2027, 3, 6, 15, 0, tzinfo=UTC)
    assert not in_send_window(saturday, None, POLICY)


def test_reasons_come_in_order_suppression_caps_window() -> None:
    assert reason() is None
    assert reason(suppressed=True, sent_today_by_mailbox=9) == "suppressed"
    assert reason(sent_today_by_mailbox=3) == "daily cap reached (3 per mailbox)"
    assert reason(sent_today_to_domain=2) == "per-domain cap reached (2 a day)"
    late = reason(timezone="Asia/Tokyo")
    assert late is not None and late.startswith("outside send window (Tue 00:00 JST")
