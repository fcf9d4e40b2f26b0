"""Import creators from a CSV export: one canonical creator per person, idempotent, in bulk.

The whole file is parsed and planned in memory against the keys already stored (one query per
table), then written in one transaction with a few executemany statements: 100,000 rows take
seconds, and a file-level error writes nothing. The merge rules are in ``domain.creator_merge``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Connection, Engine, Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from creatorflow.domain.creator_merge import (
    PLATFORM_NAMES,
    KnownAccount,
    KnownCreator,
    MergePlan,
    PlannedAccount,
    plan_merge,
)
from creatorflow.domain.creator_rows import CreatorRow, RejectedRow, UnknownColumn
from creatorflow.domain.handles import external_id_in_handle
from creatorflow.domain.model import AccountStatus
from creatorflow.domain.tiers import TierRules
from creatorflow.errors import CreatorflowError
from creatorflow.gc_scopes import cyclic_gc_paused
from creatorflow.services.creators.csv_file import read_creator_csv
from creatorflow.services.creators.forget import any_erased, reject_erased
from creatorflow.storage.bulk import allocate_ids, bulk_cache, bulk_insert
from creatorflow.storage.models import Account, Base, Creator, Event
from creatorflow.storage.statistics import analyze_written

CREATORS: Table = Base.metadata.tables[Creator.__tablename__]
ACCOUNTS: Table = Base.metadata.tables[Account.__tablename__]
EVENTS: Table = Base.metadata.tables[Event.__tablename__]
EVENT_COLUMNS = ("kind", "entity", "entity_id", "creator_id", "detail")


class ImportConflict(CreatorflowError):
    """A concurrent writer got in the way; the import rolled back and can simply be re-run."""


@dataclass(frozen=True)
class ImportResult:
    """Counts per creator account (distinct platform+handle); ``rejected`` lists rows.

    An account counts as updated when its followers or tier, or its creator's name, email,
    country or niche changed.
    """

    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]
    creators_created: int = 0
    header: tuple[str, ...] = ()
    unknown_columns: tuple[UnknownColumn, ...] = ()  # in the header, ignored


def import_creators(
    *,
    engine: Engine,
    path: Path,
    lawful_basis: str,
    tier_rules: TierRules,
    now: datetime,
    actor: str,
    secret_key: SecretStr | None = None,
    strict: bool = False,
) -> ImportResult:
    """Import ``path``: bad rows come back as rejected, file-level problems raise InputError
    (``strict``: an unknown column is one too).

    A row naming a person erased on request is rejected (``secret_key`` checks their hashes)."""
    with cyclic_gc_paused():  # ~10 objects a row, all kept: it halves the import's time
        return _import(engine, path, lawful_basis, tier_rules, now, actor, secret_key, strict)


def _import(
    engine: Engine,
    path: Path,
    lawful_basis: str,
    tier_rules: TierRules,
    now: datetime,
    actor: str,
    secret_key: SecretStr | None = None,
    strict: bool = False,
) -> ImportResult:
    parsed = read_creator_csv(path, strict=strict)
    unknown = tuple(parsed.unknown)
    try:
        with engine.begin() as conn, bulk_cache(conn):
            if any_erased(conn):  # else no row can name an erased person: nothing to hash
                parsed = reject_erased(conn, parsed, secret_key=secret_key)
            accounts, creators, emails = _load_known(conn)
            plan = plan_merge(
                parsed.rows,
                accounts=accounts,
                creators=creators,
                emails=emails,
                source_label=path.name,
            )
            plan.assign_tiers(tier_rules)
            note = _ImportNote(
                path.name, lawful_basis, len(parsed.rejected) + len(plan.rejected), now, actor
            )
            created, updated, unchanged = _write(conn, plan, note)
    except IntegrityError:
        # another writer added the same creators or ids between our read and our write
        raise ImportConflict(
            f"{path}: creators changed in the database while importing; nothing was written, "
            "run the import again"
        ) from None
    analyze_written(engine, {"creators": len(plan.created), "accounts": created})
    cells = parsed.cells_at(line for line, _ in plan.rejected)
    rejected = parsed.rejected + [
        RejectedRow(str(path), line, reason, cells[line]) for line, reason in plan.rejected
    ]
    rejected.sort(key=lambda r: r.line)
    return ImportResult(
        created=created,
        updated=updated,
        unchanged=unchanged,
        rejected=rejected,
        creators_created=len(plan.created),
        header=parsed.header,
        unknown_columns=unknown,
    )


def _load_known(
    conn: Connection,
) -> tuple[dict[tuple[str, str], KnownAccount], dict[int, KnownCreator], dict[str, int]]:
    a, c = ACCOUNTS.c, CREATORS.c
    accounts = {
        (platform, handle): KnownAccount(account_id, creator_id, followers, tier)
        for account_id, creator_id, platform, handle, followers, tier in conn.execute(
            select(a.id, a.creator_id, a.platform, a.handle, a.followers, a.tier)
        )
    }
    creators: dict[int, KnownCreator] = {}
    emails: dict[str, int] = {}
    for creator_id, email, name, country, niche in conn.execute(
        select(c.id, c.email, c.name, c.country, c.niche)
    ):
        creators[creator_id] = KnownCreator(email, name, country, niche)
        if email is not None:
            emails[email] = creator_id
    return accounts, creators, emails


@dataclass(frozen=True)
class _ImportNote:
    """What the import's own event records besides the counts: the file, basis, who and when."""

    source: str  # the file's name
    lawful_basis: str
    rejected: int  # rows
    now: datetime
    actor: str


def _write(conn: Connection, plan: MergePlan, note: _ImportNote) -> tuple[int, int, int]:
    """Insert and update in bulk; one event for the import, one per changed creator or account.

    New creators get no event each: the import's ``creators_imported`` event names the file, the
    lawful basis, the counts and the ranges of creator ids it created (each creator row keeps its
    own source line, lawful basis and creation time). A new account of a known creator is an
    ``account_created`` event, every change a ``creator_updated`` or ``account_updated`` one
    (what changed, from which line). An import that changes nothing writes no event.
    """
    now = note.now
    events: list[tuple[Any, ...]] = []
    detail: dict[str, Any]
    new_ids = allocate_ids(conn, CREATORS, len(plan.created))
    creator_rows, fresh_ids = _creator_rows(plan, new_ids)
    account_ids = allocate_ids(conn, ACCOUNTS, len(plan.opened))
    account_rows, of_known = _account_rows(plan, account_ids, new_ids, fresh_ids)
    bulk_insert(
        conn,
        CREATORS,
        ("id", "email", "name", "country", "niche", "source"),
        creator_rows,
        constants={"lawful_basis": note.lawful_basis, "created_at": now, "updated_at": now},
    )
    bulk_insert(
        conn,
        ACCOUNTS,
        ("id", "creator_id", "platform", "handle", "external_id", "followers", "tier"),
        account_rows,
        constants={
            "status": AccountStatus.UNVERIFIED.value,
            "created_at": now,
            "updated_at": now,
        },
    )
    for account, account_id in of_known:
        detail = {
            "platform": account.platform,
            "handle": account.handle,
            "followers": account.followers,
            "tier": account.tier,
            "source": account.source,
        }
        events.append(
            ("account_created", "account", account_id, account.creator_ref, json.dumps(detail))
        )

    changed_creators = plan.changed_creators()
    if changed_creators:
        conn.execute(
            update(CREATORS)
            .where(CREATORS.c.id == bindparam("_id"))
            .values(
                {
                    **{name: bindparam(name) for name in ("email", "name", "country", "niche")},
                    "updated_at": now,
                }
            ),
            [{"_id": c.ref, **c.values()._asdict()} for c in changed_creators],
        )
    for creator in changed_creators:
        detail = {"changes": creator.changes(), "source": creator.source}
        events.append(("creator_updated", "creator", creator.ref, creator.ref, json.dumps(detail)))

    changed_refs = {c.ref for c in changed_creators}
    updated = unchanged = 0
    account_updates: list[dict[str, Any]] = []
    for account in plan.planned_accounts.values():
        if account.known is None:
            continue
        changes = account.changes()
        if changes:
            account_updates.append(
                {"_id": account.known.id, "followers": account.followers, "tier": account.tier}
            )
            detail = {"changes": changes, "source": account.source}
            events.append(
                (
                    "account_updated",
                    "account",
                    account.known.id,
                    account.creator_ref,
                    json.dumps(detail),
                )
            )
        if changes or account.creator_ref in changed_refs:
            updated += 1
        else:
            unchanged += 1
    if account_updates:
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == bindparam("_id"))
            .values(followers=bindparam("followers"), tier=bindparam("tier"), updated_at=now),
            account_updates,
        )
    if account_rows or updated:
        summary = {
            "source": note.source,
            "lawful_basis": note.lawful_basis,
            "created": len(account_rows),
            "updated": updated,
            "unchanged": unchanged,
            "rejected": note.rejected,
            "creators_created": len(new_ids),
            "creator_ids": id_ranges(new_ids),
        }
        events.insert(0, ("creators_imported", "import", None, None, json.dumps(summary)))
    bulk_insert(
        conn,
        EVENTS,
        EVENT_COLUMNS,
        events,
        constants={"occurred_at": now, "actor": note.actor},
        serialized=("detail",),
    )
    return len(account_rows), updated, unchanged


def _creator_rows(plan: MergePlan, ids: list[int]) -> tuple[list[tuple[Any, ...]], list[int]]:
    """The new creators' rows in id order, and the ids of those kept as read (``CreatorRow``)."""
    rows: list[tuple[Any, ...]] = []
    fresh: list[int] = []
    label = plan.label
    for creator_id, entry in zip(ids, plan.created, strict=True):
        if isinstance(entry, CreatorRow):
            fresh.append(creator_id)
            source = f"{label}:{entry.line}"
        else:
            source = entry.source
        rows.append((creator_id, entry.email, entry.name, entry.country, entry.niche, source))
    return rows, fresh


def _account_rows(
    plan: MergePlan, ids: list[int], creator_ids: list[int], fresh_ids: list[int]
) -> tuple[list[tuple[Any, ...]], list[tuple[PlannedAccount, int]]]:
    """The new accounts' rows in id order, and those opened for creators already stored.

    A row kept as read belongs to the creator made from the same row: the n-th such row among
    the accounts is the n-th among the creators (``fresh_ids``). A planned account names its
    creator by id, or by placeholder ``-n`` for the n-th new creator.
    """
    rows: list[tuple[Any, ...]] = []
    of_known: list[tuple[PlannedAccount, int]] = []
    fresh = iter(fresh_ids)
    tiers = plan.tiers
    for account_id, entry in zip(ids, plan.opened, strict=True):
        if isinstance(entry, CreatorRow):
            platform, handle, followers = entry.platform, entry.handle, entry.followers
            rows.append(
                (
                    account_id,
                    next(fresh),
                    PLATFORM_NAMES[platform],
                    handle,
                    external_id_in_handle(platform, handle),
                    followers,
                    tiers[followers],
                )
            )
            continue
        ref = entry.creator_ref
        if ref < 0:  # a creator of this import: its placeholder becomes its id
            ref = creator_ids[-ref - 1]
        else:
            of_known.append((entry, account_id))
        rows.append(
            (
                account_id,
                ref,
                entry.platform,
                entry.handle,
                external_id_in_handle(entry.platform, entry.handle),
                entry.followers,
                entry.tier,
            )
        )
    return rows, of_known


def id_ranges(ids: list[int]) -> list[list[int]]:
    """Ascending ids as ``[first, last]`` runs: ``[1, 2, 3, 7]`` -> ``[[1, 3], [7, 7]]``.

    Ids drawn for one import are one run in the usual case (another writer drawing from the
    same sequence meanwhile splits it), so the import's event stays a few numbers long.
    """
    runs: list[list[int]] = []
    for value in sorted(ids):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs
