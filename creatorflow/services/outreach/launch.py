"""Launching a campaign: build the shortlist, store it with the file, approve, send first emails.

The shortlist is computed once and stored as enrollments (stage ``shortlisted``); later runs of
the same campaign reuse it, so a re-run after a crash only resumes sending. While the campaign is
still a draft (no email sent yet) a changed campaign file discards the old shortlist and builds a
new one; once launched, the file cannot change.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, exists, select
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.lifecycle import ACTIVE, CLOSED, Cause
from creatorflow.domain.model import Stage
from creatorflow.domain.send_rules import normalize_address
from creatorflow.domain.shortlist import (
    Candidate,
    Shortlist,
    build_shortlist,
    engagement_label,
    exclusion_counts,
)
from creatorflow.errors import InputError
from creatorflow.services.outreach.contact_cap import hold_back
from creatorflow.services.outreach.launch_summary import (
    ShortlistResult,
    load_counts,
    record_counts,
    unsubscribe_warning,
)
from creatorflow.services.outreach.preflight import FirstEmail, render_first_emails
from creatorflow.services.outreach.sending import OutboundEmail, SendReport, send_emails
from creatorflow.services.outreach.suppression import suppressed_among
from creatorflow.settings import Settings
from creatorflow.storage.account_status import PROBLEM_VALUES
from creatorflow.storage.campaigns import (
    StoredCampaign,
    get_campaign,
    spec_digest,
    store_campaign,
)
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import enroll, move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Campaign, Creator, Enrollment, OutreachMessage
from creatorflow.storage.statistics import analyze_written


def _candidates(session: Session, spec: CampaignSpec, campaign_id: int | None) -> list[Candidate]:
    """Accounts the rules may pick for a campaign with no enrollment yet (``campaign_id``: its
    stored row, None before it is stored), with what other campaigns say about each creator."""
    platforms = [p.value for p in spec.platforms]
    elsewhere: dict[int, tuple[str | None, str | None]] = {}
    rows = session.execute(
        select(Enrollment.creator_id, Enrollment.stage, Campaign.slug, Campaign.status)
        .join(Campaign, Campaign.id == Enrollment.campaign_id)
        .where(Enrollment.campaign_id != (campaign_id or 0))
    ).all()
    for creator_id, stage, slug, status in rows:
        closed, active = elsewhere.get(creator_id, (None, None))
        if stage in CLOSED:
            closed = closed or f"{stage} in campaign {slug}"
        elif stage in ACTIVE and status != "ended":
            active = active or slug
        elsewhere[creator_id] = (closed, active)
    accounts = session.execute(
        select(Account, Creator)
        .join(Creator, Creator.id == Account.creator_id)
        .where(Account.platform.in_(platforms))
        .where(Account.status.not_in(PROBLEM_VALUES))  # named by the refresh that found it
        .order_by(Account.id)
    ).all()
    suppressed = suppressed_among(session, [c.email for _, c in accounts if c.email])
    out = []
    for account, creator in accounts:
        closed, active = elsewhere.get(creator.id, (None, None))
        out.append(
            Candidate(
                creator_id=creator.id,
                account_id=account.id,
                platform=account.platform,
                handle=account.handle,
                name=creator.name,
                tier=account.tier,
                followers=account.followers,
                engagement_rate=account.engagement_rate,
                engagement_unknown=account.engagement_unknown,
                country=creator.country,
                niche=creator.niche,
                has_email=bool(creator.email),
                suppressed=bool(creator.email) and normalize_address(creator.email) in suppressed,
                closed_elsewhere=closed,
                active_elsewhere=active,
            )
        )
    return out


def _discard_draft_shortlist(
    session: Session, campaign: StoredCampaign, now: datetime, actor: str
) -> None:
    """A draft's file changed: drop enrollments that have no message yet."""
    has_message = exists().where(OutreachMessage.enrollment_id == Enrollment.id)
    count = cast(
        CursorResult[Any],
        session.execute(
            delete(Enrollment).where(Enrollment.campaign_id == campaign.id).where(~has_message)
        ),
    ).rowcount
    record_event(
        session,
        kind="shortlist_discarded",
        entity="campaign",
        entity_id=campaign.id,
        detail={"enrollments": count, "reason": "campaign file changed before launch"},
        actor=actor,
        at=now,
        campaign_id=campaign.id,
    )


def _needs_shortlist(session: Session, spec: CampaignSpec) -> tuple[int | None, bool]:
    """(stored id or None, whether storing ``spec`` will leave it without any enrollment)."""
    row = session.scalars(select(Campaign).where(Campaign.slug == spec.slug)).one_or_none()
    if row is None:
        return None, True
    kept = select(Enrollment.id).where(Enrollment.campaign_id == row.id)
    if row.spec_sha256 != spec_digest(spec):  # a draft's discard keeps only messaged ones
        kept = kept.where(exists().where(OutreachMessage.enrollment_id == Enrollment.id))
    return row.id, session.scalars(kept.limit(1)).first() is None


def _build_and_check(
    session: Session,
    settings: Settings,
    spec: CampaignSpec,
    campaign_id: int | None,
    now: datetime,
) -> Shortlist:
    """The shortlist, after every pick's first email has rendered (``TemplateError`` else)."""
    shortlist = build_shortlist(
        hold_back(
            session,
            _candidates(session, spec, campaign_id),
            settings=settings,
            campaign_id=campaign_id,
            now=now,
        ),
        selection=spec.selection,
        offers=spec.offer,
        budget=spec.budget,
        platforms=spec.platforms,
    )
    ids = [pick.candidate.creator_id for pick in shortlist.picks]
    contact: dict[int, tuple[str | None, str | None]] = {}
    for start in range(0, len(ids), 500):
        contact.update(
            (creator_id, (email, timezone))
            for creator_id, email, timezone in session.execute(
                select(Creator.id, Creator.email, Creator.timezone).where(
                    Creator.id.in_(ids[start : start + 500])
                )
            )
        )
    render_first_emails(
        settings=settings,
        spec=spec,
        emails=[
            FirstEmail(
                creator_id=c.creator_id,
                email=email,
                name=c.name,
                handle=c.handle,
                platform=c.platform,
                tier=pick.tier.value,
                followers=c.followers,
                timezone=timezone,
                offer=pick.offer,
            )
            for pick in shortlist.picks
            for c in [pick.candidate]
            for email, timezone in [contact.get(c.creator_id, (None, None))]
            if email
        ],
    )
    return shortlist


def shortlist_campaign(
    *, engine: Engine, settings: Settings, spec: CampaignSpec, now: datetime, actor: str
) -> ShortlistResult:
    """Store ``spec`` and its shortlist (or reuse the stored one), in one transaction.

    The shortlist is built and every first email rendered before the first write, so a
    template that fails for any creator leaves nothing stored: no campaign, no enrollment, no
    event.
    """
    with session_scope(engine) as session:
        stored_id, needs_shortlist = _needs_shortlist(session, spec)  # reads only
        shortlist = (
            _build_and_check(session, settings, spec, stored_id, now) if needs_shortlist else None
        )
        campaign = store_campaign(session, spec=spec, now=now, actor=actor)
        spec = campaign.spec
        result = ShortlistResult(
            slug=spec.slug,
            campaign_id=campaign.id,
            reused=False,
            budget=spec.budget,
            currency=spec.currency,
            wanted={t.value: n for t, n in spec.selection.tiers.items()},
            offers={t.value: offer for t, offer in spec.offer.items()},
        )
        if campaign.changed:
            _discard_draft_shortlist(session, campaign, now, actor)
        enrolled = 0  # rows this call added (their statistics are refreshed after commit)
        existing = session.scalars(
            select(Enrollment.id).where(Enrollment.campaign_id == campaign.id).limit(1)
        ).first()
        if existing is None:
            if shortlist is None:  # another run emptied it meanwhile: build it now
                shortlist = _build_and_check(session, settings, spec, campaign.id, now)
            picks = [
                {
                    "campaign_id": campaign.id,
                    "creator_id": pick.candidate.creator_id,
                    "account_id": pick.candidate.account_id,
                    "tier": pick.tier.value,
                    "followers_at_shortlist": pick.candidate.followers,
                    "offer": pick.offer,
                    "currency": spec.currency,
                }
                for pick in shortlist.picks
            ]
            reason = "selected by the campaign's rules"
            enrolled = len(enroll(session, picks, now=now, actor=actor, reason=reason))
            result.exclusions = [
                {
                    "creator": e.candidate.label,
                    "name": e.candidate.name or "",
                    "tier": e.candidate.tier or "",
                    "followers": e.candidate.followers,
                    "engagement": engagement_label(
                        e.candidate.engagement_rate, e.candidate.engagement_unknown
                    ),
                    "reason": e.reason,
                }
                for e in shortlist.exclusions
            ]
            result.excluded = len(shortlist.exclusions)
            result.reasons = exclusion_counts(shortlist.exclusions)
        else:
            result.reused = True
            load_counts(session, result)
        result.picks, result.unknown_engagement = _shortlist_rows(session, campaign.id)
        if not result.reused:
            record_counts(session, result, now=now, actor=actor)
    analyze_written(engine, {"enrollments": enrolled, "events": enrolled})  # one event each
    warning = unsubscribe_warning(settings)
    result.warnings = [warning] if warning else []
    active = result.active_picks
    result.spend = sum((Decimal(str(p["offer"] or 0)) for p in active), start=Decimal("0"))
    got = {tier: sum(1 for p in active if p["tier"] == tier) for tier in result.wanted}
    result.shortfall = {t: n - got[t] for t, n in result.wanted.items() if got[t] < n}
    return result


def _shortlist_rows(session: Session, campaign_id: int) -> tuple[list[dict[str, Any]], int]:
    """The stored picks as rows, and how many of them have an unknown engagement rate."""
    rows = session.execute(
        select(Enrollment, Account, Creator)
        .join(Account, Account.id == Enrollment.account_id)
        .join(Creator, Creator.id == Enrollment.creator_id)
        .where(Enrollment.campaign_id == campaign_id)
        .order_by(Enrollment.id)
    ).all()
    unknown = sum(1 for _e, a, _c in rows if a.engagement_rate is None)
    return [
        {
            "creator": f"{a.platform}:{a.handle}",
            "name": c.name or "",
            "tier": e.tier or "",
            "followers": a.followers,
            "engagement": engagement_label(a.engagement_rate, a.engagement_unknown),
            "offer": str(e.offer) if e.offer is not None else "",
            "stage": e.stage,
            "enrollment_id": e.id,
        }
        for e, a, c in rows
    ], unknown


def remove_from_shortlist(
    *, engine: Engine, campaign_slug: str, remove: list[str], now: datetime, actor: str
) -> list[str]:
    """Take creators (``platform:handle`` or email) off a shortlist before the first email."""
    if not remove:
        return []
    campaign = get_campaign(engine, campaign_slug)
    wanted = {r.strip().lower() for r in remove if r.strip()}
    with session_scope(engine) as session:
        rows = session.execute(
            select(Enrollment, Account, Creator)
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .where(Enrollment.campaign_id == campaign.id)
        ).all()
        matched: set[str] = set()
        targets = []
        for enrollment, account, creator in rows:
            keys = {f"{account.platform}:{account.handle}".lower()}
            if creator.email:
                keys.add(normalize_address(creator.email))
            hit = keys & wanted
            if hit:
                matched |= hit
                targets.append((enrollment, f"{account.platform}:{account.handle}"))
        unknown = sorted(wanted - matched)
        if unknown:
            raise InputError(f"not on the {campaign_slug} shortlist: {', '.join(unknown)}")
        moved = move_stages(
            session,
            [enrollment.id for enrollment, _label in targets],
            cause=Cause.REMOVED_BY_OPERATOR,
            reason="removed by the operator at approval",
            now=now,
            actor=actor,
        )
        moved_ids = {m.enrollment_id for m in moved}
        return [label for enrollment, label in targets if enrollment.id in moved_ids]


def send_initial_emails(
    *,
    engine: Engine,
    settings: Settings,
    campaign_slug: str,
    now: datetime,
    actor: str,
    dry_run: bool = False,
    preview_dir: Path | None = None,
) -> SendReport:
    """The first email to every approved creator still ``shortlisted`` (resumes after a crash)."""
    campaign = get_campaign(engine, campaign_slug)
    template = f"outreach/{campaign.spec.outreach.template_set}/initial"
    with session_scope(engine) as session:
        ids = session.scalars(
            select(Enrollment.id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Enrollment.stage == Stage.SHORTLISTED.value)
            .order_by(Enrollment.id)
        ).all()
    emails = [OutboundEmail(i, "initial", template, thread=False) for i in ids]
    return send_emails(
        engine=engine,
        settings=settings,
        emails=emails,
        now=now,
        actor=actor,
        dry_run=dry_run,
        preview_dir=preview_dir,
    )
