"""Every command's documented mistakes end in one ``error:`` line, no traceback, a non-zero exit.

The flow-backed commands (``campaign track``, ``campaign launch``) check what needs no flow
first, so those mistakes never start one; Prefect's own lines reach the terminal only with
``--verbose``. Most cases run in-process through the real ``main``; three run the installed
command in a subprocess, as the operator does (one of them starts a real flow).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from creatorflow.settings import Settings
from tests.support.campaigns import EXAMPLE_CAMPAIGN
from tests.support.cli import CliResult, run_main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CREATORFLOW = Path(sys.executable).parent / "creatorflow"
PREFECT_LOG = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| ")  # Prefect's console format


def _env(url: str, tmp_path: Path, **extra: str | None) -> dict[str, str | None]:
    return {
        "CREATORFLOW_DATABASE_URL": url,
        "CREATORFLOW_MAIL_URL": f"maildir://{tmp_path / 'outbox'}",
        "CREATORFLOW_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "CREATORFLOW_PREVIEW_DIR": str(tmp_path / "preview"),
        "CREATORFLOW_SENDER": "Glow Team <team@brand.example>",
        "CREATORFLOW_POSTAL_ADDRESS": "1 Market St, San Francisco, CA 94105, USA",
        "CREATORFLOW_UNSUBSCRIBE_BASE_URL": None,
        "CREATORFLOW_SECRET_KEY": None,
        **extra,
    }


def _one_error_line(result: CliResult) -> str:
    lines = result.err.splitlines()
    assert result.code != 0, result
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    assert "Traceback" not in result.err + result.out, result
    return lines[0]


@pytest.fixture
def no_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flows must not start: a mistake found before them costs no run."""

    def started(**_: Any) -> None:
        raise AssertionError("a flow was started")

    monkeypatch.setattr("flows.tracking.track_campaigns", started)
    monkeypatch.setattr("flows.outreach.launch_campaign", started)


CASES = [
    # (id, args, extra environment, words the line must contain)
    ("track-unknown", ("campaign", "track", "nosuch"), {}, ("no campaign 'nosuch'",)),
    ("track-as-of", ("campaign", "track", "nosuch", "--as-of", "soon"), {}, ("--as-of",)),
    (
        "launch-no-sender",
        ("campaign", "launch", str(EXAMPLE_CAMPAIGN), "--dry-run"),
        {"CREATORFLOW_SENDER": None, "CREATORFLOW_POSTAL_ADDRESS": None},
        ("CREATORFLOW_SENDER", "CREATORFLOW_POSTAL_ADDRESS"),
    ),
    (
        "launch-no-secret-key",
        ("campaign", "launch", str(EXAMPLE_CAMPAIGN), "--dry-run"),
        {"CREATORFLOW_UNSUBSCRIBE_BASE_URL": "https://u.brand.example"},
        ("CREATORFLOW_SECRET_KEY",),
    ),
    (
        "launch-missing-file",
        ("campaign", "launch", "/nonexistent/c.yaml", "--approve"),
        {},
        ("/nonexistent/c.yaml",),
    ),
    ("db-revision", ("db", "upgrade", "nosuchrev"), {}, ("REVISION", "nosuchrev")),
    ("usage-missing-file", ("campaign", "launch"), {}, ("Missing argument 'FILE'",)),
    ("usage-command", ("campaign", "explode"), {}, ("No such command",)),
    ("import-missing", ("creators", "import", "/nonexistent.csv"), {}, ("/nonexistent.csv",)),
    ("deliverable-url", ("campaign", "deliverable", "x", "not a url"), {}, ("post URL",)),
    ("outbox-unknown", ("campaign", "outbox", "nosuch"), {}, ("no campaign 'nosuch'",)),
    ("resume-unknown", ("campaign", "resume", "nosuch"), {}, ("no campaign 'nosuch'",)),
    ("verbose-unknown", ("--verbose", "campaign", "status", "x"), {}, ("no campaign 'x'",)),
]


@pytest.mark.parametrize(
    ("args", "extra", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_mistake_is_one_line_and_starts_no_flow(
    args: tuple[str, ...],
    extra: dict[str, str | None],
    words: tuple[str, ...],
    sqlite_url: str,
    tmp_path: Path,
    no_flow: None,
) -> None:
    line = _one_error_line(run_main(*args, env=_env(sqlite_url, tmp_path, **extra)))
    for word in words:
        assert word in line, line


def test_a_database_never_migrated_names_the_next_step(tmp_path: Path, no_flow: None) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    line = _one_error_line(run_main("campaign", "track", "spring-glow", env=_env(url, tmp_path)))
    assert "creatorflow db upgrade" in line


def test_a_database_behind_the_code_names_the_next_step(tmp_path: Path, no_flow: None) -> None:
    from creatorflow.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    args = ("campaign", "launch", str(EXAMPLE_CAMPAIGN), "--dry-run")
    line = _one_error_line(run_main(*args, env=_env(url, tmp_path)))
    assert "revision 0001" in line and "creatorflow db upgrade" in line


def test_a_path_that_cannot_be_used_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = run_main("demo", "--dir", str(blocker / "demo"), env={})
    assert str(blocker) in _one_error_line(result)


def test_an_unforeseen_error_is_one_line_and_verbose_shows_its_traceback(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("boom\nsecond line of detail")

    monkeypatch.setattr("creatorflow.services.outreach.sending_pauses.resume_sending", broken)
    env = _env(sqlite_url, tmp_path)
    line = _one_error_line(run_main("campaign", "resume", "spring-glow", env=env))
    assert line == ("error: RuntimeError: boom (run again with --verbose for the traceback)")
    # with --verbose main() lets it through whole: Python prints its traceback
    with pytest.raises(RuntimeError, match="second line of detail"):
        run_main("--verbose", "campaign", "resume", "spring-glow", env=env)
    with pytest.raises(RuntimeError):  # the flag also works at the end of the line
        run_main("campaign", "resume", "spring-glow", "--verbose", env=env)


def test_an_unreachable_prefect_api_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    def refused() -> list[str]:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    monkeypatch.setattr("creatorflow.cli.ops._ensure_limits", refused)
    line = _one_error_line(run_main("prefect", "setup", env={}))
    assert "cannot reach the Prefect API" in line and "Connection refused" in line


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted() -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr("creatorflow.cli.ops._ensure_limits", interrupted)
    result = run_main("prefect", "setup", env={})
    assert result.code == 130
    assert len(result.err.splitlines()) <= 1 and "Traceback" not in result.err


# -- the installed command, as the operator runs it ------------------------------------------


def _operator_env(settings: Settings, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A shell with no Prefect or telemetry settings: creatorflow's defaults must do the work."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CREATORFLOW_", "PREFECT_"))
        and k not in ("DO_NOT_TRACK", "PYTEST_CURRENT_TEST")
    }
    return base | {
        "CREATORFLOW_DATABASE_URL": settings.database_url,
        "CREATORFLOW_MAIL_URL": f"maildir://{tmp_path / 'outbox'}",
        "CREATORFLOW_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "CREATORFLOW_PREVIEW_DIR": str(tmp_path / "preview"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        **extra,
    }


def _creatorflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CREATORFLOW), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("campaign", "track", "nosuch"), "error: no campaign 'nosuch'"),
        (
            ("campaign", "launch", str(EXAMPLE_CAMPAIGN), "--dry-run"),
            "error: missing required setting(s): CREATORFLOW_SENDER",
        ),
    ],
    ids=["track-unknown", "dry-run-without-sender"],
)
def test_the_installed_command_prints_one_line(
    args: tuple[str, ...], expected: str, settings: Settings, tmp_path: Path
) -> None:
    result = _creatorflow(_operator_env(settings, tmp_path), *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert not (tmp_path / "prefect" / "prefect.db").exists(), "a Prefect server was started"


def test_a_flow_run_shows_only_the_commands_own_lines(settings: Settings, tmp_path: Path) -> None:
    """A dry run on an empty database: a real flow and a temporary Prefect server, and on the
    terminal nothing but what the command says (no INFO lines, no telemetry errors)."""
    env = _operator_env(
        settings,
        tmp_path,
        CREATORFLOW_SENDER="Glow Team <team@brand.example>",
        CREATORFLOW_POSTAL_ADDRESS="1 Market St, San Francisco, CA 94105, USA",
    )
    result = _creatorflow(env, "campaign", "launch", str(EXAMPLE_CAMPAIGN), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "shortlisted" in result.stdout, result.stdout  # the command's own summary
    prefect_lines = [line for line in result.stdout.splitlines() if PREFECT_LOG.match(line)]
    assert prefect_lines == [] and "Finished in state" not in result.stdout
    assert (tmp_path / "prefect" / "prefect.db").is_file()  # where the run's lines went
