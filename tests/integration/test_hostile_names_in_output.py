"""Creator data that looks like a formula, Rich markup or an ANSI escape is printed as data.

Names come from imports and platform look-ups, so every CSV creatorflow writes neutralises
formula cells, and every terminal table shows markup and escapes literally.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from creatorflow.storage.db import engine_for
from tests.support.builders import enroll
from tests.support.campaigns import TRACKING_SPEC, make_spec, store_campaign
from tests.support.cli import run_main

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
HEADER = "platform,handle,email,name,followers,country,niche\n"
FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+SUM(1,2)", "@SUM(1,2)", "-2+3"]
MARKUP = "[link=https://evil.example]click me[/link] [bold red]boo[/]"
ANSI = "Ana \x1b[2J\x1b[31mred\x07"


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str | None]:
    # wide enough that Rich keeps each cell on one line
    return {
        "CREATORFLOW_DATABASE_URL": sqlite_url,
        "CREATORFLOW_CONFIG_DIR": None,
        "COLUMNS": "300",
    }


def _import(tmp_path: Path, env: dict[str, str | None], rows: str, *extra: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + rows, "utf-8")
    run_main("creators", "import", str(path), *extra, env=env)


def test_creators_list_csv_neutralises_formula_names(
    tmp_path: Path, env: dict[str, str | None]
) -> None:
    rows = "".join(
        f'instagram,f{i},,"{name.replace(chr(34), chr(34) * 2)}",,,\n'
        for i, name in enumerate(FORMULAS)
    )
    _import(tmp_path, env, rows)
    result = run_main("creators", "list", "--format", "csv", env=env)
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.out))]
    assert names == [f"'{name}" for name in FORMULAS]


def test_the_rejects_file_neutralises_every_cell(
    tmp_path: Path, env: dict[str, str | None]
) -> None:
    rejects = tmp_path / "rejects.csv"
    _import(
        tmp_path, env, "instagram,=cmd|' /C calc'!A0,,+SUM(1),lots,,\n", "--rejects", str(rejects)
    )
    row = next(csv.DictReader(io.StringIO(rejects.read_text("utf-8"))))
    assert (row["handle"], row["name"]) == ("'=cmd|' /C calc'!A0", "'+SUM(1)")


def test_creators_table_shows_markup_and_escapes_literally(
    tmp_path: Path, env: dict[str, str | None]
) -> None:
    _import(tmp_path, env, f'instagram,mark,,"{MARKUP}",,,\ninstagram,esc,,"{ANSI}",,,\n')
    out = run_main("creators", "list", env=env).out
    assert "[link=https://evil.example]click me[/link]" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out


def test_campaign_status_shows_a_campaign_name_with_markup_literally(
    sqlite_url: str, env: dict[str, str | None]
) -> None:
    engine: Engine = engine_for(sqlite_url)
    spec = make_spec(TRACKING_SPEC, name="[link=https://evil.example]Glow[/link] \x1b[31m")
    campaign = store_campaign(engine, spec, now=NOW, launched=True)
    enroll(engine, campaign.id, ("instagram", "mia", None), now=NOW)
    result = run_main("campaign", "status", "spring-glow", env=env)
    assert result.code == 0, result
    assert "[link=https://evil.example]Glow[/link]" in result.out
    assert "\x1b" not in result.out
