"""Importing clicks, leads and sales from a brand's analytics or shop export (CSV).

Each row is attributed to an enrollment by ``utm_content`` (the value in the creator's tracking
link, their handle by default) or by promo code. Each row is stored under a digest of its content
(``conversions.row_key``), so importing the same file twice, or an export that overlaps the last
one, adds nothing twice. A malformed row stops the import with nothing stored and names the file,
line and column; a code that matches no creator is reported with its line and skipped.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, Table, select

from creatorflow.domain.as_of import AsOfRangeError, as_utc
from creatorflow.domain.numbers import NumberError, parse_count, parse_money
from creatorflow.errors import InputError, shown
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Conversion, Enrollment

CONVERSIONS = cast(Table, Conversion.__table__)

COUNT_COLUMNS = ("clicks", "leads", "sales")
KNOWN_COLUMNS = {"date", "utm_content", "promo_code", "code", "revenue", *COUNT_COLUMNS}


@dataclass
class ConversionImport:
    """What an import did: rows stored now, rows already stored before, unmatched codes."""

    imported: int = 0
    already: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)


def _utm_content(url: str | None) -> str | None:
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("utm_content")
    return values[0].lower() if values else None


def _lookup_tables(engine: Engine, campaign_id: int) -> tuple[dict[str, set[int]], dict[str, int]]:
    """utm_content -> enrollment ids (handles may repeat across platforms), code -> enrollment."""
    by_utm: dict[str, set[int]] = {}
    by_code: dict[str, int] = {}
    stmt = (
        select(Enrollment.id, Enrollment.tracking_url, Enrollment.promo_code, Account.handle)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign_id)
    )
    with engine.connect() as conn:
        for enrollment_id, url, code, handle in conn.execute(stmt):
            key = _utm_content(url) or handle.lower()
            by_utm.setdefault(key, set()).add(enrollment_id)
            if code:
                by_code[code.strip().upper()] = enrollment_id
    return by_utm, by_code


def _count(raw: str, where: str) -> int:
    try:
        return parse_count(raw) or 0
    except NumberError as exc:
        raise InputError(f"{where}: {exc}") from None


def _revenue(raw: str, where: str) -> Decimal | None:
    try:
        return parse_money(raw)
    except NumberError as exc:
        raise InputError(f"{where}: {exc}") from None


def _date(raw: str, where: str) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
        return as_utc(parsed, now=parsed)
    except ValueError as exc:
        if isinstance(exc, AsOfRangeError):
            raise InputError(f"{where}: {exc}") from None
        raise InputError(f"{where}: {shown(text)} is not an ISO date (YYYY-MM-DD)") from None
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InputError(f"{where}: {shown(text)} is out of range") from None


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path}: empty file (expected a header row)") from None
        except csv.Error as exc:
            raise InputError(f"{path}:1: {exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
        names = [h.strip().lower() for h in header]
        unknown = [h for h in names if h and h not in KNOWN_COLUMNS]
        if unknown:
            raise InputError(
                f"{path}:1: unknown column(s) {', '.join(unknown)} "
                f"(expected {', '.join(sorted(KNOWN_COLUMNS))})"
            )
        if not {"utm_content", "promo_code", "code"} & set(names):
            raise InputError(f"{path}:1: needs a utm_content or promo_code column")
        rows = []
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(names):
                    raise InputError(
                        f"{path}:{reader.line_num}: expected {len(names)} fields, "
                        f"found {len(values)}"
                    )
                nul = next((n for n, v in zip(names, values, strict=True) if "\x00" in v), None)
                if nul is not None:
                    raise InputError(f"{path}:{reader.line_num}: {nul}: contains a NUL byte")
                rows.append((reader.line_num, dict(zip(names, values, strict=True))))
        except csv.Error as exc:
            raise InputError(f"{path}:{reader.line_num}: {exc}") from None
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: not UTF-8 text after line {reader.line_num}; save the file as UTF-8"
            ) from None
    return rows


def import_conversions(
    *, engine: Engine, slug: str, path: Path, now: datetime, actor: str
) -> ConversionImport:
    """Store every matched row of ``path`` once (one transaction; nothing on a bad row)."""
    campaign = get_campaign(engine, slug)
    by_utm, by_code = _lookup_tables(engine, campaign.id)
    result = ConversionImport()
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in _read_rows(path):
        where = f"{path}:{line}"
        utm = row.get("utm_content", "").strip().lower()
        code = (row.get("promo_code") or row.get("code") or "").strip().upper()
        if not utm and not code:
            raise InputError(f"{where}: neither utm_content nor promo_code is set")
        counts = {c: _count(row.get(c, ""), f"{where}: {c}") for c in COUNT_COLUMNS}
        revenue = _revenue(row.get("revenue", ""), f"{where}: revenue")
        occurred = _date(row.get("date", ""), f"{where}: date")
        matches = set(by_utm.get(utm, ())) if utm else set()
        if not matches and code in by_code:
            matches = {by_code[code]}
        if len(matches) > 1:
            result.ambiguous.append((line, utm))
            continue
        if not matches:
            result.unknown.append((line, utm or code))
            continue
        canonical = "|".join(
            [
                str(campaign.id),
                occurred.isoformat() if occurred else "",
                utm,
                code,
                *(str(counts[c]) for c in COUNT_COLUMNS),
                str(revenue or ""),
            ]
        )
        seen[canonical] = seen.get(canonical, 0) + 1  # identical rows in one file stay distinct
        row_key = hashlib.sha256(f"{canonical}#{seen[canonical]}".encode()).hexdigest()
        records.append(
            {
                "campaign_id": campaign.id,
                "enrollment_id": matches.pop(),
                "row_key": row_key,
                "occurred_on": occurred,
                "revenue": revenue,
                "source": f"{path.name}:{line}",
                "imported_at": now,
                **counts,
            }
        )
    with session_scope(engine) as session:
        for record in records:
            inserted = session.execute(
                insert_ignore(
                    session, CONVERSIONS, record, conflict_columns=["campaign_id", "row_key"]
                ).returning(CONVERSIONS.c.id)
            ).scalar_one_or_none()
            if inserted is not None:
                result.imported += 1
            else:
                result.already += 1
        record_event(
            session,
            kind="conversions_imported",
            entity="campaign",
            entity_id=campaign.id,
            detail={
                "file": path.name,
                "imported": result.imported,
                "already": result.already,
                "unknown": len(result.unknown),
                "ambiguous": len(result.ambiguous),
            },
            actor=actor,
            at=now,
            campaign_id=campaign.id,
        )
    return result
