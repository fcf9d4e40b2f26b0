"""What the tracking services need from a campaign, read from its stored (validated) spec.

The campaign file is validated at launch (the outreach work owns its model); the database keeps
the validated spec as JSON. Tracking only needs a few values from it, gathered here into one
typed record so detection, reminders and polling read them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.matching import CampaignTerms
from creatorflow.errors import ConfigError, NotFoundError
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Campaign

#: How long posts are polled after the window closes when the campaign does not say.
DEFAULT_TRACKING_AFTER_WINDOW = timedelta(days=14)
DEFAULT_REMINDER_DAYS_BEFORE: tuple[int, ...] = (2,)
DEFAULT_REMINDER_DAYS_OVERDUE: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class TrackedCampaign:
    id: int
    slug: str
    name: str
    brand: str
    status: str
    terms: CampaignTerms
    tracking_ends: datetime | None
    reminder_days_before: tuple[int, ...]
    reminder_days_overdue: tuple[int, ...]
    template_set: str
    spec: Mapping[str, Any]


def _as_datetime(value: Any, *, end_of_day: bool, field: str, slug: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.max if end_of_day else time.min)
    else:
        text = str(value)
        try:
            if len(text) == 10:
                parsed = datetime.combine(
                    date.fromisoformat(text), time.max if end_of_day else time.min
                )
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"campaign {slug!r}: {field} {value!r} is not a date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _days(value: Any, default: tuple[int, ...], *, field: str, slug: str) -> tuple[int, ...]:
    if value is None:
        return default
    items = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    try:
        days = tuple(sorted({int(v) for v in items}, reverse=True))
    except (TypeError, ValueError):
        raise ConfigError(f"campaign {slug!r}: {field} must be a list of days") from None
    if any(d < 0 for d in days):
        raise ConfigError(f"campaign {slug!r}: {field} must not be negative")
    return days


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if isinstance(mapping, Mapping) and mapping.get(key) is not None:
            return mapping[key]
    return None


def tracked_campaign(row: Campaign) -> TrackedCampaign:
    """The tracking view of one campaign row."""
    spec: Mapping[str, Any] = row.spec or {}
    window = spec.get("window") or {}
    start = _as_datetime(
        _first(window, "start", "starts"), end_of_day=False, field="window.start", slug=row.slug
    )
    end = _as_datetime(
        _first(window, "end", "ends"), end_of_day=True, field="window.end", slug=row.slug
    )
    tracking = spec.get("tracking") or {}
    ends = _as_datetime(
        _first(tracking, "ends", "end", "until")
        or _first(window, "tracking_end", "tracking_ends")
        or spec.get("tracking_ends"),
        end_of_day=True,
        field="tracking.ends",
        slug=row.slug,
    )
    if ends is None and end is not None:
        after = tracking.get("days_after_window_end")
        ends = end + (
            timedelta(days=int(after)) if after is not None else DEFAULT_TRACKING_AFTER_WINDOW
        )
    deliverables = spec.get("deliverables") or {}
    reminders = deliverables.get("reminders") or spec.get("reminders") or {}
    outreach = spec.get("outreach") or {}
    return TrackedCampaign(
        id=row.id,
        slug=row.slug,
        name=row.name,
        brand=row.brand,
        status=row.status,
        terms=CampaignTerms.build(
            hashtags=spec.get("hashtags") or (),
            mentions=spec.get("mentions") or (),
            window_start=start,
            window_end=end,
        ),
        tracking_ends=ends,
        reminder_days_before=_days(
            _first(reminders, "days_before", "before")
            or _first(deliverables, "reminder_days_before", "reminder_days"),
            DEFAULT_REMINDER_DAYS_BEFORE,
            field="deliverables.reminders.days_before",
            slug=row.slug,
        ),
        reminder_days_overdue=_days(
            _first(reminders, "days_overdue", "overdue", "after")
            or _first(deliverables, "reminder_days_overdue", "overdue_days"),
            DEFAULT_REMINDER_DAYS_OVERDUE,
            field="deliverables.reminders.days_overdue",
            slug=row.slug,
        ),
        template_set=str(
            _first(outreach, "template_set", "templates") or spec.get("template_set") or "default"
        ),
        spec=spec,
    )


def load_tracked(session: Session, slug: str | None) -> list[TrackedCampaign]:
    """The named campaign (any status), or every active campaign when ``slug`` is None."""
    if slug is not None:
        row = session.scalar(select(Campaign).where(Campaign.slug == slug))
        if row is None:
            raise NotFoundError(f"no campaign {slug!r}")
        return [tracked_campaign(row)]
    rows = session.scalars(
        select(Campaign).where(Campaign.status == "active").order_by(Campaign.id)
    )
    return [tracked_campaign(row) for row in rows]


def tracked_slugs(*, engine: Engine, slug: str | None) -> list[str]:
    """Slugs of the campaigns a tracking run covers (see ``load_tracked``)."""
    with session_scope(engine) as session:
        return [campaign.slug for campaign in load_tracked(session, slug)]
