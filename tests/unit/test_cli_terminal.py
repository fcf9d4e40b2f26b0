"""What the terminal shows: Prefect quiet unless ``--verbose``, ``--help`` in lifecycle order
without placeholders, tables that never cut a number, pasteable hints, quiet task-run logs."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
from rich.table import Table

from creatorflow.cli import quiet
from creatorflow.cli.app import print_table
from creatorflow.shell_hints import prefect_ui_command, venv_command
from tests.support.cli import run_main

PRIVATE = ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED", quiet.STARTUP_TIMEOUT_VARIABLE)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (quiet.CONSOLE_LEVEL_VARIABLE, *PRIVATE):
        monkeypatch.delenv(name, raising=False)


def test_quiet_by_default_and_put_back_after_the_command(clean_env: None) -> None:
    from prefect.logging.handlers import PrefectConsoleHandler

    handler = PrefectConsoleHandler()
    handler.setLevel(logging.INFO)
    logging.getLogger("prefect").addHandler(handler)
    try:
        quiet.configure(verbose=False)
        assert os.environ[quiet.CONSOLE_LEVEL_VARIABLE] == "CRITICAL"
        assert os.environ["DO_NOT_TRACK"] == "1"
        assert handler.level == logging.CRITICAL  # Prefect already set up in this process
        assert not quiet.is_verbose()
        quiet.restore()
        assert handler.level == logging.INFO
        assert not any(name in os.environ for name in (quiet.CONSOLE_LEVEL_VARIABLE, *PRIVATE))
    finally:
        logging.getLogger("prefect").removeHandler(handler)


def test_verbose_leaves_prefect_on_the_terminal_and_the_operator_wins(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    quiet.configure(verbose=True)
    try:
        assert quiet.is_verbose()
        assert quiet.CONSOLE_LEVEL_VARIABLE not in os.environ
        assert os.environ["DO_NOT_TRACK"] == "0"
        assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    finally:
        quiet.reset()
    assert os.environ["DO_NOT_TRACK"] == "0"


def test_help_lists_commands_by_lifecycle_without_placeholders() -> None:
    top = run_main("--help", env={"COLUMNS": "120"})
    campaign = run_main("campaign", "--help", env={"COLUMNS": "120"})
    launch = run_main("campaign", "launch", "--help", env={"COLUMNS": "120"})
    assert top.code == campaign.code == launch.code == 0
    assert "--verbose" in top.out
    listed = _commands(top.out)
    assert listed[:4] == ["demo", "db", "creators", "campaign"] and "serve" in listed[4:]
    steps = ["launch", "respond", "track", "deliverable", "conversions", "status", "report"]
    shown = _commands(campaign.out)
    assert [name for name in shown if name in steps] == steps
    assert shown[-3:] == ["outbox", "resolve", "resume"]  # their own panel, last
    for text in (top.out, campaign.out, launch.out):
        assert "<bool>" not in text and "{" not in text
    assert "campaign launch [OPTIONS] FILE" in launch.out


def _commands(help_text: str) -> list[str]:
    """The command names of a ``--help`` page, in the order shown."""
    found = (re.match(r"│ ([a-z][a-z-]*) {2,}\S", line) for line in help_text.splitlines())
    return [match.group(1) for match in found if match]


def _squeezed_table() -> Table:
    table = Table(title="creators")
    for name, justify in (("id", "right"), ("handle", "left"), ("email", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("followers", justify="right")
    table.add_column("engagement", justify="right")
    table.add_row(
        "104729",
        "anna.glow.with.a.very.long.handle.indeed",
        "anna.glow.official.business.contact@example-agency-mail.com",
        "12,500,000",
        "12.34%",
    )
    return table


@pytest.mark.parametrize("width", [80, 40])
def test_tables_never_cut_a_number_or_an_address(
    width: int, capsys: pytest.CaptureFixture[str]
) -> None:
    print_table(_squeezed_table(), width=width)
    out = capsys.readouterr().out
    assert "…" not in out
    for number in ("104729", "12,500,000", "12.34%"):
        assert number in out
    assert "".join(line.split("│")[3].strip() for line in out.splitlines()[4:-1]) == (
        "anna.glow.official.business.contact@example-agency-mail.com"
    )
    widths = {len(line) for line in out.splitlines() if line.strip()}
    assert max(widths) <= width if width == 80 else max(widths) > width  # 40: wider, not cut


def test_the_task_run_logs_drop_bare_completions_only() -> None:
    import tasks.runtime  # noqa: F401  (installs the filter, as every task module does)

    logger = logging.getLogger("prefect.task_runs")

    def kept(message: str, level: int = logging.INFO) -> bool:
        record = logger.makeRecord(logger.name, level, __file__, 1, message, None, None)
        return all(f.filter(record) for f in logger.filters)  # type: ignore[union-attr]

    assert not kept("Finished in state Completed()")
    assert kept("Finished in state Failed('boom')", logging.ERROR)
    assert kept("Finished in state Completed('12 posts polled')")
    assert kept("Finished in state Cached(type=COMPLETED)")


def test_hints_name_the_executables_by_path_and_one_port_for_api_and_ui() -> None:
    command = prefect_ui_command(Path("demo-run/prefect"), port=4311)
    prefect = venv_command("prefect")
    assert Path(prefect).is_absolute() and os.access(prefect, os.X_OK)
    assert command.endswith(f"{prefect} server start")
    assert f"PREFECT_HOME={Path('demo-run/prefect').resolve()}" in command
    assert "PREFECT_SERVER_API_PORT=4311" in command
    assert "PREFECT_UI_API_URL=http://127.0.0.1:4311/api" in command
