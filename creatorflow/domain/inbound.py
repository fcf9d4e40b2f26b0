"""The names of what an inbound message can be, shared by the classifier's modules.

The values are what ``inbound_messages.classification`` stores and what the deliverability guard
counts, so they are a contract: never rename one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    REPLY = "reply"  # a person answered one of our messages
    AUTO_REPLY = "auto_reply"  # out-of-office, autoresponders, challenge-response, receipts
    HARD_BOUNCE = "hard_bounce"  # the address is dead: unknown user, unknown domain, null MX
    SOFT_BOUNCE = "soft_bounce"  # not delivered for now: mailbox full, delayed, expired, busy
    BLOCKED = "blocked"  # the person exists but our mail was refused (5.7.x, spam, policy)
    COMPLAINT = "complaint"  # a spam complaint from a feedback loop (ARF, RFC 5965)
    UNSUBSCRIBE = "unsubscribe"  # a person asked by mail to be left alone
    UNRELATED = "unrelated"  # nothing to do with outreach (decided once matching fails)


#: The kinds that report a delivery failure of one of our messages.
BOUNCES = frozenset({Kind.HARD_BOUNCE, Kind.SOFT_BOUNCE, Kind.BLOCKED})


@dataclass(frozen=True)
class RecipientStatus:
    """One failed (or complaining) recipient named by a report, with what it means for them."""

    recipient: str  # lower-cased address
    kind: Kind  # HARD_BOUNCE, SOFT_BOUNCE, BLOCKED or COMPLAINT
    action: str = ""  # RFC 3464 Action (failed, delayed), empty when the report has none
    status: str = ""  # RFC 3463 code, from the report or the quoted SMTP reply
    diagnostic: str = ""  # the remote server's words, shortened

    @property
    def permanent(self) -> bool:
        """A dead address: suppressed at once (a soft bounce or a refusal is not)."""
        return self.kind is Kind.HARD_BOUNCE


#: How each class is named in command output and run summaries (singular, plural).
_LABELS: dict[Kind, tuple[str, str]] = {
    Kind.REPLY: ("reply", "replies"),
    Kind.AUTO_REPLY: ("auto-reply", "auto-replies"),
    Kind.HARD_BOUNCE: ("hard bounce", "hard bounces"),
    Kind.SOFT_BOUNCE: ("soft bounce", "soft bounces"),
    Kind.BLOCKED: ("blocked", "blocked"),
    Kind.COMPLAINT: ("complaint", "complaints"),
    Kind.UNSUBSCRIBE: ("opt-out", "opt-outs"),
    Kind.UNRELATED: ("unrelated", "unrelated"),
}


def describe_counts(counts: Mapping[str, int]) -> str:
    """``2 replies, 1 auto-reply, 0 hard bounces, ...``: every class, in a fixed order."""
    parts = []
    for kind, (one, many) in _LABELS.items():
        n = _int(counts.get(kind.value))
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def undeliverable_after(times: Sequence[datetime], *, limit: int, days: int) -> bool:
    """Soft bounces at ``times`` make an address undeliverable: at least ``limit`` of them, the
    first and the last at least ``days`` apart (a full mailbox for a weekend is not a dead one)."""
    if len(times) < max(limit, 1):
        return False
    return max(times) - min(times) >= timedelta(days=days)


def describe_inbox(inbox: Mapping[str, object]) -> str:
    """``3 new: 1 reply, 1 auto-reply, 1 hard bounce, ...; 1 creator(s) replied, ...`` from an
    ``InboxReport.as_json()``: the command output and the run summary say the same."""
    recorded = _int(inbox.get("recorded"))
    dropped = _int(inbox.get("erased_dropped"))  # counted only: nothing of them is stored
    tail = f"; {dropped} mail(s) from an erased person, dropped" if dropped else ""
    if not recorded:
        return "0 new" + tail
    return (
        f"{recorded} new: {describe_counts(_mapping(inbox.get('by_kind')))}; "
        f"{inbox.get('replied', 0)} creator(s) replied, {inbox.get('bounced', 0)} bounced, "
        f"{inbox.get('opted_out', 0)} opted out, {inbox.get('suppressed', 0)} address(es) "
        f"suppressed ({inbox.get('undeliverable', 0)} after repeated soft bounces)" + tail
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _mapping(value: object) -> Mapping[str, int]:
    return value if isinstance(value, Mapping) else {}
