"""An account the platform will not show, marked with a reason an operator acts on.

Refresh, detection, polling and submission all meet accounts they cannot read (no such account,
not professional, not connected, a revoked token, a missing scope); they mark them here, so every
problem is stored once, in one shape: the account's ``status`` and ``status_detail`` ("token
revoked on 2027-03-12: ask the creator to reconnect"), and one event when the status changes.
The date is the day the problem was first seen: seeing it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.domain.model import ACCOUNT_PROBLEMS, AccountStatus, account_problem
from creatorflow.storage.events import record_account_event
from creatorflow.storage.models import Account

PROBLEM_VALUES = tuple(sorted(status.value for status in ACCOUNT_PROBLEMS))


def mark_unreadable(
    session: Session,
    account: Account,
    *,
    status: AccountStatus,
    what: str,
    now: datetime,
    actor: str,
) -> str:
    """Give ``account`` the problem ``status`` (``what`` the platform said); returns the reason
    stored. Figures read before stay as they were: they are the last known ones."""
    if account.status == status.value and account.status_detail:
        return account.status_detail
    reason = account_problem(status, what, seen=now)
    record_account_event(
        session,
        account,
        kind=f"account_{status.value}",
        detail={"reason": reason, "previous_status": account.status},
        actor=actor,
        at=now,
    )
    account.status = status.value
    account.status_detail = reason
    account.updated_at = now
    return reason


def mark_unreadable_by_handle(
    session: Session,
    *,
    platform: str,
    handle: str,
    status: AccountStatus,
    what: str,
    now: datetime,
    actor: str,
) -> str | None:
    """``mark_unreadable`` for the account ``platform:handle``; None when it is not known."""
    account = session.scalars(
        select(Account).where(Account.platform == platform, Account.handle == handle)
    ).first()
    if account is None:
        return None
    return mark_unreadable(session, account, status=status, what=what, now=now, actor=actor)


def mark_readable(
    session: Session, account_ids: Iterable[int], *, now: datetime, actor: str
) -> list[int]:
    """Accounts that had a problem and were just read fine are active again (an event each)."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    fixed = session.scalars(
        select(Account).where(Account.id.in_(ids), Account.status.in_(PROBLEM_VALUES))
    ).all()
    for account in fixed:
        record_account_event(
            session,
            account,
            kind="account_readable",
            detail={"previous_status": account.status, "previous_reason": account.status_detail},
            actor=actor,
            at=now,
        )
        account.status = AccountStatus.ACTIVE.value
        account.status_detail = None
        account.updated_at = now
    return [a.id for a in fixed]
