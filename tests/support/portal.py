"""The creator portal in tests: a gifting campaign with creators who replied, and an app.

``portal_campaign`` stores a launched campaign that sends product and wants drafts approved,
with creators in the stage ``replied`` (their answer still open) on YouTube accounts of the
sandbox world, so a live post submitted through the portal is checked against the sandbox API.
``portal_app`` is the portal router with the test's clock, clients and review starter, and
``serve`` in tests/support/servers.py runs it with uvicorn on a loopback port.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine, update

from creatorflow.sandbox import World
from creatorflow.services.portal.links import IssuedLink, issue_link, portal_key
from creatorflow.services.tracking.deliverables import ClientFactory
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account
from creatorflow.web.portal.links import RateLimiter
from creatorflow.web.portal.routes import portal_router
from tests.support.builders import Contacted, contact
from tests.support.campaigns import add_campaign

PORTAL_SLUG = "spring-glow"


def portal_campaign(
    engine: Engine, world: World, now: datetime, *handles: str, names: dict[str, str] | None = None
) -> list[Contacted]:
    """spring-glow (gift, draft review) with one replied YouTube creator per handle."""
    add_campaign(
        engine,
        now=now,
        offer={"micro": "400", "gift": True},
        deliverables={"count": 1, "days_after_acceptance": 14, "draft_review": True},
    )
    campaign = get_campaign(engine, PORTAL_SLUG)
    made = []
    for handle in handles:
        account = world.add_account("youtube", handle, followers=25_000)
        row = contact(engine, campaign, handle=handle, platform="youtube", stage="replied", now=now)
        with session_scope(engine) as session:
            session.execute(
                update(Account)
                .where(Account.platform == "youtube", Account.handle == handle)
                .values(external_id=account.external_id)
            )
            if names and handle in names:
                from creatorflow.storage.models import Creator

                session.execute(
                    update(Creator).where(Creator.id == row.creator_id).values(name=names[handle])
                )
        made.append(row)
    return made


def link_of(engine: Engine, settings: Settings, handle: str, now: datetime) -> IssuedLink:
    return issue_link(
        engine=engine,
        settings=settings,
        campaign_slug=PORTAL_SLUG,
        creator=f"youtube:{handle}",
        now=now,
        actor="test",
    )


@dataclass
class Clock:
    """The portal's clock, moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Reviews:
    """The review starter: remembers each draft id, and calls ``then`` when given."""

    started: list[int] = field(default_factory=list)
    then: Callable[[int], None] | None = None

    def __call__(self, draft_id: int) -> None:
        self.started.append(draft_id)
        if self.then is not None:
            self.then(draft_id)


def portal_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock,
    reviews: Reviews,
    clients: ClientFactory | None = None,
    page_limiter: RateLimiter | None = None,
) -> FastAPI:
    app = FastAPI()
    app.include_router(
        portal_router(
            settings=settings,
            engine=engine,
            key=portal_key(settings),
            start_review=reviews,
            clients=clients,
            clock=clock,
            page_limiter=page_limiter,
        )
    )
    return app


def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as CREATORFLOW_* variables, for code that reads ``get_settings()``."""
    values: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None and not isinstance(value, dict | list):
            values[f"CREATORFLOW_{name.upper()}"] = str(value)
    return values
