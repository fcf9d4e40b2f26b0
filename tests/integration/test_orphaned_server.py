"""``kill -9`` of a command leaves no Prefect server (or other child) running behind it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.migrate import upgrade

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="the guard reads /proc")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and _alive(int(entry.name)):
            found.append((int(entry.name), command))
    return found


def _wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_killed_command_takes_its_children_with_it(tmp_path: Path) -> None:
    """The guard alone, no Prefect: a child started after ``start_guard`` carries the token."""
    script = (
        "import subprocess, sys, time\n"
        "from creatorflow.cli.server_guard import start_guard\n"
        "start_guard()\n"
        "child = subprocess.Popen(['sleep', '600'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    command = subprocess.Popen(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    assert command.stdout is not None
    child = int(command.stdout.readline())
    assert _alive(child)
    command.send_signal(signal.SIGKILL)
    command.wait(timeout=10)
    command.stdout.close()
    assert _wait_for(lambda: not _alive(child), timeout=10), f"child {child} outlived kill -9"


def test_kill_9_of_a_launch_stops_the_temporary_prefect_server(tmp_path: Path) -> None:
    """The real command: `campaign launch --dry-run` without PREFECT_API_URL, killed while its
    temporary Prefect server is starting or serving."""
    database = tmp_path / "cf.db"
    upgrade(f"sqlite:///{database}")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")} | {
        "CREATORFLOW_DATABASE_URL": f"sqlite:///{database}",
        "CREATORFLOW_PREVIEW_DIR": str(tmp_path / "preview"),
        "CREATORFLOW_SENDER": "Glow Team <team@brand.example>",
        "CREATORFLOW_POSTAL_ADDRESS": "1 Market St, San Francisco",
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("CREATORFLOW_SERVER_GUARD", None)
    example = PROJECT_ROOT / "config" / "campaigns" / "spring-glow.yaml"
    command = subprocess.Popen(
        [sys.executable, "-m", "creatorflow.cli", "campaign", "launch", str(example), "--dry-run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        servers: list[int] = []

        def server_started() -> bool:
            servers[:] = [
                pid
                for pid, line in _children(command.pid)
                if "prefect.server.api.server:create_app" in line
            ]
            return bool(servers)

        assert _wait_for(server_started, timeout=90), "the launch started no Prefect server"
        time.sleep(1.0)  # let it get going: migrations, uvicorn
        command.send_signal(signal.SIGKILL)
        command.wait(timeout=10)
        assert _wait_for(lambda: not any(map(_alive, servers)), timeout=15), (
            f"Prefect server {servers} outlived kill -9 of its command"
        )
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
