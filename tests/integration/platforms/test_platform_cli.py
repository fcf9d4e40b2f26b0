"""`creatorflow creators refresh` / `discover` as the operator runs them (real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import select

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "creatorflow.cli", "creators", *args],
        env={**os.environ, "DO_NOT_TRACK": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_discover_then_refresh_print_summaries(
    world: World, sandbox: SandboxServers, settings: Settings, now: datetime
) -> None:
    world.add_account("youtube", "skinbysam", followers=20_000, biography="skincare daily")
    world.add_post("youtube", "skinbysam", views=1000, likes=200, comments=0)
    env = {**sandbox.env(), "CREATORFLOW_DATABASE_URL": settings.database_url}

    found = _run(env, "discover", "--platform", "youtube", "--query", "skincare", "--max", "5")
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "youtube: found 1, added 1 (skinbysam), 0 already known"

    world.update_account("youtube", "skinbysam", followers=120_000)
    refreshed = _run(env, "refresh", "--platform", "youtube", "--as-of", now.isoformat())
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.startswith(
        "refreshed 1 account(s), 0 not found, 0 unreadable, 1 tier change(s)"
    )
    with session_scope(engine_for(settings.database_url)) as session:
        account = session.scalars(select(Account)).one()
    assert (account.followers, account.tier, account.refreshed_at) == (120_000, "mid", now)


def _main(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> int:
    """The CLI entry point in-process (fast), with the environment the operator would set."""
    from creatorflow.cli import main
    from creatorflow.settings import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["creatorflow", "creators", *args])
    get_settings.cache_clear()
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        get_settings.cache_clear()
    return 0


@pytest.mark.parametrize(
    ("overrides", "args", "expected"),
    [
        (
            {"CREATORFLOW_YOUTUBE_API_KEY": "AIzaSecretKeyThatIsWrong"},
            ("discover", "--platform", "youtube", "--query", "x"),
            "error: youtube: the API key was rejected",
        ),
        (
            {"CREATORFLOW_YOUTUBE_API_KEY": ""},
            ("discover", "--platform", "youtube", "--query", "x"),
            "error: missing required setting(s): CREATORFLOW_YOUTUBE_API_KEY",
        ),
        ({}, ("refresh", "--platform", "myspace"), "error: --platform: 'myspace' is not one of"),
        (
            {"CREATORFLOW_INSTAGRAM_ACCESS_TOKEN": "EAAGsecretTokenValue"},
            ("discover", "--platform", "instagram", "--query", "@someone"),
            "error: instagram: the access token was rejected",
        ),
    ],
)
def test_errors_are_one_line_without_secrets(
    overrides: dict[str, str],
    args: tuple[str, ...],
    expected: str,
    sandbox: SandboxServers,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**sandbox.env(), "CREATORFLOW_DATABASE_URL": settings.database_url, **overrides}
    assert _main(monkeypatch, env, *args) == 1
    out, err = capsys.readouterr()
    assert err.startswith(expected) and err.count("\n") == 1
    assert "SecretKey" not in out + err and "secretToken" not in out + err
