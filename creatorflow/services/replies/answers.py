"""A creator's answer to the offer, recorded by the operator: accepted (with the brief) or declined.

Accepting fixes the deal in one transaction (fee, acceptance time, due date from the campaign,
tracking link, promo code when the campaign wants codes, stage ``accepted``), then sends the brief
through the exactly-once outbox (step ``brief``). If the brief cannot leave now (outside the send
window, cap reached, SMTP down), the acceptance stands and the brief goes out on the next
``send_pending_briefs`` (the tracking flow) or when the same command is repeated: the outbox never
sends it twice. Declining ends the sequence (no follow-ups go to a ``declined`` enrollment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from creatorflow.domain import display
from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.handles import normalise_handle
from creatorflow.domain.lifecycle import Cause, refuse_acceptance, refuse_decline
from creatorflow.domain.model import MessageStatus, Platform, Stage
from creatorflow.domain.numbers import NumberError, parse_money
from creatorflow.domain.tracking_links import promo_code, tracking_url
from creatorflow.errors import InputError, NotFoundError, TransitionError
from creatorflow.services.outreach.copy_context import due_values
from creatorflow.services.outreach.sending import OutboundEmail, SendReport, send_emails
from creatorflow.services.outreach.suppression import is_suppressed
from creatorflow.services.portal.links import portal_url as portal_link
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import StoredCampaign, get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stage
from creatorflow.storage.models import Account, Creator, Enrollment, OutreachMessage

BRIEF_STEP = "brief"


@dataclass(frozen=True)
class ResponseResult:
    campaign_slug: str
    creator: str  # platform:handle
    stage: str
    changed: bool  # False when the same answer had already been recorded
    fee: Decimal | None = None
    currency: str | None = None
    due_at: datetime | None = None
    tracking_url: str | None = None
    promo_code: str | None = None
    brief: str | None = None  # sent / skipped: reason / ... (acceptances only)

    def summary(self) -> str:
        head = f"{self.creator} in {self.campaign_slug}: {self.stage}"
        if not self.changed:
            head += " (already recorded)"
        if self.stage != Stage.ACCEPTED.value:
            return head
        lines = [head]
        if self.fee is not None:
            lines.append(f"  fee: {self.fee} {self.currency or ''}".rstrip())
        if self.due_at is not None:
            lines.append(f"  due: {self.due_at:%Y-%m-%d}")
        if self.tracking_url:
            lines.append(f"  tracking link: {self.tracking_url}")
        if self.promo_code:
            lines.append(f"  promo code: {self.promo_code}")
        lines.append(f"  brief: {self.brief}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The result as the ``respond`` flow returns it (amounts and dates as text)."""
        return {
            "summary": self.summary(),
            "stage": self.stage,
            "changed": self.changed,
            "fee": str(self.fee) if self.fee is not None else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "tracking_url": self.tracking_url,
            "promo_code": self.promo_code,
            "brief": self.brief,
        }


def parse_fee(raw: str | None) -> Decimal | None:
    """``--fee 450`` / ``450.00`` / ``1,250.50`` as Decimal (``domain.numbers.parse_money``)."""
    if raw is None:
        return None
    try:
        fee = parse_money(raw)
    except NumberError as exc:
        raise InputError(f"--fee: {exc}") from None
    if fee is None:
        raise InputError("--fee: is empty (give an amount, e.g. 450)")
    return fee


def respond(
    *,
    engine: Engine,
    settings: Settings,
    campaign_slug: str,
    platform: str,
    handle: str,
    accepted: bool,
    fee: Decimal | None,
    now: datetime,
    actor: str,
) -> ResponseResult:
    """Record an acceptance (and send the brief) or a refusal; see the module docstring."""
    if fee is not None and (not fee.is_finite() or fee < 0):
        raise InputError(f"fee {fee} must be zero or more")
    if fee is not None and not accepted:
        raise InputError("a fee only goes with an acceptance")
    if accepted:  # the brief must be sendable before the acceptance is stored
        settings.require("sender", "postal_address")
    campaign = get_campaign(engine, campaign_slug)  # NotFoundError names the slug
    plat, canonical = _parse_creator(platform, handle)
    label = f"{plat.value}:{canonical}"
    with session_scope(engine) as session:
        enrollment, creator = _enrollment(session, campaign, plat, canonical, label)
        stage = Stage(enrollment.stage)
        if not accepted:
            return _decline(session, enrollment, stage, campaign, label, now=now, actor=actor)
        reason = refuse_acceptance(stage)
        if reason is None and not creator.email:
            reason = "has no email address to send the brief to"
        if reason is None and is_suppressed(session, creator.email or ""):
            reason = "is on the suppression list (opted out or bounced)"
        if reason is not None:
            raise TransitionError(f"cannot accept {label} in {campaign.slug}: {label} {reason}")
        changed = stage is not Stage.ACCEPTED
        if changed:
            # link and code name the enrolled account (the one tracked and greeted in the brief),
            # whichever of the creator's accounts the operator typed
            own = session.get_one(Account, enrollment.account_id)
            account = (Platform(own.platform), own.handle)
            _accept(session, enrollment, campaign.spec, *account, fee, now=now, actor=actor)
        elif fee is not None and enrollment.fee != fee:
            raise TransitionError(
                f"cannot accept {label} in {campaign.slug}: already accepted with fee "
                f"{enrollment.fee} {enrollment.currency or ''}".rstrip()
            )
        link = portal_link(  # "" without CREATORFLOW_PORTAL_BASE_URL (issue 18)
            session, settings=settings, enrollment_id=enrollment.id, now=now, actor=actor
        )
        email = brief_email(
            enrollment, campaign.spec, templates_dir=settings.templates_dir, portal_url=link
        )
        result = ResponseResult(
            campaign_slug=campaign.slug,
            creator=label,
            stage=Stage.ACCEPTED.value,
            changed=changed,
            fee=enrollment.fee,
            currency=enrollment.currency,
            due_at=enrollment.due_at,
            tracking_url=enrollment.tracking_url,
            promo_code=enrollment.promo_code,
        )
    report = send_emails(engine=engine, settings=settings, emails=[email], now=now, actor=actor)
    return ResponseResult(**{**result.__dict__, "brief": _brief_outcome(report)})


def record_response(
    *,
    engine: Engine,
    settings: Settings,
    campaign_slug: str,
    creator: str,
    accepted: bool,
    fee: Decimal | None,
    now: datetime,
    actor: str,
) -> ResponseResult:
    """``respond`` for a creator written ``PLATFORM:HANDLE`` (as on the command line)."""
    platform, handle = split_creator_ref(creator)
    return respond(
        engine=engine,
        settings=settings,
        campaign_slug=campaign_slug,
        platform=platform,
        handle=handle,
        accepted=accepted,
        fee=fee,
        now=now,
        actor=actor,
    )


def split_creator_ref(value: str) -> tuple[str, str]:
    """``instagram:anna.glow`` -> (``instagram``, ``anna.glow``)."""
    platform, sep, handle = value.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        raise InputError(f"{value!r}: expected PLATFORM:HANDLE, e.g. instagram:anna.glow")
    return platform.strip(), handle.strip()


def send_pending_briefs(
    *,
    engine: Engine,
    settings: Settings,
    now: datetime,
    actor: str,
    campaign_slug: str | None = None,
) -> SendReport:
    """Briefs for accepted creators that have none yet (held back by the window, a cap, 4xx)."""
    with session_scope(engine) as session:
        query = (
            select(Enrollment)
            .where(Enrollment.stage == Stage.ACCEPTED.value)
            .where(
                ~exists().where(  # a deferred brief is tried again (the outbox knows when)
                    OutreachMessage.enrollment_id == Enrollment.id,
                    OutreachMessage.step == BRIEF_STEP,
                    OutreachMessage.status != MessageStatus.DEFERRED.value,
                )
            )
            .order_by(Enrollment.id)
        )
        if campaign_slug is not None:
            query = query.where(Enrollment.campaign_id == get_campaign(engine, campaign_slug).id)
        pending = list(session.scalars(query))
    if not pending:
        return SendReport()
    specs: dict[int, CampaignSpec] = {}
    emails = []
    for enrollment in pending:
        if enrollment.campaign_id not in specs:
            specs[enrollment.campaign_id] = _spec_by_id(engine, enrollment.campaign_id)
        with session_scope(engine) as session:  # the creator portal's link (issue 18)
            link = portal_link(
                session, settings=settings, enrollment_id=enrollment.id, now=now, actor=actor
            )
        emails.append(
            brief_email(
                enrollment,
                specs[enrollment.campaign_id],
                templates_dir=settings.templates_dir,
                portal_url=link,
            )
        )
    return send_emails(engine=engine, settings=settings, emails=emails, now=now, actor=actor)


def brief_template(spec: CampaignSpec, templates_dir: Path) -> str:
    """The campaign's template set's brief, or the default set's when the set has none."""
    own = f"outreach/{spec.outreach.template_set}/brief"
    return own if (templates_dir / f"{own}.subject.j2").exists() else "outreach/default/brief"


def brief_email(
    enrollment: Enrollment, spec: CampaignSpec, *, templates_dir: Path, portal_url: str = ""
) -> OutboundEmail:
    """The brief as an outbox message; the template reads the deal from ``brief``."""
    currency = enrollment.currency or spec.currency
    return OutboundEmail(
        enrollment_id=enrollment.id,
        step=BRIEF_STEP,
        template=brief_template(spec, templates_dir),
        context={
            "brief": {
                "hashtags": [f"#{h}" for h in spec.hashtags],
                "mentions": [f"@{m}" for m in spec.mentions],
                "fee": display.amount(enrollment.fee) if enrollment.fee is not None else None,
                "currency": currency,
                "fee_text": display.money(enrollment.fee, currency),
                **due_values(enrollment.due_at),  # due_date: "April 12, 2027"
                "tracking_url": enrollment.tracking_url,
                "promo_code": enrollment.promo_code,
            },
            "portal_url": portal_url,  # the creator portal's signed link, or ""
        },
        thread=False,  # its own subject, so the brief is easy to find again
    )


def _accept(
    session: Session,
    enrollment: Enrollment,
    spec: CampaignSpec,
    platform: Platform,
    handle: str,
    fee: Decimal | None,
    *,
    now: datetime,
    actor: str,
) -> None:
    enrollment.fee = fee if fee is not None else enrollment.offer
    enrollment.currency = enrollment.currency or spec.currency
    enrollment.accepted_at = now
    enrollment.due_at = now + timedelta(days=spec.deliverables.days_after_acceptance)
    if spec.landing_url:
        enrollment.tracking_url = tracking_url(
            spec.landing_url, platform=platform.value, campaign_slug=spec.slug, handle=handle
        )
    if spec.promo_codes:
        enrollment.promo_code = promo_code(
            campaign_slug=spec.slug, platform=platform.value, handle=handle
        )
    move_stage(
        session,
        enrollment.id,
        cause=Cause.ACCEPTED,
        expected_from=Stage(enrollment.stage),
        now=now,
        actor=actor,
        reason="operator recorded acceptance",
        detail={
            "fee": str(enrollment.fee) if enrollment.fee is not None else None,
            "currency": enrollment.currency,
            "due_at": enrollment.due_at.isoformat(),
            "tracking_url": enrollment.tracking_url,
            "promo_code": enrollment.promo_code,
        },
    )


def _decline(
    session: Session,
    enrollment: Enrollment,
    stage: Stage,
    campaign: StoredCampaign,
    label: str,
    *,
    now: datetime,
    actor: str,
) -> ResponseResult:
    if stage is Stage.DECLINED:
        return ResponseResult(campaign.slug, label, stage.value, changed=False)
    reason = refuse_decline(stage)
    if reason is not None:
        raise TransitionError(
            f"cannot record {label} as declining {campaign.slug}: {label} {reason}"
        )
    move_stage(
        session,
        enrollment.id,
        cause=Cause.DECLINED,
        expected_from=stage,
        now=now,
        actor=actor,
        reason="operator recorded decline",
    )
    return ResponseResult(campaign.slug, label, Stage.DECLINED.value, changed=True)


def _parse_creator(platform: str, handle: str) -> tuple[Platform, str]:
    try:
        plat = Platform(platform.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise InputError(f"unknown platform {platform!r} (one of {known})") from None
    try:
        return plat, normalise_handle(plat, handle)
    except ValueError as exc:
        raise InputError(f"{platform}:{handle}: {exc}") from None


def _enrollment(
    session: Session, campaign: StoredCampaign, platform: Platform, handle: str, label: str
) -> tuple[Enrollment, Creator]:
    account = session.scalars(
        select(Account).where(Account.platform == platform.value, Account.handle == handle)
    ).one_or_none()
    if account is None:
        raise NotFoundError(f"no creator {label} (import or discover them first)")
    row = session.execute(
        select(Enrollment, Creator)
        .join(Creator, Creator.id == Enrollment.creator_id)
        .where(Enrollment.campaign_id == campaign.id, Enrollment.creator_id == account.creator_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"{label} is not in campaign {campaign.slug}")
    return row[0], row[1]


def _spec_by_id(engine: Engine, campaign_id: int) -> CampaignSpec:
    from creatorflow.storage.models import Campaign

    with session_scope(engine) as session:
        slug = session.scalars(select(Campaign.slug).where(Campaign.id == campaign_id)).one()
    return get_campaign(engine, slug).spec


def _brief_outcome(report: SendReport) -> str:
    for status in ("sent", "skipped", "deferred", "failed", "unknown"):
        outcomes = getattr(report, status)
        if outcomes:
            first = outcomes[0]
            text = f"{status}: {first.reason}" if first.reason else status
            if status in ("failed", "unknown") and first.message_id and first.at:  # named
                text += f" (Message-ID {first.message_id}, at {first.at:%Y-%m-%d %H:%M} UTC)"
            return text
    return "not sent"
