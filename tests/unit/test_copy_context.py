"""Outreach copy a creator reads (issue 14): greetings, platform names, the sender's voice, dates.

The default templates are rendered with the context sending builds (``template_context``), so a
regression in either the values or the templates shows here without a database or a mail server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from creatorflow.domain import display
from creatorflow.domain.model import Stage
from creatorflow.mail.message import Sender
from creatorflow.mail.templates import RenderedEmail, TemplateRenderer
from creatorflow.services.outreach.copy_context import (
    creator_values,
    due_values,
    money_values,
    sender_values,
)
from creatorflow.services.outreach.recipients import Recipient, template_context
from creatorflow.services.replies.answers import brief_email
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.storage.models import Enrollment
from tests.support.campaigns import TRACKING_SPEC, make_spec, merged

CHANNEL_ID = "UC1V7Pcy60Kv33-muYodk9J7"
SPEC = make_spec(TRACKING_SPEC)  # Spring Glow 2027 by Lumen Skincare, March 1 to April 30
SETTINGS = Settings(
    _env_file=None,  # type: ignore[call-arg]
    postal_address="1 Market St, San Francisco, CA 94105, USA",
)


def _recipient(**values: Any) -> Recipient:
    row: dict[str, Any] = {
        "enrollment_id": 7,
        "creator_id": 3,
        "campaign_id": 1,
        "campaign_slug": SPEC.slug,
        "spec": SPEC,
        "stage": Stage.SHORTLISTED.value,
        "email": "hugo@creator.example",
        "name": "Hugo Quinn",
        "handle": "hugo.quinn",
        "platform": "instagram",
        "tier": "micro",
        "followers": 27_300,
        "timezone": None,
        "offer": Decimal("400"),
        "currency": "USD",
        "due_at": None,
        "tracking_url": None,
        "promo_code": None,
    }
    return Recipient(**(row | values))


def _render(
    template: str, recipient: Recipient, sender: str, extra: dict[str, Any] | None = None
) -> RenderedEmail:
    context = template_context(
        recipient,
        settings=SETTINGS,
        sender=Sender.parse(sender),
        step="initial",
        links=["mailto:team@lumen.example?subject=unsubscribe"],
        extra=extra or {},
    )
    return TemplateRenderer(PROJECT_ROOT / "templates").render(
        f"outreach/default/{template}", context
    )


def test_a_youtube_creator_imported_by_channel_id_is_never_greeted_by_the_id() -> None:
    named = _render("initial", _recipient(platform="youtube", handle=CHANNEL_ID), "Maya <m@l.ex>")
    unnamed = _render(
        "initial", _recipient(platform="youtube", handle=CHANNEL_ID, name=None), "Maya <m@l.ex>"
    )
    for email in (named, unnamed):
        assert CHANNEL_ID not in email.text + email.html + email.subject
    assert named.text.startswith("Hi Hugo,") and "your YouTube content and" in named.text
    assert unnamed.text.startswith("Hi there,")
    # a real handle is still named, as the creator knows it
    handled = _render("initial", _recipient(platform="youtube", handle="hugo.q"), "Maya <m@l.ex>")
    assert "your YouTube content as @hugo.q and" in handled.text


@pytest.mark.parametrize(
    ("platform", "shown"),
    [("instagram", "Instagram"), ("youtube", "YouTube"), ("tiktok", "TikTok")],
)
def test_platforms_are_named_as_their_owners_spell_them(platform: str, shown: str) -> None:
    email = _render("initial", _recipient(platform=platform), "Maya <m@l.ex>")
    assert f"your {shown} content" in email.text and f"your {shown} content" in email.html
    assert platform not in email.text.replace(f"utm_source={platform}", "")
    assert creator_values(name=None, handle="x", platform="snapchat")["platform_name"] == "Snapchat"


GLOW = ("Glow Cosmetics", "We're the Glow Team at Glow Cosmetics", "The Glow Team")
LUMEN_TEAM = ("Lumen Skincare", "We're the Lumen Skincare team", "The Lumen Skincare team")
MAYA = ("Lumen Skincare", "I'm Maya from Lumen Skincare", "Maya")


@pytest.mark.parametrize(
    ("sender", "brand", "intro", "signature"),
    [
        ("Glow Team <t@glow.example>", *GLOW),
        ("Maya from Lumen <m@l.ex>", *MAYA),
        ("Maya <m@l.ex>", *MAYA),
        ("Lumen Skincare <hi@l.ex>", *LUMEN_TEAM),
        ("hi@l.ex", *LUMEN_TEAM),
    ],
)
def test_the_sender_speaks_as_a_person_or_as_a_team(
    sender: str, brand: str, intro: str, signature: str
) -> None:
    spec = make_spec(merged(TRACKING_SPEC, brand=brand))
    email = _render("initial", _recipient(spec=spec), sender)
    assert f"\n\n{intro}. We love your" in email.text
    assert f"Thanks,\n{signature}\n" in email.text and f"Thanks,<br>{signature}" in email.html
    assert "I'm Glow Team" not in email.text and f"from {brand} from" not in email.text
    values = sender_values(Sender.parse(sender), brand)
    assert values["is_team"] is (values["person"] is None)


def test_dates_read_the_same_way_in_the_first_email_and_the_brief() -> None:
    first = _render("initial", _recipient(), "Maya <m@l.ex>")
    assert "running March 1 to April 30, 2027." in first.text
    enrollment = Enrollment(id=7, fee=Decimal("1250.50"), currency="USD")
    enrollment.due_at = datetime(2027, 3, 29, 15, 30, tzinfo=UTC)
    enrollment.tracking_url, enrollment.promo_code = None, None
    brief = brief_email(enrollment, SPEC, templates_dir=PROJECT_ROOT / "templates")
    accepted = _recipient(stage=Stage.ACCEPTED.value, due_at=enrollment.due_at)
    email = _render(
        brief.template.removeprefix("outreach/default/"), accepted, "Maya <m@l.ex>", brief.context
    )
    assert "(due March 29, 2027)" in email.subject
    assert "Due date: March 29, 2027." in email.text
    assert "published between March 1, 2027 and April 30, 2027." in email.text
    assert "1,250.50 USD, paid once the post is live" in email.text
    assert "2027-03-29" not in email.text + email.subject and "2027-04-30" not in email.text


def test_values_for_operators_own_templates() -> None:
    assert due_values(datetime(2027, 12, 31, 23, 0, tzinfo=UTC)) == {
        "due_date": "December 31, 2027",
        "due_date_iso": "2027-12-31",
    }
    assert due_values(None) == {"due_date": None, "due_date_iso": None}
    assert money_values(Decimal("38500"), "EUR") == {
        "amount": "38,500",
        "currency": "EUR",
        "text": "38,500 EUR",
    }
    assert money_values(None, "EUR") is None
    assert display.date_range(date(2027, 12, 20), date(2028, 1, 5)) == (
        "December 20, 2027 to January 5, 2028"
    )
    multiline = creator_values(name="Ana\nMaria  Lopez", handle="ana", platform="tiktok")
    assert multiline["name"] == "Ana Maria Lopez" and multiline["first_name"] == "Ana"
    assert multiline["account"] == "@ana" and multiline["followers_text"] is None
