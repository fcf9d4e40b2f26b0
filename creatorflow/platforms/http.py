"""The one way adapters talk HTTP: timeouts, retries with backoff and jitter, typed errors.

Every call has (connect, read) timeouts from settings. Transient failures (connection errors,
timeouts, 5xx, 429 and whatever the platform's ``classify`` marks transient, e.g. Meta throttle
codes or YouTube ``rateLimitExceeded``) are retried up to ``http_max_retries`` times with
exponential backoff plus jitter, honouring ``Retry-After`` or the platform's own hint (Meta's
``estimated_time_to_regain_access``) up to ``http_max_wait``; a longer hint fails at once with
``TransientPlatformError.retry_after`` so the caller (a Prefect retry) waits instead of us.
``sleep`` and ``rng`` are injectable so tests never sleep for real.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from creatorflow.platforms.errors import (
    MalformedResponse,
    PermanentPlatformError,
    PlatformError,
    TransientPlatformError,
    redact,
)
from creatorflow.settings import Settings

log = logging.getLogger("creatorflow.platforms")


@dataclass(frozen=True)
class Reply:
    """A parsed answer handed to the platform's ``classify``."""

    status: int
    payload: Any  # parsed JSON
    headers: Mapping[str, str]
    path: str


#: Returns the error an answer means (or None when it is a success). ``account`` names the handle.
Classifier = Callable[[Reply, str | None], PlatformError | None]


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: an integer or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _RedactSecrets(logging.Filter):
    """urllib3 logs every request line at DEBUG, query string included (``key=``,
    ``access_token=``): rewrite those records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_URLLIB3_FILTER = _RedactSecrets()


def _guard_library_logs() -> None:
    for name in ("urllib3.connectionpool", "requests"):
        logger = logging.getLogger(name)
        if _URLLIB3_FILTER not in logger.filters:
            logger.addFilter(_URLLIB3_FILTER)


def _session() -> requests.Session:
    """A session that leaves the environment to ``PlatformHttp._environment`` (no netrc
    either: a platform call carries its own credentials)."""
    session = requests.Session()
    session.trust_env = False
    return session


class PlatformHttp:
    """A ``requests.Session`` for one platform, with its secrets kept out of every message."""

    def __init__(
        self,
        *,
        platform: str,
        settings: Settings,
        classify: Classifier,
        secrets: Iterable[str | None] = (),
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.platform = platform
        self.timeout = (settings.http_connect_timeout, settings.http_read_timeout)
        self.max_retries = max(0, settings.http_max_retries)
        self.backoff_base = settings.http_backoff_base
        self.max_wait = settings.http_max_wait
        self.classify = classify
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep or time.sleep
        self.rng = rng or random.Random()
        self.session = session or _session()
        self.requests_sent = 0
        self._proxies: dict[str, dict[str, str]] = {}  # origin -> the environment's proxies
        _guard_library_logs()

    def _environment(self, url: str) -> dict[str, Any]:
        """What requests would read from the environment for ``url``, read once per origin.

        ``trust_env`` makes requests walk every environment variable on every call looking for
        proxies (a polling round makes thousands); the session here reads them per origin
        instead: ``HTTPS_PROXY``/``NO_PROXY`` and the CA bundle variables keep working.
        """
        if self.session.trust_env:
            return {}
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = self._proxies[origin] = dict(requests.utils.get_environ_proxies(url))
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        return {"proxies": proxies, **({"verify": verify} if verify else {})}

    def close(self) -> None:
        self.session.close()

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2**attempt, plus up to 50% more."""
        delay = self.backoff_base * (2**attempt)
        return float(min(self.max_wait, delay * (1 + 0.5 * self.rng.random())))

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        account: str | None = None,
        path: str = "",
    ) -> Any:
        """The parsed JSON of a successful answer; raises a ``PlatformError`` otherwise."""
        attempt = 0
        while True:
            error = self._attempt(method, url, params, json, headers, account, path)
            if isinstance(error, PlatformError):
                if not isinstance(error, TransientPlatformError) or attempt >= self.max_retries:
                    raise error
                hint = error.retry_after
                if hint is not None and hint > self.max_wait:
                    raise error  # a long wait belongs to the scheduler, not to a sleeping worker
                delay = hint if hint is not None else self.backoff(attempt)
                attempt += 1
                log.warning(
                    "%s; retry %d/%d in %.1fs",
                    error,
                    attempt,
                    self.max_retries,
                    delay,
                )
                self.sleep(delay)
                continue
            return error.payload

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        account: str | None,
        path: str,
    ) -> PlatformError | Reply:
        self.requests_sent += 1
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=self.timeout,
                **self._environment(url),
            )
        except requests.Timeout:
            return TransientPlatformError(
                self.platform, f"{path}: no answer within {self.timeout[1]:g}s", account=account
            )
        except requests.ConnectionError as exc:
            return TransientPlatformError(
                self.platform,
                self._clean(f"{path}: connection failed ({type(exc).__name__})"),
                account=account,
            )
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:  # the answer was cut off or garbled in transit: worth another try
            return TransientPlatformError(
                self.platform,
                self._clean(f"{path}: answer cut off in transit ({type(exc).__name__})"),
                account=account,
            )
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:  # the configured base URL cannot work: no retry will fix it
            setting = f"CREATORFLOW_{self.platform.upper()}_BASE_URL"
            return PermanentPlatformError(
                self.platform,
                f"{path}: the API address is not usable ({type(exc).__name__}); check {setting}",
                account=account,
            )
        with response:
            status = response.status_code
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            try:
                payload = response.json()
            except ValueError:
                kind = response.headers.get("Content-Type", "unknown").split(";")[0]
                what = f"{path}: HTTP {status} with a non-JSON answer ({kind})"
                if status >= 500 or status == 429:
                    return TransientPlatformError(
                        self.platform, what, account=account, retry_after=retry_after
                    )
                return MalformedResponse(self.platform, what, account=account)
            reply = Reply(status, payload, response.headers, path)
        error = self.classify(reply, account)
        if error is None and status >= 400:
            error = (
                TransientPlatformError(self.platform, f"{path}: HTTP {status}", account=account)
                if status >= 500 or status == 429
                else MalformedResponse(
                    self.platform, f"{path}: HTTP {status} without an error body", account=account
                )
            )
        if error is not None:
            error.args = (self._clean(str(error)),)  # the platform may echo a token back
        if isinstance(error, TransientPlatformError) and error.retry_after is None:
            error.retry_after = retry_after
        return error if error is not None else reply
