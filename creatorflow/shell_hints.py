"""Commands printed for the operator to paste: they must work in a fresh shell.

``make demo`` installs into ``.venv`` without activating it, so a hint saying ``prefect server
start`` answered "command not found"; and ``prefect server start --port 4300`` alone serves a UI
that still calls the API on port 4200. A hint therefore names the executable by its absolute
path next to the running Python (the project's ``.venv/bin``) and sets the port for the API and
the UI together.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

DEFAULT_UI_PORT = 4200


def venv_command(name: str) -> str:
    """``name`` (``prefect``, ``creatorflow``) as a path that works without an activated venv:
    the executable beside this Python when there is one, else the bare name."""
    path = Path(sys.executable).parent / name
    return shlex.quote(str(path)) if path.exists() else name


def prefect_ui_command(home: Path, port: int = DEFAULT_UI_PORT) -> str:
    """The shell line that opens the run history under ``home`` in the Prefect UI on ``port``.

    ``PREFECT_UI_API_URL`` is set too: without it the UI follows ``PREFECT_API_URL`` when the
    shell has one (another server) instead of the server this line starts.
    """
    return (
        f"PREFECT_HOME={shlex.quote(str(home.resolve()))} PREFECT_SERVER_API_PORT={port} "
        f"PREFECT_UI_API_URL=http://127.0.0.1:{port}/api {venv_command('prefect')} server start"
    )


def ui_address(port: int = DEFAULT_UI_PORT) -> str:
    return f"http://127.0.0.1:{port}"
