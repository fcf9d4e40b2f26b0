"""The values outreach templates read, formatted once for every email of a creator's thread.

The first email, the follow-ups, the brief and the reminders are rendered by different services
(``recipients.template_context``, ``replies.answers.brief_email``,
``tracking.reminders.plan_reminders``); each builds its variables here, so a date, a fee or a
platform reads the same in all of them and in an operator's own templates (``domain.display``
does the formatting). Raw values stay beside the readable ones for templates that want them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from creatorflow.domain import display
from creatorflow.domain.campaign import CampaignSpec
from creatorflow.mail.message import Sender, one_line


def creator_values(
    *,
    name: str | None,
    handle: str,
    platform: str,
    tier: str | None = None,
    followers: int | None = None,
    display_name: str | None = None,
    public_handle: str | None = None,
) -> dict[str, Any]:
    """``creator``: names (one line: they come from imports and platform look-ups), the account
    and its platform. ``display_name`` and ``public_handle`` are what the platform showed
    (a channel's title and ``customUrl``): a creator imported by channel id alone is still
    greeted and named as their audience knows them."""
    clean = one_line(name or "")
    shown = one_line(display_name or "") or None
    label = display.account_label(platform, handle, public_handle)
    readable = handle if display.account_label(platform, handle) else label
    fallback = f"your {display.platform_name(platform)} channel"
    return {
        # never a channel id: "Lumen x Glow Lab" reads, "Lumen x UC1V7..." does not
        "name": clean or shown or readable or fallback,
        "first_name": display.greeting_name(clean, platform, handle, shown),
        "display_name": shown,
        "handle": handle,
        "public_handle": label.removeprefix("@") if label else None,
        "account": label,
        "platform": platform,
        "platform_name": display.platform_name(platform),
        "tier": tier,
        "followers": followers,
        "followers_text": None if followers is None else f"{followers:,}",
    }


def sender_values(sender: Sender, brand: str) -> dict[str, Any]:
    """``sender``: who writes (a person or a team, see ``display.sender_voice``)."""
    voice = display.sender_voice(sender.name, brand)
    return {
        "name": sender.name or sender.address,
        "address": sender.address,
        "person": voice.person,
        "team": voice.team,
        "is_team": voice.is_team,
        "introduction": voice.introduction,
        "signature": voice.signature,
        "byline": voice.byline,
    }


def campaign_values(spec: CampaignSpec) -> dict[str, Any]:
    """``campaign``: the campaign file's terms, dates as ``date`` and as text."""
    return {
        "slug": spec.slug,
        "name": spec.name,
        "brand": spec.brand,
        "hashtags": [f"#{h}" for h in spec.hashtags],
        "mentions": [f"@{m}" for m in spec.mentions],
        "window_start": spec.window.start,
        "window_end": spec.window.end,
        "window_start_text": display.long_date(spec.window.start),
        "window_end_text": display.long_date(spec.window.end),
        "window_text": display.date_range(spec.window.start, spec.window.end),
        "platform_names": [display.platform_name(p) for p in spec.platforms],
        "landing_url": spec.landing_url,
        "deliverables": spec.deliverables.count,
        "days_after_acceptance": spec.deliverables.days_after_acceptance,
    }


def money_values(value: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    """``{"amount": "1,500", "currency": "USD", "text": "1,500 USD"}``; None when unknown."""
    if value is None:
        return None
    return {
        "amount": display.amount(value),
        "currency": currency,
        "text": display.money(value, currency),
    }


def due_values(due_at: datetime | None) -> dict[str, Any]:
    """``due_date`` as people read it (``April 12, 2027``) and ``due_date_iso``.

    The day is the UTC day of the due instant, the one the reminders count days to.
    """
    if due_at is None:
        return {"due_date": None, "due_date_iso": None}
    day = due_at.date()
    return {"due_date": display.long_date(day), "due_date_iso": day.isoformat()}
