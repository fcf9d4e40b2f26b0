"""Errors from the platform APIs, typed by what the caller should do about them.

    CreatorflowError
    └── PlatformError                 names the platform and the account, never a token or key
        ├── TransientPlatformError    retry later: connection error, timeout, 5xx, 429, throttling
        │                             (``retry_after``: seconds the platform asked us to wait)
        └── PermanentPlatformError    retrying will not help; fix something first
            ├── AuthError             API key or access token invalid, expired or missing
            ├── PermissionDenied      the key/token lacks a permission or scope
            ├── QuotaExhausted        daily quota (or this run's budget) spent; ``resets_at``
            │   └── HashtagLimitReached   Instagram's 30 unique hashtags per 7 days
            ├── RequestRejected       the platform refused the request as invalid (a bug here)
            └── MalformedResponse     the answer is not the documented shape (HTML, bad JSON...)

A per-account "no such account" is not an error: adapters return ``AccountNotFound`` for it.
Prefect tasks retry ``TransientPlatformError`` only (see ``tasks/creators.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


class PermanentPlatformError(PlatformError):
    pass


class AuthError(PermanentPlatformError):
    pass


class PermissionDenied(PermanentPlatformError):
    pass


class RequestRejected(PermanentPlatformError):
    pass


class MalformedResponse(PermanentPlatformError):
    pass


class QuotaExhausted(PermanentPlatformError):
    def __init__(
        self,
        platform: str,
        message: str,
        *,
        account: str | None = None,
        resets_at: datetime | None = None,
    ) -> None:
        self.resets_at = resets_at
        if resets_at is not None:
            message = f"{message}; the quota resets at {resets_at.isoformat()}"
        super().__init__(platform, message, account=account)


class HashtagLimitReached(QuotaExhausted):
    pass


def next_pacific_midnight(now: datetime) -> datetime:
    """When YouTube's daily quota resets: the next midnight in America/Los_Angeles, in UTC."""
    local = now.astimezone(PACIFIC)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(UTC)
