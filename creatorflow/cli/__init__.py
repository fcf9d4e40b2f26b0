"""The `creatorflow` command (typer). Each command group lives in its own module."""

from __future__ import annotations

import sys

# Importing the modules registers their commands on the shared apps.
from creatorflow.cli import creators as _creators  # noqa: E402,F401
from creatorflow.cli import db as _db  # noqa: E402,F401
from creatorflow.cli import ops as _ops  # noqa: E402,F401
from creatorflow.cli import outreach as _outreach  # noqa: E402,F401
from creatorflow.cli import platforms as _platforms  # noqa: E402,F401
from creatorflow.cli import reporting as _reporting  # noqa: E402,F401
from creatorflow.cli import responses as _responses  # noqa: E402,F401
from creatorflow.cli import tracking as _tracking  # noqa: E402,F401
from creatorflow.cli.app import app
from creatorflow.errors import CreatorflowError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: operator errors become one line on stderr and exit code 1."""
    try:
        code = app(standalone_mode=False)
    except CreatorflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors (missing argument, bad choice) come from the click that typer bundles:
        # they know how to show themselves and which exit code to use.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        if type(exc).__name__ == "Abort":
            print("aborted", file=sys.stderr)
            sys.exit(1)
        raise
    if isinstance(code, int) and code != 0:  # `typer.Exit(code)` comes back as a return value
        sys.exit(code)
