"""The `creatorflow` command (typer). Each command group lives in its own module."""

from __future__ import annotations

import sys

import sqlalchemy.exc

# Importing the modules registers their commands on the shared apps.
from creatorflow.cli import creators as _creators  # noqa: E402,F401
from creatorflow.cli import db as _db  # noqa: E402,F401
from creatorflow.cli import ops as _ops  # noqa: E402,F401
from creatorflow.cli import outreach as _outreach  # noqa: E402,F401
from creatorflow.cli import platforms as _platforms  # noqa: E402,F401
from creatorflow.cli import replies as _replies  # noqa: E402,F401
from creatorflow.cli import reporting as _reporting  # noqa: E402,F401
from creatorflow.cli import tracking as _tracking  # noqa: E402,F401
from creatorflow.cli.app import app
from creatorflow.errors import CreatorflowError

__all__ = ["app", "main"]


def database_problem(exc: sqlalchemy.exc.OperationalError) -> str:
    """One line naming the database (password hidden) and the driver's first line of reason."""
    from sqlalchemy.engine import make_url

    from creatorflow.settings import get_settings

    try:
        where = make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:  # a URL that does not even parse: say so without echoing it
        where = "CREATORFLOW_DATABASE_URL"
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return f"cannot use the database at {where}: {reason}"


def main() -> None:
    """Entry point: operator errors become one line on stderr and exit code 1."""
    try:
        code = app(standalone_mode=False)
    except CreatorflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except SystemExit:
        raise
    except sqlalchemy.exc.OperationalError as exc:
        # the database is down, unreachable or refuses us: say where, never with the password
        print(f"error: {database_problem(exc)}", file=sys.stderr)
        sys.exit(1)
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
