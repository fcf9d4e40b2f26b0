"""A tracking campaign that a flow run in this process tracks on the sandbox platforms.

The flows read ``get_settings()``, so the sandbox's URLs and tokens, this test's settings and one
HTTP retry (a broken call fails the run at once) go into the environment. The sandbox's TikTok
tokens are those of the world's accounts when it is called: add TikTok accounts first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from creatorflow.sandbox import SandboxServers
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from tests.support.campaigns import add_campaign
from tests.support.environment import settings_env


@dataclass(frozen=True)
class TrackedCampaign:
    engine: Engine
    id: int
    slug: str = "spring-glow"


def tracked_campaign(
    settings: Settings,
    sandbox: SandboxServers,
    app_env: Callable[[Mapping[str, str]], None],
    now: datetime,
) -> TrackedCampaign:
    """spring-glow stored (``add_campaign``) and the flows' environment set."""
    app_env({**sandbox.env(), **settings_env(settings), "CREATORFLOW_HTTP_MAX_RETRIES": "1"})
    engine = engine_for(settings.database_url)
    return TrackedCampaign(engine=engine, id=add_campaign(engine, now=now))
