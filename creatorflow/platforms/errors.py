"""Errors from the platform APIs, typed by what the caller should do about them.

    CreatorflowError
    └── PlatformError                 names the platform and the account, never a token or key
        ├── TransientPlatformError    retry later: connection error, timeout, 5xx
        │   │                         (``retry_after``: seconds the platform asked us to wait)
        │   └── Throttled             429, Meta throttle codes, YouTube rateLimitExceeded
        └── PermanentPlatformError    retrying will not help; fix something first
            ├── AuthError             API key or access token invalid, expired or missing
            │   └── TokenRevoked      (AccountProblem) one creator's own token (TikTok)
            ├── PermissionDenied      the key/token lacks a permission or scope
            │   └── ScopeMissing      (AccountProblem) one creator's token lacks a scope
            ├── AccountProblem        only this account cannot be read (``status``, ``what``)
            │   ├── NotConnected      no token for this creator (TikTok)
            │   └── NotBusiness       not a professional account (Instagram business discovery)
            ├── ObjectNotFound        the playlist / media asked for does not exist
            ├── QuotaExhausted        daily quota spent; ``resets_at``
            │   ├── BudgetSpent       this run's own unit budget spent (the next run has more)
            │   └── HashtagLimitReached   Instagram's 30 unique hashtags per 7 days
            ├── RequestRejected       the platform refused the request as invalid (a bug here)
            └── MalformedResponse     the answer is not the documented shape (HTML, bad JSON...)

A per-account "no such account" in a lookup is not an error: adapters return
``AccountNotFound`` for it. An ``AccountProblem`` is raised where a single account's read fails
(its feed, its posts): the caller marks that account and goes on with the others. A quota or a
throttle that outlasts a sensible wait (``deferral``) stops that platform's work for the run.
Prefect tasks retry ``TransientPlatformError`` only (see ``tasks/creators.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from creatorflow.domain.model import AccountStatus
from creatorflow.errors import CreatorflowError

PACIFIC = ZoneInfo("America/Los_Angeles")
_SECRET_PARAM = re.compile(r"((?:key|access_token|token)=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without any of ``secrets`` and without key/token query parameters or bearers."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_PARAM.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


class PlatformError(CreatorflowError):
    """Base: ``platform`` is the platform's name, ``account`` the handle concerned (if any)."""

    def __init__(self, platform: str, message: str, *, account: str | None = None) -> None:
        self.platform = platform
        self.account = account
        where = f" (account {account})" if account else ""
        super().__init__(f"{platform}: {redact(message)}{where}")


class TransientPlatformError(PlatformError):
    def __init__(
        self,
        platform: str,
        message: str,
        *,
        account: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(platform, message, account=account)
        self.retry_after = retry_after


class Throttled(TransientPlatformError):
    """The platform asks us to slow down; ``retry_after`` is its own estimate, if it gave one."""


class PermanentPlatformError(PlatformError):
    pass


class AuthError(PermanentPlatformError):
    pass


class PermissionDenied(PermanentPlatformError):
    pass


class AccountProblem(PermanentPlatformError):
    """Only ``account`` cannot be read: ``status`` (an ``AccountStatus``) says how, ``what`` in
    a few words an operator reads ("token revoked"); never a token."""

    status: AccountStatus = AccountStatus.NOT_FOUND

    def __init__(self, platform: str, message: str, *, account: str | None, what: str) -> None:
        super().__init__(platform, message, account=account)
        self.what = redact(what)


class TokenRevoked(AccountProblem, AuthError):
    status = AccountStatus.TOKEN_REVOKED


class ScopeMissing(AccountProblem, PermissionDenied):
    status = AccountStatus.SCOPE_MISSING


class NotConnected(AccountProblem):
    status = AccountStatus.NOT_CONNECTED


class NotBusiness(AccountProblem):
    status = AccountStatus.NOT_BUSINESS


class ObjectNotFound(PermanentPlatformError):
    """The object asked for (a playlist, a media id) does not exist, or not for this token."""


class RequestRejected(PermanentPlatformError):
    pass


class MalformedResponse(PermanentPlatformError):
    pass


class QuotaExhausted(PermanentPlatformError):
    """``resets_at``: when the quota resets (by the adapter's clock); ``resets``: the rule
    (e.g. ``next_pacific_midnight``), so a run replayed ``as_of`` another moment can apply it."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        account: str | None = None,
        resets_at: datetime | None = None,
        resets: Callable[[datetime], datetime] | None = None,
    ) -> None:
        self.resets_at = resets_at
        self.resets = resets
        if resets_at is not None:
            message = f"{message}; the quota resets at {resets_at.isoformat()}"
        super().__init__(platform, message, account=account)


class BudgetSpent(QuotaExhausted):
    """This run's own unit budget is spent; the platform itself would still answer."""


class HashtagLimitReached(QuotaExhausted):
    pass


#: How long a throttle lasts when the platform gives no estimate (TikTok's sliding window).
DEFAULT_THROTTLE_WAIT = timedelta(minutes=1)


@dataclass(frozen=True)
class Deferral:
    """A platform's work stopped for this run: ``until`` when access returns (None: as soon as
    the next run starts), ``honoured``: whether runs before ``until`` leave the platform alone
    (a throttle: asking again only prolongs it) or probe it with one call (a daily quota, which
    the operator may raise at any time)."""

    platform: str
    reason: str
    until: datetime | None
    honoured: bool


def deferral(error: BaseException, *, now: datetime) -> Deferral | None:
    """The deferral ``error`` means, or None when it is not a wait longer than a run's.

    A throttle still there after the HTTP layer's retries (or whose estimate is longer than
    ``CREATORFLOW_HTTP_MAX_WAIT``), a platform's daily quota and a run's own budget are; a
    hashtag limit (one feature, not the platform) and everything else are not.
    """
    if isinstance(error, Throttled):
        wait = (
            timedelta(seconds=error.retry_after)
            if error.retry_after is not None
            else DEFAULT_THROTTLE_WAIT
        )
        return Deferral(error.platform, str(error), now + wait, honoured=True)
    if isinstance(error, BudgetSpent):
        return Deferral(error.platform, str(error), None, honoured=False)
    if isinstance(error, QuotaExhausted) and not isinstance(error, HashtagLimitReached):
        until = error.resets(now) if error.resets is not None else error.resets_at
        return Deferral(error.platform, str(error), until, honoured=False)
    return None


def next_pacific_midnight(now: datetime) -> datetime:
    """When YouTube's daily quota resets: the next midnight in America/Los_Angeles, in UTC."""
    local = now.astimezone(PACIFIC)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)
