"""The typer apps that command modules attach to."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import typer

from creatorflow.cli.help import LifecycleGroup
from creatorflow.cli.tables import print_table as print_table  # re-exported for the commands
from creatorflow.domain.as_of import AsOfRangeError
from creatorflow.errors import InputError, shown
from creatorflow.wiring import Wiring, run_as_of, wire


class _Choice(Protocol):
    """A string enum member, or a ``Platform``: something with a ``value``."""

    @property
    def value(self) -> str: ...


E = TypeVar("E", bound=_Choice)
T = TypeVar("T")

app = typer.Typer(
    name="creatorflow",
    help="Influencer-marketing campaigns end to end on Prefect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LifecycleGroup,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True, cls=LifecycleGroup)
creators_app = typer.Typer(
    help="Import, discover, refresh and list creators.", no_args_is_help=True, cls=LifecycleGroup
)
campaign_app = typer.Typer(
    help="Launch, track, report on campaigns.", no_args_is_help=True, cls=LifecycleGroup
)
app.add_typer(db_app, name="db")
app.add_typer(creators_app, name="creators")
app.add_typer(campaign_app, name="campaign")


@app.callback()
def _every_command(
    ctx: typer.Context,
    verbose: bool = typer.Option(
        False,
        "--verbose",
        help="Show Prefect's own log lines and the traceback of an error on the terminal.",
    ),
) -> None:
    """Influencer-marketing campaigns end to end on Prefect."""
    from creatorflow.cli import quiet

    quiet.configure(verbose=verbose)
    ctx.call_on_close(quiet.restore)


def parse_as_of(value: str | None) -> datetime:
    """``--as-of`` as an aware UTC datetime (naive input is taken as UTC); now when absent."""
    if value is None:
        return run_as_of(None)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--as-of: {shown(value)} is not an ISO-8601 date-time") from None
    try:
        return run_as_of(parsed)
    except AsOfRangeError as exc:
        raise InputError(f"--as-of: {exc}") from None
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InputError(f"--as-of: {shown(value)} is out of range") from None


#: Longest error line the command prints: echoed input (a 100 kB URL, a pasted file) is cut.
ERROR_LINE_MAX = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _controls_escaped(text: str) -> str:
    """Control characters (ANSI escapes, NUL, ...) as visible ``\\xNN``; tab and newline kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def message_line(message: object) -> str:
    """``message`` as one printable line: line breaks folded, control characters escaped, and
    cut in the middle when long (the place comes first and the reason last: both stay)."""
    text = " | ".join(part.strip() for part in str(message).splitlines() if part.strip())
    text = _controls_escaped(text.replace("\t", " "))
    if len(text) > ERROR_LINE_MAX:
        head, tail = ERROR_LINE_MAX * 2 // 3, ERROR_LINE_MAX // 3 - 5
        text = f"{text[:head]} ... {text[-tail:]}"
    return text


def error_line(message: object) -> str:
    """The one line an operator error prints on stderr."""
    return f"error: {message_line(message)}"


def terminal_text(value: object) -> str:
    """Stored text (names, handles, titles) safe to print in a Rich table: markup such as
    ``[link=...]`` shown literally, control characters (ANSI escapes) shown as ``\\xNN``."""
    from rich.markup import escape

    text = "" if value is None else str(value)
    return escape(_controls_escaped(text))


def guard_prefect_server() -> None:
    """Before a command's first flow: the checks that need no flow (``preflight``), then make
    sure no temporary Prefect server outlives the command.

    Without ``PREFECT_API_URL`` Prefect starts a temporary API server as a child process and
    stops it from an ``atexit`` hook, which ``kill -9`` skips; ``server_guard`` stops it then.
    """
    from creatorflow.cli.preflight import check_before_flow

    check_before_flow()
    from prefect.settings import PREFECT_API_URL

    from creatorflow.cli.server_guard import start_guard

    if not PREFECT_API_URL.value():
        start_guard()


@dataclass(frozen=True)
class Command:
    """What one command hands the services it calls: the wiring, its actor and its moment."""

    actor: str  # cli:<command>, recorded on every event the command causes
    now: datetime  # --as-of, or the moment the command started
    wiring: Wiring

    def __call__(self, service: Callable[..., T], /, **arguments: Any) -> T:
        """``service`` with ``arguments`` and what it requires of the wiring (``Wiring.call``)."""
        return self.wiring.call(service, actor=self.actor, now=self.now, **arguments)


def command(actor: str, as_of: str | None = None) -> Command:
    """The run of the command ``actor`` (``cli:campaign respond``) as of ``--as-of`` or now."""
    return Command(actor=actor, now=parse_as_of(as_of), wiring=wire())


def parse_choice(option: str, value: str | None, choices: Iterable[E]) -> E | None:
    """An option's value (any case, spaces trimmed) as one of ``choices``; absent stays None."""
    if value is None:
        return None
    allowed = tuple(choices)
    for choice in allowed:
        if choice.value == value.strip().lower():
            return choice
    names = ", ".join(choice.value for choice in allowed)
    raise InputError(f"{option}: {value!r} is not one of {names}")
