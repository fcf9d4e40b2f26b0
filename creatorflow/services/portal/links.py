"""Signed portal links: one per enrollment, unguessable, expiring and revocable.

A token is ``v1.<link id>.<enrollment id>.<expiry>.<signature>``: the signature is an HMAC-SHA256
of the rest with ``CREATORFLOW_SECRET_KEY``, so a forged or altered token fails before the
database is asked. The link id names a ``portal_links`` row, so the operator can revoke a link
(``campaign portal-link --revoke``) and an expired or revoked row refuses the link even though
its signature is good. No passwords: holding the link is the creator's proof.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.errors import InputError, NotFoundError
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_enrollment_event, record_event
from creatorflow.storage.models import Account, Enrollment, PortalLink

VERSION = "v1"


class LinkRefused(Exception):
    """A portal token cannot be used; ``reason`` is forged, expired or revoked (never more)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PortalAccess:
    """What a valid link opens: one enrollment, through one link row."""

    link_id: int
    enrollment_id: int

    @property
    def actor(self) -> str:
        return f"portal:link-{self.link_id}"


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    url: str
    expires_at: datetime
    created: bool


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, f"creatorflow-portal:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(*, key: bytes, link_id: int, enrollment_id: int, expires_at: datetime) -> str:
    payload = f"{VERSION}.{link_id}.{enrollment_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_signature(key, payload)}"


def read_token(token: str, *, key: bytes) -> tuple[int, int, datetime]:
    """(link id, enrollment id, expiry) of a well-signed token; ``LinkRefused('forged')`` else."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != VERSION or len(token) > 200:
        raise LinkRefused("forged")
    payload, signature = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_signature(key, payload), signature):
        raise LinkRefused("forged")
    try:
        link_id, enrollment_id, expiry = (int(p) for p in parts[1:4])
    except ValueError:
        raise LinkRefused("forged") from None
    return link_id, enrollment_id, datetime.fromtimestamp(expiry, UTC)


def check_link(*, engine: Engine, key: bytes, token: str, now: datetime) -> PortalAccess:
    """The access a token gives at ``now``, or ``LinkRefused`` (forged, expired, revoked)."""
    link_id, enrollment_id, expires_at = read_token(token, key=key)
    if expires_at <= now:
        raise LinkRefused("expired")
    with session_scope(engine) as session:
        row = session.get(PortalLink, link_id)
        if row is None or row.enrollment_id != enrollment_id:
            raise LinkRefused("forged")
        if row.revoked_at is not None:
            raise LinkRefused("revoked")
        if row.expires_at <= now:
            raise LinkRefused("expired")
    return PortalAccess(link_id=link_id, enrollment_id=enrollment_id)


def portal_key(settings: Settings) -> bytes:
    settings.require("secret_key")
    assert settings.secret_key is not None
    return settings.secret_key.get_secret_value().encode()


def link_for_enrollment(
    session: Session, *, settings: Settings, enrollment_id: int, now: datetime, actor: str
) -> IssuedLink:
    """The enrollment's live link (one valid for a week more, or half its lifetime when that is
    shorter), else a new one: an email never carries a link about to expire."""
    base = (settings.portal_base_url or "").rstrip("/")
    key = portal_key(settings)
    margin = min(timedelta(days=7), timedelta(days=settings.portal_link_days) / 2)
    live = session.scalars(
        select(PortalLink)
        .where(PortalLink.enrollment_id == enrollment_id, PortalLink.revoked_at.is_(None))
        .where(PortalLink.expires_at > now + margin)
        .order_by(PortalLink.id.desc())
    ).first()
    created = live is None
    if live is None:
        live = PortalLink(
            enrollment_id=enrollment_id,
            issued_at=now,
            expires_at=now + timedelta(days=settings.portal_link_days),
            issued_by=actor,
        )
        session.add(live)
        session.flush()
        enrollment = session.get(Enrollment, enrollment_id)
        record_event(
            session,
            kind="portal_link_issued",
            entity="enrollment",
            entity_id=enrollment_id,
            detail={"link_id": live.id, "expires_at": live.expires_at.isoformat()},
            actor=actor,
            at=now,
            creator_id=enrollment.creator_id if enrollment else None,
            campaign_id=enrollment.campaign_id if enrollment else None,
        )
    token = make_token(
        key=key, link_id=live.id, enrollment_id=enrollment_id, expires_at=live.expires_at
    )
    return IssuedLink(live.id, f"{base}/p/{token}", live.expires_at, created)


def portal_url(
    session: Session, *, settings: Settings, enrollment_id: int, now: datetime, actor: str
) -> str:
    """The link for an email (the brief); empty when no portal base URL is configured."""
    if not settings.portal_base_url or settings.secret_key is None:
        return ""
    return link_for_enrollment(
        session, settings=settings, enrollment_id=enrollment_id, now=now, actor=actor
    ).url


def _enrollment_of(session: Session, engine: Engine, campaign_slug: str, creator: str) -> int:
    platform, sep, handle = creator.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        raise InputError(f"{creator!r}: expected PLATFORM:HANDLE, e.g. instagram:anna.glow")
    campaign = get_campaign(engine, campaign_slug)
    enrollment_id = session.scalar(
        select(Enrollment.id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign.id)
        .where(Account.platform == platform.strip().lower())
        .where(Account.handle == handle.strip().lstrip("@").lower())
    )
    if enrollment_id is None:
        raise NotFoundError(f"{creator} is not in campaign {campaign_slug}")
    return enrollment_id


def issue_link(
    *,
    engine: Engine,
    settings: Settings,
    campaign_slug: str,
    creator: str,
    now: datetime,
    actor: str,
) -> IssuedLink:
    """The creator's portal link in the campaign (reused while live), for the operator."""
    if not settings.portal_base_url:
        raise InputError("CREATORFLOW_PORTAL_BASE_URL is not set (e.g. https://portal.example)")
    with session_scope(engine) as session:
        enrollment_id = _enrollment_of(session, engine, campaign_slug, creator)
        return link_for_enrollment(
            session, settings=settings, enrollment_id=enrollment_id, now=now, actor=actor
        )


def revoke_links(
    *, engine: Engine, campaign_slug: str, creator: str, now: datetime, actor: str
) -> int:
    """Revoke every live link of the creator in the campaign; the number revoked."""
    with session_scope(engine) as session:
        enrollment_id = _enrollment_of(session, engine, campaign_slug, creator)
        rows = list(
            session.scalars(
                select(PortalLink).where(
                    PortalLink.enrollment_id == enrollment_id, PortalLink.revoked_at.is_(None)
                )
            )
        )
        enrollment = session.get(Enrollment, enrollment_id)
        assert enrollment is not None
        for row in rows:
            row.revoked_at, row.revoked_by = now, actor
            record_enrollment_event(
                session,
                enrollment,
                kind="portal_link_revoked",
                detail={"link_id": row.id},
                actor=actor,
                at=now,
            )
        return len(rows)
