"""Polling's database side: claim a batch, store each answer, release what was not polled.

Each function is one short write transaction (SQLite: queued on a process-wide lock). A claim is
one compare-and-set ``UPDATE ... RETURNING`` per distinct planned ``last_polled_at``: a row is
stamped only if nobody changed it since the round was planned (PostgreSQL skips rows another run
holds locked), so two overlapping runs never poll the same post for the same instant; snapshots
are ``INSERT ... ON CONFLICT (deliverable_id, taken_at) DO NOTHING`` as a second guard.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Engine, Table, func, select, update

from creatorflow.domain.model import DeliverableStatus, Platform, Provenance
from creatorflow.platforms.base import PostMetrics
from creatorflow.services.tracking.deliverables import flow_run_id
from creatorflow.storage.events import event_values, record_events
from creatorflow.storage.id_lists import among
from creatorflow.storage.models import Account, Deliverable, Enrollment, MetricSnapshot


def table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


DELIVERABLES, ENROLLMENTS, ACCOUNTS, SNAPSHOTS = (
    table(m) for m in (Deliverable, Enrollment, Account, MetricSnapshot)
)
_D, _E, _A = DELIVERABLES.c, ENROLLMENTS.c, ACCOUNTS.c


class Claim(NamedTuple):
    """A deliverable this run holds: what the call and a gone event need (a named tuple: a
    round claims every due post, and a frozen dataclass costs 3x as much to build)."""

    deliverable_id: int
    post_id: str
    owner: str
    previous: datetime | None
    creator_id: int
    campaign_id: int


_SQLITE_WRITES = threading.Lock()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction. SQLite allows one writer: batches of one process queue on a lock
    instead of in SQLite's busy handler, which sleeps in coarse steps (here: 4x slower)."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with _SQLITE_WRITES, engine.begin() as connection:
        yield connection


def _by_previous(ids: Sequence[int], previous: Sequence[datetime | None]) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = {}
    for ident, last in zip(ids, previous, strict=True):
        groups.setdefault(last, []).append(ident)
    return groups


def claim_statement(
    ids: Sequence[int], previous: datetime | None, now: datetime, dialect: str
) -> Any:
    """Stamp ``now`` on ``ids`` still live and last polled at ``previous``, skipping rows
    another run holds locked; returns (id, post_id, enrollment_id) of each row stamped."""
    free = (
        select(_D.id)
        .where(among(_D.id, ids, dialect))
        .where(_D.status == DeliverableStatus.LIVE.value)
        .where(_D.last_polled_at.is_not_distinct_from(previous))
        .with_for_update(skip_locked=True)
    )
    return (
        update(DELIVERABLES)
        # the ids again outside: else PostgreSQL hashes the locked rows and joins them to a
        # scan of every deliverable (a round of 100,000 posts read 100,000 rows per claim)
        .where(among(_D.id, ids, dialect))
        .where(_D.id.in_(free))
        .values(last_polled_at=now)
        .returning(_D.id, _D.post_id, _D.enrollment_id)
    )


def claim(
    engine: Engine, ids: Sequence[int], last_polled: Sequence[datetime | None], *, now: datetime
) -> list[Claim]:
    """Stamp ``last_polled_at = now`` on the batch's rows nobody touched since planning."""
    claimed: list[tuple[int, str, int, datetime | None]] = []
    dialect = engine.dialect.name
    with writing(engine) as conn:
        for previous, group in _by_previous(ids, last_polled).items():
            rows = conn.execute(claim_statement(group, previous, now, dialect)).all()
            claimed.extend((d_id, post_id, enr, previous) for d_id, post_id, enr in rows)
        if not claimed:
            return []
        who = {
            enr: (creator, campaign, handle)
            for enr, creator, campaign, handle in conn.execute(
                select(_E.id, _E.creator_id, _E.campaign_id, _A.handle)
                .join(ACCOUNTS, _A.id == _E.account_id)
                .where(among(_E.id, {enr for _, _, enr, _ in claimed}, dialect))
            )
        }
    claims = []
    for d_id, post_id, enr, previous in sorted(claimed):
        creator, campaign, handle = who[enr]
        claims.append(Claim(d_id, post_id, handle, previous, creator, campaign))
    return claims


def release(engine: Engine, claims: Sequence[Claim], *, now: datetime) -> None:
    """Undo the claims of posts that were not polled, so the next round picks them up."""
    groups = _by_previous([c.deliverable_id for c in claims], [c.previous for c in claims])
    with writing(engine) as conn:
        for previous, ids in groups.items():
            conn.execute(
                update(DELIVERABLES)
                .where(among(_D.id, ids, conn.dialect.name), _D.last_polled_at == now)
                .values(last_polled_at=previous)
            )


#: Snapshot columns in the order of the rows ``store`` hands to the driver.
_SNAPSHOT_COLUMNS = (
    "deliverable_id",
    "taken_at",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "provenance",
    "flow_run_id",
)
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_snapshots(conn: Connection) -> str:
    """``INSERT ... ON CONFLICT (deliverable_id, taken_at) DO NOTHING`` in the driver's own
    parameter style (SQLite and PostgreSQL share the syntax). A round stores thousands of rows:
    the driver's ``executemany`` of plain tuples skips SQLAlchemy's per-row parameter work and
    the compilation it repeats for dialect ``on_conflict`` inserts (they are not cacheable)."""
    mark = _PLACEHOLDER[conn.dialect.paramstyle]
    return (
        f"INSERT INTO {SNAPSHOTS.name} ({', '.join(_SNAPSHOT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_SNAPSHOT_COLUMNS))}) "
        "ON CONFLICT (deliverable_id, taken_at) DO NOTHING"
    )


def _bound(conn: Connection, column: str, value: Any) -> Any:
    """``value`` as the column's type hands it to the driver (UTCDateTime: aware UTC, and text
    in SQLite's format), so raw rows store exactly what a Core insert would."""
    type_ = SNAPSHOTS.c[column].type
    process = type_.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


def store(
    engine: Engine,
    platform: Platform,
    claims: Sequence[Claim],
    answer: Mapping[str, PostMetrics],
    *,
    now: datetime,
    actor: str,
    autocommit: Connection | None = None,
) -> tuple[int, list[int]]:
    """One call's answer in one transaction: its snapshots, and the posts it no longer holds
    marked gone (with ``last_seen_at``, the latest poll that saw them, and an event).

    A live post's last sighting is its latest snapshot: nothing on the deliverable is written
    for it, so a round's writes are the claims and the snapshots. Returns the snapshots
    actually inserted and the deliverables now gone. ``autocommit`` (from ``storing``) is the
    connection a batch keeps for its PostgreSQL snapshots.
    """
    run_id = flow_run_id(actor)
    api = Provenance.API.value
    rows: list[tuple[Any, ...]] = []
    gone: list[Claim] = []
    for claim in claims:
        m = answer.get(claim.post_id)
        if m is None:
            gone.append(claim)
            continue
        # taken_at is filled in below, once, as the driver wants it
        rows.append((claim.deliverable_id, m.views, m.likes, m.comments, m.shares, m.saves))
    inserted = 0
    if rows and not gone and engine.dialect.name == "postgresql":
        return _store_in_one_statement(
            engine, rows, now=now, provenance=api, run_id=run_id, autocommit=autocommit
        ), []
    with writing(engine) as conn:
        if rows:
            taken = _bound(conn, "taken_at", now)
            values = [(d, taken, v, li, c, sh, sa, api, run_id) for d, v, li, c, sh, sa in rows]
            # the driver sums executemany's row counts; a conflicting (already stored) row is 0
            inserted = conn.exec_driver_sql(_insert_snapshots(conn), values).rowcount
        if gone:
            # last seen: the latest poll that still saw it (its snapshots), else detection's
            latest = (
                select(func.max(SNAPSHOTS.c.taken_at))
                .where(SNAPSHOTS.c.deliverable_id == _D.id)
                .scalar_subquery()
            )
            conn.execute(
                update(DELIVERABLES)
                .where(among(_D.id, [c.deliverable_id for c in gone], conn.dialect.name))
                .values(
                    status=DeliverableStatus.GONE.value,
                    gone_at=now,
                    last_seen_at=func.coalesce(latest, _D.last_seen_at),
                )
            )
            record_events(conn, [_gone_event(platform, claim, now, actor) for claim in gone])
    return inserted, [c.deliverable_id for c in gone]


#: One answer's snapshots in one PostgreSQL statement: the rows go as one array per column
#: (``unnest``) and a single statement is atomic on its own, so it runs without BEGIN and
#: COMMIT: one round trip instead of an executemany's pipeline wrapped in three more.
_STORE_ONE_STATEMENT = f"""
INSERT INTO {SNAPSHOTS.name} ({", ".join(_SNAPSHOT_COLUMNS)})
SELECT r.d, %(taken)s, r.v, r.l, r.c, r.sh, r.sa, %(provenance)s, %(run_id)s
FROM unnest(%(d)s::integer[], %(v)s::bigint[], %(l)s::bigint[], %(c)s::bigint[],
            %(sh)s::bigint[], %(sa)s::bigint[]) AS r(d, v, l, c, sh, sa)
ON CONFLICT (deliverable_id, taken_at) DO NOTHING
"""


@contextmanager
def storing(engine: Engine) -> Iterator[Connection | None]:
    """The connection a batch stores its snapshots on (PostgreSQL: autocommit, see
    ``_STORE_ONE_STATEMENT``), held for the whole batch: taken from the pool for each answer,
    every store also paid the pool's liveness ping and its reset. None on SQLite, whose writes
    each take ``writing``'s lock and their own transaction."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def _store_in_one_statement(
    engine: Engine,
    rows: Sequence[tuple[Any, ...]],
    *,
    now: datetime,
    provenance: str,
    run_id: str | None,
    autocommit: Connection | None = None,
) -> int:
    """PostgreSQL's ``store`` when nothing is gone: the snapshots inserted (a row another run
    already stored is not counted)."""
    if autocommit is None:
        with storing(engine) as connection:
            assert connection is not None
            return _store_in_one_statement(
                engine, rows, now=now, provenance=provenance, run_id=run_id, autocommit=connection
            )
    columns = list(zip(*rows, strict=True))
    params = {
        "taken": _bound(autocommit, "taken_at", now),
        "provenance": provenance,
        "run_id": run_id,
        **{
            name: _array_literal(values)
            for name, values in zip(("d", "v", "l", "c", "sh", "sa"), columns, strict=True)
        },
    }
    return int(autocommit.exec_driver_sql(_STORE_ONE_STATEMENT, params).rowcount)


def _array_literal(values: Sequence[int | None]) -> str:
    """``values`` as PostgreSQL's array text (``{1,NULL,3}``), which the statement casts: the
    driver adapts a list element by element in Python, and a round stores 600,000 values."""
    missing = values.count(None) if isinstance(values, tuple | list) else 0
    if not missing:
        return "{" + ",".join(map(str, map(int, values))) + "}"  # type: ignore[arg-type]
    if missing == len(values):  # a count the platform does not give (YouTube: shares, saves)
        return "{" + ",".join(["NULL"] * missing) + "}"
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _gone_event(platform: Platform, claim: Claim, now: datetime, actor: str) -> dict[str, Any]:
    return event_values(
        kind="deliverable_gone",
        entity="deliverable",
        entity_id=claim.deliverable_id,
        detail={"post_id": claim.post_id, "platform": platform.value},
        actor=actor,
        at=now,
        creator_id=claim.creator_id,
        campaign_id=claim.campaign_id,
    )
