"""Moved to tests/support (builders, campaigns); this re-export goes once nothing imports it."""

from tests.support.builders import add_creator, add_creators  # noqa: F401
from tests.support.campaigns import OUTREACH_SPEC as BASE_SPEC  # noqa: F401
from tests.support.campaigns import make_spec  # noqa: F401
