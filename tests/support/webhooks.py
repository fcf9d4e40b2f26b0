"""The Instagram webhook receiver on loopback for tests: ``creatorflow web`` under uvicorn in a
thread, with the Meta app's secret and verify token, and the sandbox's signed sender."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine

from creatorflow.sandbox import SANDBOX_BRAND_IG_USER_ID, SandboxServers, World
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from creatorflow.web.app import create_app
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign
from tests.support.servers import serve

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"


@pytest.fixture
def hooked(make_settings: Callable[..., Settings]) -> Settings:
    """The sandbox's settings with the Meta app's secret and verify token."""
    return make_settings(
        instagram_app_secret=APP_SECRET,
        instagram_verify_token=VERIFY_TOKEN,
        instagram_user_id=SANDBOX_BRAND_IG_USER_ID,
    )


@pytest.fixture
def receiver(hooked: Settings) -> Iterator[str]:
    """``creatorflow web`` on 127.0.0.1; yields the webhook URL."""
    with serve(create_app(hooked)) as base_url:
        yield f"{base_url}/webhooks/instagram"


@pytest.fixture
def sender(sandbox: SandboxServers, receiver: str) -> Iterator[WebhookSender]:
    webhooks = WebhookSender(
        sandbox.world, server=sandbox.instagram, url=receiver, app_secret=APP_SECRET
    )
    yield webhooks
    webhooks.close()


@pytest.fixture
def mia_enrolled(hooked: Settings, world: World, now: datetime) -> Engine:
    """spring-glow with the Instagram creator mia.glow enrolled; yields the test database."""
    engine = engine_for(hooked.database_url)
    mia = world.add_account("instagram", "mia.glow")
    enroll(engine, add_campaign(engine, now=now), mia, now=now)
    return engine
