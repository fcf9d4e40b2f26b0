"""Value objects and enumerations shared by every layer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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
