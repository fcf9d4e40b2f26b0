"""Value objects and enumerations shared by every layer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from creatorflow.errors import InputError

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class UnknownPlatform(InputError, ValueError):
    """A platform name nothing is registered for; the message names it and the known ones."""

    def __init__(self, name: object, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"unknown platform {name!r} (known: {', '.join(self.known)})")


#: What a platform's name may look like: it is stored in 16-character columns.
_PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_BUILT_IN = ("youtube", "instagram", "tiktok")


class _PlatformNames(type):
    """Lets ``Platform`` be iterated like the enum it replaces: the known platforms, in order."""

    _known: dict[str, Platform]

    def __iter__(cls) -> Iterator[Platform]:
        return iter(tuple(cls._known.values()))

    def __len__(cls) -> int:
        return len(cls._known)

    def __contains__(cls, value: object) -> bool:
        return isinstance(value, str) and value in cls._known


class Platform(str, metaclass=_PlatformNames):
    """A social platform, by name: YouTube, Instagram, TikTok, and any platform registered since.

    A string, not a closed enum, so that registering an adapter (``platforms/registry.py``) is
    all it takes to add a platform. ``Platform("youtube")`` returns the one instance (``is``
    comparisons hold) and an unknown name raises ``UnknownPlatform``.
    """

    __slots__ = ()
    _known: ClassVar[dict[str, Platform]] = {}
    YOUTUBE: ClassVar[Platform]
    INSTAGRAM: ClassVar[Platform]
    TIKTOK: ClassVar[Platform]

    def __new__(cls, value: object) -> Platform:
        try:
            return cls._known[value]  # type: ignore[index]
        except (KeyError, TypeError):  # TypeError: not even hashable
            raise UnknownPlatform(value, cls._known) from None

    @classmethod
    def register(cls, name: str) -> Platform:
        """The platform called ``name``, known from now on (registering twice is harmless)."""
        if not isinstance(name, str) or not _PLATFORM_NAME.match(name):
            raise ValueError(
                f"platform name {name!r}: lower-case letters, digits and '_', 16 at most"
            )
        known = cls._known.get(name)
        if known is None:
            known = cls._known[name] = str.__new__(cls, name)
        return known

    @classmethod
    def unregister(cls, name: str) -> None:
        """Forget a registered platform (tests register one for a while); built-ins stay."""
        if name in _BUILT_IN:
            raise ValueError(f"{name} is built in and cannot be unregistered")
        cls._known.pop(name, None)

    @property
    def value(self) -> str:
        """The name as a plain string (what the database stores), as with the enum before."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Platform({self.value!r})"

    def __reduce__(self) -> tuple[type[Platform], tuple[str]]:
        return (Platform, (self.value,))

    def __copy__(self) -> Platform:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Platform:
        return self

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"title": "Platform", "type": "string", "enum": list(cls._known)}


Platform.YOUTUBE = Platform.register("youtube")
Platform.INSTAGRAM = Platform.register("instagram")
Platform.TIKTOK = Platform.register("tiktok")


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
    """Outbox row status, in the order a message lives it.

    ``queued``: claimed by a run, not attempted yet (a killed run's queued rows were never tried
    and go out again); ``sending``: its SMTP conversation has begun (at most one per connection);
    then ``sent``, ``deferred`` (nothing delivered: retried in a later run, with a limit),
    ``failed`` (refused for good) or ``unknown`` (the connection was lost before the final reply:
    an operator decides). ``bounced``: a bounce came back after it was sent.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNKNOWN = "unknown"
    BOUNCED = "bounced"
    SKIPPED = "skipped"


class Provenance(StrEnum):
    API = "api"
    SUBMITTED = "submitted"
    ESTIMATED = "estimated"
    MENTION = "mention"  # a story the brand was notified of (webhook): no API figures at all


class DeliverableStatus(StrEnum):
    LIVE = "live"
    GONE = "gone"


class AccountStatus(StrEnum):
    """Whether the platform shows an account now; every status but ``active`` and
    ``unverified`` is a problem an operator acts on (``ACCOUNT_PROBLEMS``)."""

    ACTIVE = "active"
    NOT_FOUND = "not_found"  # platform says no such account
    UNVERIFIED = "unverified"  # imported, never refreshed
    NOT_BUSINESS = "not_business"  # Instagram: personal (not professional) account, or unknown
    NOT_CONNECTED = "not_connected"  # TikTok: the creator has not connected (no token)
    TOKEN_REVOKED = "token_revoked"  # the creator's own token is invalid, expired or revoked
    SCOPE_MISSING = "scope_missing"  # the creator's token lacks a permission creatorflow needs


#: Statuses that mean the platform will not show the account until someone acts.
ACCOUNT_PROBLEMS: frozenset[AccountStatus] = frozenset(
    {
        AccountStatus.NOT_FOUND,
        AccountStatus.NOT_BUSINESS,
        AccountStatus.NOT_CONNECTED,
        AccountStatus.TOKEN_REVOKED,
        AccountStatus.SCOPE_MISSING,
    }
)

_NEXT_STEPS: dict[AccountStatus, str] = {
    AccountStatus.NOT_FOUND: "check the handle (or remove the account)",
    AccountStatus.NOT_BUSINESS: (
        "ask the creator to switch to a professional (business or creator) account, "
        "or correct the handle"
    ),
    AccountStatus.NOT_CONNECTED: "ask the creator to connect their account",
    AccountStatus.TOKEN_REVOKED: "ask the creator to reconnect",
    AccountStatus.SCOPE_MISSING: "ask the creator to reconnect and allow it",
}


def account_problem(status: AccountStatus, what: str, *, seen: datetime) -> str:
    """The reason an operator reads and acts on: what the platform said, when, what to do.

    ``account_problem(TOKEN_REVOKED, "token revoked", seen=...)`` is "token revoked on
    2027-03-12: ask the creator to reconnect".
    """
    step = _NEXT_STEPS.get(status, "check the account")
    return f"{what} on {seen.date().isoformat()}: {step}"
