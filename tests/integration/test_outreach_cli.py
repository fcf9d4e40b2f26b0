"""`creatorflow suppress` and the launch command's refusals, through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Event, Suppression
from tests.support.environment import cli_in_process

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "campaigns" / "spring-glow.yaml"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield cli_in_process(monkeypatch, capsys)
    get_settings.cache_clear()


def test_suppress_adds_a_normalised_address_once(cli, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    assert cli("suppress", " Ana@Mail.Example ", "--reason", "asked by phone") == (
        0,
        "suppressed ana@mail.example\n",
        "",
    )
    assert cli("suppress", "ana@mail.example")[1] == "ana@mail.example was already suppressed\n"
    with session_scope(engine_for(settings.database_url)) as session:
        row = session.scalars(select(Suppression)).one()
        event = session.scalars(select(Event).where(Event.kind == "suppressed")).one()
    assert (row.email, row.reason, row.source) == ("ana@mail.example", "asked by phone", "cli")
    assert event.actor == "cli:suppress"


def test_suppress_rejects_something_that_is_not_an_address(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("suppress", "not-an-address")
    assert code == 1
    assert err == (
        "error: EMAIL: 'not-an-address' is not one email address (must contain exactly one '@')\n"
    )


def test_launch_needs_approve_or_dry_run_and_a_valid_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("campaign", "launch", str(EXAMPLE))
    assert code == 1
    assert err.startswith("error: campaign launch needs --approve")
    assert "launch-campaign/manual" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("slug: Bad Slug\n", encoding="utf-8")
    code, _, err = cli("campaign", "launch", str(broken), "--approve")
    assert code == 1 and err.startswith(f"error: {broken}: slug: must be lower-case")
