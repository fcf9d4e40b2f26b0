"""The launch-campaign flow end to end (few tests: Prefect runs cost about a second each)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from prefect import flow, task

from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for
from flows.outreach import launch_campaign
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.builders import add_creators
from tests.support.campaigns import OUTREACH_SPEC
from tests.support.prefect import paused_run


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def env_settings(
    settings: Settings, handler: RecordingHandler, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Tasks read ``get_settings()``: point the environment at this test's database and SMTP."""
    controller = start_smtpd(handler)
    values = {
        "DATABASE_URL": settings.database_url,
        "MAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "SENDER": settings.sender,
        "POSTAL_ADDRESS": settings.postal_address,
        "UNSUBSCRIBE_BASE_URL": settings.unsubscribe_base_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "PREVIEW_DIR": str(settings.preview_dir),
    }
    for key, value in values.items():
        monkeypatch.setenv(f"CREATORFLOW_{key}", str(value))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    controller.stop()


@pytest.fixture
def campaign_file(tmp_path: Path, env_settings: Settings, now: datetime) -> Path:
    add_creators(engine_for(env_settings.database_url), now, 4)
    path = tmp_path / "spring-glow.yaml"
    path.write_text(yaml.safe_dump(OUTREACH_SPEC), encoding="utf-8")
    return path


def test_approved_launch_sends_each_first_email_once_even_when_run_again(
    campaign_file: Path, handler: RecordingHandler, now: datetime
) -> None:
    first = launch_campaign(campaign=str(campaign_file), approve=True, as_of=now)
    assert first["shortlisted"] == 4 and first["send"]["sent"] == 4
    again = launch_campaign(campaign="spring-glow", approve=True, as_of=now)
    assert again["send"]["sent"] == 0 and again["shortlist"].endswith(
        "(shortlist from an earlier run)"
    )
    assert len(handler.received) == 4


def test_a_task_failing_after_sending_is_retried_without_a_second_email(
    campaign_file: Path, handler: RecordingHandler, now: datetime
) -> None:
    from creatorflow.services.outreach.launch import send_initial_emails, shortlist_campaign
    from creatorflow.storage.campaigns import load_campaign_file

    attempts: list[int] = []

    @task(retries=1, retry_delay_seconds=0)
    def send_then_crash() -> int:
        settings = get_settings()
        engine = engine_for(settings.database_url)
        report = send_initial_emails(
            engine=engine, settings=settings, campaign_slug="spring-glow", now=now, actor="test"
        )
        attempts.append(len(report.sent))
        if len(attempts) == 1:
            raise RuntimeError("worker lost after the emails left")
        return len(report.sent)

    @flow
    def launch_with_a_flaky_task() -> int:
        settings = get_settings()
        shortlist_campaign(
            engine=engine_for(settings.database_url),
            settings=settings,
            spec=load_campaign_file(campaign_file),
            now=now,
            actor="test",
        )
        return send_then_crash()

    assert launch_with_a_flaky_task() == 0
    assert attempts == [4, 0]
    assert len(handler.received) == 4


def test_dry_run_renders_previews_and_sends_nothing(
    campaign_file: Path, handler: RecordingHandler, env_settings: Settings, now: datetime
) -> None:
    summary = launch_campaign(campaign=str(campaign_file), dry_run=True, as_of=now)
    folder = Path(summary["preview_dir"])
    assert summary["send"]["preview"] == 4 and handler.received == []
    assert len(list(folder.glob("*.eml"))) == 4 and len(list(folder.glob("*.html"))) == 4
    assert folder.is_relative_to(env_settings.preview_dir.resolve())


def test_without_approve_the_flow_waits_for_the_operators_form(
    campaign_file: Path,
    handler: RecordingHandler,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.flow_runs import resume_flow_run

    monkeypatch.setattr("flows.outreach.APPROVAL_POLL_SECONDS", 1)  # the answer is read sooner
    result: dict[str, object] = {}
    runner = threading.Thread(
        target=lambda: result.update(
            launch_campaign(campaign=str(campaign_file), approve=False, as_of=now)
        )
    )
    runner.start()
    try:
        paused = paused_run("launch-spring-glow", never="the flow never paused for approval")
        assert handler.received == []
        resume_flow_run(
            paused.id, run_input={"approve_all": True, "remove": ["instagram:creator0002"]}
        )
    finally:
        runner.join(timeout=120)
    assert result["removed"] == ["instagram:creator0002"]
    assert result["send"]["sent"] == 3  # type: ignore[index]
    assert sorted(r.rcpt_tos[0] for r in handler.received) == [
        "creator0000@mail.example",
        "creator0001@mail.example",
        "creator0003@mail.example",
    ]
