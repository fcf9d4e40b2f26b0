"""The typer apps that command modules attach to."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from creatorflow.errors import InputError

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
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of: {value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InputError(f"--as-of: {value!r} is out of range") from None
