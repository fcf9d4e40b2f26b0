"""The fulfilment team's list: every shipping address creators gave in a gifting campaign.

Written to a temporary file beside the target and renamed into place, so a failure leaves
nothing half-written; cells go through ``csv_output`` (no spreadsheet formulas).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from creatorflow.csv_output import csv_writer
from creatorflow.errors import InputError
from creatorflow.storage.campaigns import load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Creator, Enrollment, ShippingAddress

COLUMNS = (
    "platform",
    "handle",
    "email",
    "stage",
    "name",
    "street",
    "city",
    "postcode",
    "country",
    "phone",
    "updated_at",
)


def export_shipping(
    *, engine: Engine, campaign_slug: str, out: Path, now: datetime, actor: str
) -> int:
    """Write the campaign's shipping addresses to ``out`` (CSV); the number of rows."""
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        if not campaign.spec.gift:
            raise InputError(
                f"campaign {campaign_slug} sends no product (its offer has no gift: true)"
            )
        rows = session.execute(
            select(ShippingAddress, Enrollment, Account, Creator)
            .join(Enrollment, Enrollment.id == ShippingAddress.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .where(Enrollment.campaign_id == campaign.id)
            .order_by(Account.platform, Account.handle)
        ).all()
        lines = [
            (
                a.platform,
                a.handle,
                c.email or "",
                e.stage,
                s.name,
                s.street,
                s.city,
                s.postcode,
                s.country,
                s.phone or "",
                s.updated_at.isoformat(),
            )
            for s, e, a, c in rows
        ]
        if not out.parent.is_dir():
            raise InputError(f"--out {out}: folder {out.parent} does not exist")
        partial = out.with_name(f".{out.name}.part")
        try:
            with open(partial, "w", encoding="utf-8", newline="") as target:
                writer = csv_writer(target)
                writer.writerow(COLUMNS)
                writer.writerows(lines)
            os.chmod(partial, 0o600)  # personal data: readable by the operator only
            partial.replace(out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise InputError(f"--out {out}: cannot write ({exc.strerror})") from None
        record_event(
            session,
            kind="shipping_exported",
            entity="campaign",
            entity_id=campaign.id,
            detail={"rows": len(lines), "file": out.name},
            actor=actor,
            at=now,
            campaign_id=campaign.id,
        )
        return len(lines)
