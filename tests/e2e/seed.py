"""Moved to tests/support/worlds.py; this re-export goes once nothing imports it."""

from tests.support.worlds import LAUNCH_CAMPAIGN, LAUNCH_SLUG, seed_tracked_campaign  # noqa: F401
