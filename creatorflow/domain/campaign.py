"""The campaign file, as one validated model every part of creatorflow imports.

A campaign is an operator-edited YAML file (see ``config/campaigns/spring-glow.yaml``); the model
rejects anything it does not know (``extra="forbid"``) so that a typo is an error, not a silently
ignored setting. Engagement rates are fractions (0.035 is 3.5 %); money is Decimal.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from creatorflow.domain.as_of import AS_OF_MAX, AS_OF_MIN
from creatorflow.domain.compliance import (
    BURIED_RUN,
    DEFAULT_MARKERS,
    FIRST_CHARS,
    DisclosureRules,
)
from creatorflow.domain.matching import CampaignTerms
from creatorflow.domain.model import Platform, Tier
from creatorflow.domain.numbers import MONEY_MAX, parse_rate

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
TEMPLATE_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Longest span in days any campaign setting may name (ten years): a larger one only ever
#: overflows date arithmetic, far from the field that caused it.
DAYS_MAX = 3650
#: The most messages per day a cap may allow.
CAP_MAX = 1_000_000
Days = Annotated[int, Field(ge=0, le=DAYS_MAX)]
Money = Annotated[Decimal, Field(ge=0, le=MONEY_MAX)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


class Window(_Strict):
    """The dates the campaign runs (inclusive); posts are expected inside it."""

    start: date
    end: date

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, value: date) -> date:
        if not AS_OF_MIN.date() <= value < AS_OF_MAX.date():
            raise ValueError(f"must lie in {AS_OF_MIN:%Y-%m-%d} .. {AS_OF_MAX:%Y-%m-%d}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self

    def starts_at(self) -> datetime:
        """The first instant of the window (the start date's midnight, UTC)."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    def ends_at(self) -> datetime:
        """The last instant of the window (the end date's last microsecond, UTC)."""
        return datetime.combine(self.end, time.max, tzinfo=UTC)


class Selection(_Strict):
    """Who to recruit: creators wanted per tier plus filters (empty lists mean any)."""

    tiers: dict[Tier, Annotated[int, Field(ge=1)]] = Field(min_length=1)
    niches: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    min_engagement_rate: Decimal | None = Field(default=None, ge=0, le=1)
    min_followers: int | None = Field(default=None, ge=0)
    exclude_active_elsewhere: bool = True
    #: Whether a creator whose engagement rate is unknown (every recent post hides its likes,
    #: or the profile is not refreshed yet) passes ``min_engagement_rate``: ``exclude`` or
    #: ``include`` (ranked after every known rate).
    unknown_engagement: Literal["exclude", "include"] = "exclude"

    @field_validator("countries")
    @classmethod
    def _upper_countries(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[A-Za-z]{2}", code):
                raise ValueError(f"{code!r} is not a two-letter country code")
        return [c.upper() for c in value]

    @field_validator("niches")
    @classmethod
    def _lower_niches(cls, value: list[str]) -> list[str]:
        return [n.strip().lower() for n in value]

    @field_validator("min_engagement_rate", mode="before")
    @classmethod
    def _rate(cls, value: object) -> object:
        """``0.02`` as a number, or written ``"2%"``: read by the one rate parser."""
        return parse_rate(value) if isinstance(value, str) else value


class Deliverables(_Strict):
    """What each accepted creator owes, by when, and when they are reminded of it."""

    count: int = Field(default=1, ge=1, le=1000)
    days_after_acceptance: int = Field(default=14, ge=1, le=DAYS_MAX)
    #: Reminders before the due date (days before it) and once overdue (days after it).
    reminder_days_before: list[Days] = Field(default_factory=lambda: [2])
    reminder_days_overdue: list[Days] = Field(default_factory=lambda: [1])
    #: Drafts must be approved in the portal's review before posting (issue 18), and are due
    #: this many days before the post (a week for the brand's review).
    draft_review: bool = False
    draft_days_before_due: int = Field(default=7, ge=0, le=DAYS_MAX)


class SendWindow(_Strict):
    """Local hours (recipient's time zone when known, else ``timezone``) when mail may leave."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5]
    )
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Outreach(_Strict):
    template_set: str = "default"
    follow_up_days: list[Annotated[int, Field(ge=1, le=DAYS_MAX)]] = Field(
        default_factory=lambda: [3, 7], max_length=20
    )
    finish_after_days: int | None = Field(default=None, ge=1, le=DAYS_MAX)
    daily_cap: int | None = Field(default=None, ge=1, le=CAP_MAX)
    per_domain_cap: int = Field(default=20, ge=1, le=CAP_MAX)
    send_window: SendWindow = Field(default_factory=SendWindow)

    @field_validator("template_set")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not TEMPLATE_SET.fullmatch(value):
            raise ValueError("must be a folder name (letters, digits, - and _, at most 64)")
        return value

    @field_validator("follow_up_days")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("days must increase (counted from the first email)")
        return value

    def finish_day(self) -> int:
        """Days after the first email when an unanswered sequence is over (stage finished)."""
        if self.finish_after_days is not None:
            return self.finish_after_days
        return (self.follow_up_days[-1] if self.follow_up_days else 0) + 7


class Tracking(_Strict):
    """How long posts are polled after the window closes."""

    days_after_window_end: int = Field(default=14, ge=0, le=DAYS_MAX)


class Compliance(_Strict):
    """How sponsored posts must disclose (``domain/compliance.py`` judges them).

    ``markers`` are added to the default list of each of ``languages`` (every language by
    default); a marker is a ``#hashtag`` or a word or phrase ("paid partnership").
    """

    languages: list[str] | None = None
    markers: list[str] = Field(default_factory=list)
    first_chars: int = Field(default=FIRST_CHARS, ge=1, le=100_000)
    buried_hashtag_run: int = Field(default=BURIED_RUN, ge=0, le=1000)
    keep_live_days: Days = 30
    nudge: bool = True
    reminder_days: int | None = Field(default=3, ge=1, le=DAYS_MAX)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [lang for lang in value if lang.lower() not in DEFAULT_MARKERS]
        if unknown:
            known = ", ".join(sorted(DEFAULT_MARKERS))
            raise ValueError(f"unknown language(s) {', '.join(unknown)} (known: {known})")
        return [lang.lower() for lang in value]

    @field_validator("markers")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for marker in value:
            if not re.search(r"\w", marker):
                raise ValueError(f"{marker!r} is not a marker (a #hashtag, a word or a phrase)")
        return [m.strip() for m in value]

    def rules(self) -> DisclosureRules:
        return DisclosureRules.build(
            languages=tuple(self.languages) if self.languages is not None else None,
            extra=tuple(self.markers),
            first_chars=self.first_chars,
            buried_run=self.buried_hashtag_run,
        )


def check_cron(value: str) -> str:
    """``value`` when it is a five-field cron expression Prefect's schedules accept, that fires.

    Prefect parses schedules with croniter (vendored in Prefect 3) and refuses its random and
    hashed ``R``/``H`` fields; the ``W`` (nearest weekday) day is newer than Prefect's copy.
    Counting the fields is not enough: ``61 25 * * 8`` has five.
    """
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"{value!r} must be a five-field cron expression (e.g. '0 8 * * 1')")
    if (
        not croniter.is_valid(value)
        or any(f.casefold() in ("r", "h") for f in fields)
        or "w" in fields[2].casefold()
    ):
        raise ValueError(
            f"{value!r} is not a valid cron expression (minute 0-59, hour 0-23, day 1-31, "
            "month 1-12, weekday 0-7)"
        )
    try:
        croniter(value, AS_OF_MIN).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"{value!r} never fires (no such date)") from None
    return value


class ReportSpec(_Strict):
    recipients: list[str] = Field(default_factory=list)
    cron: str = "0 8 * * 1"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return check_cron(value)


class CampaignSpec(_Strict):
    """One campaign file."""

    slug: str
    name: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=200)
    platforms: list[Platform] = Field(min_length=1)
    window: Window
    hashtags: list[str] = Field(default_factory=list)
    mentions: list[str] = Field(default_factory=list)
    budget: Money
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    selection: Selection
    offer: dict[Tier, Money]
    #: The campaign sends product (written ``offer: {gift: true}``): the portal asks an address.
    gift: bool = False
    deliverables: Deliverables = Field(default_factory=Deliverables)
    outreach: Outreach = Field(default_factory=Outreach)
    landing_url: str | None = None
    promo_codes: bool = False
    tracking: Tracking = Field(default_factory=Tracking)
    report: ReportSpec = Field(default_factory=ReportSpec)
    compliance: Compliance = Field(default_factory=Compliance)

    @model_validator(mode="before")
    @classmethod
    def _gift_in_offer(cls, data: Any) -> Any:
        """``offer.gift`` is no tier: it moves to ``gift`` before the tiers are read."""
        offer = data.get("offer") if isinstance(data, dict) else None
        if isinstance(offer, dict) and "gift" in offer:
            rest = {k: v for k, v in offer.items() if k != "gift"}
            return {**data, "offer": rest, "gift": offer["gift"]}
        return data

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value):
            raise ValueError("must be lower-case letters, digits and '-' (e.g. spring-glow)")
        return value

    @field_validator("name", "brand")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # Both go into email subjects (outreach and reports): a line break there is refused by
        # the mail library mid-send instead of here, with the file and field named.
        if len(f"{value}.".splitlines()) > 1:  # any line break, a trailing one included
            raise ValueError("must be one line")
        return value

    @field_validator("hashtags", "mentions")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [v.strip().lstrip("#@").lower() for v in value if v.strip().lstrip("#@")]

    @field_validator("landing_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _offers_fit_budget(self) -> CampaignSpec:
        missing = [t.value for t in self.selection.tiers if t not in self.offer]
        if missing:
            raise ValueError(f"offer: no offer for wanted tier(s) {', '.join(missing)}")
        total = self.planned_spend()
        if total > self.budget:
            raise ValueError(
                f"budget: offers x creators wanted come to {total} {self.currency}, "
                f"over the budget of {self.budget} {self.currency}"
            )
        return self

    def terms(self) -> CampaignTerms:
        """What identifies this campaign's posts: its tags, handles and window."""
        return CampaignTerms.build(
            hashtags=self.hashtags,
            mentions=self.mentions,
            window_start=self.window.starts_at(),
            window_end=self.window.ends_at(),
        )

    def tracking_ends(self) -> datetime:
        """When polling stops: the window's end plus ``tracking.days_after_window_end``."""
        return self.window.ends_at() + timedelta(days=self.tracking.days_after_window_end)

    def planned_spend(self) -> Decimal:
        """Offer x count summed over the wanted tiers."""
        return sum((self.offer[t] * n for t, n in self.selection.tiers.items()), start=Decimal("0"))
