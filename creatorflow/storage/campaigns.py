"""The campaign store: YAML file -> ``CampaignSpec``, and the copy kept in ``campaigns``.

The database keeps the validated spec (JSON) and its SHA-256 so every later run (follow-ups,
tracking, reports) works from exactly what was launched, even if the file changes on disk. Every
read of a stored campaign comes back through here, validated by the same ``CampaignSpec``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.errors import ConfigError, CreatorflowError, InputError, NotFoundError
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Base, Campaign
from creatorflow.yaml_files import read_yaml

#: Settings the schema gained after campaigns were first stored: left out of the digest while
#: at their default, so a campaign launched before they existed still matches its file.
ADDED_SETTINGS: tuple[tuple[str, str], ...] = (("deliverables", "reminder_days_overdue"),)


@dataclass(frozen=True)
class StoredCampaign:
    id: int
    slug: str
    spec: CampaignSpec
    spec_sha256: str
    status: str  # draft (shortlisted or previewed), active (first emails sent), ended
    launched_at: datetime | None
    changed: bool = False  # register_campaign replaced a draft's spec with a new file


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            out += " (as a key)"
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_message(source: str, exc: ValidationError) -> str:
    """Every problem of a validation error on one line, each naming its field path."""
    problems = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        path = _field_path(tuple(err["loc"]))
        problems.append(f"{path}: {msg}" if path else msg)
    return f"{source}: " + "; ".join(problems)


def parse_campaign(
    data: Any, *, source: str, error: type[CreatorflowError] = InputError
) -> CampaignSpec:
    """``data`` validated as a campaign; every problem in one ``error`` that names ``source``."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected a mapping of campaign fields at the top level")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise error(validation_message(source, exc)) from None


def load_campaign_file(path: str | Path) -> CampaignSpec:
    """Read and validate a campaign YAML file; errors name the file and each field path."""
    path = Path(path)
    data = read_yaml(path, what="campaign file", error=InputError)
    return parse_campaign(data, source=str(path))


def spec_digest(spec: CampaignSpec) -> str:
    """SHA-256 of the spec's canonical JSON (formatting and key order do not count)."""
    data = spec.model_dump(mode="json")
    for section, name in ADDED_SETTINGS:
        part = getattr(spec, section)
        default = type(part).model_fields[name].get_default(call_default_factory=True)
        if getattr(part, name) == default:
            del data[section][name]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_spec(row: Campaign) -> CampaignSpec:
    """The spec kept at launch, validated again: one error naming the campaign if it no longer
    fits the schema (stored by another version of creatorflow), never a traceback."""
    return parse_campaign(
        row.spec,
        source=f"campaign {row.slug!r}: the stored campaign no longer validates "
        "(stored by another creatorflow version?)",
        error=ConfigError,
    )


def _stored(row: Campaign) -> StoredCampaign:
    spec = stored_spec(row)
    return StoredCampaign(
        id=row.id,
        slug=row.slug,
        spec=spec,
        spec_sha256=row.spec_sha256,
        status=row.status,
        launched_at=row.launched_at,
    )


def campaign_row(session: Session, slug: str) -> Campaign:
    row = session.scalars(select(Campaign).where(Campaign.slug == slug)).one_or_none()
    if row is None:
        raise NotFoundError(f"no campaign {slug!r} (launch it first: creatorflow campaign launch)")
    return row


def load_campaign(session: Session, slug: str) -> StoredCampaign:
    """The campaign ``slug`` as stored, any status; ``NotFoundError`` when never launched."""
    return _stored(campaign_row(session, slug))


def campaign_by_id(session: Session, campaign_id: int) -> StoredCampaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFoundError(f"no campaign with id {campaign_id}")
    return _stored(row)


def active_campaigns(session: Session) -> list[StoredCampaign]:
    """Every campaign whose first email has gone and that has not ended, oldest first."""
    rows = session.scalars(
        select(Campaign).where(Campaign.status == "active").order_by(Campaign.id)
    )
    return [_stored(row) for row in rows]


def get_campaign(engine: Engine, slug: str) -> StoredCampaign:
    """The campaign as stored at launch; ``NotFoundError`` when it was never launched."""
    with session_scope(engine) as session:
        return load_campaign(session, slug)


def register_campaign(
    *, engine: Engine, spec: CampaignSpec, now: datetime, actor: str
) -> StoredCampaign:
    """Store ``spec`` (idempotent). A draft may change; a launched campaign's file may not."""
    with session_scope(engine) as session:
        return store_campaign(session, spec=spec, now=now, actor=actor)


def store_campaign(
    session: Session, *, spec: CampaignSpec, now: datetime, actor: str
) -> StoredCampaign:
    """``register_campaign`` inside the caller's transaction (a launch stores its shortlist in
    the same one, so a failure leaves neither)."""
    digest = spec_digest(spec)
    inserted = (
        session.execute(
            insert_ignore(
                session,
                Base.metadata.tables["campaigns"],
                {
                    "slug": spec.slug,
                    "name": spec.name,
                    "brand": spec.brand,
                    "spec": spec.model_dump(mode="json"),
                    "spec_sha256": digest,
                    "status": "draft",
                    "created_at": now,
                },
                conflict_columns=["slug"],
            ).returning(Base.metadata.tables["campaigns"].c.id)
        ).scalar_one_or_none()
        is not None
    )
    row = campaign_row(session, spec.slug)
    detail = {"slug": spec.slug, "spec_sha256": digest}
    if inserted:
        _campaign_event(session, row, "campaign_registered", detail, actor=actor, now=now)
    elif row.spec_sha256 != digest:
        if row.status != "draft":
            raise InputError(
                f"campaign {spec.slug!r} was launched from a different file "
                f"(sha256 {row.spec_sha256[:12]}); a launched campaign cannot change: "
                "use a new slug"
            )
        row.spec, row.spec_sha256 = spec.model_dump(mode="json"), digest
        row.name, row.brand = spec.name, spec.brand
        _campaign_event(session, row, "campaign_updated", detail, actor=actor, now=now)
        return replace(_stored(row), changed=True)
    return _stored(row)


def mark_launched(*, session: Session, campaign_id: int, now: datetime, actor: str) -> None:
    """draft -> active on the first email actually sent."""
    row = session.get(Campaign, campaign_id)
    if row is not None and row.status == "draft":
        row.status, row.launched_at = "active", now
        _campaign_event(session, row, "campaign_launched", {"slug": row.slug}, actor=actor, now=now)


def _campaign_event(
    session: Session, row: Campaign, kind: str, detail: dict[str, Any], *, actor: str, now: datetime
) -> None:
    """One event about the campaign itself (its entity and its campaign are the same row)."""
    record_event(
        session,
        kind=kind,
        entity="campaign",
        entity_id=row.id,
        campaign_id=row.id,
        detail=detail,
        actor=actor,
        at=now,
    )
