"""A creator's journey through the portal in real headless Chromium (Playwright, system browser).

The creator opens the signed link, accepts the terms, uploads a draft; the ``review-draft`` run
the upload started pauses on its form and is approved through the Prefect client (as the UI
does); the creator sees the approval, submits the live post, and the post is polled against the
sandbox YouTube API. The app is served by uvicorn on a loopback port; Prefect is the
process's test harness (``prefect_harness``, shared with the flow tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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
from tests.support.portal import Clock, Reviews, link_of, portal_app, portal_campaign, settings_env
from tests.support.prefect import paused_run
from tests.support.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")


def _form_description(paused: Any) -> str:
    """The markdown the review form shows, as the Prefect UI reads it."""
    import json

    from prefect import get_client
    from prefect.input.run_input import keyset_from_paused_state

    key = keyset_from_paused_state(paused.state)["description"]
    with get_client(sync_client=True) as client:
        return str(json.loads(client.read_flow_run_input(paused.id, key)))


def test_a_creator_accepts_uploads_a_draft_gets_it_approved_and_posts(
    prefect_harness: None,
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
            paused = paused_run(
                f"review-draft-{draft_id}", never="the review-draft run never paused for its form"
            )
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
