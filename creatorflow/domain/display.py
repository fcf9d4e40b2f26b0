"""How names, dates and money read to a person: in outreach emails, briefs, reminders, reports.

Stored values are made for machines (``youtube``, a channel id, ``2027-04-12``, ``38500.00``);
every text a creator or a stakeholder reads goes through these functions instead, so the first
email, the brief and the reminders name the same date the same way, and an operator's own
templates get the readable value without formatting it themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creatorflow.domain.handles import is_youtube_channel_id

PLATFORM_NAMES = {"youtube": "YouTube", "instagram": "Instagram", "tiktok": "TikTok"}

#: Words that make a sender's display name a team's, not a person's ("Glow Team").
_TEAM_WORDS = frozenset(
    {"team", "crew", "squad", "partnerships", "partnership", "marketing", "collabs", "collab"}
    | {"collaborations", "creators", "influencer", "influencers", "community", "social", "hq"}
    | {"studio", "office", "pr", "brand"}
)
#: A name with its affiliation: "Maya from Lumen", "Maya @ Lumen", "Maya | Lumen", "Maya (Lumen)".
_AFFILIATION = re.compile(
    r"^(?P<who>.+?)\s*(?:\s(?:from|at|of)\s|\s@\s|\s?[|,/]\s?|\s[-–—]\s|\()\s*(?P<org>.+?)\)?$",
    re.IGNORECASE,
)


def platform_name(platform: str) -> str:
    """``YouTube``, ``Instagram``, ``TikTok``; a platform registered later by its name, titled."""
    return PLATFORM_NAMES.get(platform, platform.replace("_", " ").title())


def account_label(platform: str, handle: str, public_handle: str | None = None) -> str | None:
    """``@handle`` as the creator knows it; for a handle that is an id nobody reads (a YouTube
    channel id such as ``UC1V7Pcy60Kv33-muYodk9J7``) the public handle the platform showed
    (the channel's ``customUrl``), else None."""
    if platform == "youtube" and is_youtube_channel_id(handle):
        public = (public_handle or "").strip().lstrip("@")
        return f"@{public}" if public else None
    return f"@{handle}"


def greeting_name(
    name: str | None, platform: str, handle: str, display_name: str | None = None
) -> str:
    """Who "Hi ..." greets: the first name, else the name the account shows (a channel title
    is a whole: "Hi Glow Lab", never "Hi Glow"), else the readable handle, else ``there``."""
    words = (name or "").split()
    if words:
        return words[0]
    shown = " ".join((display_name or "").split())
    if shown:
        return shown
    return handle if account_label(platform, handle) else "there"


def long_date(day: date) -> str:
    """``April 12, 2027``: the month spelt out, never mistaken for 4 December."""
    return f"{day:%B} {day.day}, {day.year}"


def date_range(start: date, end: date) -> str:
    """``March 15 to April 30, 2027`` (the year once when both days share it)."""
    if start.year == end.year:
        return f"{start:%B} {start.day} to {long_date(end)}"
    return f"{long_date(start)} to {long_date(end)}"


def amount(value: Decimal) -> str:
    """``38,500`` for whole amounts, ``38,500.50`` otherwise."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def money(value: Decimal | None, currency: str | None) -> str | None:
    """``38,500 USD``; None when the amount is unknown."""
    if value is None:
        return None
    return f"{amount(value)} {currency}".strip() if currency else amount(value)


@dataclass(frozen=True)
class SenderVoice:
    """How the emails speak for the sender: a person ("I'm Maya from Lumen Skincare") or a team
    ("We're the Glow Team at Glow Cosmetics"), never "I'm Glow Team from Glow Cosmetics".

    ``CREATORFLOW_SENDER`` gives the display name; the campaign file gives the brand. A display
    name that already carries the brand or an affiliation ("Maya from Lumen") is cut back to the
    person, so the brand is said once.
    """

    person: str | None  # the person's name; None when a team writes
    team: str | None  # "the Glow Team", "the Lumen Skincare team"; None for a person
    introduction: str  # "I'm Maya from Lumen Skincare" (no full stop: templates add it)
    signature: str  # "Maya", "The Glow Team"
    byline: str  # "Maya, on behalf of Lumen Skincare", for footers

    @property
    def is_team(self) -> bool:
        return self.person is None


def _names_brand(who: str, brand: str) -> bool:
    """Whether ``who`` is only (part of) the brand's name: "Lumen" for "Lumen Skincare"."""
    words = {w.casefold().strip(".,") for w in who.split()}
    return words <= {w.casefold() for w in brand.split()}


def _is_team(who: str, brand: str) -> bool:
    words = {w.casefold().strip(".,") for w in who.split()}
    return bool(words & _TEAM_WORDS) or _names_brand(who, brand)


def sender_voice(display_name: str | None, brand: str) -> SenderVoice:
    """The voice of a sender called ``display_name`` writing for ``brand``."""
    who = " ".join((display_name or "").split())
    match = _AFFILIATION.match(who)
    if match:  # the brand is said after the name: drop the name's own affiliation
        who = match["who"].strip()
    if who and not _is_team(who, brand):
        return SenderVoice(
            who, None, f"I'm {who} from {brand}", who, f"{who}, on behalf of {brand}"
        )
    if not who or _names_brand(who, brand):
        team = f"the {brand} team"
    elif who.casefold().startswith("the "):
        team = "the " + who[4:]
    elif who.split()[-1].casefold() == "team":
        team = f"the {who}"
    else:
        team = f"the {who} team"
    says_brand = brand.casefold() in team.casefold()
    signature = "The" + team[3:]
    return SenderVoice(
        person=None,
        team=team,
        introduction=f"We're {team}" + ("" if says_brand else f" at {brand}"),
        signature=signature,
        byline=signature if says_brand else f"{signature}, on behalf of {brand}",
    )
