"""The deferral and account-problem stores on SQLite and PostgreSQL (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from creatorflow.domain.model import AccountStatus
from creatorflow.platforms.errors import Deferral
from creatorflow.storage import platform_access
from creatorflow.storage.account_status import mark_readable, mark_unreadable
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Event, PlatformAccess
from tests.support.builders import add_account


def test_a_deferral_is_one_row_per_platform_and_a_refresh_resumes_from_the_first(
    engine: Engine, now: datetime
) -> None:
    throttle = Deferral("instagram", "throttled", now + timedelta(minutes=10), honoured=True)
    with session_scope(engine) as session:
        platform_access.record_deferral(session, throttle, now=now, actor="a", refresh_started=now)
    later = now + timedelta(minutes=20)
    quota = Deferral("instagram", "quota", later + timedelta(hours=1), honoured=False)
    with session_scope(engine) as session:
        access = platform_access.record_deferral(
            session, quota, now=later, actor="b", refresh_started=later
        )
    assert (access.refresh_pending_since, access.blocked_until, access.actor) == (now, None, "b")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PlatformAccess)) == 1
        assert platform_access.blocked(session, "instagram", now=later) is None  # probed
        assert [a.platform for a in platform_access.open_deferrals(session, now=later)] == []
        listed = platform_access.open_deferrals(session, now=later, actor="b")
        assert [a.reason for a in listed] == ["quota"]
        platform_access.finish_refresh(session, "instagram", now=later, actor="b")
        assert platform_access.refresh_pending_since(session, "instagram") is None
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds == ["platform_deferred", "platform_deferred", "platform_refresh_completed"]


def test_a_throttle_blocks_until_its_time(engine: Engine, now: datetime) -> None:
    until = now + timedelta(minutes=10)
    with session_scope(engine) as session:
        platform_access.record_deferral(
            session, Deferral("tiktok", "429", until, honoured=True), now=now, actor="a"
        )
    with session_scope(engine) as session:
        waiting = platform_access.blocked(session, "tiktok", now=now + timedelta(minutes=9))
        assert waiting is not None and waiting.line(now).startswith(
            f"tiktok: access returns at {until.isoformat()}"
        )
        assert platform_access.blocked(session, "tiktok", now=until) is None


def test_an_account_problem_is_stored_once_with_its_first_date_and_cleared_when_read(
    engine: Engine, now: datetime
) -> None:
    with session_scope(engine) as session:
        account_id = add_account(session, platform="tiktok", handle="mia", now=now).id
    for day in (0, 3):
        with session_scope(engine) as session:
            account = session.get(Account, account_id)
            assert account is not None
            reason = mark_unreadable(
                session,
                account,
                status=AccountStatus.TOKEN_REVOKED,
                what="token revoked",
                now=now + timedelta(days=day),
                actor="t",
            )
    assert reason == "token revoked on 2027-03-01: ask the creator to reconnect"
    with session_scope(engine) as session:
        assert mark_readable(session, [account_id], now=now, actor="t") == [account_id]
        assert mark_readable(session, [account_id], now=now, actor="t") == []
        account = session.get(Account, account_id)
        assert account is not None and (account.status, account.status_detail) == ("active", None)
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds == ["account_token_revoked", "account_readable"]
