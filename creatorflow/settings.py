"""One typed Settings object, built lazily and passed explicitly.

Nothing reads the environment at import time: tests build their own ``Settings(...)`` and hand it
down, and ``get_settings()`` caches one for the command line and the flows.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from creatorflow.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ConfigError):
    """A setting is missing or invalid; the message names the environment variable."""


SECRET_BLOCK_PREFIX = "prefect-secret:"
SECRET_FIELDS = (
    "mail_url",
    "inbox_url",
    "secret_key",
    "youtube_api_key",
    "instagram_access_token",
    "tiktok_access_token",
    "instagram_app_secret",
    "instagram_verify_token",
)


def load_secret_block(name: str) -> str:
    """The value of the Prefect Secret block ``name`` (the error never shows a value)."""
    if not name:
        raise ValueError(f"{SECRET_BLOCK_PREFIX} needs a block name")
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()  # type: ignore[union-attr]
    except ValueError:
        raise ValueError(f"Prefect Secret block {name!r} was not found") from None
    except Exception as exc:  # the Prefect API is unreachable or refuses us
        raise ValueError(
            f"Prefect Secret block {name!r} could not be read ({type(exc).__name__})"
        ) from None
    return str(value)


def env_name(field: str) -> str:
    return f"CREATORFLOW_{field.upper()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CREATORFLOW_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///creatorflow.db"
    mail_url: SecretStr = SecretStr("maildir://./var/outbox")
    inbox_url: SecretStr = SecretStr("maildir://./var/inbox")
    sender: str | None = None
    postal_address: str | None = None
    unsubscribe_base_url: str | None = None
    secret_key: SecretStr | None = None

    youtube_api_key: SecretStr | None = None
    youtube_base_url: str = "https://www.googleapis.com"
    youtube_quota_budget: int = 10_000
    youtube_search_cost: int = 100
    instagram_access_token: SecretStr | None = None
    instagram_user_id: str | None = None
    instagram_base_url: str = "https://graph.facebook.com"
    instagram_api_version: str = "v21.0"
    # the Meta app's secret (signs webhook bodies) and the token of its verification handshake
    instagram_app_secret: SecretStr | None = None
    instagram_verify_token: SecretStr | None = None
    tiktok_access_token: SecretStr | None = None
    tiktok_base_url: str = "https://open.tiktokapis.com"

    http_connect_timeout: float = 5.0
    http_read_timeout: float = 30.0
    http_max_retries: int = 4
    http_backoff_base: float = 0.5  # seconds; doubled each retry, plus jitter
    http_max_wait: float = 60.0  # longest wait honoured from Retry-After / Meta regain time

    lawful_basis: str = "legitimate-interest"
    config_dir: Path = PROJECT_ROOT / "config"
    templates_dir: Path = PROJECT_ROOT / "templates"
    daily_cap: int = Field(default=150, ge=1)
    # a message the server deferred (4xx, mailbox full) is tried again in a later run, this
    # many minutes after the first try and twice as long after each further one, then failed
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_minutes: int = Field(default=30, ge=1)
    # the deliverability guard, per sending mailbox and per campaign, over the last N sends
    guard_window: int = Field(default=200, ge=1)
    guard_bounce_rate: float = Field(default=0.05, gt=0, le=1)  # hard bounces: pause above
    guard_complaint_rate: float = Field(default=0.003, gt=0, le=1)  # complaints: pause above
    guard_blocked_rate: float = Field(default=0.10, gt=0, le=1)  # policy refusals: warn above
    # soft bounces (mailbox full, expired, busy) for one address: this many, spread over at
    # least this many days, make it undeliverable (suppressed, the enrollment bounced)
    soft_bounce_limit: int = Field(default=3, ge=1)
    soft_bounce_days: int = Field(default=7, ge=0)
    mail_ca_file: Path | None = None  # extra CA to trust for SMTP and IMAPS TLS (self-signed)
    preview_dir: Path = Path("./var/preview")
    reports_dir: Path = Path("./var/reports")
    prices_version: str = "emv-2026-01"  # config/prices/<version>.yaml (EMV price table)
    # where the tracking flow's batches run: threads of the flow's process, or a Dask cluster
    # (the `dask` extra); an empty address starts a local cluster for each flow run
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str = ""
    # personal data (issue 19): contacts who never answered are erased this many days after
    # the last email (0: never), and one person is contacted cold by at most this many
    # campaigns in any 90 days, whoever launches them
    retention_days: int = Field(default=365, ge=0)
    max_campaigns_per_person: int = Field(default=2, ge=1)
    # the creator portal (issue 18): links are <portal_base_url>/p/<token>, signed with
    # secret_key and valid this many days; drafts are stored under upload_dir, never served
    portal_base_url: str | None = None
    portal_link_days: int = Field(default=60, ge=1, le=3650)
    upload_dir: Path = Path("./var/drafts")
    max_upload_bytes: int = Field(default=50_000_000, ge=1)

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _resolve_secret_block(cls, value: object) -> object:
        """``prefect-secret:NAME`` reads the value from the Prefect Secret block NAME.

        Resolved once, when the settings are built, so the secret lives only in memory (as a
        ``SecretStr``) and never in an environment listing or a deployment's parameters.
        """
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and raw.startswith(SECRET_BLOCK_PREFIX):
            return load_secret_block(raw[len(SECRET_BLOCK_PREFIX) :].strip())
        return value

    @field_validator("portal_base_url")
    @classmethod
    def _portal_url(cls, value: str | None) -> str | None:
        """The creator portal's public address goes into every link: an http(s) URL or none."""
        if value is not None and value.strip() and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://portal.example.com")
        return value.strip() or None if value is not None else None

    @field_validator("secret_key")
    @classmethod
    def _reject_placeholder_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() in {"", "changeme", "secret"}:
            raise ValueError("is a placeholder; set a long random value")
        return value

    def require(self, *fields: str) -> None:
        """Fail with one message naming every missing environment variable."""

        def blank(value: object) -> bool:  # an empty SecretStr is as missing as None
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            return value is None or (isinstance(value, str) and not value.strip())

        missing = [env_name(f) for f in fields if blank(getattr(self, f))]
        if missing:
            raise SettingsError(f"missing required setting(s): {', '.join(missing)}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{env_name(str(err['loc'][0]))}: {err['msg']}" for err in exc.errors() if err["loc"]
        )
        raise SettingsError(f"invalid settings: {problems}") from None
