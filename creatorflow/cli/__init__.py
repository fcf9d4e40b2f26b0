"""The `creatorflow` command (typer). Each command group lives in its own module."""

from __future__ import annotations

import sys
from typing import NoReturn

import sqlalchemy.exc

# Importing the modules registers their commands on the shared apps.
from creatorflow.cli import compliance as _compliance  # noqa: E402,F401
from creatorflow.cli import creators as _creators  # noqa: E402,F401
from creatorflow.cli import db as _db  # noqa: E402,F401
from creatorflow.cli import ops as _ops  # noqa: E402,F401
from creatorflow.cli import outreach as _outreach  # noqa: E402,F401
from creatorflow.cli import platforms as _platforms  # noqa: E402,F401
from creatorflow.cli import portal as _portal  # noqa: E402,F401
from creatorflow.cli import quiet
from creatorflow.cli import replies as _replies  # noqa: E402,F401
from creatorflow.cli import reporting as _reporting  # noqa: E402,F401
from creatorflow.cli import stories as _stories  # noqa: E402,F401
from creatorflow.cli import tracking as _tracking  # noqa: E402,F401
from creatorflow.cli.app import app, error_line
from creatorflow.errors import CreatorflowError

__all__ = ["app", "main"]


def verbose_first(args: list[str]) -> list[str]:
    """``--verbose`` anywhere before a ``--`` moved to the front, where the app's option is:
    ``creatorflow campaign track SLUG --verbose`` works as well as ``creatorflow --verbose ...``."""
    end = args.index("--") if "--" in args else len(args)
    if "--verbose" not in args[1:end]:
        return args
    return ["--verbose", *(a for i, a in enumerate(args) if a != "--verbose" or i >= end)]


def unexpected(exc: BaseException) -> str:
    """An error creatorflow did not foresee, as its type and first line (a flow that crashed,
    Prefect's server not starting...)."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def file_problem(exc: OSError) -> str | None:
    """``PATH: reason`` for a file or folder that cannot be read or written (None otherwise)."""
    if exc.filename is None or not exc.strerror:
        return None
    return f"{exc.filename}: {exc.strerror}"


def prefect_unreachable(exc: Exception) -> str | None:
    """The Prefect API that did not answer, with the next step (None for other errors)."""
    if isinstance(exc, RuntimeError) and "ephemeral Prefect API server" in str(exc):
        return (
            "the temporary Prefect server did not start in time (a busy machine?): run again, "
            "raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or run `prefect server "
            "start` and set PREFECT_API_URL"
        )
    httpx = sys.modules.get("httpx")
    if httpx is None or not isinstance(exc, httpx.TransportError):
        return None
    from prefect.settings import PREFECT_API_URL

    where = PREFECT_API_URL.value() or "the temporary Prefect server"
    return (
        f"cannot reach the Prefect API at {where}: {unexpected(exc)} (is `prefect server start` "
        "running there? Unset PREFECT_API_URL to use a temporary server)"
    )


def database_problem(exc: sqlalchemy.exc.DBAPIError) -> str:
    """One line naming the database (password hidden) and the driver's first line of reason;
    a missing table names the next step (``creatorflow db upgrade``)."""
    from sqlalchemy.engine import make_url

    from creatorflow.settings import get_settings

    try:
        where = make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:  # a URL that does not even parse: say so without echoing it
        where = "CREATORFLOW_DATABASE_URL"
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    behind = "no such table" in reason or "no such column" in reason  # SQLite; PostgreSQL:
    behind |= "does not exist" in reason and ("relation" in reason or "column" in reason)
    if behind:  # a database older than the code
        reason += " (run `creatorflow db upgrade` first)"
    return f"cannot use the database at {where}: {reason}"


def main() -> None:
    """Entry point: operator errors become one line on stderr (``error_line``) and exit 1;
    usage mistakes one line too, with click's exit code 2. Anything unexpected is one line as
    well (with ``--verbose``: its traceback), so a command never ends in a page of Python."""
    quiet.reset()
    try:
        code = app(args=verbose_first(sys.argv[1:]), standalone_mode=False)
    except CreatorflowError as exc:
        _fail(exc, 1)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError) as exc:
        # the database is down, unreachable, refuses us or was never migrated: say where,
        # never with the password
        _fail(database_problem(exc), 1)
    except sqlalchemy.exc.ArgumentError:  # CREATORFLOW_DATABASE_URL is not a database URL
        _fail("CREATORFLOW_DATABASE_URL: not a database URL (e.g. sqlite:///creatorflow.db)", 1)
    except OSError as exc:  # a path the command was given or needs: name it and the reason
        if quiet.is_verbose():
            raise
        _fail(file_problem(exc) or f"{unexpected(exc)} (run again with --verbose for details)", 1)
    except Exception as exc:
        # Usage errors (missing argument, bad choice) come from the click that typer bundles:
        # they carry their exit code and a message; the usage text stays behind `--help`.
        exit_code = getattr(exc, "exit_code", None)
        if callable(getattr(exc, "format_message", None)) and isinstance(exit_code, int):
            command = getattr(getattr(exc, "ctx", None), "command_path", "creatorflow")
            _fail(f"{exc.format_message()} (see {command} --help)", exit_code)  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            _fail("aborted", 1)
        if quiet.is_verbose():
            raise
        hint = "(run again with --verbose for the traceback)"
        _fail(prefect_unreachable(exc) or f"{unexpected(exc)} {hint}", 1)
    if isinstance(code, int) and code != 0:  # `typer.Exit(code)` comes back as a return value
        sys.exit(code)


def _fail(message: object, code: int) -> NoReturn:
    print(error_line(message), file=sys.stderr)
    sys.exit(code)
