"""Before a launch stores anything: the template set is complete and every first email renders.

A launch that failed on a template used to leave the campaign, its shortlist and their events
stored with no email sent. Two checks stop that, each naming the file and the field:

- ``load_launch_file``: when the campaign file is loaded, ``outreach.template_set`` must name a
  folder holding every template the campaign will use (the first email, one follow-up per
  ``follow_up_days`` entry, the reminders when reminder days are set; the brief falls back to
  the default set's), and each must compile.
- ``render_first_emails``: the launch renders every shortlisted creator's first email with its
  real data before the campaign and its enrollments are written (``launch.shortlist_campaign``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.model import Stage
from creatorflow.errors import InputError
from creatorflow.mail.message import Sender
from creatorflow.mail.templates import TemplateRenderer
from creatorflow.services.outreach.recipients import (
    Recipient,
    template_context,
    unsubscribe_links,
)
from creatorflow.services.portal.terms import TermsMissing, terms_file
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.campaigns import load_campaign_file
from creatorflow.templating import TemplateError

INITIAL_STEP = "initial"


def template_set_names(spec: CampaignSpec) -> list[str]:
    """The templates (``outreach/<set>/<step>``) a campaign sends from its own set."""
    folder = f"outreach/{spec.outreach.template_set}"
    steps = [INITIAL_STEP]
    steps += [f"follow_up_{n}" for n in range(1, len(spec.outreach.follow_up_days) + 1)]
    if spec.deliverables.reminder_days_before:
        steps.append("reminder_before")
    if spec.deliverables.reminder_days_overdue:
        steps.append("reminder_overdue")
    return [f"{folder}/{step}" for step in steps]


def check_template_set(*, spec: CampaignSpec, templates_dir: Path, source: str) -> None:
    """``InputError`` naming ``source`` and ``outreach.template_set`` unless the set is usable."""
    field = "outreach.template_set"
    folder = templates_dir / "outreach" / spec.outreach.template_set
    if not folder.is_dir():
        found = (templates_dir / "outreach").glob("*")
        sets = sorted(p.name for p in found if p.is_dir() and not p.name.startswith("_"))
        raise InputError(
            f"{source}: {field}: no template set {spec.outreach.template_set!r} in "
            f"{templates_dir / 'outreach'} (found: {', '.join(sets) or 'none'})"
        )
    try:
        TemplateRenderer(templates_dir).check(template_set_names(spec))
    except TemplateError as exc:
        raise InputError(f"{source}: {field}: {exc}") from None


def load_launch_file(
    path: str | Path, *, templates_dir: Path, portal: bool | None = None
) -> CampaignSpec:
    """The campaign file validated, its template set included (``InputError`` otherwise).

    With the portal on (``portal``; default: ``CREATORFLOW_PORTAL_BASE_URL`` is set) the set
    must have terms too (its own ``terms.md`` or the default set's): the portal page shows them.
    """
    spec = load_campaign_file(path)
    check_template_set(spec=spec, templates_dir=templates_dir, source=str(path))
    if portal if portal is not None else bool(get_settings().portal_base_url):
        try:
            terms_file(templates_dir, spec.outreach.template_set)
        except TermsMissing as exc:
            raise InputError(f"{path}: outreach.template_set: {exc}") from None
    return spec


@dataclass(frozen=True)
class FirstEmail:
    """What a shortlisted creator's first email is rendered from, before anything is stored."""

    creator_id: int
    email: str
    name: str | None
    handle: str
    platform: str
    tier: str | None
    followers: int | None
    timezone: str | None
    offer: Decimal | None


def render_first_emails(
    *, settings: Settings, spec: CampaignSpec, emails: Iterable[FirstEmail]
) -> int:
    """Render each first email as sending will (same context, same renderer); the count.

    A template that fails for any creator raises ``TemplateError`` naming the template file
    and the creator, so the caller can store nothing.
    """
    settings.require("sender", "postal_address")
    if settings.unsubscribe_base_url:
        settings.require("secret_key")
    sender = Sender.parse(settings.sender or "")
    renderer = TemplateRenderer(settings.templates_dir)
    template = f"outreach/{spec.outreach.template_set}/{INITIAL_STEP}"
    count = 0
    for email in emails:
        recipient = Recipient(
            enrollment_id=0,  # not stored yet
            creator_id=email.creator_id,
            campaign_id=0,
            campaign_slug=spec.slug,
            spec=spec,
            stage=Stage.SHORTLISTED.value,
            email=email.email,
            name=email.name,
            handle=email.handle,
            platform=email.platform,
            tier=email.tier,
            followers=email.followers,
            timezone=email.timezone,
            offer=email.offer,
            currency=spec.currency,
            due_at=None,
            tracking_url=None,
            promo_code=None,
        )
        links = unsubscribe_links(settings, sender, email.email, spec.slug)
        context = template_context(
            recipient, settings=settings, sender=sender, step=INITIAL_STEP, links=links, extra={}
        )
        try:
            renderer.render(template, context)
        except TemplateError as exc:
            raise TemplateError(
                f"{exc} (first email to {email.platform}:{email.handle}; nothing was stored)"
            ) from None
        count += 1
    return count
