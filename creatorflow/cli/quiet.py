"""What a command shows on the terminal: its own lines, and Prefect's only with ``--verbose``.

A command that runs a flow used to print Prefect's INFO lines (a temporary server starting,
every flow and task run beginning and finishing) and, on an operator's mistake, each failed
task's traceback before the one ``error: ...`` line that matters. Those lines belong in the run
history, where they stay: Prefect sends them to its API through a separate handler, which this
module leaves alone. Only Prefect's *console* handler is raised to CRITICAL, unless the operator
asked for ``--verbose`` or set ``PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL`` themselves.

Prefect reads its logging settings once, when it is first imported; the command modules import
it lazily, so setting the environment in the app's callback is early enough, and the temporary
server Prefect starts as a child process inherits it too. When Prefect is already set up in this
process (tests calling commands in-process), its console handlers are raised directly and put
back when the command ends.

Prefect's usage telemetry is off for creatorflow's commands unless the operator turns it on
(``DO_NOT_TRACK=0``, ``PREFECT_SERVER_ANALYTICS_ENABLED=true``): on a machine without internet
access it printed "Failed to send telemetry" errors. And the temporary server gets 90 s to
start instead of 20 (``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import sys

#: The console handler's level from Prefect's logging.yml, overridable by environment.
CONSOLE_LEVEL_VARIABLE = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"
QUIET_CONSOLE_LEVEL = "CRITICAL"
STARTUP_TIMEOUT_VARIABLE = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
#: Defaults for every command, verbose or not; the operator's own values win. Prefect's 20 s
#: for its temporary server to start is often too short on a busy two-core machine.
DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    STARTUP_TIMEOUT_VARIABLE: "90",
}

_state: dict[str, bool] = {"verbose": False}
_saved_environment: dict[str, str | None] = {}
_saved_levels: list[tuple[logging.Handler, int]] = []


def is_verbose() -> bool:
    """Whether this command was run with ``--verbose`` (tracebacks and Prefect's lines shown)."""
    return _state["verbose"]


def configure(*, verbose: bool) -> None:
    """Set up the terminal for one command: quiet (the default) or ``verbose``."""
    restore()
    _state["verbose"] = verbose
    for name, value in DEFAULTS.items():
        _set_default(name, value)
    if verbose:
        return
    _set_default(CONSOLE_LEVEL_VARIABLE, QUIET_CONSOLE_LEVEL)
    if os.environ.get(CONSOLE_LEVEL_VARIABLE) == QUIET_CONSOLE_LEVEL:
        _quiet_configured_handlers()


def restore() -> None:
    """Undo ``configure`` in this process (the environment and any handler it raised)."""
    for name, value in _saved_environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_environment.clear()
    for handler, level in _saved_levels:
        handler.setLevel(level)
    _saved_levels.clear()


def reset() -> None:
    """Forget an earlier command's ``--verbose`` (a new command starts quiet)."""
    restore()
    _state["verbose"] = False


def _set_default(name: str, value: str) -> None:
    if name not in os.environ:
        _saved_environment[name] = None
        os.environ[name] = value


def _quiet_configured_handlers() -> None:
    """Prefect's console handlers raised to CRITICAL, when Prefect has set up logging already."""
    if "prefect.logging.handlers" not in sys.modules:
        return  # not imported yet: it will read the environment when it is
    from prefect.logging.handlers import PrefectConsoleHandler

    known = logging.root.manager.loggerDict.values()
    loggers = [logging.root, *(item for item in known if isinstance(item, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler) and handler.level < logging.CRITICAL:
                _saved_levels.append((handler, handler.level))
                handler.setLevel(logging.CRITICAL)
