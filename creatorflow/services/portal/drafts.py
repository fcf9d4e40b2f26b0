"""Drafts a creator submits for review: a link, or an image or video file checked by content.

A file's type is read from its first bytes (JPEG, PNG, GIF, WebP, MP4/QuickTime, WebM), never
from its name or the browser's Content-Type, and anything else is refused. Files are written
under ``CREATORFLOW_UPLOAD_DIR/<enrollment>/`` with a name of our making (the creator's file
name is never used as a path) and are never served by the web app: the operator opens them
from the review's description. Each submission is a new version; ``review-draft`` reviews it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select

from creatorflow.errors import InputError
from creatorflow.services.portal.links import PortalAccess
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_enrollment_event
from creatorflow.storage.models import Draft, Enrollment

#: (media type, file extension) by the bytes a file starts with.
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", "webm"),
)


class DraftRefused(InputError):
    """A draft that cannot be stored: too large, not an image or video, no link; ``status`` is
    the HTTP status the portal answers with (413, 415 or 400)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def sniff_media(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of an image or video by its content, else None."""
    for magic, offset, media_type, ext in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return media_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand == b"qt  ":
            return "video/quicktime", "mov"
        if brand[:3] in (b"hei", b"mif", b"msf") or brand in _NOT_VIDEO_BRANDS:
            return None  # HEIC/AVIF images, M4A/M4B audio: ISO files, but no video
        return "video/mp4", "mp4"
    return None


#: ISO base media brands that are images or audio, not video (``ftyp`` alone says nothing).
_NOT_VIDEO_BRANDS = frozenset(
    {b"avif", b"avis", b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ", b"crx ", b"jp2 ", b"jpx "}
)


@dataclass(frozen=True)
class DraftResult:
    draft_id: int
    version: int
    media_type: str | None


def _check_link(link: str) -> str:
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 2000:
        raise DraftRefused("the draft link must be a web address starting with https://")
    return link


def submit_draft(
    *,
    engine: Engine,
    settings: Settings,
    access: PortalAccess,
    now: datetime,
    link: str | None = None,
    content: bytes | None = None,
    note: str = "",
) -> DraftResult:
    """Store one new draft version (a link or a file), recorded as ``draft_submitted``."""
    if len(note) > 2000:
        raise DraftRefused("the note is longer than 2000 characters")
    media: tuple[str, str] | None = None
    if content:
        if len(content) > settings.max_upload_bytes:
            raise DraftRefused(f"the file is larger than {settings.max_upload_bytes:,} bytes", 413)
        media = sniff_media(content)
        if media is None:
            raise DraftRefused(
                "the file is not an image or video (JPEG, PNG, GIF, WebP, MP4, MOV)", 415
            )
    elif link and link.strip():
        link = _check_link(link)
    else:
        raise DraftRefused("give a link to your draft or choose a file")
    stored: Path | None = None
    try:
        with session_scope(engine) as session:
            enrollment = session.get(Enrollment, access.enrollment_id)
            assert enrollment is not None
            version = 1 + (
                session.scalar(
                    select(func.max(Draft.version)).where(
                        Draft.enrollment_id == access.enrollment_id
                    )
                )
                or 0
            )
            row = Draft(
                enrollment_id=access.enrollment_id,
                version=version,
                note=note.strip() or None,
                status="submitted",
                submitted_at=now,
                portal_link_id=access.link_id,
            )
            if content and media is not None:
                digest = hashlib.sha256(content).hexdigest()
                relative = Path(str(access.enrollment_id)) / f"v{version}-{digest[:16]}.{media[1]}"
                stored = settings.upload_dir / relative
                _write(stored, content)
                row.path, row.media_type, row.size, row.sha256 = (
                    relative.as_posix(),
                    media[0],
                    len(content),
                    digest,
                )
            else:
                row.link = link
            session.add(row)
            session.flush()
            record_enrollment_event(
                session,
                enrollment,
                kind="draft_submitted",
                detail={
                    "draft_id": row.id,
                    "version": version,
                    "link_id": access.link_id,
                    "media_type": row.media_type,
                    "size": row.size,
                },
                actor=access.actor,
                at=now,
            )
            return DraftResult(row.id, version, row.media_type)
    except BaseException:
        if stored is not None:  # nothing half-written: no file without its row
            stored.unlink(missing_ok=True)
        raise


def _write(path: Path, content: bytes) -> None:
    """Write through a temporary name, so a crash never leaves a half file under the real one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(path.suffix + ".part")
    with open(partial, "wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(partial, 0o600)
    partial.replace(path)


def record_review_run(*, engine: Engine, draft_id: int, flow_run_id: str) -> None:
    """Remember which ``review-draft`` run reviews the draft (the operator's way to it)."""
    with session_scope(engine) as session:
        row = session.get(Draft, draft_id)
        if row is not None:
            row.flow_run_id = flow_run_id
