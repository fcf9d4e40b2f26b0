"""Where the demo runs: a fresh directory holding everything, and the environment pointing there.

Everything the demo writes (SQLite database, Prefect's home with its run history, outbox and inbox
Maildirs, the report) lives in one directory, so a second run starts clean and nothing touches the
operator's own ``creatorflow.db`` or ``~/.prefect``. A directory is only replaced when a marker
file says an earlier demo made it.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from creatorflow.errors import InputError

MARKER = ".creatorflow-demo"
UNSUBSCRIBE_BASE_URL = "https://unsubscribe.example.test"


def prepare_directory(directory: Path) -> Path:
    """``directory`` emptied (when an earlier demo made it) or created; its absolute path."""
    target = directory.expanduser().resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--dir {directory}: exists and is not a directory")
        if (target / MARKER).exists():
            shutil.rmtree(target)
        elif any(target.iterdir()):
            raise InputError(
                f"--dir {directory}: not empty and not made by an earlier demo; "
                "pick another directory"
            )
    target.mkdir(parents=True, exist_ok=True)
    (target / MARKER).write_text("made by `creatorflow demo`; replaced by the next demo run\n")
    return target


def demo_environment(target: Path, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without the operator's creatorflow/Prefect settings, plus the demo's own.

    Prefect runs in ephemeral mode (no ``PREFECT_API_URL``): it starts its own server on a SQLite
    database under ``target/prefect`` and keeps the run history there.
    """
    env = {k: v for k, v in base.items() if not k.startswith(("CREATORFLOW_", "PREFECT_"))}
    env.update(
        {
            "CREATORFLOW_DATABASE_URL": f"sqlite:///{target / 'creatorflow.db'}",
            "CREATORFLOW_MAIL_URL": f"maildir://{target / 'outbox'}",
            "CREATORFLOW_INBOX_URL": f"maildir://{target / 'inbox'}",
            "CREATORFLOW_SENDER": "Glow Team <team@glow-brand.example>",
            "CREATORFLOW_POSTAL_ADDRESS": "Glow Cosmetics, 1 Market St, San Francisco, CA 94105",
            # the production shape: an HTTPS one-click link (RFC 8058) with List-Unsubscribe-Post;
            # ``.test`` is reserved, so the link leads nowhere outside the demo
            "CREATORFLOW_UNSUBSCRIBE_BASE_URL": UNSUBSCRIBE_BASE_URL,
            "CREATORFLOW_SECRET_KEY": secrets.token_urlsafe(32),
            "CREATORFLOW_REPORTS_DIR": str(target / "reports"),
            "CREATORFLOW_PREVIEW_DIR": str(target / "preview"),
            "PREFECT_HOME": str(target / "prefect"),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(target / "prefect" / "storage"),
            "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
            # a busy machine (a test suite beside it) can take longer than the default 20 s
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
        }
    )
    return env
