"""The Instagram webhook receiver on loopback for tests: ``creatorflow web`` under uvicorn in a
thread, with the Meta app's secret and verify token, and the sandbox's signed sender."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn

from creatorflow.sandbox import SANDBOX_BRAND_IG_USER_ID, SandboxServers
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.settings import Settings
from creatorflow.web.app import create_app
from tests.support.servers import free_port

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
    port = free_port()
    config = uvicorn.Config(
        create_app(hooked), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}/webhooks/instagram"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def sender(sandbox: SandboxServers, receiver: str) -> Iterator[WebhookSender]:
    webhooks = WebhookSender(
        sandbox.world, server=sandbox.instagram, url=receiver, app_secret=APP_SECRET
    )
    yield webhooks
    webhooks.close()
