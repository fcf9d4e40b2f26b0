"""The `creatorflow` command (typer). Each command group lives in its own module."""

from __future__ import annotations

import sys
from typing import NoReturn

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
from creatorflow.cli.app import app, error_line
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
    """Entry point: operator errors become one line on stderr (``error_line``) and exit 1;
    usage mistakes one line too, with click's exit code 2."""
    try:
        code = app(standalone_mode=False)
    except CreatorflowError as exc:
        _fail(exc, 1)
    except SystemExit:
        raise
    except sqlalchemy.exc.OperationalError as exc:
        # the database is down, unreachable or refuses us: say where, never with the password
        _fail(database_problem(exc), 1)
    except sqlalchemy.exc.ArgumentError:  # CREATORFLOW_DATABASE_URL is not a database URL
        _fail("CREATORFLOW_DATABASE_URL: not a database URL (e.g. sqlite:///creatorflow.db)", 1)
    except Exception as exc:
        # Usage errors (missing argument, bad choice) come from the click that typer bundles:
        # they carry their exit code and a message; the usage text stays behind `--help`.
        exit_code = getattr(exc, "exit_code", None)
        if callable(getattr(exc, "format_message", None)) and isinstance(exit_code, int):
            command = getattr(getattr(exc, "ctx", None), "command_path", "creatorflow")
            _fail(f"{exc.format_message()} (see {command} --help)", exit_code)  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            _fail("aborted", 1)
        raise
    if isinstance(code, int) and code != 0:  # `typer.Exit(code)` comes back as a return value
        sys.exit(code)


def _fail(message: object, code: int) -> NoReturn:
    print(error_line(message), file=sys.stderr)
    sys.exit(code)
