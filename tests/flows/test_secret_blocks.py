"""Secrets may come from Prefect Secret blocks: `prefect-secret:NAME` in any secret setting."""

from __future__ import annotations

import pytest
from prefect.blocks.system import Secret

from creatorflow.settings import Settings, SettingsError, get_settings


def test_a_secret_setting_can_name_a_prefect_secret_block() -> None:
    Secret(value="AIza-from-the-block").save("cf-test-youtube-key", overwrite=True)
    Secret(value="smtps://team:pw-from-block@smtp.example:465").save(
        "cf-test-mail-url", overwrite=True
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        youtube_api_key="prefect-secret:cf-test-youtube-key",
        mail_url="prefect-secret:cf-test-mail-url",
    )
    assert settings.youtube_api_key is not None
    assert settings.youtube_api_key.get_secret_value() == "AIza-from-the-block"
    assert settings.mail_url.get_secret_value().startswith("smtps://team:pw-from-block@")
    assert "pw-from-block" not in repr(settings)


def test_a_missing_block_names_the_variable_and_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREATORFLOW_TIKTOK_ACCESS_TOKEN", "prefect-secret:cf-no-such-block")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as excinfo:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(excinfo.value)
    assert "CREATORFLOW_TIKTOK_ACCESS_TOKEN" in message
    assert "cf-no-such-block" in message and "not found" in message
