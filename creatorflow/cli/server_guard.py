"""Stops the Prefect server a command started when the command dies, even by ``kill -9``.

A command that runs a flow without ``PREFECT_API_URL`` makes Prefect start a temporary API server
as a child process, stopped by an ``atexit`` hook. ``kill -9`` skips that hook, and the server
lives on (a port, a few hundred MB, the Prefect database held open). So before such a command
runs its first flow, ``start_guard`` marks the command's environment with a token that the server
inherits, and starts this file as a separate, stdlib-only process in its own session: it waits
for the command's end of a pipe to close (the kernel closes it however the command ends), then
stops every process still carrying the token, SIGTERM first and SIGKILL after a grace period.

On a normal exit Prefect has already stopped its server and the guard finds nothing to do. It
needs ``/proc`` (Linux) to find the processes; elsewhere only Prefect's own hook remains.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TOKEN_VARIABLE = "CREATORFLOW_SERVER_GUARD"
GRACE_SECONDS = 5.0
PROC = Path("/proc")


def _carriers(token: str) -> list[int]:
    """Live processes (not zombies, not this one) whose environment holds ``token``."""
    wanted = f"{TOKEN_VARIABLE}={token}".encode()
    found = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if wanted in environment and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def stop_carriers(token: str, *, grace: float = GRACE_SECONDS) -> list[int]:
    """Stop every process carrying ``token``; the pids that were signalled."""
    pids = _carriers(token)
    for pid in pids:
        with contextlib.suppress(OSError):  # gone meanwhile
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = [pid for pid in pids if pid in _carriers(token)]
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return pids


_guards: list[subprocess.Popen[bytes]] = []  # kept: the pipe must stay open until we exit


def start_guard() -> str:
    """Mark this process's environment and start its guard (once); the token.

    The guard holds the other end of a pipe this process never closes, so it learns of this
    process's end whatever the cause.
    """
    token = os.environ.get(TOKEN_VARIABLE)
    if token and _guards:
        return token
    token = f"{os.getpid()}-{os.urandom(8).hex()}"
    os.environ[TOKEN_VARIABLE] = token
    child_env = {k: v for k, v in os.environ.items() if k != TOKEN_VARIABLE}
    guard = subprocess.Popen(
        [sys.executable, "-I", str(Path(__file__).resolve()), token],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=child_env,
        start_new_session=True,  # a Ctrl-C or a kill of the command's group does not reach it
    )
    _guards.append(guard)
    return token


class _Terminated(Exception):
    """SIGTERM reached the guard: clean up now instead of waiting for the command."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def _main(token: str) -> None:
    for name in ("SIGINT", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    with contextlib.suppress(OSError, _Terminated):
        sys.stdin.buffer.read()  # returns when the command's end of the pipe closes
    stop_carriers(token)


if __name__ == "__main__":
    _main(sys.argv[1])
