"""`creators import` names the columns it ignores (a misspelt `emial` would silently import
creators without an email); `--strict` refuses them with one line and stores nothing."""

from __future__ import annotations

from pathlib import Path

from creatorflow.domain.creator_rows import unknown_columns
from creatorflow.storage.db import engine_for
from tests.support.cli import dump_tables, run_main

MISSPELT = "platform,handle,emial,name,followrs,bio,\ninstagram,mia,mia@example.com,Mia,12k,hi,\n"


def test_each_unknown_column_gets_the_closest_missing_known_one() -> None:
    found = unknown_columns(("platform", "handle", "emial", "followrs", "bio", "", "email2"))
    assert [(c.name, c.position, c.closest) for c in found] == [
        ("emial", 3, "email"),
        ("followrs", 4, "followers"),
        ("bio", 5, None),
        ("", 6, None),
        ("email2", 7, "email"),  # each name is matched on its own
    ]
    # a known column already in the header is never the guess: it is not misspelt
    assert unknown_columns(("platform", "handle", "email", "e-mail"))[0].closest is None
    assert unknown_columns(("platform", "handle", "name")) == []


def test_import_warns_about_misspelt_columns_and_strict_refuses_the_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "creators.csv"
    path.write_text(MISSPELT, encoding="utf-8")
    env = {"CREATORFLOW_DATABASE_URL": sqlite_url}
    engine = engine_for(sqlite_url)
    before = dump_tables(engine)

    strict = run_main("creators", "import", str(path), "--strict", env=env)
    assert strict.code == 1 and strict.out == ""
    [line] = strict.err.splitlines()
    assert line.startswith(f"error: {path}: --strict: ")
    assert "unknown column 'emial' (did you mean 'email'?)" in line
    assert "unknown column 'followrs' (did you mean 'followers'?)" in line
    assert "unknown column 'bio'" in line and "nothing imported" in line
    assert dump_tables(engine) == before

    loose = run_main("creators", "import", str(path), env=env)
    assert loose.code == 0
    assert loose.out == f"{path}: created 1, updated 0, unchanged 0, rejected 0\n"
    assert loose.err.splitlines() == [
        f"{path}: ignoring unknown column 'emial' (did you mean 'email'?)",
        f"{path}: ignoring unknown column 'followrs' (did you mean 'followers'?)",
        f"{path}: ignoring columns 'bio', unnamed column 7",  # a tool's extras: one line
    ]


def test_a_misspelt_required_column_is_named_in_the_error(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "creators.csv"
    path.write_text("platfrom,handle\ninstagram,mia\n", encoding="utf-8")
    result = run_main("creators", "import", str(path), env={"CREATORFLOW_DATABASE_URL": sqlite_url})
    assert result.code == 1
    assert result.err.strip().endswith("'platfrom' may be 'platform' misspelt")
