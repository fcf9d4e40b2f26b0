"""This test's settings as the environment of a command or a flow, which read ``get_settings()``."""

from __future__ import annotations

import os
import subprocess
import sys

from creatorflow.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The database, outbox, inbox, sender and postal address of ``settings`` as variables."""
    return {
        "CREATORFLOW_DATABASE_URL": settings.database_url,
        "CREATORFLOW_MAIL_URL": settings.mail_url.get_secret_value(),
        "CREATORFLOW_INBOX_URL": settings.inbox_url.get_secret_value(),
        "CREATORFLOW_SENDER": settings.sender or "",
        "CREATORFLOW_POSTAL_ADDRESS": settings.postal_address or "",
    }


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``creatorflow *args`` in a real subprocess, as the operator runs it."""
    env = {**os.environ, **settings_env(settings), "DO_NOT_TRACK": "1"}
    command = [sys.executable, "-m", "creatorflow.cli", *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
