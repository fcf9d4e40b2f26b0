"""The compliance evidence for legal or an auditor: every post's caption history and verdicts.

``campaign evidence SLUG --out DIR [--as-of]`` writes ``<slug>-compliance.csv`` (one row per
caption version) and ``<slug>-compliance.json`` (posts with their versions and problems). The
files show the record as it stood at ``as_of``: versions first seen later are left out, a
version's ``last_seen_at`` is the last poll by ``as_of`` that saw it, and a problem's nudges,
waiver and closing are shown only once they had happened. No
clock or random value enters them, so the same ``--as-of`` gives byte-identical files. Both are
written through a temporary file and renamed: a failed export leaves nothing half-written.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.csv_output import csv_writer
from creatorflow.errors import InputError
from creatorflow.storage.campaigns import load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    Account,
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    Enrollment,
    MetricSnapshot,
)

CSV_COLUMNS = (
    "creator",
    "platform",
    "post_id",
    "url",
    "posted_at",
    "status",
    "version",
    "first_seen_at",
    "last_seen_at",
    "verdict",
    "marker",
    "found",
    "field",
    "position",
    "reason",
    "sha256",
    "title",
    "text",
)


@dataclass(frozen=True)
class EvidenceFiles:
    csv: Path
    json: Path
    posts: int
    versions: int


def _at(value: datetime | None, as_of: datetime) -> str | None:
    """A moment as evidence shows it at ``as_of``: None when it had not happened yet."""
    return value.isoformat() if value is not None and value <= as_of else None


def evidence_record(*, engine: Engine, campaign_slug: str, as_of: datetime) -> dict[str, Any]:
    """The evidence as plain values, posts in a stable order (platform, handle, post id)."""
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        posts = session.execute(
            select(Deliverable, Account.platform, Account.handle)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Deliverable.detected_at <= as_of)
            .order_by(Account.platform, Account.handle, Deliverable.post_id)
        ).all()
        ids = [d.id for d, _, _ in posts]
        versions: dict[int, list[CaptionVersion]] = {}
        for version in session.scalars(
            select(CaptionVersion)
            .where(CaptionVersion.deliverable_id.in_(ids))
            .where(CaptionVersion.first_seen_at <= as_of)
            .order_by(CaptionVersion.deliverable_id, CaptionVersion.seq)
        ):
            versions.setdefault(version.deliverable_id, []).append(version)
        polls: dict[int, list[datetime]] = {}
        for deliverable_id, taken_at in session.execute(
            select(MetricSnapshot.deliverable_id, MetricSnapshot.taken_at)
            .where(MetricSnapshot.deliverable_id.in_(ids))
            .where(MetricSnapshot.taken_at <= as_of)
            .order_by(MetricSnapshot.deliverable_id, MetricSnapshot.taken_at)
        ):
            polls.setdefault(deliverable_id, []).append(taken_at)
        problems: dict[int, list[ComplianceProblem]] = {}
        for problem in session.scalars(
            select(ComplianceProblem)
            .where(ComplianceProblem.deliverable_id.in_(ids))
            .where(ComplianceProblem.opened_at <= as_of)
            .order_by(ComplianceProblem.deliverable_id, ComplianceProblem.id)
        ):
            problems.setdefault(problem.deliverable_id, []).append(problem)
        record_posts = []
        for deliverable, platform, handle in posts:
            gone = deliverable.gone_at is not None and deliverable.gone_at <= as_of
            record_posts.append(
                {
                    "creator": f"{platform}:{handle}",
                    "platform": platform,
                    "post_id": deliverable.post_id,
                    "url": deliverable.url,
                    "posted_at": _at(deliverable.posted_at, as_of),
                    "detected_at": _at(deliverable.detected_at, as_of),
                    "status": "gone" if gone else "live",
                    "gone_at": _at(deliverable.gone_at, as_of),
                    "versions": _versions(
                        versions.get(deliverable.id, []), polls.get(deliverable.id, []), as_of
                    ),
                    "problems": [_problem(p, as_of) for p in problems.get(deliverable.id, [])],
                }
            )
    return {
        "campaign": campaign.slug,
        "brand": campaign.spec.brand,
        "as_of": as_of.isoformat(),
        "note": (
            "The caption is the signal: no platform lets a brand read another account's "
            "paid-partnership label."
        ),
        "posts": record_posts,
    }


def _versions(
    versions: list[CaptionVersion], polls: list[datetime], as_of: datetime
) -> list[dict[str, Any]]:
    """Each version with the last poll that saw it by ``as_of``: the polls from its first sight
    until the next version's (every poll stores a snapshot)."""
    shown = []
    for index, version in enumerate(versions):
        upto = versions[index + 1].first_seen_at if index + 1 < len(versions) else None
        right = bisect_left(polls, upto) if upto is not None else len(polls)
        last = polls[right - 1] if right > 0 else version.first_seen_at
        stored = version.last_seen_at if version.last_seen_at <= as_of else version.first_seen_at
        shown.append(_version(version, max(last, stored, version.first_seen_at)))
    return shown


def _version(version: CaptionVersion, last_seen: datetime) -> dict[str, Any]:
    return {
        "version": version.seq,
        "first_seen_at": version.first_seen_at.isoformat(),
        "last_seen_at": last_seen.isoformat(),
        "verdict": version.verdict,
        "marker": version.marker,
        "found": version.found,
        "field": version.field,
        "position": version.position,
        "reason": version.reason,
        "sha256": version.sha256,
        "title": version.title,
        "text": version.text,
    }


def _problem(problem: ComplianceProblem, as_of: datetime) -> dict[str, Any]:
    closed = problem.closed_at is not None and problem.closed_at <= as_of
    waived = problem.waived_at is not None and problem.waived_at <= as_of
    return {
        "kind": problem.kind,
        "opened_at": problem.opened_at.isoformat(),
        "nudged_at": _at(problem.nudged_at, as_of),
        "reminded_at": _at(problem.reminded_at, as_of),
        "waived_at": _at(problem.waived_at, as_of),
        "waived_by": problem.waived_by if waived else None,
        "waive_reason": problem.waive_reason if waived else None,
        "closed_at": _at(problem.closed_at, as_of),
        "closed_reason": problem.closed_reason if closed else None,
    }


def _csv_text(record: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for post in record["posts"]:
        for version in post["versions"]:
            row = post | version
            writer.writerow(row.get(column) for column in CSV_COLUMNS)
    return buffer.getvalue()


def export_evidence(
    *, engine: Engine, campaign_slug: str, out_dir: Path, now: datetime
) -> EvidenceFiles:
    """Write the CSV and JSON evidence of the campaign as of ``now`` (``--as-of``) into
    ``out_dir`` (created if needed)."""
    record = evidence_record(engine=engine, campaign_slug=campaign_slug, as_of=now)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out: cannot create {out_dir} ({exc.strerror or exc})") from None
    csv_path = out_dir / f"{campaign_slug}-compliance.csv"
    json_path = out_dir / f"{campaign_slug}-compliance.json"
    texts = {
        csv_path: _csv_text(record),
        json_path: json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
    }
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            handle, temp = tempfile.mkstemp(dir=out_dir, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((temp, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        for temp, path in temps:
            os.replace(temp, path)
    except OSError as exc:
        raise InputError(f"--out: cannot write in {out_dir} ({exc.strerror or exc})") from None
    finally:
        for temp, _ in temps:
            Path(temp).unlink(missing_ok=True)
    versions = sum(len(p["versions"]) for p in record["posts"])
    return EvidenceFiles(csv_path, json_path, len(record["posts"]), versions)
