"""An unreachable database is one line naming it, never a traceback or its password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    url = f"postgresql+psycopg://cf:s3cret-pass@127.0.0.1:{_closed_port()}/cf"
    env = {**os.environ, "CREATORFLOW_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "creatorflow.cli", "creators", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: cannot use the database at postgresql+psycopg://cf:***@"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cret-pass" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
