"""The ``creatorflow`` command in-process (typer's CliRunner isolation around the real ``main``),
and a dump of every table, to show that a refused command changed nothing."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from typer.testing import CliRunner

from creatorflow.cli import main
from creatorflow.settings import get_settings
from creatorflow.storage.models import Base


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_main(*args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
    """``creatorflow *args`` through ``main()`` (its error lines and exit codes), with ``env``
    set for the run only and the settings read afresh from it."""
    runner = CliRunner()
    get_settings.cache_clear()
    argv = sys.argv
    try:
        with runner.isolation(env=env) as (out, err, _):
            sys.argv = ["creatorflow", *args]
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush()
            sys.stderr.flush()
            output, errors = out.getvalue().decode(), err.getvalue().decode()
    finally:
        sys.argv = argv
        get_settings.cache_clear()
    return CliResult(code, output, errors)


def dump_tables(engine: sa.Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table as sorted text tuples: equal dumps mean nothing changed."""
    dump: dict[str, list[tuple[str, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            dump[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return dump
