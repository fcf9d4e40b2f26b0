"""`creatorflow creators import` and `creatorflow creators list`.

Exit codes of `import`: 0 every row imported, 1 nothing written (unreadable file, wrong encoding,
missing column, bad settings), 2 the good rows were imported and some rows were rejected.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

import typer
from sqlalchemy import Engine, inspect

from creatorflow.cli.app import (
    creators_app,
    message_line,
    parse_choice,
    print_table,
    terminal_text,
)
from creatorflow.csv_output import csv_writer
from creatorflow.domain.creator_rows import UnknownColumn
from creatorflow.domain.model import TIER_ORDER
from creatorflow.errors import ConfigError
from creatorflow.services.creators.csv_file import check_rejects_path, write_rejects
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.creators.listing import LISTING_FIELDS, CreatorListing, list_creators
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import get_settings
from creatorflow.wiring import wire

EXIT_REJECTED = 2


class ListFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def _engine() -> Engine:
    """The configured database, which must have been migrated (`creatorflow db upgrade`)."""
    engine = wire().engine
    if not inspect(engine).has_table("accounts"):
        raise ConfigError(
            "the database has no creatorflow tables yet: run `creatorflow db upgrade` first"
        )
    return engine


@creators_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="Creators CSV (UTF-8; columns: platform, handle, ...)."),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Write the rejected rows here as CSV (with line and reason)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse a file with an unknown (e.g. misspelt) column."
    ),
) -> None:
    """Import creators from a CSV export; re-importing the same file changes nothing."""
    settings = get_settings()
    if rejects is not None:  # before importing: a path that cannot be written stops everything
        check_rejects_path(rejects)
    result = import_creators(
        engine=_engine(),
        path=file,
        lawful_basis=settings.lawful_basis,
        tier_rules=load_default_tier_rules(settings.config_dir),
        now=datetime.now(UTC),
        actor="cli:creators import",
        secret_key=settings.secret_key,
        strict=strict,
    )
    _warn_unknown_columns(file, result.unknown_columns)
    for row in result.rejected:
        print(message_line(row.describe()), file=sys.stderr)
    if rejects is not None:
        write_rejects(rejects, result.header, result.rejected)
    typer.echo(
        f"{file}: created {result.created}, updated {result.updated}, "
        f"unchanged {result.unchanged}, rejected {len(result.rejected)}"
    )
    if result.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _warn_unknown_columns(file: Path, columns: Sequence[UnknownColumn]) -> None:
    """Columns whose cells were not read: a likely misspelling on a line of its own, with the
    guess; the rest (a discovery tool's extra columns) together on one line."""
    for column in columns:
        if column.closest:
            print(message_line(f"{file}: ignoring {column.describe()}"), file=sys.stderr)
    others = [c for c in columns if not c.closest]
    if others:  # "ignoring unnamed column 3" alone, not "ignoring columns unnamed column 3"
        lead = "columns " if any(c.name for c in others) else ""
        listed = ", ".join(c.describe().removeprefix("unknown column ") for c in others)
        print(message_line(f"{file}: ignoring {lead}{listed}"), file=sys.stderr)


@creators_app.command("list")
def list_command(
    tier: str | None = typer.Option(None, "--tier", help="Only this tier: nano, micro, ..."),
    output: ListFormat = typer.Option(ListFormat.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List creator accounts; `--format json` prints a stable list of objects."""
    entries = list_creators(engine=_engine(), tier=parse_choice("--tier", tier, TIER_ORDER))
    if output is ListFormat.JSON:
        typer.echo(json.dumps([e.as_json() for e in entries], indent=2, ensure_ascii=False))
    elif output is ListFormat.CSV:
        writer = csv_writer(sys.stdout)
        writer.writerow(LISTING_FIELDS)
        for entry in entries:
            data = entry.as_json()
            writer.writerow([data[f] for f in LISTING_FIELDS])
    else:
        _print_table(entries)


def _print_table(entries: list[CreatorListing]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(entries)} creator accounts")
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (
        ("id", "right"),
        ("platform", "left"),
        ("handle", "left"),
        ("name", "left"),
        ("email", "left"),
        ("followers", "right"),
        ("tier", "left"),
        ("engagement", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for e in entries:
        table.add_row(
            *map(
                terminal_text,
                (
                    str(e.id),
                    e.platform,
                    e.handle,
                    e.name or "",
                    e.email or "",
                    f"{e.followers:,}" if e.followers is not None else "-",
                    e.tier or "-",
                    f"{e.engagement_rate * 100:.2f}%" if e.engagement_rate is not None else "-",
                ),
            )
        )
    print_table(table)


# -- personal data (issue 19): erasure, access requests, retention -------------------------------


@creators_app.command("forget")
def forget_command(
    person: str = typer.Argument(..., help="EMAIL or PLATFORM:HANDLE of the person to erase."),
    reason: str = typer.Option("erasure request", "--reason", help="Why (kept, redacted)."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to record it at."),
) -> None:
    """Erase a person everywhere; a keyed hash keeps them from being imported or contacted."""
    from creatorflow.cli.app import command
    from creatorflow.services.creators.forget import forget_person

    _engine()
    result = command("cli:creators forget", as_of)(forget_person, person=person, reason=reason)
    typer.echo(result.summary())


@creators_app.command("export")
def export_command(
    person: str = typer.Argument(..., help="EMAIL or PLATFORM:HANDLE of the person."),
    out: Path = typer.Option(..., "--out", help="The JSON file to write."),
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time of the export."),
) -> None:
    """Write everything held about a person to a JSON file (an access request)."""
    from creatorflow.cli.app import command
    from creatorflow.services.creators.export import export_person

    _engine()
    result = command("cli:creators export", as_of)(export_person, person=person, out=out)
    typer.echo(result.summary())


@creators_app.command("retention")
def retention_command(
    as_of: str | None = typer.Option(None, "--as-of", help="ISO date-time to run as (UTC)."),
) -> None:
    """Erase contacts who never answered within CREATORFLOW_RETENTION_DAYS (as the daily run)."""
    from creatorflow.cli.app import command
    from creatorflow.services.creators.retention import apply_retention

    _engine()
    result = command("cli:creators retention", as_of)(apply_retention)
    for line in result.lines():
        typer.echo(line)
