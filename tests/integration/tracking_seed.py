"""Moved to tests/support (builders, campaigns); this re-export goes once nothing imports it."""

from typing import Any

from creatorflow.settings import Settings
from tests.support.builders import enroll, record_world_posts  # noqa: F401
from tests.support.campaigns import TRACKING_SPEC as SPEC  # noqa: F401
from tests.support.campaigns import add_campaign  # noqa: F401


def sandbox_settings(settings: Settings, values: dict[str, Any]) -> Settings:
    """The test settings pointed at the sandbox, with quick retries."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{
            **{k: v for k, v in settings.model_dump().items() if k not in values},
            **values,
            "http_max_retries": 1,
            "http_backoff_base": 0.01,
        },
    )
