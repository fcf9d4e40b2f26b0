"""Value objects and enumerations shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    YOUTUBE = "youtube"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"


class Tier(StrEnum):
    """Follower tiers, smallest first; ordering matters for monotonicity checks."""

    NANO = "nano"
    MICRO = "micro"
    MID = "mid"
    MACRO = "macro"
    MEGA = "mega"


TIER_ORDER: tuple[Tier, ...] = (Tier.NANO, Tier.MICRO, Tier.MID, Tier.MACRO, Tier.MEGA)


class Stage(StrEnum):
    """Where a creator stands within one campaign (an enrollment's stage)."""

    SHORTLISTED = "shortlisted"
    REMOVED = "removed"  # taken off the shortlist by the operator
    CONTACTED = "contacted"
    REPLIED = "replied"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OPTED_OUT = "opted_out"
    BOUNCED = "bounced"
    POSTED = "posted"
    FINISHED = "finished"  # follow-up sequence ran out with no answer


class MessageStatus(StrEnum):
    """Outbox row status: claimed (sending) before SMTP, sent after; unknown needs an operator."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    BOUNCED = "bounced"
    SKIPPED = "skipped"


class Provenance(StrEnum):
    API = "api"
    SUBMITTED = "submitted"
    ESTIMATED = "estimated"


class DeliverableStatus(StrEnum):
    LIVE = "live"
    GONE = "gone"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    NOT_FOUND = "not_found"  # platform says no such (professional) account
    UNVERIFIED = "unverified"  # imported, never refreshed
