"""What the creator sees when the operator must fix something (issue 18's review).

A template set without its terms is refused at launch while the portal is on, and a portal page
whose terms are missing answers a fixed line (no server path); a platform's quota trouble while
checking a live post is logged for the operator and the creator sees a generic line, while the
creator's own mistakes (a bad address) keep their message. Real portal app on a loopback port,
the sandbox YouTube API, a migrated SQLite database.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import yaml

from creatorflow.errors import InputError
from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.outreach.preflight import load_launch_file
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from tests.support.builders import Contacted
from tests.support.campaigns import EXAMPLE_CAMPAIGN
from tests.support.cli import run_main
from tests.support.portal import Clock, Reviews, link_of, portal_app, portal_campaign, settings_env
from tests.support.servers import serve

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
ROUTES_LOG = "creatorflow.web.portal.routes"


@pytest.fixture
def bare_templates(tmp_path: Path) -> Path:
    """The project's templates without any terms file (the default set's removed)."""
    folder = tmp_path / "templates"
    shutil.copytree(Settings.model_fields["templates_dir"].default, folder)
    (folder / "outreach" / "default" / "terms.md").unlink()
    return folder


@contextmanager
def _serve(settings: Settings, now: datetime, world: World) -> Iterator[tuple[httpx.Client, str]]:
    db = engine_for(settings.database_url)
    creators: list[Contacted] = portal_campaign(db, world, now, "annaglow")
    assert creators
    app = portal_app(settings, db, clock=Clock(now), reviews=Reviews())
    path = "/p/" + link_of(db, settings, "annaglow", now).url.rsplit("/p/", 1)[1]
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http, path


def _accept(http: httpx.Client, path: str) -> str:
    """The page's CSRF token after accepting the offer (so the post form is open)."""
    page = http.get(path)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    version = re.search(r'name="terms_version" value="([^"]+)"', page.text)
    assert token is not None and version is not None
    answer = {"csrf_token": token.group(1), "terms_version": version.group(1), "answer": "accept"}
    assert http.post(f"{path}/offer", data=answer, follow_redirects=False).status_code == 303
    return token.group(1)


def test_a_set_without_terms_is_refused_at_launch_only_while_the_portal_is_on(
    bare_templates: Path, tmp_path: Path, settings: Settings
) -> None:
    campaign = tmp_path / "spring-glow.yaml"
    campaign.write_text(yaml.safe_dump(yaml.safe_load(EXAMPLE_CAMPAIGN.read_text())))
    missing = bare_templates / "outreach" / "default" / "terms.md"
    assert load_launch_file(campaign, templates_dir=bare_templates, portal=False).slug
    with pytest.raises(InputError, match=re.escape(f"{campaign}: outreach.template_set: ")) as e:
        load_launch_file(campaign, templates_dir=bare_templates, portal=True)
    assert f"{missing} is missing" in str(e.value)

    env = settings_env(settings) | {
        "CREATORFLOW_TEMPLATES_DIR": str(bare_templates),
        "CREATORFLOW_PORTAL_BASE_URL": "https://portal.example",
    }
    refused = run_main("campaign", "launch", str(campaign), "--dry-run", env=env)
    lines = refused.err.splitlines()
    assert refused.code == 1 and len(lines) == 1, refused
    # the line may be cut in the middle when the paths are long: its head and tail both stay
    assert lines[0].startswith(f"error: {campaign}"[:60]), refused
    assert lines[0].endswith("shows each offer's terms)") and "terms.md is missing" in lines[0]

    # a set without its own terms falls back to the default set's, as the portal page does
    (bare_templates / "outreach" / "default" / "terms.md").write_text("Be kind.\n")
    assert load_launch_file(campaign, templates_dir=bare_templates).slug == "spring-glow"


def test_missing_terms_show_the_creator_a_fixed_line_and_the_operator_the_file(
    make_settings: Callable[..., Settings],
    bare_templates: Path,
    world: World,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(portal_base_url="https://portal.example", templates_dir=bare_templates)
    caplog.set_level(logging.ERROR, logger=ROUTES_LOG)
    with _serve(settings, now, world) as (http, path):
        page = http.get(path)
        assert page.status_code == 503
        assert "the terms for this offer are not available yet" in page.text.lower()
        assert "the brand has been told" in page.text
        assert str(bare_templates) not in page.text and "terms.md" not in page.text
        offer = http.post(f"{path}/offer", data={"answer": "accept"})  # no form token: refused
        assert offer.status_code == 403 and "terms.md" not in offer.text
    logged = [r.getMessage() for r in caplog.records if r.name == ROUTES_LOG]
    assert logged and str(bare_templates / "outreach" / "default" / "terms.md") in logged[0]


def test_a_quota_problem_is_logged_and_the_creator_sees_a_generic_line(
    make_settings: Callable[..., Settings],
    sandbox: SandboxServers,
    world: World,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(portal_base_url="https://portal.example")
    caplog.set_level(logging.ERROR, logger=ROUTES_LOG)
    with _serve(settings, now, world) as (http, path):
        token = _accept(http, path)
        bad = http.post(f"{path}/post", data={"csrf_token": token, "url": "not a post address"})
        assert bad.status_code == 400 and "not a post address" in bad.text  # theirs to fix

        mine = world.add_post("youtube", "annaglow", title="#ad #springglow", published_at=now)
        sandbox.youtube.fail("quota")
        sent = http.post(f"{path}/post", data={"csrf_token": token, "url": mine.url})
        assert sent.status_code == 503
        assert "we could not check this post right now; please try again later" in sent.text.lower()
        assert "quota" not in sent.text.lower() and "youtube:" not in sent.text
        assert f"/p/{path.removeprefix('/p/')}" in sent.text  # the way back to the page
    logged = [r.getMessage() for r in caplog.records if r.name == ROUTES_LOG]
    assert len(logged) == 1 and "youtube" in logged[0] and "quota" in logged[0].lower()
    key = settings.youtube_api_key
    assert key is not None and key.get_secret_value() not in logged[0]  # redacted
