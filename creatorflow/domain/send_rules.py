"""When an email may leave: suppression, send window in the recipient's time zone, and caps.

Pure functions over counts the caller supplies; the outbox service asks ``why_not_send`` for every
message just before claiming it and skips (without claiming) when there is a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def normalize_address(address: str) -> str:
    """The form every suppression look-up uses: trimmed and lower-cased."""
    return address.strip().lower()


def recipient_domain(address: str) -> str:
    return normalize_address(address).rpartition("@")[2]


@dataclass(frozen=True)
class SendPolicy:
    """Compliance limits for one batch of outreach (from the campaign and settings)."""

    daily_cap: int
    per_domain_cap: int
    window_start: time = time(9, 0)
    window_end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: Monday is 1
    default_timezone: str = "UTC"


def local_time(now: datetime, timezone: str | None, default: str) -> datetime:
    """``now`` in the recipient's zone (the policy default when unknown or invalid)."""
    try:
        zone = ZoneInfo(timezone) if timezone else ZoneInfo(default)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(default)
    return now.astimezone(zone)


def in_send_window(now: datetime, timezone: str | None, policy: SendPolicy) -> bool:
    local = local_time(now, timezone, policy.default_timezone)
    return (
        local.isoweekday() in policy.weekdays
        and policy.window_start <= local.time().replace(tzinfo=None) < policy.window_end
    )


def why_not_send(
    *,
    now: datetime,
    timezone: str | None,
    suppressed: bool,
    sent_today_by_mailbox: int,
    sent_today_to_domain: int,
    policy: SendPolicy,
) -> str | None:
    """The reason this email must wait or never go, or ``None`` when it may go now."""
    if suppressed:
        return "suppressed"
    if sent_today_by_mailbox >= policy.daily_cap:
        return f"daily cap reached ({policy.daily_cap} per mailbox)"
    if sent_today_to_domain >= policy.per_domain_cap:
        return f"per-domain cap reached ({policy.per_domain_cap} a day)"
    if not in_send_window(now, timezone, policy):
        local = local_time(now, timezone, policy.default_timezone)
        return (
            f"outside send window ({local:%a %H:%M} {local.tzname()}; "
            f"{policy.window_start:%H:%M}-{policy.window_end:%H:%M})"
        )
    return None
