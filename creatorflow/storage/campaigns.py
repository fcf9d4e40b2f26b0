"""Campaign files in and out: YAML -> ``CampaignSpec``, and the copy kept in ``campaigns``.

The database keeps the validated spec (JSON) and its SHA-256 so every later run (follow-ups,
tracking, reports) works from exactly what was launched, even if the file changes on disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.errors import InputError, NotFoundError
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Base, Campaign


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


def parse_campaign(data: Any, *, source: str) -> CampaignSpec:
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of campaign fields at the top level")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_message(source, exc)) from None


def load_campaign_file(path: str | Path) -> CampaignSpec:
    """Read and validate a campaign YAML file; errors name the file and each field path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such campaign file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the campaign file as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: not valid YAML{where}") from None
    return parse_campaign(data, source=str(path))


def spec_digest(spec: CampaignSpec) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored(row: Campaign) -> StoredCampaign:
    spec = parse_campaign(row.spec, source=f"campaign {row.slug!r} (stored)")
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


def get_campaign(engine: Engine, slug: str) -> StoredCampaign:
    """The campaign as stored at launch; ``NotFoundError`` when it was never launched."""
    with session_scope(engine) as session:
        return _stored(campaign_row(session, slug))


def register_campaign(
    *, engine: Engine, spec: CampaignSpec, now: datetime, actor: str
) -> StoredCampaign:
    """Store ``spec`` (idempotent). A draft may change; a launched campaign's file may not."""
    digest = spec_digest(spec)
    with session_scope(engine) as session:
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
        if inserted:
            record_event(
                session,
                kind="campaign_registered",
                entity="campaign",
                entity_id=row.id,
                detail={"slug": spec.slug, "spec_sha256": digest},
                actor=actor,
                at=now,
                campaign_id=row.id,
            )
        elif row.spec_sha256 != digest:
            if row.status != "draft":
                raise InputError(
                    f"campaign {spec.slug!r} was launched from a different file "
                    f"(sha256 {row.spec_sha256[:12]}); a launched campaign cannot change: "
                    "use a new slug"
                )
            row.spec, row.spec_sha256 = spec.model_dump(mode="json"), digest
            row.name, row.brand = spec.name, spec.brand
            record_event(
                session,
                kind="campaign_updated",
                entity="campaign",
                entity_id=row.id,
                detail={"slug": spec.slug, "spec_sha256": digest},
                actor=actor,
                at=now,
                campaign_id=row.id,
            )
            return replace(_stored(row), changed=True)
        return _stored(row)


def mark_launched(*, session: Session, campaign_id: int, now: datetime, actor: str) -> None:
    """draft -> active on the first email actually sent."""
    row = session.get(Campaign, campaign_id)
    if row is not None and row.status == "draft":
        row.status, row.launched_at = "active", now
        record_event(
            session,
            kind="campaign_launched",
            entity="campaign",
            entity_id=row.id,
            detail={"slug": row.slug},
            actor=actor,
            at=now,
            campaign_id=row.id,
        )
