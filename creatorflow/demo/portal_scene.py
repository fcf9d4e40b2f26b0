"""The demo's portal scene: two creators who posted use their portal link.

Each gets the link the brief would carry (``campaign portal-link``), accepts the terms, submits
a draft link that the reviewer approves (``decide_draft``, what the ``review-draft`` form's answer
does; the demo does not wait on a paused run) and submits the live post's URL, checked against
the sandbox API as ``campaign deliverable`` checks it. The scene calls the portal's services
directly, the same ones the pages call; tests/e2e/test_portal_browser.py drives the pages.
"""

from __future__ import annotations

from datetime import datetime

from creatorflow.demo.cast import Person
from creatorflow.demo.run import SLUG, Demo
from creatorflow.errors import CreatorflowError
from creatorflow.services.portal.actions import answer_offer, submit_post
from creatorflow.services.portal.drafts import submit_draft
from creatorflow.services.portal.links import check_link, issue_link, portal_key
from creatorflow.services.portal.reviews import decide_draft
from creatorflow.services.portal.terms import Terms, load_terms
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import engine_for
from creatorflow.wiring import wire

ACTOR = "cli:demo"
PORTAL_BASE_URL = "https://portal.example.test"  # `creatorflow web` behind HTTPS, in production


def portal_scene(demo: Demo, settings: Settings, now: datetime) -> None:
    """Two creators whose post is up go through the portal (see the module docstring)."""
    if not settings.portal_base_url:
        settings = settings.model_copy(update={"portal_base_url": PORTAL_BASE_URL})
    engine = engine_for(settings.database_url)
    template_set = get_campaign(engine, SLUG).spec.outreach.template_set
    terms = load_terms(settings.templates_dir, template_set)
    posted = [
        p
        for p in demo.cast.people
        if p.accepted_at and p.post_ids and p.enrolled and not p.deleted and p.posted_on
    ]
    # the newest posts first: those tracking has not seen yet come in through the portal
    chosen = sorted(posted, key=lambda p: p.posted_on or now, reverse=True)[:2]
    for person in chosen:
        try:
            _visit(demo, settings, person, terms, now)
        except CreatorflowError as exc:  # the demo goes on; the line says what was refused
            demo.say(f"portal: {person.handle_ref}: {exc}")


def _visit(demo: Demo, settings: Settings, person: Person, terms: Terms, now: datetime) -> None:
    engine = engine_for(settings.database_url)
    link = issue_link(
        engine=engine,
        settings=settings,
        campaign_slug=SLUG,
        creator=person.handle_ref,
        now=now,
        actor=ACTOR,
    )
    token = link.url.rsplit("/p/", 1)[1]
    access = check_link(engine=engine, key=portal_key(settings), token=token, now=now)
    answer_offer(
        engine=engine,
        settings=settings,
        access=access,
        accepted=True,
        terms_version=terms.version,
        now=now,
    )
    draft = submit_draft(
        engine=engine,
        settings=settings,
        access=access,
        now=now,
        link=f"https://drafts.example.test/{person.handle_ref.split(':')[1]}/v1",
    )
    decision = decide_draft(
        engine=engine,
        settings=settings,
        draft_id=draft.draft_id,
        approved=True,
        comment="Lovely, post it as it is.",
        now=now,
        actor="cli:demo reviewer",
    )
    post = demo.world.post(person.post_ids[0])
    url = post.url if post is not None else ""
    submitted = wire(settings).call(submit_post, actor=ACTOR, now=now, access=access, url=url)
    demo.say(
        f"portal: {person.handle_ref} opened {link.url[:48]}..., accepted the terms "
        f"({terms.version}), draft v{draft.version} {decision.decision} (email "
        f"{decision.email}), live post {submitted.post_id}: {submitted.note}"
    )
