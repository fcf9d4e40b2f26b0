"""Settings: typed, lazy, secrets hidden, missing values named by their environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorflow.settings import Settings, SettingsError, get_settings


def test_environment_variables_with_the_prefix_configure_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", "postgresql+psycopg://db.example/cf")
    monkeypatch.setenv("CREATORFLOW_DAILY_CAP", "70")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://db.example/cf"
    assert settings.daily_cap == 70


def test_defaults_are_the_embedded_set_up() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///creatorflow.db"
    assert settings.mail_url.get_secret_value() == "maildir://./var/outbox"
    assert settings.inbox_url.get_secret_value() == "maildir://./var/inbox"
    assert settings.youtube_base_url == "https://www.googleapis.com"
    assert settings.lawful_basis == "legitimate-interest"


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CREATORFLOW_SENDER=Team <team@brand.example>\n")
    assert Settings().sender == "Team <team@brand.example>"


def test_secrets_never_appear_in_repr_or_str() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        youtube_api_key="AIzaSy-very-secret",
        mail_url="smtps://user:hunter2@smtp.example:465",
        secret_key="a-long-random-signing-key",
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("AIzaSy-very-secret", "hunter2", "a-long-random-signing-key"):
        assert secret not in shown


def test_missing_required_settings_are_named_by_environment_variable() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(SettingsError) as excinfo:
        settings.require("sender", "postal_address")
    assert "CREATORFLOW_SENDER" in str(excinfo.value)
    assert "CREATORFLOW_POSTAL_ADDRESS" in str(excinfo.value)


def test_placeholder_secret_key_is_rejected_with_the_variable_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREATORFLOW_SECRET_KEY", "changeme")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="CREATORFLOW_SECRET_KEY"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_settings_are_built_lazily_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", "sqlite:///late.db")
    try:
        assert get_settings().database_url == "sqlite:///late.db"
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()
