"""Instagram mentions from the webhook inbox: stored by the receiver at once, worked by tracking.

The receiver (``creatorflow.web.webhooks``) only checks the signature and calls
``receive_notification``: each event is inserted once, keyed by its stable id, so a redelivery
(Meta resends whatever was not answered 200 quickly) or an overlapping delivery stores nothing
new. The tracking run calls ``process_mentions``: a caption mention is read through
``mentioned_media``, a comment mention through ``mentioned_comment`` (it counts when the creator
commented on their own media), and both become deliverables exactly as detection records them
(same campaign terms and window, same ``(enrollment, post)`` key, so a post found by detection
too is recorded once). Story mentions go to ``stories``. Events of accounts other than the
brand's are answered but not stored: they are nobody's campaign work, and storing them would
keep strangers' data.

A mention from a creator who is not tracked yet stays pending for later runs while a campaign
window could still hold it (``mention_waits``), tried after the events never tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, cast, runtime_checkable

from sqlalchemy import Engine, Table, func, select, update

from creatorflow.domain.model import Platform
from creatorflow.domain.webhook_events import (
    CAPTION_MENTION,
    COMMENT_MENTION,
    STORY_MENTION,
    InboundEvent,
    parse_notification,
)
from creatorflow.errors import CreatorflowError
from creatorflow.platforms.base import Post
from creatorflow.platforms.errors import (
    ObjectNotFound,
    PermanentPlatformError,
    QuotaExhausted,
    TransientPlatformError,
)
from creatorflow.platforms.instagram_brand import MentionedComment
from creatorflow.services.tracking.deliverables import TRACKED_STAGES, ClientFactory
from creatorflow.services.tracking.detection import store_matches
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.models import Account, Enrollment, WebhookEvent

PENDING, DONE, IGNORED, UNMATCHED = "pending", "done", "ignored", "unmatched"
#: Events one tracking run works at most (the rest wait for the next run, oldest first).
RUN_LIMIT = 2_000


@runtime_checkable
class MentionReader(Protocol):
    """A client that reads what a ``mentions`` notification names (Instagram's brand edges)."""

    def mentioned_media(self, media_id: str) -> Post: ...

    def mentioned_comment(self, comment_id: str) -> MentionedComment: ...

    def story_author(self, sender_id: str) -> str | None: ...


@dataclass(frozen=True)
class Received:
    """What one notification added to the inbox."""

    stored: int
    duplicates: int
    ignored: int  # events of another account than the brand's

    def as_json(self) -> dict[str, int]:
        return {"stored": self.stored, "duplicates": self.duplicates, "ignored": self.ignored}


@dataclass(frozen=True)
class Incoming:
    """A notification's events for the brand, one row each, ready for the inbox."""

    rows: list[dict[str, Any]]
    mine: int  # events for the brand's account (a repeated one counts each time)
    ignored: int  # events for another account


def incoming(*, payload: object, brand_account: str | None, now: datetime) -> Incoming:
    """The rows to store for ``payload`` (``MalformedNotification`` when it is not one).

    ``brand_account`` is the brand's IG user id (``CREATORFLOW_INSTAGRAM_USER_ID``): events for
    any other account are not stored.
    """
    events = parse_notification(payload)
    mine = [e for e in events if brand_account is None or e.account_id == brand_account]
    unique = list({e.key: e for e in mine}.values())
    return Incoming([_row(e, now) for e in unique], len(mine), len(events) - len(mine))


def store_incoming(engine: Engine, batch: Sequence[Incoming]) -> list[Received]:
    """Store several notifications' rows in one transaction (the receiver's group commit: one
    disk sync for every request that arrived meanwhile); what each one added.

    ``INSERT ... ON CONFLICT (event_key) DO NOTHING RETURNING event_key``: a key already stored,
    or claimed by an earlier notification of the batch, is a duplicate.
    """
    owner: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for index, item in enumerate(batch):
        for row in item.rows:
            if row["event_key"] not in owner:
                owner[row["event_key"]] = index
                rows.append(row)
    inserted: set[str] = set()
    if rows:
        table = cast(Table, WebhookEvent.__table__)
        with session_scope(engine) as session:
            for start in range(0, len(rows), 500):
                stmt = insert_ignore(
                    session, table, rows[start : start + 500], conflict_columns=["event_key"]
                ).returning(WebhookEvent.event_key)
                inserted.update(session.scalars(stmt))
    counts = [0] * len(batch)
    for key in inserted:
        counts[owner[key]] += 1
    return [Received(n, item.mine - n, item.ignored) for n, item in zip(counts, batch, strict=True)]


def receive_notification(
    *, engine: Engine, payload: object, brand_account: str | None, now: datetime
) -> Received:
    """Store one notification's events once each (``incoming`` then ``store_incoming``)."""
    item = incoming(payload=payload, brand_account=brand_account, now=now)
    return store_incoming(engine, [item])[0]


def _row(event: InboundEvent, now: datetime) -> dict[str, Any]:
    return {
        "platform": Platform.INSTAGRAM.value,
        "event_key": event.key,
        "kind": event.kind,
        "account_id": event.account_id,
        "sender": event.sender,
        "payload": dict(event.data),
        "occurred_at": event.occurred_at,
        "received_at": now,
        "status": PENDING,
    }


@dataclass
class MentionsReport:
    """What one tracking run did with the inbox."""

    processed: int = 0
    new_deliverables: list[int] = field(default_factory=list)
    undisclosed: list[int] = field(default_factory=list)
    stories: list[int] = field(default_factory=list)  # story deliverables recorded
    unmatched: int = 0  # story mentions waiting for the operator (``campaign match-story``)
    ignored: int = 0
    waiting: int = 0  # from creators not tracked yet: tried again by later runs
    failures: list[str] = field(default_factory=list)  # the brand's reads failed (one line each)
    deferred: str | None = None  # Meta throttled the run: the rest waits for the next one

    def counts(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "new": len(self.new_deliverables),
            "stories": len(self.stories),
            "unmatched": self.unmatched,
            "ignored": self.ignored,
            "waiting": self.waiting,
            "deferred": self.deferred,
        }


@dataclass(frozen=True)
class Tracked:
    """Tracked Instagram enrollments by lower-cased handle, with their campaigns."""

    campaigns: dict[int, StoredCampaign]
    by_handle: dict[str, list[Enrollment]]


def tracked_instagram(engine: Engine) -> Tracked:
    with session_scope(engine) as session:
        campaigns = {c.id: c for c in tracked_campaigns(session, None)}
        pairs = session.execute(
            select(Enrollment, Account.handle)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id.in_(list(campaigns)))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .where(Account.platform == Platform.INSTAGRAM.value)
            .order_by(Enrollment.id)
        ).all()
        session.expunge_all()
    by_handle: dict[str, list[Enrollment]] = {}
    for enrollment, handle in pairs:
        by_handle.setdefault(handle.lower(), []).append(enrollment)
    return Tracked(campaigns, by_handle)


def pending_events(engine: Engine, *, now: datetime, limit: int = RUN_LIMIT) -> list[WebhookEvent]:
    """Pending events that happened by ``now``, oldest first (arrival order does not matter),
    those never tried before those waiting for their creator."""
    with session_scope(engine) as session:
        at = func.coalesce(WebhookEvent.occurred_at, WebhookEvent.received_at)
        rows = list(
            session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.status == PENDING, at <= now)
                .order_by(WebhookEvent.processed_at.is_not(None), at, WebhookEvent.id)
                .limit(limit)
            )
        )
        session.expunge_all()
    return rows


def settle(
    engine: Engine,
    event_id: int,
    status: str,
    detail: str,
    *,
    now: datetime,
    deliverable_id: int | None = None,
) -> None:
    """Record what became of an event (only a pending one: a concurrent run's answer stands)."""
    with session_scope(engine) as session:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.status.in_([PENDING, UNMATCHED]))
            .values(status=status, detail=detail, processed_at=now, deliverable_id=deliverable_id)
        )


def process_mentions(
    *, engine: Engine, clients: ClientFactory, now: datetime, actor: str
) -> MentionsReport:
    """Work the inbox's pending events (called by the tracking run, never by the receiver)."""
    from creatorflow.services.tracking import stories

    report = MentionsReport()
    events = pending_events(engine, now=now)
    if not events:
        return report
    try:
        client = clients(Platform.INSTAGRAM)
    except CreatorflowError as exc:  # Instagram not configured: the events wait
        report.failures.append(f"instagram webhook events wait: {exc}")
        return report
    if not isinstance(client, MentionReader):
        report.failures.append("the Instagram client cannot read mentions")
        return report
    tracked = tracked_instagram(engine)
    for event in events:
        waited = report.waiting
        try:
            if event.kind == STORY_MENTION:
                stories.record_story_mention(
                    engine, event, client, tracked, now=now, actor=actor, report=report
                )
            else:
                _record_mention(engine, event, client, tracked, now=now, actor=actor, report=report)
        except (QuotaExhausted, TransientPlatformError) as error:  # the rest waits: next run
            report.deferred = str(error)
            break
        except ObjectNotFound:
            settle(
                engine, event.id, IGNORED, "Meta no longer shows it (deleted or private)", now=now
            )
            report.ignored += 1
        except PermanentPlatformError as error:  # the brand's token or permission: say so, stop
            report.failures.append(str(error))
            break
        report.processed += report.waiting == waited  # a mention left waiting is not done
    return report


def _record_mention(
    engine: Engine,
    event: WebhookEvent,
    client: MentionReader,
    tracked: Tracked,
    *,
    now: datetime,
    actor: str,
    report: MentionsReport,
) -> None:
    from creatorflow.services.tracking.mention_waits import known_author, wait_or_ignore

    author = known_author(event)
    if author is not None and author.lower() not in tracked.by_handle:  # still waiting
        wait_or_ignore(
            engine, event, author=author, why="not a tracked creator", tracked=tracked, now=now,
            report=report,
        )  # fmt: skip
        return
    post = _mentioned_post(event, client)
    if isinstance(post, str):
        settle(engine, event.id, IGNORED, post, now=now)
        report.ignored += 1
        return
    if not post.author_id:
        settle(engine, event.id, IGNORED, "Meta does not name the media's author", now=now)
        report.ignored += 1
        return
    enrollments = tracked.by_handle.get(post.author_id.lower(), [])
    if not enrollments:
        wait_or_ignore(
            engine, event, author=post.author_id, why="not a tracked creator",
            tracked=tracked, now=now, report=report,
        )  # fmt: skip
        return
    before = len(report.new_deliverables)
    for enrollment in enrollments:
        campaign = tracked.campaigns[enrollment.campaign_id]
        store_matches(engine, campaign, enrollment, [post], now=now, actor=actor, report=report)
    new = report.new_deliverables[before:]
    detail = (
        f"deliverable {', '.join(map(str, new))}"
        if new
        else "no new deliverable (already recorded, or outside every campaign's terms/window)"
    )
    settle(engine, event.id, DONE, detail, now=now, deliverable_id=new[0] if new else None)


def _mentioned_post(event: WebhookEvent, client: MentionReader) -> Post | str:
    """The post a mention names (with the comment's text for a comment), or why there is none."""
    data = event.payload
    if event.kind == CAPTION_MENTION:
        return client.mentioned_media(str(data["media_id"]))
    if event.kind != COMMENT_MENTION:
        return f"unknown event kind {event.kind!r}"
    comment = client.mentioned_comment(str(data["comment_id"]))
    media = comment.media
    if media is None or not comment.author or comment.author != (media.author_id or "").lower():
        return "a comment on someone else's media: not a deliverable"
    text = "\n".join(t for t in (media.text, comment.text) if t)
    return replace(media, text=text)


def unmatched_events(
    engine: Engine, *, within: Iterable[StoredCampaign] = ()
) -> list[WebhookEvent]:
    """Story mentions waiting for the operator; with ``within``, those in one of their windows."""
    with session_scope(engine) as session:
        rows = list(
            session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.status == UNMATCHED)
                .order_by(WebhookEvent.occurred_at, WebhookEvent.id)
            )
        )
        session.expunge_all()
    windows = [c.spec.terms() for c in within]
    if not windows:
        return rows
    from creatorflow.domain.matching import in_window

    return [r for r in rows if any(in_window(r.occurred_at, t) for t in windows)]


def unmatched_line(event: WebhookEvent) -> dict[str, Any]:
    """A queued story mention as the operator sees it (no CDN URL: it is the creator's media)."""
    return {
        "event_id": event.id,
        "at": event.occurred_at.isoformat() if event.occurred_at else None,
        "sender": event.sender,
        "reason": event.detail,
    }
