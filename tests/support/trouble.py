"""Platforms in trouble: revoked tokens, personal accounts, throttles, for the isolation and
deferral tests (issue 13).

``SandboxClients`` hands services real adapters against the sandbox whose HTTP layer records
its backoffs instead of sleeping; the other helpers set up the world and the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PlatformClient
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account, PlatformAccess
from tests.support.builders import add_unverified


class SandboxClients:
    """A client per platform (also a ``client_factory`` for refresh), sleeping into ``sleeps``
    (really sleeping without them); ``overrides`` change the sandbox settings (e.g.
    ``tiktok_access_token``, ``http_max_retries``). Each client's settings are made at its first
    call: TikTok tokens of the accounts added so far. A context manager, or ``close()``."""

    def __init__(
        self,
        make_settings: Callable[..., Settings],
        sleeps: list[float] | None = None,
        **overrides: Any,
    ) -> None:
        self.make_settings = make_settings
        self.sleeps = sleeps
        self.overrides = overrides
        self.made: dict[Platform, PlatformClient] = {}

    def __call__(self, platform: Platform, settings: Settings | None = None) -> PlatformClient:
        if platform not in self.made:
            built = settings or self.make_settings(**self.overrides)
            sleep = None if self.sleeps is None else self.sleeps.append
            self.made[platform] = client_for(platform, built, sleep=sleep)
        return self.made[platform]

    def close(self) -> None:
        for client in self.made.values():
            close_client(client)
        self.made.clear()

    def __enter__(self) -> SandboxClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def db(settings: Settings) -> Engine:
    """The test database, which ``make_settings`` points at too."""
    return engine_for(settings.database_url)


@pytest.fixture
def clients(
    make_settings: Callable[..., Settings], sleeps: list[float]
) -> Iterator[SandboxClients]:
    with SandboxClients(make_settings, sleeps) as made:
        yield made


def creators_on(
    world: World,
    engine: Engine,
    platform: Platform | str,
    count: int,
    *,
    now: datetime,
    prefix: str = "creator",
    posts_each: int = 2,
    **account: Any,
) -> list[str]:
    """``count`` accounts in the sandbox (``account`` changes them) with posts, known to the
    database as an import leaves them; returns their handles."""
    made = world.populate(platform, count, posts_each=posts_each, prefix=prefix)
    for item in made:
        if account:
            world.update_account(platform, item.handle, **account)
    handles = [a.handle for a in made]
    add_unverified(engine, platform, handles, now)
    return handles


@pytest.fixture
def disconnected(
    sandbox: SandboxServers, make_settings: Callable[..., Settings], sleeps: list[float]
) -> Iterator[Callable[..., SandboxClients]]:
    """``disconnected("mia", ...)``: clients whose TikTok tokens of those creators are revoked
    (built when called, with the world's creators as they stand); closed at the end."""
    made: list[SandboxClients] = []

    def build(*handles: str, removed: Iterable[str] = ()) -> SandboxClients:
        tokens = tiktok_tokens(sandbox, revoked=handles, removed=removed)
        made.append(SandboxClients(make_settings, sleeps, tiktok_access_token=tokens))
        return made[-1]

    yield build
    for clients in made:
        clients.close()


def tiktok_tokens(
    sandbox: SandboxServers, *, revoked: Iterable[str] = (), removed: Iterable[str] = ()
) -> str:
    """The TikTok token setting of the world's connected creators, ``revoked`` ones' tokens
    replaced by tokens TikTok no longer accepts (the creator disconnected the app) and
    ``removed`` ones left out (the operator deleted the creator's token)."""
    gone, dropped = set(revoked), set(removed)
    pairs = []
    for pair in sandbox.tiktok_tokens().split(","):
        handle, _, token = pair.partition("=")
        if handle not in dropped:
            pairs.append(f"{handle}=act.revoked.{handle}" if handle in gone else pair)
    return ",".join(pairs)


def statuses(engine: Engine, platform: Platform | str) -> dict[str, tuple[str, str | None]]:
    """Every stored account of ``platform``: handle -> (status, status detail)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account.handle, Account.status, Account.status_detail).where(
                Account.platform == Platform(platform).value
            )
        ).all()
    return {handle: (status, detail) for handle, status, detail in rows}


def refreshed_at(engine: Engine, platform: Platform | str) -> dict[str, datetime | None]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account.handle, Account.refreshed_at).where(
                Account.platform == Platform(platform).value
            )
        ).all()
    return dict(rows)


def platform_access_row(engine: Engine, platform: Platform | str) -> dict[str, Any] | None:
    """The platform's recorded deferral as plain values (None when never deferred)."""
    with session_scope(engine) as session:
        row = session.get(PlatformAccess, Platform(platform).value)
        if row is None:
            return None
        return {
            "reason": row.reason,
            "returns_at": row.returns_at,
            "blocked_until": row.blocked_until,
            "refresh_pending_since": row.refresh_pending_since,
        }


def run_creatorflow(env: dict[str, str], *args: str) -> tuple[int, str]:
    """``creatorflow *args`` in this process with ``env`` set (fast), as (exit code, output)."""
    from typer.testing import CliRunner

    from creatorflow.cli import app
    from creatorflow.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def sandbox_env(sandbox: SandboxServers, settings: Settings, **overrides: str) -> dict[str, str]:
    """The sandbox and this test's database as a command's environment (backoff 1 ms)."""
    env = {**sandbox.env(), "CREATORFLOW_DATABASE_URL": settings.database_url}
    env["CREATORFLOW_HTTP_BACKOFF_BASE"] = "0.001"
    env.update({f"CREATORFLOW_{k.upper()}": v for k, v in overrides.items()})
    return env
