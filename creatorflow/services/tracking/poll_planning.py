"""Planning a polling round: which deliverables are due, in batches sized by the platform.

A batch is what one task polls: at most the adapter's ``posts_per_batch`` posts, a multiple of
its ``ids_per_call`` (so only a round's last call is partial), an owner's posts together when
the platform reads posts per owner. A task makes many calls in a row (task runs cost the
orchestrator far more than calls do); a round is split into fewer, evenly sized batches when it
can.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from pydantic import BaseModel, model_validator
from sqlalchemy import Dialect, Engine, func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from creatorflow.domain.cadence import is_due
from creatorflow.domain.model import DeliverableStatus, Platform, Provenance
from creatorflow.gc_scopes import cyclic_gc_paused
from creatorflow.platforms.registry import limits_of
from creatorflow.services.tracking.poll_claims import ACCOUNTS, DELIVERABLES, ENROLLMENTS
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import UTCDateTime


class PollBatch(BaseModel):
    """Deliverables one task polls (a small value: ids only, safe as a task parameter).

    ``last_polled`` is each deliverable's ``last_polled_at`` when the round was planned: the
    claim stamps a row only if it still holds that value, i.e. no other run polled it since.
    """

    platform: Platform
    deliverable_ids: list[int]
    last_polled: list[datetime | None]
    requests: int  # API calls this batch needs

    @model_validator(mode="after")
    def _aligned(self) -> PollBatch:
        if len(self.last_polled) != len(self.deliverable_ids):
            raise ValueError("last_polled must give one value per deliverable id")
        return self


class DueDeliverable(NamedTuple):
    """A deliverable to poll at a round's ``now``: what its claim and its call need (a named
    tuple: a round builds one per tracked post, and a frozen dataclass costs 3x as much)."""

    deliverable_id: int
    platform: Platform
    post_id: str
    owner: str
    last_polled: datetime | None


def _requests_for(platform: Platform, post_ids: Sequence[str], owners: Sequence[str]) -> int:
    """The fewest calls that cover these posts (``owners[i]`` owns ``post_ids[i]``)."""
    limits = limits_of(platform)
    size = limits.ids_per_call
    if not limits.per_owner:
        return math.ceil(len(set(post_ids)) / (size or 1))
    per_owner: dict[str, set[str]] = {}
    for post_id, owner in zip(post_ids, owners, strict=True):
        per_owner.setdefault(owner, set()).add(post_id)
    if size is None:
        return len(per_owner)
    return sum(math.ceil(len(ids) / size) for ids in per_owner.values())


_D, _E, _A = DELIVERABLES.c, ENROLLMENTS.c, ACCOUNTS.c


def plan_polling(
    *, engine: Engine, campaign_slug: str | None, now: datetime, parallelism: int = 1
) -> list[PollBatch]:
    """The round's batches: live, API-tracked deliverables whose cadence says poll at ``now``.

    ``parallelism`` is how many batches the caller works at once: a round is split into a
    multiple of it (batches of even size, each at most the platform's ``posts_per_batch``) so
    that no worker idles while another finishes a long last batch.
    """
    with session_scope(engine) as session:
        ends_of = {c.id: c.spec.tracking_ends() for c in tracked_campaigns(session, campaign_slug)}
        with cyclic_gc_paused():  # every row of the plan survives it: nothing to collect
            due = due_deliverables(session, ends_of=ends_of, now=now)
            return _batches(due, max(1, parallelism))


def due_deliverables(
    session: Session,
    *,
    ends_of: Mapping[int, datetime | None],
    now: datetime,
    account_ids: Collection[int] | None = None,
) -> list[DueDeliverable]:
    """Live, API-tracked deliverables of the campaigns ``ends_of`` (campaign id -> when its
    tracking ends) whose cadence says poll at ``now``; only ``account_ids``' when given (a
    detection batch polls the posts of the feeds it reads)."""
    if not ends_of or account_ids is not None and not account_ids:
        return []
    # the instants as the driver hands them (SQLite: text), converted below once per distinct
    # value: a round's posts share a few publication and last-poll instants, and converting
    # 200,000 values one by one was most of a 100,000-post plan
    raw = NullType()
    query = (
        select(
            _D.id,
            _D.platform,
            _D.post_id,
            type_coerce(func.coalesce(_D.posted_at, _D.detected_at), raw),
            type_coerce(_D.last_polled_at, raw),
            _E.campaign_id,
            _A.handle,
        )
        .join(ENROLLMENTS, _E.id == _D.enrollment_id)
        .join(ACCOUNTS, _A.id == _E.account_id)
        .where(_E.campaign_id.in_(list(ends_of)))
        .where(_D.status == DeliverableStatus.LIVE.value)
        .where(_D.provenance == Provenance.API.value)
        # a post polled at or after ``now`` cannot be due (replays of earlier instants)
        .where(or_(_D.last_polled_at.is_(None), _D.last_polled_at < now))
        .order_by(_D.platform, _A.handle, _D.id)
    )
    if account_ids is not None:
        query = query.where(_E.account_id.in_(list(account_ids)))
    connection = session.connection()
    instant = _Instants(connection.dialect)
    # (publication, last poll, campaign) -> the last poll if due then, else None: the cadence
    # depends on nothing else, so posts sharing them share the verdict
    verdicts: dict[tuple[Any, Any, int], tuple[datetime | None] | None] = {}
    platforms: dict[str, Platform] = {}
    due: list[DueDeliverable] = []
    # Core rows (no ORM loading): a round reads every tracked deliverable
    for d_id, platform, post_id, posted, last_polled, campaign_id, handle in connection.execute(
        query
    ).all():
        key = (posted, last_polled, campaign_id)
        if key not in verdicts:
            last = instant(last_polled)
            on_cadence = is_due(
                cast(datetime, instant(posted)),
                last,
                now=now,
                tracking_ends=ends_of[campaign_id],
            )
            verdicts[key] = (last,) if on_cadence else None
        verdict = verdicts[key]
        if verdict is None:
            continue
        if platform not in platforms:
            platforms[platform] = Platform(platform)
        due.append(DueDeliverable(d_id, platforms[platform], post_id, handle, verdict[0]))
    return due


class _Instants:
    """Raw timestamps as ``UTCDateTime`` reads them (the same conversion), each distinct value
    converted once."""

    def __init__(self, dialect: Dialect) -> None:
        self._convert = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
        self._seen: dict[Any, datetime | None] = {None: None}

    def __call__(self, value: Any) -> datetime | None:
        try:
            return self._seen[value]
        except KeyError:
            converted = self._convert(value) if self._convert is not None else value
            self._seen[value] = converted
            return cast("datetime | None", converted)


def _batch_size(limit: int, step: int, total: int, parallelism: int) -> int:
    """Posts per batch: at most ``limit``, a multiple of ``step``, as even as a multiple of
    ``parallelism`` batches allows."""
    count = math.ceil(total / limit)
    count = math.ceil(count / parallelism) * parallelism
    size = math.ceil(total / count)
    return min(limit, max(step, math.ceil(size / step) * step))


def _batches(due: Sequence[DueDeliverable], parallelism: int) -> list[PollBatch]:
    batches: list[PollBatch] = []
    of_platform: dict[Platform, list[DueDeliverable]] = {}
    for item in due:
        of_platform.setdefault(item.platform, []).append(item)
    for platform in Platform:  # registration order: YouTube, Instagram, TikTok, then the others
        items = of_platform.get(platform)
        if not items:
            continue
        limits = limits_of(platform)
        step = limits.ids_per_call or 1
        if limits.per_owner:
            groups: dict[str, list[DueDeliverable]] = {}
            for item in items:
                groups.setdefault(item.owner, []).append(item)
            limit = _batch_size(limits.posts_per_batch, 1, len(items), parallelism)
            current: list[DueDeliverable] = []
            for group in groups.values():  # an owner's posts stay in one batch: one call
                if current and len(current) + len(group) > limit:
                    batches.append(_batch(platform, current))
                    current = []
                current.extend(group)
            if current:
                batches.append(_batch(platform, current))
            continue
        # posts shared by several deliverables (two campaigns) go in the same batch
        posts: Sequence[Sequence[DueDeliverable]]
        if len({item.post_id for item in items}) == len(items):  # usual: none shared
            posts = [(item,) for item in items]
        else:
            by_post: dict[str, list[DueDeliverable]] = {}
            for item in items:
                by_post.setdefault(item.post_id, []).append(item)
            posts = list(by_post.values())
        limit = _batch_size(limits.posts_per_batch, step, len(posts), parallelism)
        for start in range(0, len(posts), limit):
            batches.append(
                _batch(platform, [d for group in posts[start : start + limit] for d in group])
            )
    return batches


def _batch(platform: Platform, items: Sequence[DueDeliverable]) -> PollBatch:
    return PollBatch(
        platform=platform,
        deliverable_ids=[d.deliverable_id for d in items],
        last_polled=[d.last_polled for d in items],
        requests=_requests_for(platform, [d.post_id for d in items], [d.owner for d in items]),
    )
