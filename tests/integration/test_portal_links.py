"""The creator portal over HTTP: signed links, its forms, drafts, reviews and shipping.

The portal router runs in a real FastAPI app (httpx.Client) on a migrated SQLite database, the
brief and the review decisions leave through the maildir outbox, and live posts are checked
against the sandbox YouTube API. The browser journey is tests/e2e/test_portal_browser.py.
"""

from __future__ import annotations

import csv
import mailbox
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from creatorflow.errors import InputError
from creatorflow.sandbox import World
from creatorflow.services.portal.links import make_token, revoke_links
from creatorflow.services.portal.reviews import decide_draft, posts_before_approval
from creatorflow.services.tracking.account_problems import needs_attention
from creatorflow.services.tracking.run_summary import attention_steps
from creatorflow.services.tracking.status import campaign_status
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import (
    Deliverable,
    Draft,
    Enrollment,
    Event,
    OutreachMessage,
    ShippingAddress,
)
from creatorflow.web.portal.links import RateLimiter
from tests.support.builders import Contacted
from tests.support.portal import Clock, Reviews, link_of, portal_app, portal_campaign, settings_env
from tests.support.servers import serve

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def portal_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    return make_settings(
        portal_base_url="https://portal.example",
        upload_dir=tmp_path / "drafts",
        max_upload_bytes=4096,
    )


@pytest.fixture
def db(portal_settings: Settings) -> Engine:
    return engine_for(portal_settings.database_url)


@pytest.fixture
def creators(db: Engine, world: World, now: datetime) -> list[Contacted]:
    hostile = {"mallory": '<script>alert("x")</script> Mallory'}
    return portal_campaign(db, world, now, "annaglow", "mallory", names=hostile)


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def reviews() -> Reviews:
    return Reviews()


@pytest.fixture
def client(
    portal_settings: Settings, db: Engine, clock: Clock, reviews: Reviews, creators: object
) -> Iterator[httpx.Client]:
    app = portal_app(portal_settings, db, clock=clock, reviews=reviews)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def _path(settings: Settings, db: Engine, handle: str, now: datetime) -> str:
    return "/p/" + link_of(db, settings, handle, now).url.rsplit("/p/", 1)[1]


def _page(client: httpx.Client, path: str) -> tuple[str, str]:
    """The page's HTML and its CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    return page.text, match.group(1)


def _events(db: Engine, kind: str) -> list[Event]:
    with session_scope(db) as session:
        rows = list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))
        session.expunge_all()
        return rows


def _outbox(settings: Settings) -> list[str]:
    folder = Path(settings.mail_url.get_secret_value().removeprefix("maildir://"))
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    return [box.get_bytes(key).decode("utf-8", "replace") for key in box.iterkeys()]


def _accept(client: httpx.Client, path: str) -> None:
    html, token = _page(client, path)
    version = re.search(r'name="terms_version" value="([^"]+)"', html)
    assert version is not None
    answer = {"csrf_token": token, "terms_version": version.group(1), "answer": "accept"}
    response = client.post(f"{path}/offer", data=answer, follow_redirects=False)
    assert response.status_code == 303, response.text


def _accepted(
    client: httpx.Client, settings: Settings, db: Engine, handle: str, now: datetime
) -> tuple[str, str, str]:
    """``handle``'s portal path once the offer is accepted, and the page then: (path, HTML,
    CSRF token)."""
    path = _path(settings, db, handle, now)
    _accept(client, path)
    return (path, *_page(client, path))


def test_accepting_in_the_portal_records_the_terms_and_moves_the_stage_as_respond_does(
    client: httpx.Client, portal_settings: Settings, db: Engine, creators: list[Contacted], now
) -> None:
    path = _path(portal_settings, db, "annaglow", now)
    html, _ = _page(client, path)
    assert "400 USD" in html and "Terms of this partnership" in html

    _accept(client, path)

    with session_scope(db) as session:
        enrollment = session.get(Enrollment, creators[0].enrollment_id)
        assert enrollment is not None
        assert enrollment.stage == "accepted" and enrollment.accepted_at == now
        assert enrollment.due_at == now + timedelta(days=14)
    moves = [e for e in _events(db, "stage_changed") if e.detail.get("to") == "accepted"]
    link_id = int(path.split(".")[1])
    assert [e.actor for e in moves] == [f"portal:link-{link_id}"]
    (accepted,) = _events(db, "terms_accepted")
    assert accepted.detail["link_id"] == link_id
    assert accepted.detail["version"].startswith("sha256:")
    assert accepted.entity_id == creators[0].enrollment_id
    (brief,) = _outbox(portal_settings)
    assert "https://portal.example/p/v1." in brief  # the brief carries the portal link
    page = client.get(f"{path}?done=accepted").text
    assert "You accepted these terms" in page and "What is due" in page
    assert "A draft, approved before you post, by 2027-03-08" in page  # a week before the post
    assert 'value="accept"' not in page  # accepted: no form any more
    _, token = _page(client, path)
    again = {"csrf_token": token, "answer": "accept", "terms_version": accepted.detail["version"]}
    assert client.post(f"{path}/offer", data=again).status_code == 303  # a second click
    assert len(_events(db, "terms_accepted")) == 1  # the same terms: no second event

    mallory = _path(portal_settings, db, "mallory", now)
    _, token = _page(client, mallory)
    declined = client.post(f"{mallory}/offer", data={"csrf_token": token, "answer": "decline"})
    assert declined.status_code == 303
    with session_scope(db) as session:
        assert session.get(Enrollment, creators[1].enrollment_id).stage == "declined"  # type: ignore[union-attr]
    assert [e.actor for e in _events(db, "offer_declined")] == [
        f"portal:link-{int(mallory.split('.')[1])}"
    ]
    assert client.get(f"{mallory}/offer").status_code == 303  # a form's address opened: the page


def test_forged_expired_revoked_and_other_creators_links_are_refused(
    client: httpx.Client,
    portal_settings: Settings,
    db: Engine,
    clock: Clock,
    creators: list[Contacted],
    now: datetime,
) -> None:
    anna, mallory = creators
    path = _path(portal_settings, db, "annaglow", now)
    _, link_id, enrollment_id, expiry, signature = path.removeprefix("/p/").split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = f"/p/v1.{link_id}.{enrollment_id}.{expiry}.{flipped}"
    other = f"/p/v1.{link_id}.{mallory.enrollment_id}.{expiry}.{signature}"
    assert client.get(forged).status_code == 403
    assert client.get(other).status_code == 403  # anna's signature on mallory's enrollment
    key = portal_settings.secret_key.get_secret_value().encode()  # type: ignore[union-attr]
    resigned = make_token(  # a good signature, but link row 1 belongs to anna's enrollment
        key=key,
        link_id=int(link_id),
        enrollment_id=mallory.enrollment_id,
        expires_at=datetime.fromtimestamp(int(expiry), now.tzinfo),
    )
    assert client.get(f"/p/{resigned}").status_code == 403
    mallory_page = client.get(_path(portal_settings, db, "mallory", now)).text
    assert "@mallory" in mallory_page and "@annaglow" not in mallory_page

    clock.now = now + timedelta(days=portal_settings.portal_link_days, seconds=1)
    expired = client.get(path)
    assert expired.status_code == 410 and "expired" in expired.text
    clock.now = now
    assert client.get(path).status_code == 200
    revoke_links(
        engine=db, campaign_slug="spring-glow", creator="youtube:annaglow", now=now, actor="t"
    )
    revoked = client.get(path)
    assert revoked.status_code == 410 and "withdrawn" in revoked.text
    fresh = _path(portal_settings, db, "annaglow", now)
    assert fresh != path and client.get(fresh).status_code == 200


def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.Client, portal_settings: Settings, db: Engine, creators: list[Contacted], now
) -> None:
    anna = _path(portal_settings, db, "annaglow", now)
    mallory = _path(portal_settings, db, "mallory", now)
    _, token = _page(client, mallory)
    _page(client, anna)
    answer = {"answer": "accept", "terms_version": "x"}
    assert client.post(f"{anna}/offer", data=answer).status_code == 403
    copied = client.post(f"{anna}/offer", data={**answer, "csrf_token": token})
    assert copied.status_code == 403  # mallory's form token does not open anna's forms
    client.cookies.clear()
    assert client.post(f"{mallory}/offer", data={**answer, "csrf_token": token}).status_code == 403
    with session_scope(db) as session:
        stages = set(session.scalars(select(Enrollment.stage)))
    assert stages == {"replied"}


def test_uploads_over_the_limit_or_of_a_wrong_type_are_refused_and_good_ones_reviewed(
    client: httpx.Client,
    portal_settings: Settings,
    db: Engine,
    reviews: Reviews,
    creators: list[Contacted],
    now: datetime,
) -> None:
    path, _, token = _accepted(client, portal_settings, db, "annaglow", now)

    def upload(content: bytes, name: str = "draft.png") -> int:
        files = {"file": (name, content, "image/png")}
        sent = client.post(
            f"{path}/draft", data={"csrf_token": token}, files=files, follow_redirects=False
        )
        return sent.status_code

    assert upload(PNG + b"\0" * 5000) == 413
    assert upload(b"<?php system($_GET['c']); ?> not a picture") == 415
    assert upload(b"") == 400  # neither a file nor a link
    uploads = portal_settings.upload_dir
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    assert upload(PNG, name="../../etc/passwd.png") == 303
    with session_scope(db) as session:
        draft = session.scalars(select(Draft)).one()
        assert (draft.media_type, draft.size, draft.version) == ("image/png", len(PNG), 1)
        assert draft.path is not None and ".." not in draft.path
    stored = uploads / draft.path
    assert stored.read_bytes() == PNG and stored.resolve().is_relative_to(uploads.resolve())
    assert reviews.started == [draft.id]
    assert draft.path not in client.get(path).text  # the stored file is never shown or served
    served = client.get(f"/p/{draft.path}", follow_redirects=True)
    assert served.status_code in (403, 404) and PNG not in served.content
    assert len(_events(db, "draft_submitted")) == 1


def test_the_review_decision_is_recorded_and_emailed_exactly_once(
    client: httpx.Client, portal_settings: Settings, db: Engine, creators: list[Contacted], now
) -> None:
    path, _, token = _accepted(client, portal_settings, db, "annaglow", now)
    link = {"csrf_token": token, "link": "https://drive.example/d/1", "note": "first cut"}
    assert client.post(f"{path}/draft", data=link, follow_redirects=False).status_code == 303
    with session_scope(db) as session:
        draft_id = session.scalars(select(Draft.id)).one()
    decide = {"engine": db, "settings": portal_settings, "draft_id": draft_id, "now": now}
    with pytest.raises(InputError, match="needs a comment"):
        decide_draft(**decide, approved=False, comment=" ", actor="test")
    first = decide_draft(**decide, approved=False, comment="Show the <b>label</b>", actor="t")
    again = decide_draft(**decide, approved=True, comment="", actor="t")
    assert (first.changed, first.email) == (True, "sent")
    assert (again.changed, again.decision) == (False, "changes_requested")
    decisions = [m for m in _outbox(portal_settings) if "Changes requested" in m]
    assert len(decisions) == 1 and "Show the" in decisions[0]
    page = client.get(path).text
    assert "changes requested" in page and "Show the &lt;b&gt;label&lt;/b&gt;" in page
    assert [e.kind for e in _events(db, "draft_changes_requested")] == ["draft_changes_requested"]
    portal = campaign_status(engine=db, campaign_slug="spring-glow").portal
    assert portal == {
        "terms_accepted": 1,
        "drafts_submitted": 1,
        "drafts_approved": 0,
        "changes_requested": 1,
        "posted_before_approval": 0,
    }


def test_a_live_post_is_checked_through_the_api_and_early_posts_are_flagged(
    client: httpx.Client,
    portal_settings: Settings,
    db: Engine,
    world: World,
    creators: list[Contacted],
    now: datetime,
) -> None:
    path, _, token = _accepted(client, portal_settings, db, "annaglow", now)
    theirs = world.add_post("youtube", "mallory", title="#springglow", published_at=now)
    refused = client.post(f"{path}/post", data={"csrf_token": token, "url": theirs.url})
    assert refused.status_code == 400 and "belongs to" in refused.text
    mine = world.add_post("youtube", "annaglow", title="#ad #springglow", published_at=now)
    sent = client.post(
        f"{path}/post", data={"csrf_token": token, "url": mine.url}, follow_redirects=False
    )
    assert sent.status_code == 303
    with session_scope(db) as session:
        post = session.scalars(select(Deliverable)).one()
        assert (post.post_id, post.provenance) == (mine.post_id, "api")
    early = posts_before_approval(engine=db, campaign_slug="spring-glow")
    assert [(e.creator, e.post_id) for e in early] == [("youtube:annaglow", mine.post_id)]
    attention = needs_attention(engine=db, campaign_slugs=["spring-glow"], now=now, actor="t")
    (step,) = [s for s in attention_steps(attention) if "before its draft" in s]
    assert "youtube:annaglow" in step and mine.post_id in step  # in the tracking summary
    assert len(_events(db, "portal_post_submitted")) == 1
    assert (
        campaign_status(engine=db, campaign_slug="spring-glow").portal["posted_before_approval"]
        == 1
    )


def test_hostile_text_is_escaped_and_shipping_exports_as_csv(
    client: httpx.Client,
    portal_settings: Settings,
    db: Engine,
    creators: list[Contacted],
    now: datetime,
    tmp_path: Path,
) -> None:
    from creatorflow.services.portal.shipping import export_shipping

    path, html, token = _accepted(client, portal_settings, db, "mallory", now)
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    address = {"name": '"><img src=x onerror=alert(1)>', "street": "1 Main St\n<b>Flat 2</b>"}
    address |= {"city": "Springfield", "postcode": "12345", "country": "us", "phone": ""}
    saved = client.post(
        f"{path}/shipping", data={"csrf_token": token, **address}, follow_redirects=False
    )
    assert saved.status_code == 303
    note = {"csrf_token": token, "link": "https://x.example/<script>", "note": "<i>hi</i>"}
    assert client.post(f"{path}/draft", data=note, follow_redirects=False).status_code == 303
    page = client.get(path).text
    assert "<img src=x" not in page and "&#34;&gt;&lt;img src=x" in page
    assert "<script>" not in page and "<b>Flat 2</b>" not in page
    out = tmp_path / "shipping.csv"
    count = export_shipping(engine=db, campaign_slug="spring-glow", out=out, now=now, actor="t")
    with out.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert count == 1 and rows[0]["country"] == "US" and rows[0]["handle"] == "mallory"
    with session_scope(db) as session:
        assert session.scalar(select(func.count()).select_from(ShippingAddress)) == 1


def test_each_link_is_rate_limited_on_its_own(
    portal_settings: Settings, db: Engine, clock: Clock, creators: list[Contacted], now
) -> None:
    limiter = RateLimiter(3, 60, clock=lambda: 0.0)
    app = portal_app(portal_settings, db, clock=clock, reviews=Reviews(), page_limiter=limiter)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        anna = _path(portal_settings, db, "annaglow", now)
        assert [http.get(anna).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert http.get(anna).headers["Retry-After"] == "60"
        assert http.get(_path(portal_settings, db, "mallory", now)).status_code == 200


def test_web_app_serves_the_portal_and_the_link_command_prints_and_revokes(
    portal_settings: Settings, db: Engine, creators: list[Contacted], app_env, now
) -> None:
    from typer.testing import CliRunner

    from creatorflow.cli import app as cli
    from creatorflow.web.app import create_app

    app_env(settings_env(portal_settings))
    runner = CliRunner()
    printed = runner.invoke(cli, ["campaign", "portal-link", "spring-glow", "youtube:annaglow"])
    assert printed.exit_code == 0, printed.output
    url = printed.stdout.strip().splitlines()[0]
    assert url.startswith("https://portal.example/p/v1.")
    app = create_app(portal_settings)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        assert http.get(url.removeprefix("https://portal.example")).status_code == 200
        assert http.get("/p/v1.1.1.1.forged").status_code == 403
        revoked = runner.invoke(
            cli, ["campaign", "portal-link", "spring-glow", "youtube:annaglow", "--revoke"]
        )
        assert revoked.exit_code == 0 and "revoked 1 link" in revoked.stdout
        assert http.get(url.removeprefix("https://portal.example")).status_code == 410


def test_an_overdue_draft_is_reminded_once_with_the_portal_link(
    client: httpx.Client, portal_settings: Settings, db: Engine, creators: list[Contacted], now
) -> None:
    from creatorflow.services.tracking.reminders import send_reminders

    path = _path(portal_settings, db, "annaglow", now)
    _accept(client, path)
    at = now + timedelta(days=8, hours=1)  # Tuesday: the draft was due the day before
    remind = {"engine": db, "settings": portal_settings, "campaign_slug": "spring-glow"}
    first = send_reminders(**remind, now=at, actor="test")
    again = send_reminders(**remind, now=at + timedelta(hours=1), actor="test")
    assert (first.planned, len(first.outbox.sent)) == (1, 1)
    assert len(again.outbox.sent) == 0
    (reminder,) = [m for m in _outbox(portal_settings) if "was due on" in m]
    assert "https://portal.example/p/v1." in reminder
    with session_scope(db) as session:
        steps = set(session.scalars(select(OutreachMessage.step)))
    assert "draft_reminder_overdue_1" in steps
