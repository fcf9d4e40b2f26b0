"""A creator's journey through the portal in real headless Chromium (Playwright, system browser).

The creator opens the signed link, accepts the terms, uploads a draft; the ``review-draft`` run
the upload started pauses on its form and is approved through the Prefect client (as the UI
does); the creator sees the approval, submits the live post, and the post is polled against the
sandbox YouTube API. The app is served by uvicorn on a loopback port; Prefect is the test harness.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from creatorflow.sandbox import World
from creatorflow.services.tracking import polling
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, Draft, Enrollment, MetricSnapshot
from creatorflow.wiring import wire
from tests.support.portal import (
    Clock,
    Reviews,
    link_of,
    portal_app,
    portal_campaign,
    serve,
    settings_env,
)

CHROMIUM = Path("/usr/bin/chromium")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Prefect test server for this module's review run (as tests/flows/conftest.py)."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings(
            {
                PREFECT_HOME: str(home),
                PREFECT_RESULTS_LOCAL_STORAGE_PATH: str(home / "results"),
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED: False,
                PREFECT_SERVER_ANALYTICS_ENABLED: False,
            }
        ),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield


def _paused_review(draft_id: int) -> Any:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    name=FlowRunFilterName(any_=[f"review-draft-{draft_id}"])
                )
            )
            paused = next((r for r in runs if r.state and r.state.is_paused()), None)
            if paused is not None:
                return paused
            time.sleep(0.2)
    raise AssertionError("the review-draft run never paused for its form")


def _form_description(paused: Any) -> str:
    """The markdown the review form shows, as the Prefect UI reads it."""
    import json

    from prefect import get_client
    from prefect.input.run_input import keyset_from_paused_state

    key = keyset_from_paused_state(paused.state)["description"]
    with get_client(sync_client=True) as client:
        return str(json.loads(client.read_flow_run_input(paused.id, key)))


def test_a_creator_accepts_uploads_a_draft_gets_it_approved_and_posts(
    prefect_api: None,
    make_settings: Callable[..., Settings],
    app_env: Callable[[Mapping[str, str]], None],
    world: World,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright
    from prefect.flow_runs import resume_flow_run

    from flows import review
    from flows.review import review_draft

    monkeypatch.setattr(review, "PAUSE_POLL_SECONDS", 1)  # the answer is seen within a second

    settings = make_settings(
        portal_base_url="http://portal.invalid", upload_dir=tmp_path / "drafts"
    )
    app_env(settings_env(settings))  # the review run's tasks read get_settings()
    engine = engine_for(settings.database_url)
    (anna,) = portal_campaign(engine, world, now, "annaglow")
    runs: list[threading.Thread] = []
    outcome: dict[str, Any] = {}

    def review(draft_id: int) -> None:
        try:
            outcome.update(review_draft(draft_id=draft_id, as_of=now))
        except BaseException as exc:  # shown by the assertion below, not lost in the thread
            outcome["error"] = repr(exc)

    def start_run(draft_id: int) -> None:
        run = threading.Thread(target=review, args=(draft_id,))
        run.start()
        runs.append(run)

    app = portal_app(settings, engine, clock=Clock(now), reviews=Reviews(then=start_run))
    path = "/p/" + link_of(engine, settings, "annaglow", now).url.rsplit("/p/", 1)[1]
    post = world.add_post("youtube", "annaglow", title="#ad #springglow", published_at=now)
    with serve(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.goto(base + path)
            expect(page.get_by_role("heading", name="The offer")).to_be_visible()
            page.get_by_role("button", name="Accept the offer and terms").click()
            expect(page.get_by_role("status")).to_contain_text("you accepted the offer")
            page.get_by_label("Or a file").set_input_files(
                {"name": "draft.png", "mimeType": "image/png", "buffer": PNG}
            )
            page.get_by_label("Note for the reviewer (optional)").fill("First cut <3")
            page.get_by_role("button", name="Submit draft").click()
            expect(page.get_by_role("status")).to_contain_text("submitted for review")

            with session_scope(engine) as session:
                draft_id = session.scalars(select(Draft.id)).one()
            paused = _paused_review(draft_id)
            form = _form_description(paused)
            assert "Draft v1 from youtube:annaglow" in form and "image/png" in form
            assert "\\#springglow" in form and "Post due**: 2027-03-15" in form
            assert "First cut \\<3" in form  # the creator's note, as literal text
            # _sync: Playwright's sync API runs an event loop here, which would make Prefect's
            # dispatcher hand back the coroutine instead of resuming
            answer = {"approve": True, "comment": "Lovely"}
            resume_flow_run(paused.id, run_input=answer, _sync=True)
            for run in runs:
                run.join(timeout=60)
            assert outcome.get("decision") == "approved", outcome
            assert outcome["email"] == "sent"

            page.reload()
            expect(page.get_by_text("approved").first).to_be_visible()
            page.get_by_label("Address (URL) of the live post").fill(post.url)
            page.get_by_role("button", name="Submit post").click()
            expect(page.get_by_role("status")).to_contain_text("Your post is recorded")
            expect(page.get_by_text(post.url)).to_be_visible()
        finally:
            browser.close()

    reports = wire(settings).call(
        polling.poll_round, actor="test", now=now + timedelta(hours=2), campaign_slug=None
    )
    assert sum(r.snapshots for r in reports) == 1
    with session_scope(engine) as session:
        stage = session.get(Enrollment, anna.enrollment_id)
        deliverable = session.scalars(select(Deliverable)).one()
        snapshots = session.scalars(select(MetricSnapshot)).all()
        assert stage is not None and stage.stage == "posted"
        assert deliverable.post_id == post.post_id and len(snapshots) == 1
        assert session.get(Draft, draft_id).status == "approved"  # type: ignore[union-attr]
