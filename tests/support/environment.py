"""This test's settings as the environment of a command or a flow, which read ``get_settings()``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

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


def cli_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """``creatorflow *args`` through the real entry point in this process: (exit code, out,
    err). The environment is the test's (set it first, e.g. with ``app_env``)."""
    from creatorflow.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["creatorflow", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
