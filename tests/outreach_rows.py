"""Moved to tests/support (builders, campaigns); this re-export goes once nothing imports it."""

from tests.support.builders import Contacted  # noqa: F401
from tests.support.builders import contact as seed_contacted  # noqa: F401
from tests.support.campaigns import EXAMPLE_CAMPAIGN  # noqa: F401
from tests.support.campaigns import register_example as seed_campaign  # noqa: F401
