"""An access request (GDPR Art. 15): everything held about one person, as one JSON file.

``creatorflow creators export EMAIL|PLATFORM:HANDLE --out FILE.json`` writes: the person (where
the record came from and the lawful basis), each account with its profile snapshots, each
campaign with its stage, terms, the messages sent and received, the posts and their metric
snapshots, every other row that belongs to an enrollment or a post (shipping address, drafts,
caption versions...), the events of the log about them, and whether their address is suppressed.
The file is written whole or not at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, Table, or_, select
from sqlalchemy.orm import Session

from creatorflow.errors import InputError, NotFoundError
from creatorflow.services.creators.forget import find_creator, parse_person
from creatorflow.services.creators.person_rows import collect_person
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Base, Erasure

#: Tables exported with their own section; any other table with an ``enrollment_id`` or a
#: ``deliverable_id`` column is exported whole under ``other`` (a new table needs nothing here).
_OWN = {"enrollments", "outreach_messages", "inbound_messages", "deliverables", "metric_snapshots"}
_SKIP = {"events", "conversions", "erasures", "erased_identities"}
_HIDDEN = {"claim_token", "flow_run_id"}  # how runs coordinate: nothing about the person


@dataclass(frozen=True)
class ExportResult:
    creator_id: int
    path: Path
    counts: dict[str, int]

    def summary(self) -> str:
        held = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        return f"wrote {self.path}: creator #{self.creator_id} ({held})"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _rows(rows: Any) -> list[dict[str, Any]]:
    return [
        {k: _plain(v) for k, v in row._mapping.items() if k not in _HIDDEN}
        for row in rows
        if isinstance(row, Row)
    ]


def _t(name: str) -> Table:
    return Base.metadata.tables[name]


def _where(session: Session, table: Table, column: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return _rows(
        session.execute(select(table).where(table.c[column].in_(ids)).order_by(table.c.id))
    )


def person_record(session: Session, creator_id: int) -> dict[str, Any]:
    """Everything held about creator ``creator_id``, as JSON-ready values."""
    person = collect_person(session, creator_id, upload_dir=None)
    creator = _rows(
        session.execute(select(_t("creators")).where(_t("creators").c.id == creator_id))
    )
    accounts = _where(session, _t("accounts"), "creator_id", [creator_id])
    snapshots = _where(session, _t("profile_snapshots"), "account_id", person.of("account"))
    for account in accounts:
        account["snapshots"] = [s for s in snapshots if s["account_id"] == account["id"]]
    enrollments = _where(session, _t("enrollments"), "id", person.of("enrollment"))
    campaigns = {
        c["id"]: c
        for c in _where(
            session, _t("campaigns"), "id", sorted({e["campaign_id"] for e in enrollments})
        )
    }
    sent = _where(session, _t("outreach_messages"), "id", person.of("message"))
    received = _where(session, _t("inbound_messages"), "id", person.of("inbound_message"))
    posts = _where(session, _t("deliverables"), "id", person.of("deliverable"))
    metrics = _where(session, _t("metric_snapshots"), "deliverable_id", person.of("deliverable"))
    for post in posts:
        post["snapshots"] = [m for m in metrics if m["deliverable_id"] == post["id"]]
    for enrollment in enrollments:
        campaign = campaigns[enrollment["campaign_id"]]
        enrollment["campaign"] = {k: campaign[k] for k in ("slug", "name", "brand", "status")}
        mine = enrollment["id"]
        enrollment["messages_sent"] = [m for m in sent if m["enrollment_id"] == mine]
        enrollment["messages_received"] = [m for m in received if m["enrollment_id"] == mine]
        enrollment["posts"] = [p for p in posts if p["enrollment_id"] == mine]
    other: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in _OWN | _SKIP:
            continue
        for column, ids in (
            ("enrollment_id", person.of("enrollment")),
            ("deliverable_id", person.of("deliverable")),
        ):
            if column in table.c and (found := _where(session, table, column, ids)):
                other.setdefault(table.name, []).extend(found)
    ev = _t("events")
    about = [ev.c.creator_id == creator_id] + [
        (ev.c.entity == entity) & ev.c.entity_id.in_(ids)
        for entity, ids in person.ids.items()
        if ids
    ]
    events = _rows(session.execute(select(ev).where(or_(*about)).order_by(ev.c.id)))
    return {
        "person": creator[0],
        "accounts": accounts,
        "campaigns": enrollments,
        "messages_received_unmatched": [m for m in received if m["enrollment_id"] is None],
        "other": other,
        "events": events,
        "suppressed": bool(person.of("suppression")),
    }


def export_person(*, engine: Engine, person: str, out: Path, now: datetime) -> ExportResult:
    """Write what is held about ``person`` (``EMAIL`` or ``PLATFORM:HANDLE``) to ``out``."""
    identity = parse_person(person)
    if out.exists() and out.is_dir():
        raise InputError(f"--out: {out} is a directory")
    with session_scope(engine) as session:
        creator_id = find_creator(session, identity)
        if creator_id is None:
            raise NotFoundError(f"PERSON: nobody is held under {identity.kind} {identity.value}")
        if session.scalars(select(Erasure.id).where(Erasure.creator_id == creator_id)).first():
            raise NotFoundError(f"PERSON: creator #{creator_id} was erased; nothing is held")
        record = {"exported_at": now.isoformat(), **person_record(session, creator_id)}
    counts = {
        "accounts": len(record["accounts"]),
        "campaigns": len(record["campaigns"]),
        "messages sent": sum(len(e["messages_sent"]) for e in record["campaigns"]),
        "messages received": sum(len(e["messages_received"]) for e in record["campaigns"])
        + len(record["messages_received_unmatched"]),
        "events": len(record["events"]),
    }
    _write_whole(out, json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    return ExportResult(creator_id, out, counts)


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"--out: cannot write in {folder} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
