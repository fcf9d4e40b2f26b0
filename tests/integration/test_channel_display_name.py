"""A YouTube creator imported by channel id alone reads as a person in outreach (issue 14).

The channel's title and handle (``snippet.title``, ``snippet.customUrl``) come with every
``channels.list`` answer; refresh and discovery keep them on the account, and the first email
greets the creator by the title and names the channel by its @handle, never by the id.
Against the sandbox YouTube server and a real SQLite database, rendered with the default
templates as sending renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.mail.message import Sender
from creatorflow.mail.templates import RenderedEmail, TemplateRenderer
from creatorflow.sandbox import World
from creatorflow.services.creators.discovery import discover_creators
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.services.outreach.recipients import load_recipients, template_context
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account
from tests.support.builders import add_account, add_enrollment
from tests.support.campaigns import register_example


@pytest.fixture
def db(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


def _first_email(db: Engine, settings: Settings, enrollment_id: int) -> RenderedEmail:
    with session_scope(db) as session:
        recipient = load_recipients(session, [enrollment_id])[enrollment_id]
    context = template_context(
        recipient,
        settings=settings,
        sender=Sender.parse(settings.sender or ""),
        step="initial",
        links=["mailto:team@brand.example?subject=unsubscribe"],
        extra={},
    )
    return TemplateRenderer(PROJECT_ROOT / "templates").render("outreach/default/initial", context)


def test_a_channel_imported_by_id_is_greeted_by_its_title_and_named_by_its_handle(
    world: World, db: Engine, make_settings: Callable[..., Settings], now: datetime
) -> None:
    channel = world.add_account("youtube", "glowlab", name="Glow Lab Beauty", followers=48_200)
    campaign = register_example(db, now)
    with session_scope(db) as session:  # as an import by channel id with no name leaves it
        account = add_account(
            session,
            platform="youtube",
            handle=channel.external_id,
            now=now,
            creator={"name": None, "email": "glow@creators.example"},
            tier=None,
            status="unverified",
        )
        enrollment = add_enrollment(session, account, campaign_id=campaign.id, now=now).id
    settings = make_settings()

    before = _first_email(db, settings, enrollment)
    assert before.text.startswith("Hi there,") and "@glowlab" not in before.text

    summary = refresh_creators(
        engine=db, settings=settings, platform=Platform.YOUTUBE, now=now, actor="test"
    )

    assert summary.refreshed == 1
    with session_scope(db) as session:
        stored = session.scalars(select(Account)).one()
        assert (stored.display_name, stored.public_handle) == ("Glow Lab Beauty", "glowlab")
    email = _first_email(db, settings, enrollment)
    assert email.text.startswith("Hi Glow Lab Beauty,")
    assert "your YouTube content as @glowlab and" in email.text
    assert "<strong>@glowlab</strong>" in email.html
    assert email.subject.endswith("x Glow Lab Beauty (Spring Glow 2027)"), email.subject
    assert channel.external_id not in email.text + email.html + email.subject


def test_discovery_keeps_the_channel_title_and_handle(
    world: World, db: Engine, make_settings: Callable[..., Settings], now: datetime
) -> None:
    world.add_account(
        "youtube", "skinbysam", name="Skin  by\nSam", followers=20_000, biography="skincare daily"
    )
    found = discover_creators(
        engine=db,
        settings=make_settings(),
        platform=Platform.YOUTUBE,
        query="skincare",
        max_results=5,
        now=now,
        actor="test",
    )
    assert found.added == ["skinbysam"]
    with session_scope(db) as session:
        stored = session.scalars(select(Account)).one()
        assert (stored.display_name, stored.public_handle) == ("Skin by Sam", "skinbysam")


def test_copy_values_prefer_the_creators_name_then_the_title_then_the_handle() -> None:
    from creatorflow.services.outreach.copy_context import creator_values

    channel = "UC1V7Pcy60Kv33-muYodk9J7"
    named = creator_values(
        name="Noah Khan", handle=channel, platform="youtube", display_name="Glow Lab"
    )
    assert (named["first_name"], named["name"]) == ("Noah", "Noah Khan")
    handle_only = creator_values(
        name=None, handle=channel, platform="youtube", public_handle="@glowlab"
    )
    assert handle_only["account"] == "@glowlab" and handle_only["name"] == "@glowlab"
    assert handle_only["public_handle"] == "glowlab" and handle_only["first_name"] == "there"
    titled = creator_values(
        name=None, handle="hugo.q", platform="instagram", display_name="Hugo\nQuinn"
    )
    assert (titled["first_name"], titled["account"]) == ("Hugo Quinn", "@hugo.q")
