"""What a creator does in the portal, through the same services as the operator's commands.

Accepting or declining calls ``services.replies.answers.respond`` (what ``campaign respond``
calls): the same stage move, fee, due date, tracking link and brief. A live post goes through
``services.tracking.submission.submit_deliverable`` (what ``campaign deliverable`` calls) with
the link's own creator, so a URL of someone else's post is refused by the ownership check.
Each action also records a portal event naming the link it came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.model import Stage
from creatorflow.errors import InputError, TransitionError
from creatorflow.services.portal.links import PortalAccess
from creatorflow.services.portal.terms import load_terms
from creatorflow.services.portal.view import TERMS_ACCEPTED
from creatorflow.services.replies.answers import ResponseResult, respond
from creatorflow.services.tracking.deliverables import ClientFactory
from creatorflow.services.tracking.submission import SubmissionResult, submit_deliverable
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import campaign_by_id
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Enrollment, Event, ShippingAddress


@dataclass(frozen=True)
class Who:
    platform: str
    handle: str
    campaign_slug: str
    template_set: str
    creator_id: int
    campaign_id: int
    gift: bool
    stage: str


def _who(session: Session, enrollment_id: int) -> Who:
    enrollment, account = session.execute(
        select(Enrollment, Account)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.id == enrollment_id)
    ).one()
    campaign = campaign_by_id(session, enrollment.campaign_id)
    return Who(
        account.platform,
        account.handle,
        campaign.slug,
        campaign.spec.outreach.template_set,
        enrollment.creator_id,
        enrollment.campaign_id,
        campaign.spec.gift,
        enrollment.stage,
    )


def _event(
    session: Session,
    who: Who,
    access: PortalAccess,
    kind: str,
    detail: dict[str, Any],
    *,
    now: datetime,
) -> None:
    record_event(
        session,
        kind=kind,
        entity="enrollment",
        entity_id=access.enrollment_id,
        detail={"link_id": access.link_id, **detail},
        actor=access.actor,
        at=now,
        creator_id=who.creator_id,
        campaign_id=who.campaign_id,
    )


def answer_offer(
    *,
    engine: Engine,
    settings: Settings,
    access: PortalAccess,
    accepted: bool,
    terms_version: str,
    now: datetime,
) -> ResponseResult:
    """Accept the offer and its terms (the version shown), or decline, as ``respond`` does."""
    with session_scope(engine) as session:
        who = _who(session, access.enrollment_id)
    terms = load_terms(settings.templates_dir, who.template_set)
    if accepted and terms_version != terms.version:
        raise TransitionError("the terms changed since the page was opened: read them again")
    if accepted and who.stage == Stage.POSTED.value:  # the deal stands: only the terms are new
        label = f"{who.platform}:{who.handle}"
        result = ResponseResult(who.campaign_slug, label, who.stage, changed=False)
    else:
        result = _respond(engine, settings, who, accepted=accepted, now=now, actor=access.actor)
    with session_scope(engine) as session:
        if accepted and not _accepted_before(session, access.enrollment_id, terms.version):
            detail = {"version": terms.version, "source": terms.source, "at": now.isoformat()}
            _event(session, who, access, TERMS_ACCEPTED, detail, now=now)
        elif result.changed:
            _event(session, who, access, "offer_declined", {}, now=now)
    return result


def _accepted_before(session: Session, enrollment_id: int, version: str) -> bool:
    """Whether this version of the terms was accepted already (a second click records none)."""
    rows = session.scalars(
        select(Event.detail).where(
            Event.entity == "enrollment",
            Event.entity_id == enrollment_id,
            Event.kind == TERMS_ACCEPTED,
        )
    )
    return any(detail.get("version") == version for detail in rows)


def _respond(
    engine: Engine, settings: Settings, who: Who, *, accepted: bool, now: datetime, actor: str
) -> ResponseResult:
    """``campaign respond`` for the link's creator (the same service, the portal as actor)."""
    return respond(
        engine=engine,
        settings=settings,
        campaign_slug=who.campaign_slug,
        platform=who.platform,
        handle=who.handle,
        accepted=accepted,
        fee=None,
        now=now,
        actor=actor,
    )


def submit_post(
    *,
    engine: Engine,
    clients: ClientFactory,
    access: PortalAccess,
    url: str,
    now: datetime,
) -> SubmissionResult:
    """The live post, checked as ``campaign deliverable --creator`` checks it."""
    url = url.strip()
    if not url or len(url) > 2000:
        raise InputError("give the address (URL) of your live post")
    with session_scope(engine) as session:
        who = _who(session, access.enrollment_id)
    result = submit_deliverable(
        engine=engine,
        clients=clients,
        campaign_slug=who.campaign_slug,
        url=url,
        creator=f"{who.platform}:{who.handle}",
        now=now,
        actor=access.actor,
    )
    with session_scope(engine) as session:
        detail = {"deliverable_id": result.deliverable_id, "created": result.created}
        _event(session, who, access, "portal_post_submitted", detail, now=now)
    return result


#: The shipping form's fields: (name, longest length, required).
ADDRESS_FIELDS = (
    ("name", 200, True),
    ("street", 500, True),
    ("city", 200, True),
    ("postcode", 32, True),
    ("country", 2, True),
    ("phone", 40, False),
)


def save_shipping_address(
    *,
    engine: Engine,
    access: PortalAccess,
    fields: dict[str, str],
    now: datetime,
) -> None:
    """Store (or replace) the address gifted product goes to; only for gifting campaigns."""
    clean: dict[str, str] = {}
    for name, longest, required in ADDRESS_FIELDS:
        value = (
            " ".join(fields.get(name, "").split())
            if name != "street"
            else fields.get(name, "").strip()
        )
        if required and not value:
            raise InputError(f"{name}: is required")
        if len(value) > longest:
            raise InputError(f"{name}: at most {longest} characters")
        clean[name] = value
    clean["country"] = clean["country"].upper()
    if not clean["country"].isalpha() or len(clean["country"]) != 2:
        raise InputError("country: give the two-letter code, e.g. US or DE")
    with session_scope(engine) as session:
        who = _who(session, access.enrollment_id)
        if not who.gift:
            raise InputError("this campaign sends no product: no address is needed")
        row = session.scalars(
            select(ShippingAddress).where(ShippingAddress.enrollment_id == access.enrollment_id)
        ).one_or_none()
        if row is None:
            row = ShippingAddress(enrollment_id=access.enrollment_id)
            session.add(row)
        row.name, row.street, row.city = clean["name"], clean["street"], clean["city"]
        row.postcode, row.country = clean["postcode"], clean["country"]
        row.phone = clean["phone"] or None
        row.updated_at = now
        _event(session, who, access, "shipping_address_saved", {}, now=now)
