"""`creatorflow creators import|list` through the real entry point: output, stderr, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from creatorflow.cli import main
from creatorflow.sandbox.sample_creators import SAMPLE_PATH, generate
from creatorflow.services.creators.listing import LISTING_FIELDS
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for

HEADER = "platform,handle,email,name,followers,country,niche\n"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    """Run `creatorflow ARGS...` in-process against a fresh database: (exit code, out, err)."""
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("CREATORFLOW_CONFIG_DIR", raising=False)
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["creatorflow", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()
    engine_for(sqlite_url).dispose()


def test_import_prints_counts_and_exits_zero_then_reimport_is_unchanged(
    cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "instagram,@Mia,mia@example.com,Mia,12.5k,US,food\n", "utf-8")
    assert cli("creators", "import", str(path)) == (
        0,
        f"{path}: created 1, updated 0, unchanged 0, rejected 0\n",
        "",
    )
    code, out, _ = cli("creators", "import", str(path))
    assert (code, out) == (0, f"{path}: created 0, updated 0, unchanged 1, rejected 0\n")


def test_rejected_rows_go_to_stderr_and_the_rejects_file_and_exit_two(
    cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "instagram,ok,,,,,\nmyspace,tom,,,,,\ntiktok,x,,,lots,,\n", "utf-8")
    rejects = tmp_path / "rejects.csv"
    code, out, err = cli("creators", "import", str(path), "--rejects", str(rejects))
    assert code == 2
    assert out == f"{path}: created 1, updated 0, unchanged 0, rejected 2\n"
    assert err.splitlines() == [
        f"{path}:3: unknown platform 'myspace' (expected youtube, instagram, tiktok)",
        f"{path}:4: followers 'lots' is not a count (expected e.g. 12500, 12,500, 12.5k or 1.2M)",
    ]
    rows = list(csv.DictReader(io.StringIO(rejects.read_text("utf-8"))))
    assert [(r["handle"], r["rejected_line"]) for r in rows] == [("tom", "3"), ("x", "4")]


def test_file_level_errors_are_one_line_on_stderr_and_exit_one(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"platform,name\n")
    code, out, err = cli("creators", "import", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f"error: {path}: missing required column(s) handle (header has: platform, name)\n"
    )


def test_list_json_is_a_stable_list_of_account_objects(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER + "tiktok,mia.t,mia@example.com,Mia,150000,,\n"
        "instagram,mia,mia@example.com,,9000,,\n"
        "youtube,big,,Big,2M,,\n",
        "utf-8",
    )
    cli("creators", "import", str(path))
    code, out, _ = cli("creators", "list", "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {"id": 1, "platform": "instagram", "handle": "mia", "name": "Mia",
         "email": "mia@example.com", "followers": 9000, "tier": "nano", "engagement_rate": None},
        {"id": 1, "platform": "tiktok", "handle": "mia.t", "name": "Mia",
         "email": "mia@example.com", "followers": 150000, "tier": "mid", "engagement_rate": None},
        {"id": 2, "platform": "youtube", "handle": "big", "name": "Big", "email": None,
         "followers": 2000000, "tier": "mega", "engagement_rate": None},
    ]  # fmt: skip
    assert list(json.loads(out)[0]) == list(LISTING_FIELDS)
    code, out, _ = cli("creators", "list", "--tier", "MEGA", "--format", "csv")
    assert list(csv.reader(io.StringIO(out))) == [
        list(LISTING_FIELDS),
        ["2", "youtube", "big", "Big", "", "2000000", "mega", ""],
    ]
    code, out, _ = cli("creators", "list")
    assert code == 0 and "3 creator accounts" in out and "2,000,000" in out


def test_list_rejects_an_unknown_tier(cli: Run) -> None:
    code, out, err = cli("creators", "list", "--tier", "giant")
    assert (code, out) == (1, "")
    assert err == "error: --tier: 'giant' is not one of nano, micro, mid, macro, mega\n"


def test_an_unmigrated_database_is_a_clear_error(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        code, _, err = cli("creators", "list")
    finally:
        engine_for(url).dispose()
    assert code == 1
    assert err == (
        "error: the database has no creatorflow tables yet: run `creatorflow db upgrade` first\n"
    )


def test_the_bundled_sample_imports_cleanly_and_is_what_the_generator_writes(cli: Run) -> None:
    code, out, err = cli("creators", "import", str(SAMPLE_PATH))
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(SAMPLE_PATH.read_text("utf-8"))))[1:]
    assert out == f"{SAMPLE_PATH}: created {len(rows)}, updated 0, unchanged 0, rejected 0\n"
    assert [tuple(r) for r in rows] == [s.cells() for s in generate()]


def test_console_script_exits_non_zero_with_one_error_line(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"platform,handle\ninstagram,jos\xe9\n")
    done = subprocess.run(
        [sys.executable, "-m", "creatorflow.cli", "creators", "import", str(path)],
        capture_output=True,
        text=True,
        env={"CREATORFLOW_DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {path}: not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8\n"
    )
