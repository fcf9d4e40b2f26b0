"""The typer apps that command modules attach to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import typer

from creatorflow.errors import InputError
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
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
creators_app = typer.Typer(
    help="Import, refresh, discover and list creators.", no_args_is_help=True
)
campaign_app = typer.Typer(help="Launch, track, report on campaigns.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(creators_app, name="creators")
app.add_typer(campaign_app, name="campaign")


def parse_as_of(value: str | None) -> datetime:
    """``--as-of`` as an aware UTC datetime (naive input is taken as UTC); now when absent."""
    if value is None:
        return run_as_of(None)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of: {value!r} is not an ISO-8601 date-time") from None
    try:
        return run_as_of(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InputError(f"--as-of: {value!r} is out of range") from None


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
